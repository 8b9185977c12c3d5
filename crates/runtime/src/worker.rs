//! A loaded worker ([`Worker`]) and its entrypoints ([`Entrypoint`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::code::WorkerCode;
use crate::config::Limits;
use crate::error::{Error, Result};
use crate::host::binding::{BoxFuture, Child};
use crate::host::loader::Parent;
use crate::host::outbound::{ConnectionPool, GlobalOutbound, OnDenied};
use crate::host::services::{CallFuture, Exports, Service, ServiceFuture, StatusText};
use crate::host::{Binding, Bindings};
use crate::observe::trace::Trace;
use crate::observe::{Running, Tail, Trigger};
use crate::pool::{Pool, WarmSet};
use crate::sandbox::{self, Sandbox};
use crate::tree::TreeCtx;
use crate::wit::{HttpRequest, HttpResponse, WorkerSource};
use tracing::Instrument;

/// A worker: code plus the warm instances that run it. Cheap to clone (shared).
///
/// Requests to the same `Worker` reuse its warm instance(s), so module-level state persists
/// between them, as in an isolate. Two `Worker`s never share an instance.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<WorkerInner>,
}

struct WorkerInner {
    host: Arc<Pool>,
    /// Shared with its invocations' tail events.
    id: Option<Arc<str>>,
    source: Arc<WorkerSource>,
    code_bytes: usize,
    limits: Limits,
    outbound: GlobalOutbound,
    on_denied: OnDenied,
    bindings: Arc<Bindings>,
    /// Idle outbound connections, reused by this worker's fetches only.
    connections: Arc<ConnectionPool>,
    /// Its idle warm instances.
    warm: Arc<WarmSet>,
    /// Tells this worker's tail events from others' with the same id.
    serial: u64,
    /// Its metering account ([`WorkerCode::account`]).
    account: Option<Arc<str>>,
    /// Outbound requests per request, if fewer than the loader's ([`WorkerCode::max_subrequests`]).
    max_subrequests: Option<u32>,
    /// What its children may be given, when it holds a Worker Loader binding.
    parent: Option<Arc<Parent>>,
    /// Where its invocations' trace items go ([`WorkerCode::tails`]).
    tails: Vec<Arc<dyn Service>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.inner.id)
            .field("main_module", &self.inner.source.main_module)
            .finish()
    }
}

impl Worker {
    pub(crate) fn new(host: Arc<Pool>, id: Option<String>, code: WorkerCode) -> Result<Self> {
        code.validate()?;
        let source = Arc::new(code.to_source()?);
        let limits = code.limits.unwrap_or(host.config().limits);
        if limits.memory_bytes > host.config().max_memory_per_instance {
            return Err(Error::InvalidCode(format!(
                "the memory limit of {} MiB is above this host's ceiling of {} MiB",
                limits.memory_bytes >> 20,
                host.config().max_memory_per_instance >> 20
            )));
        }
        let outbound = code
            .global_outbound
            .clone()
            .within(host.config().outbound_ceiling.as_ref());
        let max_subrequests = code.max_subrequests;
        let parent = code
            .bindings
            .values()
            .any(|b| matches!(b, Binding::Loader(_)))
            .then(|| {
                let config = host.config().outbound_limits.max_subrequests;
                Arc::new(Parent {
                    bindings: Arc::new(code.bindings.clone()),
                    outbound: outbound.clone(),
                    limits,
                    max_subrequests: max_subrequests.map_or(config, |n| n.min(config)),
                    account: code.account.clone(),
                })
            });
        let serial = host.observer.next_serial();
        host.observer.worker_loaded();
        let worker = Worker {
            inner: Arc::new(WorkerInner {
                serial,
                account: code.account.as_deref().map(Arc::from),
                code_bytes: code.source_bytes(),
                source,
                host,
                id: id.map(Arc::from),
                limits,
                outbound,
                on_denied: code.on_denied,
                bindings: Arc::new(code.bindings.clone()),
                connections: Arc::default(),
                warm: Arc::default(),
                max_subrequests,
                parent,
                tails: code.tails.clone(),
            }),
        };
        worker.inner.host.workers.register(&worker.inner.warm);
        Ok(worker)
    }

    /// The id this worker was cached under (`None` for [`Loader::load`](crate::Loader::load)).
    pub fn id(&self) -> Option<&str> {
        self.inner.id.as_deref()
    }

