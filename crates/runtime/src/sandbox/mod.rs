//! One sandbox: a wasmtime `Store` with an engine instance in it, its limits and its meters.
//!
//! [`HostState`] is the per-store data (one context per capability); [`Sandbox`] owns the store.
//! Limits are enforced here:
//! - CPU: every poll of a call into the guest is timed ([`CpuMeter`]); the epoch-deadline callback
//!   (run every tick while wasm executes) compares the time used with the limit, traps when it is
//!   exceeded and otherwise yields to the async runtime, so a busy sandbox never starves others;
//! - memory: a `ResourceLimiter` refuses growth past the limit by trapping;
//! - wall time: a timeout around the whole call (the sandbox is dropped when it fires).

pub(crate) mod clock;
pub(crate) mod cpu;
pub(crate) mod lane;
mod limits;
pub(crate) mod memory;
pub(crate) mod trim;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::WasiCtx;

use crate::config::Limits;
use crate::error::{Error, LimitTrap, Result};
use crate::host::outbound::record::OutboundRecord;
use crate::host::outbound::{ConnectionPool, GlobalOutbound, OnDenied, OutboundLimits};
use crate::host::{Bindings, HostState};
use crate::observe::sink::InvocationSink;
use crate::observe::trace::{LogLine, Trace};
use crate::wit;
use cpu::{CpuMeter, Metered};
use lane::{LongLane, LONG_RUNNING};
pub(crate) use limits::js_to_error;
use limits::trap_to_error;
use memory::MemoryLimiter;

/// One live engine instance and its store.
pub(crate) struct Sandbox {
    store: Store<HostState>,
    engine: wit::Engine,
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

/// Counts a live sandbox in the pool's occupancy until dropped.
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
    pub(crate) fn record(self, trace: &mut Trace) -> bool {
        trace.logs.extend(self.logs);
        trace.outbound.extend(self.outbound);
        trace.cpu_time = self.cpu_time;
        self.reusable
    }
}

/// What a call into the engine is: a closure that starts one guest export on the store.
pub(crate) type GuestCall<T> = Box<
    dyn for<'a> FnOnce(
            &'a wit::Engine,
            &'a mut Store<HostState>,
        ) -> Pin<
            Box<dyn Future<Output = wasmtime::Result<Result<T, wit::JsError>>> + Send + 'a>,
        > + Send,
>;

