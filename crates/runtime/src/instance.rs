//! One sandbox: a wasmtime `Store` with an engine instance in it, its limits and its meters.
//!
//! `InstanceState` is the per-store data; [`Sandbox`] owns the store and the instance's bindings.
//! Limits are enforced here:
//! - CPU: every poll of a call into the guest is timed ([`CpuMeter`]); the epoch-deadline callback
//!   (run every tick while wasm executes) compares the time used with the limit, traps when it is
//!   exceeded and otherwise yields to the async runtime, so a busy sandbox never starves others;
//! - memory: a `ResourceLimiter` refuses growth past the limit by trapping;
//! - wall time: a timeout around the whole call (the sandbox is dropped when it fires).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::{self, LogLevel};
use crate::config::Limits;
use crate::engine::EngineHost;
use crate::error::{Error, LimitTrap, Result};
use crate::lane::{LongLane, LONG_RUNNING};
use crate::outbound::{
    ConnectionPool, GlobalOutbound, OutboundHooks, OutboundLimits, OutboundRecord,
};
use crate::trace::{Level, LogLine};

/// Most console output kept per request; beyond it lines are dropped and one marker is added.
const MAX_LOG_BYTES: usize = 1024 * 1024;
/// What one console line costs against [`MAX_LOG_BYTES`] besides its text.
const LOG_LINE_OVERHEAD: usize = 64;

/// Per-store data.
pub(crate) struct InstanceState {
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) memory: MemoryLimiter,
    logs: Vec<LogLine>,
    log_bytes: usize,
    logs_truncated: bool,
    http: WasiHttpCtx,
    pub(crate) outbound: OutboundHooks,
    /// Where the instance's linear memory is mapped in this process (told by the guest through
    /// `sandbox:worker/memory.anchor` when it first runs), for idle trimming.
    pub(crate) memory_base: Option<usize>,
    /// The worker's bindings (set once: an instance only serves one worker).
    pub(crate) bindings: Arc<crate::binding::Bindings>,
    /// Binding calls made by the current request.
    pub(crate) calls_made: u32,
    /// The binding calls started by the current invocation: aborted when it ends, so calls a
    /// script started and never awaited do not outlive the request (and its admission).
    pub(crate) spawned: Vec<tokio::task::AbortHandle>,
    /// The request tree the current request belongs to, and its depth in it.
    pub(crate) tree: Option<crate::tree::TreeCtx>,
    /// The current invocation's queue for service / intercepted calls (shared with the outbound
    /// hooks): at most `TreeLimits::max_calls_in_flight` run at once.
    pub(crate) in_flight: Arc<tokio::sync::Semaphore>,
    /// The invocation running now, for live tail events.
    pub(crate) invocation: Option<crate::observe::InvocationCtx>,
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl bindings::sandbox::worker::types::Host for InstanceState {}

impl bindings::sandbox::worker::host::Host for InstanceState {
    fn console(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        if self.logs_truncated {
            return Ok(());
        }
        // Each line is charged its overhead too (level, timestamp, framing in a reply), so a
        // flood of empty lines cannot grow a reply past the cap either.
        let charge = message.len() + LOG_LINE_OVERHEAD;
        if self.log_bytes + charge > MAX_LOG_BYTES {
            self.logs_truncated = true;
            let marker =
                format!("[wasm-sandbox] console output beyond {MAX_LOG_BYTES} bytes was dropped");
            if let Some(ctx) = &self.invocation {
                ctx.log(Level::Warn, &marker);
            }
            self.logs.push(LogLine::new(Level::Warn, marker));
            return Ok(());
        }
        self.log_bytes += charge;
        let level = match level {
            LogLevel::Debug => Level::Debug,
            LogLevel::Info => Level::Info,
            LogLevel::Log => Level::Log,
            LogLevel::Warn => Level::Warn,
            LogLevel::Error => Level::Error,
        };
        if let Some(ctx) = &self.invocation {
            ctx.log(level, &message);
        }
        self.logs.push(LogLine::new(level, message));
        Ok(())
    }
}

impl bindings::sandbox::worker::outbound::Host for InstanceState {
    fn denial(&mut self, url: String) -> wasmtime::Result<Option<String>> {
        Ok(self.outbound.denial(&url))
    }
}

pub(crate) struct MemoryLimiter {
    limit: usize,
    /// The linear memory's size now (every growth, the initial one included, passes here).
    pub(crate) current: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            return Err(wasmtime::Error::new(LimitTrap::Memory));
        }
        self.current = self.current.max(desired).max(current);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// CPU time used by calls into one sandbox: the sum of the CPU time spent inside `poll` of the