    /// Subscribe to this worker's tail: every invocation's start, console lines, outbound
    /// attempts, exception and outcome, live (see [`crate::observe`]). Other workers cached under
    /// the same id later (after an eviction) are not included; [`Loader::tail`](crate::Loader::tail)
    /// sees every worker.
    pub fn tail(&self) -> Tail {
        self.inner.host.observer.subscribe(Some(self.inner.serial))
    }

    fn start(&self, kind: &'static str, trigger: impl FnOnce() -> Trigger) -> Running {
        Running::start(
            &self.inner.host.observer,
            self.inner.id.as_ref(),
            self.inner.account.as_ref(),
            self.inner.serial,
            TreeCtx::current_caller(),
            kind,
            trigger,
        )
    }

    /// The limits its requests run under.
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// The default export (`None`) or a named export (`Some("Foo")`).
    pub fn entrypoint(&self, name: Option<&str>) -> Entrypoint {
        Entrypoint {
            worker: self.clone(),
            name: name.map(str::to_owned),
            props: None,
        }
    }

    /// After an invocation: its trace item to each of the worker's tails (nothing is built
    /// without tails).
    fn tail_out(
        &self,
        event: impl FnOnce() -> serde_json::Value,
        status: Option<u16>,
        trace: &Trace,
        error: Option<&Error>,
    ) {
        if self.inner.tails.is_empty() {
            return;
        }
        // A child cached by `get` is named by its id, not by the loader's scoped key.
        let script = self
            .inner
            .id
            .as_deref()
            .map(|id| id.rsplit('\0').next().unwrap_or(id));
        let item = trace.trace_item(script, event(), status, error);
        let config = self.inner.host.config();
        self.inner.host.tails.deliver(
            self.inner.account.as_ref(),
            &self.inner.tails,
            item,
            config.tree,
            config.limits.cpu_time,
        );
    }

    /// Memory this worker keeps: its warm instances' linear memory plus its source.
    pub fn footprint_bytes(&self) -> u64 {
        self.inner.warm.bytes.load(Ordering::Relaxed) + self.inner.code_bytes as u64
    }

    /// How many warm instances it holds right now.
    pub fn warm_instances(&self) -> usize {
        self.inner.warm.idle.lock().unwrap().len()
    }