impl Sandbox {
    /// A fresh instance from the pre-instantiated engine (copy-on-write snapshot memory).
    pub(crate) async fn new(
        engine: &crate::engine::Engine,
        live: &Arc<AtomicUsize>,
        limits: &Limits,
    ) -> Result<Self> {
        let config = &engine.config;
        let memory_limit = limits.memory_bytes.min(config.max_memory_per_instance) as usize;
        let mut wasi = WasiCtx::builder();
        let frozen = clock::install(config.clock, &mut wasi);
        let state = HostState::new(
            wasi.build(),
            MemoryLimiter::new(memory_limit),
            config.tree.max_calls_in_flight,
        );
        let mut store = Store::new(&engine.engine, state);
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
            let fut = engine.pre.instantiate_async(&mut store);
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
                    return Err(Error::Capacity(config.max_instances));
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
            _slot: Slot::take(live),
        })
    }

    /// What `fetch()` may reach from this sandbox, and within which limits.
    pub(crate) fn set_outbound(
        &mut self,
        on_denied: OnDenied,
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
    /// image's bytes again (see [`trim`]); returns what was released and what it still
    /// owns (recorded as its resident size). Taking `&mut self` guarantees nothing runs in it
    /// meanwhile.
    pub(crate) fn trim(&mut self) -> trim::Trimmed {
        let state = self.store.data();
        let Some(base) = state.memory.base else {
            return trim::Trimmed {
                released: 0,
                owned: self.resident_bytes as u64,
            };
        };
        // SAFETY: `base` is where this store's linear memory is mapped (the guest's anchor,
        // translated by wasmtime's bounds-checked view of that memory), the mapping lives as
        // long as the store, `memory.current` is its size (the limiter sees every growth), and
        // no call can be running in the store while we hold `&mut self`.
        let t = unsafe { trim::release_clean_pages(base, state.memory.current) };
        self.resident_bytes = t.owned as usize;
        t
    }

    /// The request tree the next calls belong to (`None` between requests). A new invocation
    /// also gets a new queue for its service / intercepted calls.
    pub(crate) fn set_tree(&mut self, ctx: Option<crate::tree::TreeCtx>) {
        *self.meter.tree.lock().unwrap() = ctx.as_ref().map(|c| c.tree.clone());
        let state = self.store.data_mut();
        let services = &mut state.services;
        // A fresh queue per invocation; between invocations (None) the old one is left as is.
        if let Some(c) = &ctx {
            let permits = c.tree.limits.max_calls_in_flight.max(1) as usize;
            services.in_flight = Arc::new(tokio::sync::Semaphore::new(permits));
        }
        let in_flight = services.in_flight.clone();
        state.outbound.set_tree(ctx.clone(), in_flight.clone());
        state.loader.set_request(ctx.clone(), in_flight);
        state.services.tree = ctx;
    }

    /// The invocation the next calls belong to (their console lines and outbound attempts are
    /// published to its tail as they happen).
    pub(crate) fn set_invocation(&mut self, sink: InvocationSink) {
        self.store.data_mut().outbound.set_invocation(sink.clone());
        self.store.data_mut().console.sink = sink;
    }

    /// This sandbox's CPU meter.
    pub(crate) fn meter(&self) -> Arc<CpuMeter> {
        self.meter.clone()
    }

    /// The bindings its worker's `env` has.
    pub(crate) fn set_bindings(&mut self, bindings: &Bindings) {
        self.store.data_mut().lend(bindings);
    }

    /// What the worker it serves has, for the children its Worker Loader bindings load.
    pub(crate) fn set_parent(&mut self, parent: Arc<crate::host::loader::Parent>) {
        self.store.data_mut().loader.parent = Some(parent);
    }

    /// The worker this instance runs, for `ctx.exports` (set once).
    pub(crate) fn set_this(&mut self, this: Arc<dyn crate::host::services::Exports>) {
        let state = self.store.data_mut();
        state.loader.this = Some(this.clone());
        state.services.this = Some(this);
    }

    /// This instance's footprint for cache accounting: the private bytes it held when last
    /// trimmed, or its whole linear memory before its first trim (an upper bound).
    pub(crate) fn memory_bytes(&self) -> usize {
        if self.resident_bytes > 0 {
            self.resident_bytes
        } else {
            self.store.data().memory.current
        }
    }

    /// [`call`](Self::call), owning the sandbox (handed back with the result): a call that
    /// computes for longer than [`LONG_RUNNING`] finishes on the long-running `lane`. `Err` only
    /// if the lane shut down mid-call (the sandbox is then gone).
    pub(crate) async fn call_owned<T, F>(
        mut self,
        lane: &LongLane,
        limits: Limits,
        reset_meter: bool,
        f: F,
    ) -> Result<(Sandbox, Result<T>, CallReport)>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(
                &'a wit::Engine,
                &'a mut Store<HostState>,
            ) -> Pin<
                Box<dyn Future<Output = wasmtime::Result<Result<T, wit::JsError>>> + Send + 'a>,
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
    pub(crate) async fn call<T, F>(
        &mut self,
        limits: &Limits,
        reset_meter: bool,
        f: F,
    ) -> (Result<T>, CallReport)
    where
        F: for<'a> FnOnce(
            &'a wit::Engine,
            &'a mut Store<HostState>,
        ) -> Pin<
            Box<dyn Future<Output = wasmtime::Result<Result<T, wit::JsError>>> + Send + 'a>,
        >,
    {
        if reset_meter {
            self.meter.reset();
            *self.meter.fatal.lock().unwrap() = None;
            self.store.data_mut().outbound.reset();
            self.store.data_mut().calls.reset();
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
        state.calls.abort_all();
        state.outbound.abort_pending();
        let logs = state.console.take();
        let outbound = state.outbound.take_records();
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