/// call futures. Each poll runs on one thread from start to end, so the thread's CPU clock
/// (`CLOCK_THREAD_CPUTIME_ID`) measures it exactly: time waiting on timers or host I/O (the
/// future is pending) and time the thread was preempted by other processes do not count.
#[derive(Default)]
pub(crate) struct CpuMeter {
    used_ns: AtomicU64,
    /// The thread CPU clock when the current poll started (+1 so that 0 means "not polling").
    poll_started: AtomicU64,
    /// The current call has used more than [`LONG_RUNNING`] (it moves to the long-running lane).
    pub long: AtomicBool,
    /// The request tree the current call charges its CPU time to as well.
    tree: std::sync::Mutex<Option<Arc<crate::tree::RequestTree>>>,
    /// The last pending poll was an epoch-deadline yield (the script was computing, not waiting).
    epoch_yield: AtomicBool,
    /// The sandbox's frozen clock ([`crate::Clock::Frozen`]): advanced when a call resumes
    /// after a wait, not after an epoch yield.
    frozen: Option<Arc<crate::clock::FrozenTime>>,
    /// Set (with the reason) when the call must end: a denied fetch under `OnDenied::Fail`.
    fatal: Arc<std::sync::Mutex<Option<String>>>,
}

/// CPU time consumed by the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_THREAD_CPUTIME_ID exists on
    // every Linux (and other POSIX systems this crate targets).
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl CpuMeter {
    fn now_ns(&self) -> u64 {
        thread_cpu_ns()
    }

    /// CPU time used so far, the poll in progress included (call from the polling thread).
    pub fn used(&self) -> Duration {
        let mut ns = self.used_ns.load(Ordering::Relaxed);
        let started = self.poll_started.load(Ordering::Relaxed);
        if started != 0 {
            ns += self.now_ns().saturating_sub(started - 1);
        }
        Duration::from_nanos(ns)
    }

    /// CPU time charged so far, from any thread, when no poll is in progress.
    pub fn used_idle(&self) -> Duration {
        Duration::from_nanos(self.used_ns.load(Ordering::Relaxed))
    }

    fn reset(&self) {
        self.used_ns.store(0, Ordering::Relaxed);
        self.long.store(false, Ordering::Relaxed);
    }

    fn tree(&self) -> Option<Arc<crate::tree::RequestTree>> {
        self.tree.lock().unwrap().clone()
    }

    /// The tree's CPU used so far, the poll in progress included (call from the polling
    /// thread), if the current call belongs to a tree.
    fn tree_used(&self) -> Option<(Duration, Duration)> {
        let tree = self.tree.lock().unwrap();
        let tree = tree.as_ref()?;
        let in_progress = self.used().saturating_sub(self.used_idle());
        Some((tree.cpu_used() + in_progress, tree.cpu_budget))
    }
}

/// Wraps a future and charges the time spent in its `poll` to a [`CpuMeter`].
struct Metered<'a, F> {
    inner: Pin<&'a mut F>,
    meter: &'a CpuMeter,
    /// Charged too (the request tree the call belongs to).
    tree: Option<Arc<crate::tree::RequestTree>>,
}

impl<F: Future> Future for Metered<'_, F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Time moves for the script only across waits: not when it resumes after its time
        // slice ran out.
        if !self.meter.epoch_yield.swap(false, Ordering::Relaxed) {
            if let Some(frozen) = &self.meter.frozen {
                frozen.advance();
            }
        }
        let start = self.meter.now_ns();
        self.meter.poll_started.store(start + 1, Ordering::Relaxed);
        let out = self.inner.as_mut().poll(cx);
        let end = self.meter.now_ns();
        self.meter.poll_started.store(0, Ordering::Relaxed);
        let spent = end.saturating_sub(start);
        self.meter.used_ns.fetch_add(spent, Ordering::Relaxed);
        if let Some(tree) = &self.tree {
            tree.charge(spent);
        }
        out
    }
}

/// One live engine instance and its store.
pub(crate) struct Sandbox {
    store: Store<InstanceState>,
    engine: bindings::Engine,
    meter: Arc<CpuMeter>,
    /// Module state exists in this instance (its worker was loaded).
    pub loaded: bool,
    /// When it last went idle (was checked in), for idle trimming.
    pub idle_since: Instant,
    /// Its clean pages were released since it last ran.
    pub trimmed: bool,
    /// The private bytes it held at its last trim (0: never trimmed).
    resident_bytes: usize,
    _slot: Slot,
}