    /// How many of its warm instances have given back their read-only pages since they last ran
    /// (idle trimming, [`Config::idle_trim_after`](crate::Config::idle_trim_after)).
    pub fn trimmed_instances(&self) -> usize {
        self.inner
            .warm
            .idle
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.trimmed)
            .count()
    }

    /// Drop its warm instances now, giving their pool slots back (eviction). Whoever still holds
    /// the worker (a request on its way, the idle trimmer, a caller's handle) keeps a working
    /// worker: its next call starts a fresh instance.
    pub(crate) fn release_idle(&self) {
        let released = std::mem::take(&mut *self.inner.warm.idle.lock().unwrap());
        let bytes: u64 = released.iter().map(|sb| sb.memory_bytes() as u64).sum();
        self.inner.warm.bytes.fetch_sub(bytes, Ordering::Relaxed);
        drop(released);
    }

    /// Make sure a warm instance with the modules evaluated exists, without sending a request:
    /// surfaces syntax errors and load-time exceptions early, and takes the cold start off the
    /// first request. Returns the trace of the evaluation (console lines, CPU time).
    pub async fn prewarm(&self) -> Result<Trace> {
        let mut trace = Trace::default();
        let started = Instant::now();
        let tree = self.tree_ctx();
        let _hold = tree.tree.hold_instance().map_err(Error::TreeLimit)?;
        let mut sandbox = self.checkout(&mut trace).await?;
        sandbox.set_tree(Some(tree));
        let result = self.ensure_loaded(sandbox, &mut trace).await;
        trace.wall_time = started.elapsed();
        self.checkin(result?);
        trace.outcome = crate::Outcome::Ok;
        Ok(trace)
    }

    /// Evaluate the worker's modules in a fresh sandbox (no-op on a warm one). Counts toward the
    /// current request's CPU budget. The sandbox is handed back unless the evaluation failed.
    async fn ensure_loaded(&self, sandbox: Sandbox, trace: &mut Trace) -> Result<Sandbox> {
        if sandbox.loaded {
            return Ok(sandbox);
        }
        let source = self.inner.source.clone();
        let started = Instant::now();
        let (mut sandbox, result, report) = sandbox
            .call_owned(
                &self.inner.host.lane,
                self.inner.limits,
                true,
                move |engine, store| {
                    Box::pin(async move {
                        engine
                            .sandbox_worker_guest()
                            .call_load(store, &source)
                            .await
                    })
                },
            )
            .instrument(tracing::debug_span!("sandbox.evaluate"))
            .await?;
        metrics::histogram!("sandbox_evaluate_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        report.record(trace);
        result?;
        sandbox.loaded = true;
        Ok(sandbox)
    }

    /// Take a warm instance, or make one and evaluate the worker's modules in it.
    async fn checkout(&self, trace: &mut Trace) -> Result<Sandbox> {
        if let Some(sb) = self.inner.warm.idle.lock().unwrap().pop() {
            self.inner
                .warm
                .bytes
                .fetch_sub(sb.memory_bytes() as u64, Ordering::Relaxed);
            return Ok(sb);
        }
        trace.cold = true;
        let started = Instant::now();
        let mut sb = self
            .inner
            .host
            .sandbox_or_evict(&self.inner.limits)
            .instrument(tracing::debug_span!("sandbox.instantiate"))
            .await?;
        metrics::histogram!("sandbox_instantiate_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        // Set once: an instance only ever serves the worker that created it.
        let mut outbound_limits = self.inner.host.config().outbound_limits;
        if let Some(n) = self.inner.max_subrequests {
            outbound_limits.max_subrequests = outbound_limits.max_subrequests.min(n);
        }
        sb.set_outbound(
            self.inner.on_denied,
            &self.inner.outbound,
            outbound_limits,
            &self.inner.connections,
        );
        sb.set_bindings(&self.inner.bindings);
        sb.set_this(Arc::new(SelfRef(Arc::downgrade(&self.inner))));
        if let Some(parent) = &self.inner.parent {
            sb.set_parent(parent.clone());
        }
        Ok(sb)
    }

    /// The request tree a call made now belongs to: the caller's (a nested call), or a new one
    /// whose CPU budget this worker's limit sets.
    fn tree_ctx(&self) -> TreeCtx {
        TreeCtx::current_or_root(self.inner.host.config().tree, self.inner.limits.cpu_time)
    }

    /// Count a sandbox in use for a call at `ctx`; a nested call may not take the pool's
    /// reserve (kept for requests from outside).
    fn take_busy(&self, ctx: &TreeCtx) -> Result<Busy> {
        let host = &self.inner.host;
        let counter = &host.busy_instances;
        if ctx.depth == 0 {
            counter.fetch_add(1, Ordering::AcqRel);
            return Ok(Busy(counter.clone()));
        }
        let capacity = host.config().max_instances as usize;
        let reserve = capacity * ctx.tree.limits.pool_reserve_percent.min(100) as usize / 100;
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |busy| {
                (busy + reserve < capacity).then_some(busy + 1)
            })
            .map(|_| Busy(counter.clone()))
            .map_err(|busy| Error::TreeLimit(format!(
                "the sandbox pool is busy ({busy} of {capacity} sandboxes running): nested calls may not use the last {reserve}, kept for other requests"
            )))
    }

    fn checkin(&self, mut sb: Sandbox) {
        sb.set_tree(None);
        sb.idle_since = Instant::now();
        sb.trimmed = false;
        let mut idle = self.inner.warm.idle.lock().unwrap();
        if idle.len() < self.inner.host.config().warm_instances_per_worker {
            self.inner
                .warm
                .bytes
                .fetch_add(sb.memory_bytes() as u64, Ordering::Relaxed);
            idle.push(sb);
        }
    }
}

/// A worker is a service: its default entrypoint's `fetch` and RPC methods.
impl Service for Worker {
    fn fetch(&self, request: http::Request<Bytes>) -> ServiceFuture {
        let worker = self.clone();
        Box::pin(async move {
            worker
                .entrypoint(None)
                .fetch(request)
                .await
                .map_err(|e| format!("the service worker failed: {e}"))
        })
    }

    fn call(&self, method: String, args: Vec<serde_json::Value>) -> CallFuture {
        self.entrypoint(None).call_service(method, args)
    }
}

/// An entrypoint is a service (what `ctx.exports.Name({ props })` hands a child).
impl Service for Entrypoint {
    fn fetch(&self, request: http::Request<Bytes>) -> ServiceFuture {
        let ep = self.clone();
        Box::pin(async move { ep.fetch(request).await.map_err(|e| e.to_string()) })
    }

    fn call(&self, method: String, args: Vec<serde_json::Value>) -> CallFuture {
        self.call_service(method, args)
    }
}

