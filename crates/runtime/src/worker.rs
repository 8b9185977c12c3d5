//! A loaded worker ([`Worker`]) and its entrypoints ([`Entrypoint`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::bindings::{HttpRequest, HttpResponse, WorkerSource};
use crate::code::WorkerCode;
use crate::config::Limits;
use crate::engine::EngineHost;
use crate::error::{Error, Result};
use crate::instance::{self, Sandbox};
use crate::outbound::{ConnectionPool, GlobalOutbound};
use crate::trace::Trace;

/// The `statusText` of a response, carried in its extensions (http has no reason phrase field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusText(pub String);

/// A worker: code plus the warm instances that run it. Cheap to clone (shared).
///
/// Requests to the same `Worker` reuse its warm instance(s), so module-level state persists
/// between them, as in an isolate. Two `Worker`s never share an instance.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<WorkerInner>,
}

struct WorkerInner {
    host: Arc<EngineHost>,
    id: Option<String>,
    source: Arc<WorkerSource>,
    code_bytes: usize,
    limits: Limits,
    outbound: GlobalOutbound,
    /// Idle outbound connections, reused by this worker's fetches only.
    connections: Arc<ConnectionPool>,
    idle: Mutex<Vec<Sandbox>>,
    warm_bytes: AtomicU64,
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
    pub(crate) fn new(host: Arc<EngineHost>, id: Option<String>, code: WorkerCode) -> Result<Self> {
        code.validate()?;
        let limits = code.limits.unwrap_or(host.config.limits);
        if limits.memory_bytes > host.config.max_memory_per_instance {
            return Err(Error::InvalidCode(format!(
                "the memory limit of {} MiB is above this host's ceiling of {} MiB",
                limits.memory_bytes >> 20,
                host.config.max_memory_per_instance >> 20
            )));
        }
        let outbound = code
            .global_outbound
            .clone()
            .within(host.config.outbound_ceiling.as_ref());
        Ok(Worker {
            inner: Arc::new(WorkerInner {
                code_bytes: code.source_bytes(),
                source: Arc::new(code.to_source()),
                host,
                id,
                limits,
                outbound,
                connections: Arc::default(),
                idle: Mutex::new(Vec::new()),
                warm_bytes: AtomicU64::new(0),
            }),
        })
    }