/// Counts a live sandbox in [`EngineHost::live_instances`] until dropped.
struct Slot(Arc<std::sync::atomic::AtomicUsize>);

impl Slot {
    fn take(live: &Arc<std::sync::atomic::AtomicUsize>) -> Slot {
        live.fetch_add(1, Ordering::Relaxed);
        Slot(live.clone())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What one call into a sandbox produced besides its result.
pub(crate) struct CallReport {
    pub logs: Vec<LogLine>,
    /// Outbound requests made during the call.
    pub outbound: Vec<OutboundRecord>,
    pub cpu_time: Duration,
    /// The sandbox can be reused (no trap, no timeout).
    pub reusable: bool,
}

impl CallReport {
    /// Add what the call produced to `trace` (its CPU time is the request's budget so far);
    /// returns whether the sandbox can be reused.
    pub fn record(self, trace: &mut crate::trace::Trace) -> bool {
        trace.logs.extend(self.logs);
        trace.outbound.extend(self.outbound);
        trace.cpu_time = self.cpu_time;
        self.reusable
    }
}

/// What a call into the engine is: a closure that starts one guest export on the store.
pub(crate) type GuestCall<T> = Box<
    dyn for<'a> FnOnce(
            &'a bindings::Engine,
            &'a mut Store<InstanceState>,
        ) -> Pin<
            Box<dyn Future<Output = wasmtime::Result<Result<T, bindings::JsError>>> + Send + 'a>,
        > + Send,
>;

impl Sandbox {
    /// A fresh instance from the pre-instantiated engine (copy-on-write snapshot memory).
    pub async fn new(host: &EngineHost, limits: &Limits) -> Result<Self> {
        let memory_limit = limits.memory_bytes.min(host.config.max_memory_per_instance) as usize;
        let mut wasi = WasiCtx::builder();
        let frozen = crate::clock::install(host.config.clock, &mut wasi);
        let state = InstanceState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            memory: MemoryLimiter {
                limit: memory_limit,
                current: 0,
            },
            logs: Vec::new(),
            log_bytes: 0,
            logs_truncated: false,
            http: WasiHttpCtx::new(),
            outbound: OutboundHooks::new(),
            memory_base: None,
            bindings: Arc::default(),
            calls_made: 0,
            spawned: Vec::new(),
            tree: None,
            in_flight: Arc::new(tokio::sync::Semaphore::new(
                host.config.tree.max_calls_in_flight.max(1) as usize,
            )),
            invocation: None,
        };
        let mut store = Store::new(&host.engine, state);
        store.limiter(|s| &mut s.memory);
        let meter = Arc::new(CpuMeter {
            frozen,
            ..CpuMeter::default()
        });
        let cpu_limit = limits.cpu_time;
        let m = meter.clone();
        store.epoch_deadline_callback(move |_| {
            let used = m.used();
            if used > cpu_limit {
                Err(wasmtime::Error::new(LimitTrap::Cpu))
            } else if m.fatal.lock().unwrap().is_some() {
                Err(wasmtime::Error::new(LimitTrap::OutboundDenied))
            } else if m.tree_used().is_some_and(|(used, budget)| used > budget) {
                Err(wasmtime::Error::new(LimitTrap::TreeCpu))
            } else {
                if used >= LONG_RUNNING {
                    m.long.store(true, Ordering::Relaxed);
                }
                m.epoch_yield.store(true, Ordering::Relaxed);
                // tokio's yield_now puts the task at the back of its worker's queue (after the
                // I/O driver is polled); a plain wake would put it in the worker's LIFO slot,
                // ahead of everything else queued there, for a few more ticks.
                Ok(UpdateDeadline::YieldCustom(
                    1,
                    Box::pin(tokio::task::yield_now()),
                ))
            }
        });
        store.set_epoch_deadline(1);
        let engine = {
            let fut = host.pre.instantiate_async(&mut store);
            let mut fut = std::pin::pin!(fut);
            Metered {
                inner: fut.as_mut(),
                meter: &meter,
                tree: None,
            }
            .await
        };
        let engine = match engine {
            Ok(e) => e,
            Err(e) => {
                let msg = format!("{e:#}");
                if msg.contains("maximum concurrent")
                    || msg.contains("pooling allocator")
                    || msg.contains("limit of")
                {
                    return Err(Error::Capacity(host.config.max_instances));
                }
                return Err(Error::Host(anyhow::anyhow!(
                    "instantiating the engine: {msg}"
                )));
            }
        };
        Ok(Sandbox {
            store,
            engine,
            meter,
            loaded: false,
            idle_since: Instant::now(),
            trimmed: false,
            resident_bytes: 0,
            _slot: Slot::take(&host.live_instances),
        })
    }