/// A sandbox's way back to the worker it runs (`ctx.exports`), held weakly: the worker holds its
/// warm sandboxes.
struct SelfRef(std::sync::Weak<WorkerInner>);

impl Exports for SelfRef {
    fn stub(
        &self,
        entrypoint: Option<String>,
        props_json: Option<String>,
    ) -> std::result::Result<Arc<dyn Service>, String> {
        let inner = self.0.upgrade().ok_or("the worker has been unloaded")?;
        Ok(Arc::new(Entrypoint {
            worker: Worker { inner },
            name: entrypoint,
            props: props_json.map(Arc::from),
        }))
    }
}

/// A Worker Loader's child is a worker.
impl Child for Worker {
    fn fetch(
        &self,
        entrypoint: Option<String>,
        props_json: Option<String>,
        request: http::Request<Bytes>,
    ) -> ServiceFuture {
        let mut ep = self.entrypoint(entrypoint.as_deref());
        ep.props = props_json.map(Arc::from);
        Box::pin(async move { ep.fetch(request).await.map_err(|e| e.to_string()) })
    }

    fn call(
        &self,
        entrypoint: Option<String>,
        props_json: Option<String>,
        method: String,
        args: Vec<serde_json::Value>,
    ) -> BoxFuture<std::result::Result<serde_json::Value, String>> {
        let mut ep = self.entrypoint(entrypoint.as_deref());
        ep.props = props_json.map(Arc::from);
        ep.call_service(method, args)
    }
}

impl Binding {
    /// A service binding to `worker`'s default entrypoint.
    pub fn worker(worker: Worker) -> Binding {
        Binding::Service(Arc::new(worker))
    }
}

/// A handle on one export of a worker, to call its `fetch` handler and RPC methods.
#[derive(Clone, Debug)]
pub struct Entrypoint {
    worker: Worker,
    name: Option<String>,
    /// `ctx.props` as JSON text (`None`: `{}`).
    props: Option<Arc<str>>,
}

/// The result of [`Entrypoint::fetch_traced`]: the outcome and what happened on the way.
#[derive(Debug)]
pub struct Invocation {
    /// The response, or why there is none.
    pub result: Result<http::Response<Bytes>>,
    /// Logs, timings, outcome.
    pub trace: Trace,
}

impl Entrypoint {
    /// This entrypoint with `ctx.props` set to `props` for its calls (Cloudflare's
    /// `getEntrypoint(name, { props })`, and `ctx.exports.Name({ props })`): what the caller
    /// tells the worker about whom it serves, which the worker cannot forge. At most
    /// 64 KiB as JSON.
    pub fn with_props(mut self, props: &serde_json::Value) -> Result<Entrypoint> {
        let json = props.to_string();
        wasm_sandbox_spec::loader::check_props("props", &json).map_err(Error::InvalidCode)?;
        self.props = Some(Arc::from(json));
        Ok(self)
    }

    /// RPC for a caller that takes the error as a message (services, children).
    fn call_service(&self, method: String, args: Vec<serde_json::Value>) -> CallFuture {
        let ep = self.clone();
        Box::pin(async move { ep.call(&method, args).await.map_err(|e| e.to_string()) })
    }