    /// The id this worker was cached under (`None` for [`Loader::load`](crate::Loader::load)).
    pub fn id(&self) -> Option<&str> {
        self.inner.id.as_deref()
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
        }
    }

    /// Memory this worker keeps: its warm instances' linear memory plus its source.
    pub fn footprint_bytes(&self) -> u64 {
        self.inner.warm_bytes.load(Ordering::Relaxed) + self.inner.code_bytes as u64
    }

    /// How many warm instances it holds right now.
    pub fn warm_instances(&self) -> usize {
        self.inner.idle.lock().unwrap().len()
    }

    /// Make sure a warm instance with the modules evaluated exists, without sending a request:
    /// surfaces syntax errors and load-time exceptions early, and takes the cold start off the
    /// first request. Returns the trace of the evaluation (console lines, CPU time).
    pub async fn prewarm(&self) -> Result<Trace> {
        let mut trace = Trace::default();
        let started = instance::now();
        let mut sandbox = self.checkout(&mut trace).await?;
        let result = self.ensure_loaded(&mut sandbox, &mut trace).await;
        trace.wall_time = started.elapsed();
        result?;
        self.checkin(sandbox);
        trace.outcome = "ok";
        Ok(trace)
    }

    /// Evaluate the worker's modules in a fresh sandbox (no-op on a warm one). Counts toward the
    /// current request's CPU budget.
    async fn ensure_loaded(&self, sandbox: &mut Sandbox, trace: &mut Trace) -> Result<()> {
        if sandbox.loaded {
            return Ok(());
        }
        let source = self.inner.source.clone();
        let (result, report) = sandbox
            .call(&self.inner.limits, true, move |engine, store| {
                Box::pin(async move {
                    engine
                        .sandbox_worker_guest()
                        .call_load(store, &source)
                        .await
                })
            })
            .await;
        trace.logs.extend(report.logs);
        trace.outbound.extend(report.outbound);
        trace.cpu_time = report.cpu_time;
        result?;
        sandbox.loaded = true;
        Ok(())
    }

    /// Take a warm instance, or make one and evaluate the worker's modules in it.
    async fn checkout(&self, trace: &mut Trace) -> Result<Sandbox> {
        if let Some(sb) = self.inner.idle.lock().unwrap().pop() {
            self.inner
                .warm_bytes
                .fetch_sub(sb.memory_bytes() as u64, Ordering::Relaxed);
            return Ok(sb);
        }
        trace.cold = true;
        let mut sb = self.new_sandbox().await?;
        // Set once: an instance only ever serves the worker that created it.
        sb.set_outbound(
            &self.inner.outbound,
            self.inner.host.config.outbound_limits,
            &self.inner.connections,
        );
        Ok(sb)
    }

    /// A fresh sandbox. A full pool is usually full of idle warm instances of cached workers:
    /// evict those (least recently used first) and try again, rather than refuse the request.
    async fn new_sandbox(&self) -> Result<Sandbox> {
        let host = &self.inner.host;
        for _ in 0..8 {
            match Sandbox::new(host, &self.inner.limits).await {
                Err(Error::Capacity(_)) => {
                    let freed = host.relieve.lock().unwrap().as_ref().is_some_and(|f| f());
                    if !freed {
                        break;
                    }
                }
                other => return other,
            }
        }
        Sandbox::new(host, &self.inner.limits).await
    }

    fn checkin(&self, sb: Sandbox) {
        let mut idle = self.inner.idle.lock().unwrap();
        if idle.len() < self.inner.host.config.warm_instances_per_worker {
            self.inner
                .warm_bytes
                .fetch_add(sb.memory_bytes() as u64, Ordering::Relaxed);
            idle.push(sb);
        }
    }
}

/// A handle on one export of a worker, to call its `fetch` handler.
#[derive(Clone, Debug)]
pub struct Entrypoint {
    worker: Worker,
    name: Option<String>,
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
    /// Call the entrypoint's `fetch(request, env, ctx)` and return its `Response`.
    ///
    /// A relative request URI (`/path`) is made absolute against the `Host` header, or
    /// `https://worker` when there is none.
    pub async fn fetch(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>> {
        self.fetch_traced(request).await.result
    }

    /// Like [`fetch`](Self::fetch), also returning the invocation's [`Trace`].
    pub async fn fetch_traced(&self, request: http::Request<Bytes>) -> Invocation {
        let started = instance::now();
        let mut trace = Trace::default();
        let result = self.run(request, &mut trace).await;
        trace.wall_time = started.elapsed();
        trace.outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        Invocation { result, trace }
    }

    async fn run(
        &self,
        request: http::Request<Bytes>,
        trace: &mut Trace,
    ) -> Result<http::Response<Bytes>> {
        let request = to_wit_request(request);
        let limits = self.worker.inner.limits;
        let mut sandbox = self.worker.checkout(trace).await?;
        // A fresh instance evaluates the modules first; that counts toward this request's CPU.
        let fresh = !sandbox.loaded;
        self.worker.ensure_loaded(&mut sandbox, trace).await?;
        let name = self.name.clone();
        let (result, report) = sandbox
            .call(&limits, !fresh, move |engine, store| {
                Box::pin(async move {
                    engine
                        .sandbox_worker_guest()
                        .call_fetch(store, name.as_deref(), &request)
                        .await
                })
            })
            .await;
        trace.logs.extend(report.logs);
        trace.outbound.extend(report.outbound);
        trace.cpu_time = report.cpu_time;
        if report.reusable {
            self.worker.checkin(sandbox);
        }
        from_wit_response(result?)
    }
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
    let mut builder = http::Response::builder().status(r.status);
    for (k, v) in &r.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let mut response = builder
        .body(Bytes::from(r.body))
        .map_err(|e| Error::Trap(format!("the engine returned an invalid response: {e}")))?;
    response.extensions_mut().insert(StatusText(r.status_text));
    Ok(response)
}