    /// What `fetch()` may reach from this sandbox, and within which limits.
    pub(crate) fn set_outbound(
        &mut self,
        on_denied: crate::outbound::OnDenied,
        outbound: &GlobalOutbound,
        limits: OutboundLimits,
        pool: &Arc<ConnectionPool>,
    ) {
        let hooks = &mut self.store.data_mut().outbound;
        hooks.fatal = Some(self.meter.fatal.clone());
        hooks.on_denied = on_denied;
        hooks.outbound = outbound.clone();
        hooks.limits = limits;
        hooks.pool = pool.clone();
    }

    /// Unmap the snapshot pages this idle instance only read, and the written ones that hold the
    /// image's bytes again (see [`crate::trim`]); returns what was released and what it still
    /// owns (recorded as its resident size). Taking `&mut self` guarantees nothing runs in it
    /// meanwhile.
    pub fn trim(&mut self) -> crate::trim::Trimmed {
        let state = self.store.data();
        let Some(base) = state.memory_base else {
            return crate::trim::Trimmed {
                released: 0,
                owned: self.resident_bytes as u64,
            };
        };
        // SAFETY: `base` is where this store's linear memory is mapped (the guest's anchor,
        // translated by wasmtime's bounds-checked view of that memory), the mapping lives as
        // long as the store, `memory.current` is its size (the limiter sees every growth), and
        // no call can be running in the store while we hold `&mut self`.
        let t = unsafe { crate::trim::release_clean_pages(base, state.memory.current) };
        self.resident_bytes = t.owned as usize;
        t
    }

    /// The request tree the next calls belong to (`None` between requests). A new invocation
    /// also gets a new queue for its service / intercepted calls.
    pub(crate) fn set_tree(&mut self, ctx: Option<crate::tree::TreeCtx>) {
        *self.meter.tree.lock().unwrap() = ctx.as_ref().map(|c| c.tree.clone());
        let state = self.store.data_mut();
        // A fresh queue per invocation; between invocations (None) the old one is left as is.
        if let Some(c) = &ctx {
            let permits = c.tree.limits.max_calls_in_flight.max(1) as usize;
            state.in_flight = Arc::new(tokio::sync::Semaphore::new(permits));
        }
        state
            .outbound
            .set_tree(ctx.clone(), state.in_flight.clone());
        state.tree = ctx;
    }

    /// The invocation the next calls belong to (their console lines and outbound attempts are
    /// published to its tail as they happen).
    pub(crate) fn set_invocation(&mut self, ctx: Option<crate::observe::InvocationCtx>) {
        self.store.data_mut().outbound.set_invocation(ctx.clone());
        self.store.data_mut().invocation = ctx;
    }

    /// This sandbox's CPU meter.
    pub(crate) fn meter(&self) -> Arc<CpuMeter> {
        self.meter.clone()
    }

    /// The bindings its worker's `env` has.
    pub(crate) fn set_bindings(&mut self, bindings: &Arc<crate::binding::Bindings>) {
        self.store.data_mut().bindings = bindings.clone();
    }

    /// This instance's footprint for cache accounting: the private bytes it held when last
    /// trimmed, or its whole linear memory before its first trim (an upper bound).
    pub fn memory_bytes(&self) -> usize {
        if self.resident_bytes > 0 {
            self.resident_bytes
        } else {
            self.store.data().memory.current
        }
    }

    /// [`call`](Self::call), owning the sandbox (handed back with the result): a call that
    /// computes for longer than [`LONG_RUNNING`] finishes on the long-running `lane`. `Err` only
    /// if the lane shut down mid-call (the sandbox is then gone).
    pub async fn call_owned<T, F>(
        mut self,
        lane: &LongLane,
        limits: Limits,
        reset_meter: bool,
        f: F,
    ) -> Result<(Sandbox, Result<T>, CallReport)>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(
                &'a bindings::Engine,
                &'a mut Store<InstanceState>,
            ) -> Pin<
                Box<
                    dyn Future<Output = wasmtime::Result<Result<T, bindings::JsError>>> + Send + 'a,
                >,
            > + Send
            + 'static,
    {
        // (When the budget continues, `long` carries over: a request whose module evaluation
        // already ran long goes to the lane at its first yield.)
        let meter = self.meter.clone();
        let fut = async move {
            let (result, report) = self.call(&limits, reset_meter, f).await;
            (self, result, report)
        };
        lane.run(fut, &meter.long).await
    }