    /// Call the entrypoint's `fetch(request, env, ctx)` and return its `Response`.
    ///
    /// A relative request URI (`/path`) is made absolute against the `Host` header, or
    /// `https://worker` when there is none.
    pub async fn fetch(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>> {
        self.fetch_traced(request).await.result
    }

    /// Like [`fetch`](Self::fetch), also returning the invocation's [`Trace`].
    pub async fn fetch_traced(&self, request: http::Request<Bytes>) -> Invocation {
        let mut trace = Trace::default();
        let mut run = self.worker.start("fetch", || Trigger::Fetch {
            method: request.method().to_string(),
            url: request.uri().to_string(),
            entrypoint: self.name.clone(),
        });
        let target = (!self.worker.inner.tails.is_empty())
            .then(|| (request.method().to_string(), request.uri().to_string()));
        let span = run.span();
        let result = self
            .run(request, &mut trace, &mut run)
            .instrument(span)
            .await;
        finish_trace(&mut trace, &result, &mut run);
        if let Some((method, url)) = target {
            self.worker.tail_out(
                || fetch_event(&method, &url),
                result.as_ref().ok().map(|r| r.status().as_u16()),
                &trace,
                result.as_ref().err(),
            );
        }
        Invocation { result, trace }
    }

    async fn run(
        &self,
        request: http::Request<Bytes>,
        trace: &mut Trace,
        run: &mut Running,
    ) -> Result<http::Response<Bytes>> {
        let request = to_wit_request(request);
        let name = self.name.clone();
        let props = self.props.clone();
        let response = self
            .invoke(
                trace,
                run,
                Box::new(move |engine, store| {
                    Box::pin(async move {
                        engine
                            .sandbox_worker_guest()
                            .call_fetch(store, name.as_deref(), props.as_deref(), &request)
                            .await
                    })
                }),
            )
            .await?;
        from_wit_response(response)
    }

    /// Like [`fetch_traced`](Self::fetch_traced), for a caller that sends the body on (a
    /// server): when the handler's `Response` has a `ReadableStream` body, this returns as soon
    /// as its head is known and the body arrives as the script produces it. The script waits
    /// while the body is not read (backpressure: a few chunks are buffered, never more); dropping
    /// the body cancels the stream (the source's `cancel()` runs). CPU and wall-time limits apply
    /// until the body's end; a body cut short (a limit, an exception) ends with an error, never
    /// as if complete. Any other response comes whole, as from `fetch`.
    ///
    /// The request body may still be arriving ([`RequestBody::Stream`]): the script then reads it
    /// as it comes; an error from it (a limit the caller enforces) reaches the script as a
    /// `TypeError` with the error's message.
    pub async fn fetch_streaming(&self, request: http::Request<RequestBody>) -> Streaming {
        let (head_tx, mut head_rx) = tokio::sync::oneshot::channel();
        let this = self.clone();
        let call = tokio::spawn(async move {
            let mut trace = Trace::default();
            let mut run = this.worker.start("fetch", || Trigger::Fetch {
                method: request.method().to_string(),
                url: request.uri().to_string(),
                entrypoint: this.name.clone(),
            });
            let target = (!this.worker.inner.tails.is_empty())
                .then(|| (request.method().to_string(), request.uri().to_string()));
            let span = run.span();
            let result = this
                .run_streaming(request, head_tx, &mut trace, &mut run)
                .instrument(span)
                .await;
            finish_trace(&mut trace, &result, &mut run);
            if let Some((method, url)) = target {
                let status = match &result {
                    Ok(Some(r)) => Some(r.status),
                    _ => None,
                };
                this.worker.tail_out(
                    || fetch_event(&method, &url),
                    status,
                    &trace,
                    result.as_ref().err(),
                );
            }
            (result, trace)
        });
        // Until the head is handed over, the call belongs to this future: a caller that goes
        // away (a client that left) ends it, as it would end a call made in place. (Detached, it
        // would run on past the caller's admission.)
        let mut call = AbortOnDrop(Some(call));
        let task = call.0.as_mut().expect("the call");
        tokio::select! {
            head = &mut head_rx => match head {
                Ok(Ok(head)) => {
                    let task = call.0.take().expect("the call");
                    streamed(head, Finished::Running(task))
                }
                // No head: the response came whole (or the call failed before it).
                _ => whole(joined(call.0.as_mut().expect("the call").await)),
            },
            done = task => match head_rx.try_recv() {
                // A short stream: the body is already in the buffer.
                Ok(Ok(head)) => {
                    let (result, trace) = joined(done);
                    streamed(head, Finished::Done(Some((result.map(|_| ()), trace))))
                }
                _ => whole(joined(done)),
            },
        }
    }

    async fn run_streaming(
        &self,
        request: http::Request<RequestBody>,
        head: HeadSender,
        trace: &mut Trace,
        run: &mut Running,
    ) -> Result<Option<HttpResponse>> {
        let (parts, body) = request.into_parts();
        let (request, arriving) = match body {
            RequestBody::Whole(bytes) => (http::Request::from_parts(parts, bytes), None),
            RequestBody::Stream(body) => (
                http::Request::from_parts(parts, Bytes::new()),
                Some(wasmtime_wasi_http::p2::body::HostIncomingBody::new({
                    use http_body_util::BodyExt;
                    ErrorAsTrailer {
                        inner: body,
                        done: false,
                    }
                    .boxed_unsync()
                })),
            ),
        };
        let request = to_wit_request(request);
        let name = self.name.clone();
        let props = self.props.clone();
        self.invoke(
            trace,
            run,
            Box::new(move |engine, store| {
                Box::pin(async move {
                    use wasmtime_wasi_http::WasiHttpView;
                    let out = store.data_mut().http().new_response_outparam(head)?;
                    let body = match arriving {
                        Some(b) => Some(store.data_mut().table.push(b)?),
                        None => None,
                    };
                    engine
                        .sandbox_worker_guest()
                        .call_fetch_streaming(
                            &mut *store,
                            name.as_deref(),
                            props.as_deref(),
                            &request,
                            body,
                            out,
                        )
                        .await
                })
            }),
        )
        .await
    }

    /// One call into the worker: a warm instance, or a fresh one whose module evaluation counts
    /// toward this call's CPU budget; the outcome recorded in `trace`; the instance kept warm
    /// unless the call broke it.
    async fn invoke<T: Send + 'static>(
        &self,
        trace: &mut Trace,
        run: &mut Running,
        call: sandbox::GuestCall<T>,
    ) -> Result<T> {
        let worker = &self.worker;
        let mut tree = worker.tree_ctx();
        tree.invocation = Some(run.ctx.invocation);
        let _hold = tree.tree.hold_instance().map_err(Error::TreeLimit)?;
        let _busy = worker.take_busy(&tree)?;
        let mut sandbox = worker.checkout(trace).await?;
        sandbox.set_tree(Some(tree));
        run.cold = trace.cold;
        run.meter = Some(sandbox.meter());
        sandbox.set_invocation(Some(Arc::new(run.ctx.clone())));
        let fresh = !sandbox.loaded;
        let sandbox = worker.ensure_loaded(sandbox, trace).await?;
        let (mut sandbox, result, report) = sandbox
            .call_owned(&worker.inner.host.lane, worker.inner.limits, !fresh, call)
            .await?;
        if report.record(trace) {
            sandbox.set_invocation(None);
            worker.checkin(sandbox);
        }
        result
    }
}

/// Counts a sandbox in use (checked out for a call) until dropped.
struct Busy(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Close a trace (wall time since the invocation started, the outcome of `result`) and report
/// the invocation (tail, metering, metrics).
fn finish_trace<T>(trace: &mut Trace, result: &Result<T>, run: &mut Running) {
    trace.wall_time = run.elapsed();
    trace.outcome = match result {
        Ok(_) => crate::Outcome::Ok,
        Err(e) => e.outcome(),
    };
    run.finish(
        result.as_ref().err(),
        trace.cpu_time,
        trace.wall_time,
        trace.outbound.len(),
    );
}

impl Entrypoint {
    /// RPC: call `method` on this entrypoint (a `WorkerEntrypoint` class is instantiated with
    /// `(ctx, env)` per call; an object export is called directly) with JSON arguments, and return
    /// its (awaited) result as JSON. A missing method is [`Error::NoHandler`]; what the method
    /// throws is [`Error::Exception`].
    pub async fn call(
        &self,
        method: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        self.call_traced(method, args).await.0
    }

    /// Like [`call`](Self::call), also returning the invocation's [`Trace`].
    pub async fn call_traced(
        &self,
        method: &str,
        args: Vec<serde_json::Value>,
    ) -> (Result<serde_json::Value>, Trace) {
        let mut trace = Trace::default();
        let mut run = self.worker.start("rpc", || Trigger::Rpc {
            method: method.to_owned(),
            entrypoint: self.name.clone(),
        });
        let span = run.span();
        let result = self
            .run_call(method, args, &mut trace, &mut run)
            .instrument(span)
            .await;
        finish_trace(&mut trace, &result, &mut run);
        self.worker.tail_out(
            || serde_json::json!({ "rpcMethod": method }),
            None,
            &trace,
            result.as_ref().err(),
        );
        (result, trace)
    }

    async fn run_call(
        &self,
        method: &str,
        args: Vec<serde_json::Value>,
        trace: &mut Trace,
        run: &mut Running,
    ) -> Result<serde_json::Value> {
        let args_json = serde_json::Value::Array(args).to_string();
        let method = method.to_owned();
        let name = self.name.clone();
        let props = self.props.clone();
        let json = self
            .invoke(
                trace,
                run,
                Box::new(move |engine, store| {
                    Box::pin(async move {
                        engine
                            .sandbox_worker_guest()
                            .call_call(
                                store,
                                name.as_deref(),
                                props.as_deref(),
                                &method,
                                &args_json,
                            )
                            .await
                    })
                }),
            )
            .await?;
        serde_json::from_str(&json)
            .map_err(|e| Error::Trap(format!("the engine returned invalid JSON: {e}")))
    }
}

/// A fetch invocation's `event` in its trace item.
fn fetch_event(method: &str, url: &str) -> serde_json::Value {
    serde_json::json!({ "request": { "method": method, "url": url } })
}

fn to_wit_request(request: http::Request<Bytes>) -> HttpRequest {
    let (parts, body) = request.into_parts();
    let url = if parts.uri.scheme().is_some() && parts.uri.authority().is_some() {
        parts.uri.to_string()
    } else {
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.parse::<http::uri::Authority>().is_ok())
            .unwrap_or("worker");
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        format!("https://{host}{path}")
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    HttpRequest {
        method: parts.method.as_str().to_owned(),
        url,
        headers,
        body: if body.is_empty() {
            None
        } else {
            Some(body.to_vec())
        },
    }
}

fn from_wit_response(r: HttpResponse) -> Result<http::Response<Bytes>> {
    // The guest's Response enforces these already; the host does not rely on it.
    let head = wasm_sandbox_spec::boundary::response_head(
        r.status,
        r.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(Error::BadReturn)?;
    let mut response = head.map(|()| Bytes::from(r.body));
    response.extensions_mut().insert(StatusText(r.status_text));
    Ok(response)
}

type HeadSender = tokio::sync::oneshot::Sender<
    std::result::Result<
        hyper::Response<wasmtime_wasi_http::p2::body::HyperOutgoingBody>,
        wasmtime_wasi_http::p2::bindings::http::types::ErrorCode,
    >,
>;

/// The error a response body ends with when it was cut short.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// A response body: whole, or arriving as the script produces it.
pub type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, BodyError>;

/// What [`Entrypoint::fetch_streaming`] returns.
pub struct Streaming {
    /// The response (its head; the body may still be arriving), or why there is none.
    pub result: Result<http::Response<Body>>,
    /// The call's outcome and trace, once it has ended: for a streamed body, after its last
    /// byte (or once it was cut short). Await it (or spawn it) to learn how the body ended.
    pub finished: Finished,
}

impl std::fmt::Debug for Streaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streaming")
            .field("status", &self.result.as_ref().map(|r| r.status()))
            .finish_non_exhaustive()
    }
}