    /// Run `f` against this sandbox under `limits`: CPU metered and capped, wall time capped.
    /// `reset_meter` starts a new CPU budget (false: keep charging the current one).
    pub async fn call<T, F>(
        &mut self,
        limits: &Limits,
        reset_meter: bool,
        f: F,
    ) -> (Result<T>, CallReport)
    where
        F: for<'a> FnOnce(
            &'a bindings::Engine,
            &'a mut Store<InstanceState>,
        ) -> Pin<
            Box<dyn Future<Output = wasmtime::Result<Result<T, bindings::JsError>>> + Send + 'a>,
        >,
    {
        if reset_meter {
            self.meter.reset();
            *self.meter.fatal.lock().unwrap() = None;
            self.store.data_mut().outbound.reset();
            self.store.data_mut().calls_made = 0;
        }
        self.store.set_epoch_deadline(1);
        let meter = self.meter.clone();
        // A new call starts after a wait (a stale flag from a call that was cut off must not
        // keep the clock from moving).
        meter.epoch_yield.store(false, Ordering::Relaxed);
        let result = {
            let fut = f(&self.engine, &mut self.store);
            let mut fut = std::pin::pin!(fut);
            let metered = Metered {
                inner: fut.as_mut(),
                meter: &meter,
                tree: meter.tree(),
            };
            tokio::time::timeout(limits.wall_time, metered).await
        };
        let state = self.store.data_mut();
        for call in state.spawned.drain(..) {
            call.abort();
        }
        state.outbound.abort_pending();
        let logs = std::mem::take(&mut state.logs);
        let outbound = state.outbound.take_records();
        state.log_bytes = 0;
        state.logs_truncated = false;
        let cpu_time = meter.used();
        let fatal = meter.fatal.lock().unwrap().clone();
        let (result, reusable) = match result {
            // Whatever the script did after the denial (caught it, answered), the call ends.
            _ if fatal.is_some() => (Err(Error::OutboundDenied(fatal.unwrap_or_default())), false),
            Err(_elapsed) => (
                Err(Error::WallTimeExceeded {
                    limit: limits.wall_time,
                }),
                false,
            ),
            Ok(Err(trap)) => (Err(trap_to_error(trap, limits, &meter)), false),
            Ok(Ok(Err(js))) => (Err(js_to_error(js)), true),
            Ok(Ok(Ok(v))) => (Ok(v), true),
        };
        (
            result,
            CallReport {
                logs,
                outbound,
                cpu_time,
                reusable,
            },
        )
    }
}

fn trap_to_error(trap: wasmtime::Error, limits: &Limits, meter: &CpuMeter) -> Error {
    if let Some(limit) = trap.downcast_ref::<LimitTrap>() {
        return match limit {
            LimitTrap::OutboundDenied => {
                Error::OutboundDenied(meter.fatal.lock().unwrap().clone().unwrap_or_default())
            }
            LimitTrap::TreeCpu => Error::TreeCpuExceeded {
                limit: meter.tree().map_or(limits.cpu_time, |t| t.cpu_budget),
            },
            LimitTrap::Cpu => Error::CpuTimeExceeded {
                limit: limits.cpu_time,
            },
            LimitTrap::Memory => Error::MemoryExceeded {
                limit: limits.memory_bytes,
            },
        };
    }
    if let Some(t) = trap.downcast_ref::<wasmtime::Trap>() {
        if *t == wasmtime::Trap::StackOverflow {
            return Error::StackOverflow;
        }
    }
    let message = format!("{trap:#}");
    // wasmtime caps what one call may move between guest and host (its hostcall fuel).
    if message.contains("fuel allocated for hostcalls") {
        return Error::TooLarge("it was refused before reaching the host".into());
    }
    Error::Trap(message)
}

pub(crate) fn js_to_error(e: bindings::JsError) -> Error {
    use bindings::ErrorKind as K;
    match e.kind {
        K::Syntax => Error::Syntax { message: e.message },
        K::Exception => Error::Exception {
            message: e.message,
            stack: e.stack,
        },
        K::NoDefaultExport => Error::NoDefaultExport(e.message),
        K::NoHandler => Error::NoHandler(e.message),
        K::BadReturn => Error::BadReturn(e.message),
        K::NeverSettled => Error::NeverSettled(e.message),
        K::InvalidWorker => Error::InvalidCode(e.message),
        K::Internal => Error::Trap(format!("engine error: {}", e.message)),
    }
}

/// Wall-clock start of a call, for reports.
pub(crate) fn now() -> Instant {
    Instant::now()
}