/// The end of a [`Streaming`] call: resolves to its outcome and [`Trace`].
pub enum Finished {
    /// The call still runs (it sends the body).
    Running(tokio::task::JoinHandle<(Result<Option<HttpResponse>>, Trace)>),
    /// The call has ended.
    Done(Option<(Result<()>, Trace)>),
}

impl std::future::Future for Finished {
    type Output = (Result<()>, Trace);

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.get_mut() {
            Finished::Running(task) => std::pin::Pin::new(task).poll(cx).map(|j| {
                let (result, trace) = joined(j);
                (result.map(|_| ()), trace)
            }),
            Finished::Done(done) => std::task::Poll::Ready(done.take().unwrap_or_else(|| {
                (
                    Err(Error::Trap("the outcome was already taken".into())),
                    Trace::default(),
                )
            })),
        }
    }
}

/// A streaming call's outcome from its task (a task that panicked or was aborted is a trap).
fn joined(
    j: std::result::Result<(Result<Option<HttpResponse>>, Trace), tokio::task::JoinError>,
) -> (Result<Option<HttpResponse>>, Trace) {
    j.unwrap_or_else(|e| {
        (
            Err(Error::Trap(format!("the call's task failed: {e}"))),
            Trace::default(),
        )
    })
}

fn whole((result, trace): (Result<Option<HttpResponse>>, Trace)) -> Streaming {
    let response = match result {
        Ok(Some(r)) => from_wit_response(r),
        Ok(None) => Err(Error::Trap(
            "the engine streamed a response without sending its head".into(),
        )),
        Err(e) => Err(e),
    };
    let (result, finished) = match response {
        Ok(r) => (
            Ok(r.map(|b| {
                use http_body_util::BodyExt;
                http_body_util::Full::new(b)
                    .map_err(|never| match never {})
                    .boxed_unsync()
            })),
            Ok(()),
        ),
        Err(e) => {
            let copy = Error::Trap(e.to_string());
            (Err(e), Err(copy))
        }
    };
    Streaming {
        result,
        finished: Finished::Done(Some((finished, trace))),
    }
}

fn streamed(
    head: hyper::Response<wasmtime_wasi_http::p2::body::HyperOutgoingBody>,
    finished: Finished,
) -> Streaming {
    let call = match &finished {
        Finished::Running(task) => Some(task.abort_handle()),
        Finished::Done(_) => None,
    };
    let (parts, body) = head.into_parts();
    // The guest checked the head; the host does not rely on it (the body is dropped on a bad
    // one, which cancels the stream).
    let checked = wasm_sandbox_spec::boundary::response_head(
        parts.status.as_u16(),
        parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
    )
    .map_err(Error::BadReturn);
    let result = checked.map(|head| {
        head.map(|()| {
            use http_body_util::BodyExt;
            StreamedBody {
                inner: body,
                complete: false,
                ended: false,
                call,
            }
            .boxed_unsync()
        })
    });
    Streaming { result, finished }
}

/// A body the guest writes as the script produces it. Complete only when the guest ended it
/// with its completion trailer: any other end (the guest dropped it, the store went away with
/// a limit or a trap, the runtime shut down) is a body cut short, and reads as an error.
struct StreamedBody {
    inner: wasmtime_wasi_http::p2::body::HyperOutgoingBody,
    complete: bool,
    ended: bool,
    /// The call sending this body: when the body is dropped before its end (the client left),
    /// the call gets [`LEFT_GRACE`] to notice at its next write and cancel its stream, and is
    /// then ended (a script waiting on something else would otherwise hold its instance and
    /// admission until its wall-time limit).
    call: Option<tokio::task::AbortHandle>,
}

/// How long a call whose client left may go on (to run its stream's `cancel()`).
const LEFT_GRACE: Duration = Duration::from_secs(2);

/// The trailer a complete streamed body ends with (set by the guest; not sent on).
const COMPLETE_TRAILER: &str = "x-wasm-sandbox-complete";

impl Drop for StreamedBody {
    fn drop(&mut self) {
        if let Some(call) = self.call.take().filter(|_| !self.ended) {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    tokio::time::sleep(LEFT_GRACE).await;
                    call.abort();
                });
            }
        }
    }
}

impl http_body::Body for StreamedBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<http_body::Frame<Bytes>, BodyError>>> {
        use std::task::Poll;
        loop {
            if self.ended {
                return Poll::Ready(None);
            }
            return match std::pin::Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Ready(None) => {
                    self.ended = true;
                    if self.complete {
                        Poll::Ready(None)
                    } else {
                        Poll::Ready(Some(Err("the worker's response body was cut short".into())))
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    self.ended = true;
                    Poll::Ready(Some(Err(format!(
                        "the worker's response body was cut short ({e})"
                    )
                    .into())))
                }
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => Poll::Ready(Some(Ok(http_body::Frame::data(data)))),
                    // The guest's only trailer is its completion mark.
                    Err(frame) => {
                        if frame
                            .trailers_ref()
                            .is_some_and(|t| t.contains_key(COMPLETE_TRAILER))
                        {
                            self.complete = true;
                        }
                        continue;
                    }
                },
                Poll::Pending => Poll::Pending,
            };
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }
}

/// A request body for [`Entrypoint::fetch_streaming`]: whole, or still arriving.
pub enum RequestBody {
    /// The whole body (empty: none).
    Whole(Bytes),
    /// A body the script reads as it arrives; an error ends it, and the script's read fails with
    /// the error's message.
    Stream(Body),
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        RequestBody::Whole(bytes)
    }
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestBody::Whole(b) => write!(f, "Whole({} bytes)", b.len()),
            RequestBody::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// A request body on its way into the guest. wasmtime-wasi-http hands a body's error to the
/// guest without its message; a trailer carries it instead (as for outbound bodies cut short),
/// so that the script's read fails with the caller's reason.
struct ErrorAsTrailer {
    inner: Body,
    done: bool,
}

impl http_body::Body for ErrorAsTrailer {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<http_body::Frame<Bytes>, Self::Error>>> {
        use std::task::Poll;
        if self.done {
            return Poll::Ready(None);
        }
        match std::pin::Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                let mut trailers = http::HeaderMap::new();
                let value = http::HeaderValue::from_str(&e.to_string())
                    .unwrap_or_else(|_| http::HeaderValue::from_static("the body failed"));
                trailers.insert(crate::host::outbound::BODY_ERROR_TRAILER, value);
                Poll::Ready(Some(Ok(http_body::Frame::trailers(trailers))))
            }
            // Trailers of the caller's own are not the script's business.
            Poll::Ready(Some(Ok(frame))) if frame.is_trailers() => Poll::Ready(None),
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A call's task, aborted when dropped (unless taken out).
struct AbortOnDrop<T>(Option<tokio::task::JoinHandle<T>>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}
