//! Routing and the request handlers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;
use wasm_sandbox::{Error, Invocation, Outcome, StatusText, Worker, WorkerCode};

use crate::api::{body_fields, RunBody, RunReply, WorkerSpec};
use crate::keys::CacheKey;
use crate::registry::{check_id, Registered};
use crate::tenants::{InFlight, Tenant};
use crate::AppState;

/// A reply body: whole, the live tail's stream, or a worker's body as the script produces it.
pub(crate) type ReplyBody = http_body_util::Either<
    Full<Bytes>,
    http_body_util::Either<crate::observe::TailBody, CappedBody>,
>;
type Reply = Response<ReplyBody>;

fn full(body: impl Into<Bytes>) -> ReplyBody {
    http_body_util::Either::Left(Full::new(body.into()))
}

/// What a handler tells the request log besides the status.
#[derive(Default)]
struct LogInfo {
    worker: Option<String>,
    tenant: Option<Arc<Tenant>>,
    outcome: Option<LogOutcome>,
}

/// How a request that ran a worker ended, as the request log records it: the runtime's
/// [`Outcome`], or one only the daemon knows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogOutcome {
    /// The invocation's own outcome.
    Worker(Outcome),
    /// The worker answered, but with a body larger than the daemon replies with.
    ReplyTooLarge,
    /// The reply is streaming to the client (its end is logged when it ends).
    Streaming,
    /// A streamed reply broke off before its end (HTTP/1.0 clients, who get it whole).
    StreamBroken,
}

impl LogOutcome {
    /// The name the log shows.
    fn as_str(self) -> &'static str {
        match self {
            LogOutcome::Worker(o) => o.as_str(),
            LogOutcome::ReplyTooLarge => "replyTooLarge",
            LogOutcome::Streaming => "streaming",
            LogOutcome::StreamBroken => "streamBroken",
        }
    }
}

impl From<Outcome> for LogOutcome {
    fn from(o: Outcome) -> Self {
        LogOutcome::Worker(o)
    }
}

pub(crate) async fn handle(
    state: Arc<AppState>,
    req: http::Request<Incoming>,
    peer: SocketAddr,
) -> Reply {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut info = LogInfo::default();
    let reply = route(&state, req, &mut info).await;
    tracing::info!(
        %peer,
        %method,
        path = %path,
        worker = info.worker.as_deref().unwrap_or("-"),
        tenant = info.tenant.as_ref().map_or("-", |t| t.name.as_str()),
        status = reply.status().as_u16(),
        duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        outcome = info.outcome.map_or("-", LogOutcome::as_str),
        "request"
    );
    reply
}

async fn route(state: &Arc<AppState>, req: http::Request<Incoming>, info: &mut LogInfo) -> Reply {
    let path = req.uri().path().to_owned();
    // Exactly one leading slash: `//workers/x/y` is not `/workers/x/y` (the forwarded path is cut
    // from the URI by length, so both must agree).
    let Some(rest) = path.strip_prefix('/').filter(|r| !r.starts_with('/')) else {
        return text(StatusCode::NOT_FOUND, "Not found");
    };
    let segments: Vec<&str> = rest.splitn(3, '/').collect();
    match (req.method(), segments.as_slice()) {
        (&Method::GET, ["healthz"]) => return health(state).await,
        (&Method::GET, ["metrics"]) => {
            let mut r = text(StatusCode::OK, crate::observe::metrics_text(state));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            return r;
        }
        _ => {}
    }
    // Everything else runs code or reads worker data: it acts for a tenant.
    let tenant = match state.tenants.authenticate(req.headers()) {
        Ok(t) => t,
        Err(_) => return unauthorized("this route needs"),
    };
    info.tenant = Some(tenant.clone());
    match (req.method(), segments.as_slice()) {
        (&Method::GET, ["usage"]) => {
            json_reply(StatusCode::OK, &crate::observe::usage(state, &tenant))
        }
        (&Method::GET, ["usage", id]) => {
            if let Err(e) = check_id(id) {
                return api_error(StatusCode::BAD_REQUEST, e);
            }
            json_reply(
                StatusCode::OK,
                &crate::observe::worker_usage(state, &tenant, id),
            )
        }
        (&Method::GET, ["workers", id, "tail"]) => {
            if let Err(e) = check_id(id) {
                return api_error(StatusCode::BAD_REQUEST, e);
            }
            info.worker = Some(id.to_string());
            let format = crate::observe::TailFormat::choose(req.uri().query(), req.headers());
            crate::observe::tail(state, &tenant, id, format)
                .map(|b| http_body_util::Either::Right(http_body_util::Either::Left(b)))
        }
        (&Method::POST, ["api", "run"]) => api_run(state, &tenant, req, None, info).await,
        (&Method::POST, ["api", "get", id]) if !id.is_empty() => {
            let id = id.to_string();
            api_run(state, &tenant, req, Some(id), info).await
        }
        (&Method::DELETE, ["api", "get", id]) if !id.is_empty() => {
            if let Err(e) = check_id(id) {
                return api_error(StatusCode::BAD_REQUEST, e);
            }
            let key = tenant.scoped_id(id);
            let unbound = match state.bound.unbind(&key, None).await {
                Ok(h) => h,
                Err(e) => return store_error(e),
            };
            // The id's worker: the bound code's, or the default worker a `{}` ran under it.
            let code = unbound.unwrap_or_else(|| WorkerSpec::default().hash());
            let forgotten = state.loader.forget(&CacheKey::api(&key, &code).to_string());
            json_reply(
                StatusCode::OK,
                &json!({ "ok": true, "id": id, "forgotten": forgotten || unbound.is_some() }),
            )
        }
        (_, ["workers", id]) => {
            let id = id.to_string();
            registry_route(state, &tenant, req, &id, info).await
        }
        (&Method::POST, ["workers", id, "rpc"]) => {
            let id = id.to_string();
            rpc(state, &tenant, req, &id, info).await
        }
        (_, ["workers", id, _rest]) => {
            let id = id.to_string();
            forward(state, &tenant, req, &id, info).await
        }
        _ => text(StatusCode::NOT_FOUND, "Not found"),
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=UTF-8"),
    );
    r
}

fn json_reply(status: StatusCode, value: &impl serde::Serialize) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `{"ok": false, "error": "..."}`, in that key order (Cloudflare's example host's shape).
#[derive(serde::Serialize)]
struct ErrorReply {
    ok: bool,
    error: String,
}

fn api_error(status: StatusCode, message: impl std::fmt::Display) -> Reply {
    json_reply(
        status,
        &ErrorReply {
            ok: false,
            error: message.to_string(),
        },
    )
}

/// The shared store could not be reached or answered with an error: a 503 the caller may retry.
fn store_error(e: anyhow::Error) -> Reply {
    tracing::warn!(error = %format!("{e:#}"), "store unavailable");
    let mut r = api_error(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the store is unavailable: {e:#}"),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

fn saturated(json: bool) -> Reply {
    let mut r = if json {
        api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the daemon is at its concurrency limit; retry shortly",
        )
    } else {
        text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the daemon is at its concurrency limit; retry shortly",
        )
    };
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// A permit to run a worker, or `None` when saturated.
fn permit(state: &AppState) -> Option<OwnedSemaphorePermit> {
    state.permits.clone().try_acquire_owned().ok()
}

/// 429 when the tenant has as many requests in flight as it may.
fn tenant_busy(tenant: &Tenant, json: bool) -> Reply {
    let msg = format!(
        "tenant `{}` has {} requests in flight, its limit; retry shortly",
        tenant.name, tenant.max_in_flight
    );
    let mut r = if json {
        api_error(StatusCode::TOO_MANY_REQUESTS, msg)
    } else {
        text(StatusCode::TOO_MANY_REQUESTS, msg)
    };
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Why a body could not be read.
enum BodyError {
    TooLarge(usize),
    Timeout(Duration),
    TooSlow(u64),
    Broken(String),
}

impl BodyError {
    fn reply(&self, json: bool) -> Reply {
        let (status, msg) = match self {
            BodyError::TooLarge(max) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than {max} bytes"),
            ),
            BodyError::Timeout(t) => (
                StatusCode::REQUEST_TIMEOUT,
                format!("request body not received within {} ms", t.as_millis()),
            ),
            BodyError::TooSlow(rate) => (
                StatusCode::REQUEST_TIMEOUT,
                format!("request body arrived slower than {rate} bytes/s"),
            ),
            BodyError::Broken(e) => (
                StatusCode::BAD_REQUEST,
                format!("reading the request body: {e}"),
            ),
        };
        if json {
            api_error(status, msg)
        } else {
            text(status, msg)
        }
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(max) => write!(f, "the request body is larger than {max} bytes"),
            BodyError::Timeout(t) => write!(
                f,
                "the request body was not received within {} ms",
                t.as_millis()
            ),
            BodyError::TooSlow(rate) => {
                write!(f, "the request body arrived slower than {rate} bytes/s")
            }
            BodyError::Broken(e) => write!(f, "the request body broke off: {e}"),
        }
    }
}

impl std::fmt::Debug for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for BodyError {}

/// A request body arriving under the daemon's limits: at most `max_body_bytes`, all of it
/// within `body_read_timeout_ms`, and after [`UPLOAD_GRACE`] at least `min_upload_bytes_per_sec`
/// on average since the start (a client trickling bytes cannot hold a request open for the
/// whole timeout). Whether it is read whole before the worker runs or streamed into it, the same
/// limits hold.
struct Upload {
    inner: Incoming,
    max: usize,
    seen: usize,
    rate: u64,
    timeout: Duration,
    started: tokio::time::Instant,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    check: std::pin::Pin<Box<tokio::time::Sleep>>,
    done: bool,
}

impl Upload {
    fn new(state: &AppState, inner: Incoming) -> Self {
        let started = tokio::time::Instant::now();
        let timeout = Duration::from_millis(state.config.body_read_timeout_ms);
        Upload {
            inner,
            max: state.config.max_body_bytes,
            seen: 0,
            rate: state.config.min_upload_bytes_per_sec,
            timeout,
            started,
            deadline: Box::pin(tokio::time::sleep_until(started + timeout)),
            check: Box::pin(tokio::time::sleep_until(started + UPLOAD_GRACE)),
            done: false,
        }
    }

    fn fail(
        &mut self,
        e: BodyError,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BodyError>>> {
        self.done = true;
        std::task::Poll::Ready(Some(Err(e)))
    }
}

impl http_body::Body for Upload {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BodyError>>> {
        use std::future::Future;
        use std::task::Poll;
        if self.done {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            let t = self.timeout;
            return self.fail(BodyError::Timeout(t));
        }
        while self.check.as_mut().poll(cx).is_ready() {
            let secs = self.started.elapsed().as_secs_f64();
            if (self.seen as f64) < self.rate as f64 * secs {
                let rate = self.rate;
                return self.fail(BodyError::TooSlow(rate));
            }
            let next = tokio::time::Instant::now() + Duration::from_millis(500);
            self.check.as_mut().reset(next);
        }
        match std::pin::Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => self.fail(BodyError::Broken(e.to_string())),
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.seen += data.len();
                    if self.seen > self.max {
                        let max = self.max;
                        return self.fail(BodyError::TooLarge(max));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }
}

/// A request body: read whole, or (past [`STREAM_REQUEST_ABOVE`]) its start and the rest still
/// arriving.
enum ReadBody {
    Whole(Bytes),
    Arriving(Bytes, Upload),
}

/// Request bodies up to this size are read whole before the worker runs (most are); a larger
/// one is handed to the worker as it arrives, under the same limits (`/workers/{id}/...`).
const STREAM_REQUEST_ABOVE: usize = 64 * 1024;

fn checked_length(state: &AppState, headers: &http::HeaderMap) -> Result<(), BodyError> {
    let max = state.config.max_body_bytes;
    match headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(len) if len > max as u64 => Err(BodyError::TooLarge(max)),
        _ => Ok(()),
    }
}

/// Read a body under the limits, up to `whole_up_to` bytes: whole if it ends by then.
async fn read_up_to(
    state: &AppState,
    body: Incoming,
    headers: &http::HeaderMap,
    whole_up_to: usize,
) -> Result<ReadBody, BodyError> {
    checked_length(state, headers)?;
    let mut upload = Upload::new(state, body);
    let mut buf = bytes::BytesMut::new();
    loop {
        match upload.frame().await {
            None => return Ok(ReadBody::Whole(buf.freeze())),
            Some(Err(e)) => return Err(e),
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    buf.extend_from_slice(&data);
                }
                if buf.len() > whole_up_to {
                    return Ok(ReadBody::Arriving(buf.freeze(), upload));
                }
            }
        }
    }
}

/// A body is given this long before its rate is checked.
const UPLOAD_GRACE: Duration = Duration::from_secs(2);

/// The start of a body already read, then the rest as it arrives.
struct Chained {
    start: Option<Bytes>,
    rest: Upload,
}

impl http_body::Body for Chained {
    type Data = Bytes;
    type Error = wasm_sandbox::BodyError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(start) = self.start.take() {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(start))));
        }
        std::pin::Pin::new(&mut self.rest)
            .poll_frame(cx)
            .map(|f| f.map(|r| r.map_err(|e| e.into())))
    }
}

/// What an admitted request holds while it runs.
struct Admitted {
    _permit: OwnedSemaphorePermit,
    _tenant: InFlight,
    parts: http::request::Parts,
    /// The body, or its start when the rest is still arriving (`rest`).
    body: Bytes,
    rest: Option<Upload>,
}

/// The common start of a request that runs a worker: read the body under the size, time and
/// rate limits *first* (a slow client holds only its connection), then take the tenant's
/// in-flight slot (or 429) and a daemon-wide permit (or 503). `json` picks the error replies'
/// shape.
async fn admit(
    state: &AppState,
    tenant: &Arc<Tenant>,
    req: http::Request<Incoming>,
    json: bool,
) -> Result<Admitted, Reply> {
    admit_reading(state, tenant, req, json, usize::MAX).await
}

/// [`admit`], reading the body whole only up to `whole_up_to` bytes: past that, the request is
/// admitted with the rest still arriving (under the same limits).
async fn admit_reading(
    state: &AppState,
    tenant: &Arc<Tenant>,
    req: http::Request<Incoming>,
    json: bool,
    whole_up_to: usize,
) -> Result<Admitted, Reply> {
    let (parts, body) = req.into_parts();
    let (body, rest) = match read_up_to(state, body, &parts.headers, whole_up_to).await {
        Ok(ReadBody::Whole(bytes)) => (bytes, None),
        Ok(ReadBody::Arriving(start, rest)) => (start, Some(rest)),
        Err(e) => return Err(e.reply(json)),
    };
    let Some(in_flight) = tenant.enter() else {
        return Err(tenant_busy(tenant, json));
    };
    let Some(permit) = permit(state) else {
        return Err(saturated(json));
    };
    Ok(Admitted {
        _permit: permit,
        _tenant: in_flight,
        parts,
        body,
        rest,
    })
}

/// `GET /healthz`: 200 while serving; 503 from a shutdown signal on (readiness fails first).
async fn health(state: &AppState) -> Reply {
    let stats = state.loader.cache_stats();
    let draining = state.draining.load(std::sync::atomic::Ordering::Acquire);
    json_reply(
        if draining {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        },
        &json!({
            "ok": !draining,
            "draining": draining,
            "replica": state.replica,
            // With a shared store: whether this replica receives the others' changes now (if
            // not, it asks the store on every use instead of trusting its cache).
            "storeListening": state.store.as_ref().map(|s| s.listening()),
            "cachedWorkers": stats.workers,
            "cachedBytes": stats.bytes,
            "evictions": stats.evictions,
            "availablePermits": state.permits.available_permits(),
        }),
    )
}

/// `POST /api/run` and `POST /api/get/{id}`.
async fn api_run(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    req: http::Request<Incoming>,
    id: Option<String>,
    info: &mut LogInfo,
) -> Reply {
    if let Some(id) = &id {
        if let Err(e) = check_id(id) {
            return api_error(StatusCode::BAD_REQUEST, e);
        }
        info.worker = Some(id.clone());
    }
    let admitted = match admit(state, tenant, req, true).await {
        Ok(admitted) => admitted,
        Err(reply) => return reply,
    };
    let run = match RunBody::parse(&admitted.body) {
        Ok(r) => r,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, e),
    };
    let request = match run.request.as_ref().map(|r| r.to_request()).transpose() {
        Ok(r) => r.map(|r| r.map(Bytes::from)).unwrap_or_else(|| {
            http::Request::get("https://worker/")
                .body(Bytes::new())
                .unwrap()
        }),
        Err(e) => return api_error(StatusCode::BAD_REQUEST, e),
    };
    let (worker, fresh, bound_tails) = match &id {
        None => {
            let code = match worker_code(state, tenant, &run.worker, "run").await {
                Ok((c, _)) => c,
                Err(e) => return spec_failure(e.0, e.1),
            };
            match state.loader.load(code) {
                Ok(w) => (w, None, None),
                Err(e) => return api_failure(e, info),
            }
        }
        Some(id) => {
            let key = tenant.scoped_id(id);
            // An id is bound to the code it was first given (on every replica: the bindings
            // are in the shared store when there is one): a body with other code is refused
            // (409), cached or not, so an id cannot be taken over after an eviction and a
            // caller never runs code other than what it sent. `{}` (no code) reuses the id.
            let sent = (!run.worker.is_empty()).then(|| run.worker.hash());
            let binding = match sent {
                Some(hash) => {
                    let tails = run.worker.tails.as_deref().unwrap_or(&[]);
                    match state.bound.bind(&key, hash, tails).await {
                        Ok(b) if b.hash == hash => Some(b),
                        Ok(b) => {
                            return api_error(
                                StatusCode::CONFLICT,
                                format!(
                                    "worker id `{id}` is bound to other code (sha256 {}…); use a new id for new code, or `DELETE /api/get/{id}` first",
                                    &hex_prefix(&b.hash)
                                ),
                            )
                        }
                        Err(e) => return store_error(e),
                    }
                }
                None => match state.bound.get(&key).await {
                    Ok(b) => b,
                    Err(e) => return store_error(e),
                },
            };
            // The warm worker is found under the code it was made from: the bound code's hash
            // (an unbound id's `{}` runs the default worker, under the hash of `{}`).
            let code = binding
                .as_ref()
                .map_or_else(|| run.worker.hash(), |b| b.hash);
            let loaded = state
                .loader
                .get_traced(&CacheKey::api(&key, &code).to_string(), || async {
                    // A miss with no code for an id that has code: the worker was evicted (or
                    // the daemon restarted, or this replica never had it); running the default
                    // worker under its id would answer for it with something else.
                    if sent.is_none() && binding.is_some() {
                        return Err(anyhow::Error::new(Gone(format!(
                            "worker id `{id}` is no longer cached: send its code again"
                        ))));
                    }
                    // As with LOADER.get's callback, the body's worker is only made into code on
                    // a miss: a hit neither re-checks the code nor opens its bindings again.
                    worker_code(state, tenant, &run.worker, &format!("get/{id}"))
                        .await
                        .map(|(code, _)| code)
                        .map_err(anyhow::Error::new)
                })
                .await;
            match loaded {
                Ok((w, fresh)) => (w, Some(fresh), binding.map(|b| b.tails)),
                Err(e) => {
                    if let Some(hash) = sent {
                        // Its first load failed: the id is free again (best effort: a store
                        // error here leaves it bound to code that does not load).
                        if let Err(u) = state.bound.unbind(&key, Some(&hash)).await {
                            tracing::warn!(error = %format!("{u:#}"), "unbinding an id whose code failed to load");
                        }
                    }
                    return match e {
                        Error::Host(e) if e.downcast_ref::<SpecError>().is_some() => {
                            let status = e.downcast_ref::<SpecError>().map(|s| s.0);
                            spec_failure(status.unwrap_or(StatusCode::BAD_REQUEST), e)
                        }
                        Error::Host(e) if e.downcast_ref::<Gone>().is_some() => {
                            api_error(StatusCode::CONFLICT, e)
                        }
                        e => api_failure(e, info),
                    };
                }
            }
        }
    };
    let tails = match bound_tails {
        Some(t) => t,
        None => run.worker.tails.clone().unwrap_or_default(),
    };
    let target = (!tails.is_empty()).then(|| (request.method().clone(), request.uri().clone()));
    let invocation = worker.entrypoint(None).fetch_traced(request).await;
    info.outcome = Some(invocation.trace.outcome.into());
    let Invocation { result, trace } = invocation;
    crate::tails::after_fetch(
        state,
        tenant,
        &tails,
        id.as_deref(),
        target,
        &result,
        &trace,
    );
    let response = match result {
        Ok(r) => r,
        Err(e) => return api_failure(e, info),
    };
    let max_reply = (state.config.max_reply_mb << 20) as usize;
    if response.body().len() > max_reply {
        info.outcome = Some(LogOutcome::ReplyTooLarge);
        return api_error(
            StatusCode::BAD_REQUEST,
            format!(
                "the worker's response body is {} bytes; replies carry at most {max_reply} (max_reply_mb)",
                response.body().len()
            ),
        );
    }
    let extended = !run.is_basic() || id.is_some();
    let large = response.body().len() > LARGE_REPLY;
    let build = move || {
        let (output, output_base64) = body_fields(response.body());
        let reply = RunReply {
            ok: true,
            status: response.status().as_u16(),
            output,
            status_text: extended.then(|| {
                response
                    .extensions()
                    .get::<StatusText>()
                    .map(|s| s.0.clone())
                    .unwrap_or_default()
            }),
            headers: extended.then(|| {
                response
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect()
            }),
            output_base64,
            logs: extended.then_some(trace.logs),
            outbound: (extended && !trace.outbound.is_empty()).then_some(trace.outbound),
            fresh,
        };
        json_reply(StatusCode::OK, &reply)
    };
    // A large reply is encoded off the connection's event loop, so other connections on it
    // carry on meanwhile.
    if large {
        match tokio::task::spawn_blocking(build).await {
            Ok(r) => r,
            Err(e) => api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("encoding the reply: {e}"),
            ),
        }
    } else {
        build()
    }
}

/// Replies over this many body bytes are encoded on the blocking pool.
const LARGE_REPLY: usize = 256 * 1024;

fn hex_prefix(hash: &[u8; 32]) -> String {
    hash[..6].iter().map(|b| format!("{b:02x}")).collect()
}

fn api_failure(e: Error, info: &mut LogInfo) -> Reply {
    info.outcome = Some(e.outcome().into());
    match e {
        Error::Capacity(_) => {
            let mut r = api_error(StatusCode::SERVICE_UNAVAILABLE, &e);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Error::Host(_) => {
            tracing::error!(error = %e, "host error");
            api_error(StatusCode::INTERNAL_SERVER_ERROR, &e)
        }
        e => api_error(StatusCode::BAD_REQUEST, &e),
    }
}

/// 401 when auth is configured and the request has no valid credential: every route that runs
/// code or reads worker data (logs may carry secrets). `what` is what needs it.
fn unauthorized(what: &str) -> Reply {
    let mut r = api_error(
        StatusCode::UNAUTHORIZED,
        format!("{what} `Authorization: Bearer <token>`"),
    );
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

fn metadata(id: &str, record: &Registered) -> serde_json::Value {
    if let Some(files) = &record.spec.files {
        return json!({
            "ok": true,
            "id": id,
            "version": record.version,
            "createdMs": record.created_ms,
            "updatedMs": record.updated_ms,
            "mainModule": record.spec.main_module,
            "files": files.keys().cloned().collect::<Vec<_>>(),
            "lock": record.spec.lock.clone().unwrap_or_default(),
            "compatibilityDate": record.spec.compatibility_date,
            "limits": record.spec.limits,
        });
    }
    json!({
        "ok": true,
        "id": id,
        "version": record.version,
        "createdMs": record.created_ms,
        "updatedMs": record.updated_ms,
        "mainModule": record.spec.main_module.clone().unwrap_or_else(|| "worker.js".into()),
        "modules": record.spec.modules.as_ref().map(|m| m.names().map(str::to_owned).collect::<Vec<_>>()).unwrap_or_else(|| vec!["worker.js".into()]),
        "compatibilityDate": record.spec.compatibility_date,
        "limits": record.spec.limits,
    })
}

/// `PUT|GET|DELETE /workers/{id}`.
async fn registry_route(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    req: http::Request<Incoming>,
    id: &str,
    info: &mut LogInfo,
) -> Reply {
    if let Err(e) = check_id(id) {
        return api_error(StatusCode::BAD_REQUEST, e);
    }
    info.worker = Some(id.to_owned());
    let method = req.method().clone();
    let key = tenant.scoped_id(id);
    let registry = &state.registry;
    match method {
        Method::GET => match registry.get(&key).await {
            Ok(Some(record)) => json_reply(StatusCode::OK, &metadata(id, &record)),
            Ok(None) => api_error(
                StatusCode::NOT_FOUND,
                format!("no worker `{id}` is registered"),
            ),
            Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
        },
        Method::PUT => {
            // Registration evaluates the worker's modules: admitted like a request that runs code.
            let admitted = match admit(state, tenant, req, true).await {
                Ok(admitted) => admitted,
                Err(reply) => return reply,
            };
            let body = &admitted.body;
            let mut spec = match WorkerSpec::parse(body) {
                Ok(s) => s,
                Err(e) => return api_error(StatusCode::BAD_REQUEST, e),
            };
            // At its limit of workers, a new id is refused before anything is compiled.
            match registry
                .has_room(&key, tenant.max_workers, tenant.key_prefix())
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    return api_error(
                        StatusCode::FORBIDDEN,
                        crate::registry::TooMany(tenant.max_workers).to_string(),
                    )
                }
                Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
            }
            // Check it now: a worker that cannot load (bad spec, syntax error, throws at load) is
            // refused at registration, with the reason.
            let code = match worker_code(state, tenant, &spec, &format!("workers/{id}")).await {
                Ok((c, lock)) => {
                    // Kept with the worker: a restart rebuilds the same packages from the cache.
                    if spec.files.is_some() {
                        spec.lock = Some(lock);
                    }
                    c
                }
                Err(e) => return spec_failure(e.0, e.1),
            };
            let checked = match state.loader.load(code) {
                Ok(worker) => worker.prewarm().await.map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = checked {
                return api_error(StatusCode::BAD_REQUEST, e);
            }
            let previous = registry.get(&key).await.ok().flatten();
            match registry
                .put(&key, spec, tenant.max_workers, tenant.key_prefix())
                .await
            {
                Ok((record, created)) => {
                    if let Some(p) = previous {
                        state.loader.forget(&cache_key(&p));
                    }
                    let status = if created {
                        StatusCode::CREATED
                    } else {
                        StatusCode::OK
                    };
                    json_reply(status, &metadata(id, &record))
                }
                Err(e) if e.is::<crate::registry::TooMany>() => {
                    api_error(StatusCode::FORBIDDEN, format!("{e:#}"))
                }
                Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
            }
        }
        Method::DELETE => {
            let previous = registry.get(&key).await.ok().flatten();
            match registry.delete(&key).await {
                Ok(true) => {
                    if let Some(p) = previous {
                        state.loader.forget(&cache_key(&p));
                    }
                    json_reply(StatusCode::OK, &json!({ "ok": true, "deleted": id }))
                }
                Ok(false) => api_error(
                    StatusCode::NOT_FOUND,
                    format!("no worker `{id}` is registered"),
                ),
                Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
            }
        }
        _ => {
            let mut r = api_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "use PUT, GET or DELETE on /workers/{id}, or any method on /workers/{id}/{path}",
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, PUT, DELETE"));
            r
        }
    }
}

fn cache_key(record: &Registered) -> String {
    CacheKey::registered(&record.id, record.version, record.generation).to_string()
}

/// A worker spec the daemon refused (a 400, not a host failure).
#[derive(Debug)]
struct SpecError(StatusCode, String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for SpecError {}

/// A spec refused (its status and why); a 503 (the bundler busy) says when to retry.
fn spec_failure(status: StatusCode, message: impl std::fmt::Display) -> Reply {
    let mut r = api_error(status, message);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

/// An `/api/get/{id}` miss that cannot be served without the code (409).
#[derive(Debug)]
struct Gone(String);

impl std::fmt::Display for Gone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Gone {}

/// A spec as the crate's `WorkerCode`, for `tenant`: defaults, the tenant's ceilings, outbound
/// and bindings (its namespaces, directories and workers only) applied; a `files` spec bundled
/// first (TypeScript, npm packages: bounded and cached by the bundler). Also the lock of the
/// packages it was built with.
///
/// `parent` names the worker among the tenant's (`run`, `get/{id}`, `workers/{id}`): with the
/// tenant and the spec's hash it scopes the `get` ids of a Worker Loader binding, so two parents
/// never share a child.
async fn worker_code(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    spec: &WorkerSpec,
    parent: &str,
) -> Result<(WorkerCode, Vec<String>), SpecError> {
    let bad = |e: String| SpecError(StatusCode::BAD_REQUEST, e);
    let bundled = match spec.file_map().map_err(bad)? {
        None => None,
        Some(files) => {
            let bundled = state
                .bundler
                .bundle(
                    files.into_iter().collect(),
                    spec.main_module.as_deref(),
                    spec.lock.as_deref(),
                )
                .await
                .map_err(|e| {
                    SpecError(
                        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
                        e.message,
                    )
                })?;
            Some(bundled)
        }
    };
    // Service bindings and `globalOutbound: {"service": id}` reach the tenant's registered
    // workers the same way.
    let services = |id: &str, caller: Caller| -> Arc<dyn wasm_sandbox::Service> {
        Arc::new(ServiceCall::new(state, tenant, id, caller))
    };
    let mut code = crate::api::to_code(spec, &state.config, tenant, &services).map_err(bad)?;
    code.bindings = crate::bindings::bindings(
        spec.bindings.as_ref(),
        &state.kv,
        &state.config,
        tenant,
        &services,
        &state.loader,
        &format!("{}/{parent}/{}", tenant.name, hex_prefix(&spec.hash())),
    )
    .map_err(bad)?;
    let lock = match bundled {
        Some(b) => {
            code.main_module = b.main_module.clone();
            code.modules = b.modules.clone();
            b.lock.clone()
        }
        None => Vec::new(),
    };
    Ok((code, lock))
}

/// Which capability reaches a tenant's registered worker through a [`ServiceCall`] (its errors
/// name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// A `{"service": id}` binding: `env.NAME.fetch(request)`.
    Binding,
    /// `globalOutbound: {"service": id}`: every outbound request of the worker goes to the
    /// registered worker `id` (the gateway pattern: it can hold credentials in its own `env` and
    /// reach the real API under its own `globalOutbound`; the calling worker sees only the
    /// answer).
    Outbound,
}

impl Caller {
    fn as_str(self) -> &'static str {
        match self {
            Caller::Binding => "service",
            Caller::Outbound => "outbound service",
        }
    }
}

/// A call to one of the tenant's registered workers: the one [`wasm_sandbox::Service`] behind
/// both a service binding and a `globalOutbound: {"service": id}`. Runs as a nested call of the
/// caller's request tree (the runtime bounds its depth, CPU and sandboxes).
struct ServiceCall {
    state: std::sync::Weak<AppState>,
    tenant: Arc<Tenant>,
    id: String,
    caller: Caller,
}

impl ServiceCall {
    fn new(state: &Arc<AppState>, tenant: &Arc<Tenant>, id: &str, caller: Caller) -> Self {
        ServiceCall {
            state: Arc::downgrade(state),
            tenant: tenant.clone(),
            id: id.to_owned(),
            caller,
        }
    }
}

impl wasm_sandbox::Service for ServiceCall {
    fn fetch(&self, request: http::Request<Bytes>) -> wasm_sandbox::ServiceFuture {
        let (state, tenant, id, what) = (
            self.state.clone(),
            self.tenant.clone(),
            self.id.clone(),
            self.caller.as_str(),
        );
        Box::pin(async move {
            let state = state
                .upgrade()
                .ok_or_else(|| "the daemon is shutting down".to_string())?;
            let worker = registered_worker(&state, &tenant, &id)
                .await
                .map_err(|e| e.for_caller(what, &id))?;
            worker
                .entrypoint(None)
                .fetch(request)
                .await
                .map_err(|e| format!("the {what} worker `{id}` failed: {e}"))
        })
    }

    /// RPC on the registered worker's default entrypoint (`env.SVC.method(...)`); what the method
    /// throws reaches the caller as it was thrown.
    fn call(&self, method: String, args: Vec<serde_json::Value>) -> wasm_sandbox::CallFuture {
        let (state, tenant, id, what) = (
            self.state.clone(),
            self.tenant.clone(),
            self.id.clone(),
            self.caller.as_str(),
        );
        Box::pin(async move {
            let state = state
                .upgrade()
                .ok_or_else(|| "the daemon is shutting down".to_string())?;
            let worker = registered_worker(&state, &tenant, &id)
                .await
                .map_err(|e| e.for_caller(what, &id))?;
            worker
                .entrypoint(None)
                .call(&method, args)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// `POST /workers/{id}/rpc` `{"entrypoint"?, "method", "args"?}`: call a method of a registered
/// worker's entrypoint; `{"ok": true, "result"}` or `{"ok": false, "error"}`.
async fn rpc(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    req: http::Request<Incoming>,
    id: &str,
    info: &mut LogInfo,
) -> Reply {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RpcBody {
        #[serde(default)]
        entrypoint: Option<String>,
        method: String,
        #[serde(default)]
        args: Vec<serde_json::Value>,
    }
    if let Err(e) = check_id(id) {
        return api_error(StatusCode::BAD_REQUEST, e);
    }
    info.worker = Some(id.to_owned());
    let admitted = match admit(state, tenant, req, true).await {
        Ok(admitted) => admitted,
        Err(reply) => return reply,
    };
    let call: RpcBody = match serde_json::from_slice(&admitted.body) {
        Ok(c) => c,
        Err(e) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!(
                    r#"bad JSON body ({e}): expected {{"entrypoint"?: "Name", "method": "name", "args"?: [...]}}"#
                ),
            )
        }
    };
    let worker = match registered_worker(state, tenant, id).await {
        Ok(w) => w,
        Err(e) => return e.json(info),
    };
    let (result, trace) = worker
        .entrypoint(call.entrypoint.as_deref())
        .call_traced(&call.method, call.args)
        .await;
    info.outcome = Some(trace.outcome.into());
    match result {
        Ok(value) => json_reply(StatusCode::OK, &json!({ "ok": true, "result": value })),
        Err(e) => api_failure(e, info),
    }
}

/// Why a registered worker cannot be had.
pub(crate) enum Unavailable {
    /// No worker of that id is registered.
    NotRegistered(String),
    /// The registry could not be read.
    Store(String),
    /// It is registered but could not be loaded.
    Failed(String, Error),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NotRegistered(id) => write!(f, "no worker `{id}` is registered"),
            Unavailable::Store(e) => write!(f, "reading the registry: {e}"),
            Unavailable::Failed(id, e) => write!(f, "worker `{id}` failed: {e}"),
        }
    }
}

impl Unavailable {
    /// As the JSON routes reply (404, 500, or the load failure as [`api_failure`] has it).
    fn json(self, info: &mut LogInfo) -> Reply {
        match self {
            Unavailable::NotRegistered(_) => api_error(StatusCode::NOT_FOUND, &self),
            Unavailable::Store(_) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &self),
            Unavailable::Failed(_, e) => api_failure(e, info),
        }
    }

    /// As a service binding's caller sees it (`what` names the binding's kind).
    fn for_caller(&self, what: &str, id: &str) -> String {
        match self {
            Unavailable::NotRegistered(_) => format!("the {what} worker `{id}` is not registered"),
            other => format!("the {what} worker: {other}"),
        }
    }

    /// As `/workers/{id}/...` replies: text.
    fn text(self) -> Reply {
        match self {
            Unavailable::NotRegistered(_) => text(StatusCode::NOT_FOUND, self.to_string()),
            Unavailable::Store(_) => text(StatusCode::INTERNAL_SERVER_ERROR, self.to_string()),
            Unavailable::Failed(id, e) => worker_failed(&id, e),
        }
    }
}

pub(crate) async fn registered_worker(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    id: &str,
) -> Result<Worker, Unavailable> {
    registered(state, tenant, id).await.map(|(w, _)| w)
}

/// A registered worker of `tenant`, and its tail workers.
async fn registered(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    id: &str,
) -> Result<(Worker, Vec<String>), Unavailable> {
    let record = match state.registry.get(&tenant.scoped_id(id)).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(Unavailable::NotRegistered(id.to_owned())),
        Err(e) => return Err(Unavailable::Store(format!("{e:#}"))),
    };
    // Made into code (bindings opened) only on a miss.
    let worker = state
        .loader
        .get(&cache_key(&record), || async {
            worker_code(state, tenant, &record.spec, &format!("workers/{id}"))
                .await
                .map(|(code, _)| code)
                .map_err(anyhow::Error::new)
        })
        .await
        .map_err(|e| Unavailable::Failed(id.to_owned(), e))?;
    Ok((worker, record.spec.tails.clone().unwrap_or_default()))
}

/// Headers that describe one hop, not the message: never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// `ANY /workers/{id}/{path...}`: the worker sees the path after its id.
async fn forward(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    req: http::Request<Incoming>,
    id: &str,
    info: &mut LogInfo,
) -> Reply {
    if let Err(e) = check_id(id) {
        return text(StatusCode::BAD_REQUEST, e);
    }
    info.worker = Some(id.to_owned());
    // A large body goes to the worker as it arrives (the start is read first, so that a slow
    // client holds only its connection until then).
    let Admitted {
        _permit,
        _tenant,
        parts,
        body,
        rest: arriving,
    } = match admit_reading(state, tenant, req, false, STREAM_REQUEST_ABOVE).await {
        Ok(admitted) => admitted,
        Err(reply) => return reply,
    };
    let (worker, tails) = match registered(state, tenant, id).await {
        Ok(w) => w,
        Err(e) => return e.text(),
    };
    let prefix_len = "/workers/".len() + id.len();
    let rest = &parts.uri.path()[prefix_len..];
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.parse::<http::uri::Authority>().is_ok())
        .unwrap_or("worker");
    let mut builder = http::Request::builder()
        .method(parts.method.clone())
        .uri(format!("http://{host}{path_and_query}"));
    for (k, v) in parts.headers.iter() {
        // The caller's bearer token is the tenant's credential for this daemon: the (untrusted)
        // worker never sees it.
        if !HOP_BY_HOP.contains(&k.as_str()) && k != header::AUTHORIZATION {
            builder = builder.header(k, v);
        }
    }
    let body = match arriving {
        None => wasm_sandbox::RequestBody::Whole(body),
        Some(rest) => wasm_sandbox::RequestBody::Stream(
            Chained {
                start: Some(body),
                rest,
            }
            .boxed_unsync(),
        ),
    };
    let request = match builder.body(body) {
        Ok(r) => r,
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("cannot forward this request: {e}"),
            )
        }
    };
    let target = (!tails.is_empty()).then(|| (request.method().clone(), request.uri().clone()));
    // A stream body goes to the client as the script produces it (chunked); the call, and the
    // tenant's and the daemon's admission with it, lasts until its end.
    let version = parts.version;
    let streaming = worker.entrypoint(None).fetch_streaming(request).await;
    let max_reply = state.config.max_reply_mb << 20;
    let (result, finished) = (streaming.result, streaming.finished);
    let result = match result {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let status = parts.status;
            let streamed = !matches!(finished, wasm_sandbox::Finished::Done(_));
            // What the tails see: the head (a streamed body is not held).
            let head = http::Response::builder()
                .status(status)
                .body(Bytes::new())
                .unwrap_or_default();
            let after = {
                let (state, tenant, tails, id) =
                    (state.clone(), tenant.clone(), tails.clone(), id.to_owned());
                move |result: Result<(), Error>, trace: wasm_sandbox::Trace| {
                    let result = result.map(|()| head);
                    crate::tails::after_fetch(
                        &state,
                        &tenant,
                        &tails,
                        Some(&id),
                        target,
                        &result,
                        &trace,
                    );
                }
            };
            if streamed {
                info.outcome = Some(LogOutcome::Streaming);
                let worker_id = id.to_owned();
                tokio::spawn(async move {
                    let (result, trace) = finished.await;
                    tracing::info!(
                        worker = %worker_id,
                        outcome = trace.outcome.as_str(),
                        wall_ms = trace.wall_time.as_millis() as u64,
                        "streamed reply ended"
                    );
                    after(result, trace);
                    drop((_permit, _tenant));
                });
            } else {
                let (result, trace) = finished.await;
                info.outcome = Some(trace.outcome.into());
                after(result, trace);
            }
            Ok((parts, body, streamed))
        }
        Err(e) => {
            // The error itself (not the outcome's copy): the tails see its exception details.
            let (_, trace) = finished.await;
            info.outcome = Some(trace.outcome.into());
            let failed = Err(e);
            crate::tails::after_fetch(state, tenant, &tails, Some(id), target, &failed, &trace);
            failed.map(|r: http::Response<Bytes>| {
                (r.into_parts().0, wasm_sandbox::Body::default(), false)
            })
        }
    };
    match result {
        Ok((parts, body, streamed)) => {
            let mut body = CappedBody::new(body, max_reply);
            // An HTTP/1.0 client learns a body's end only from the connection closing, so a
            // stream cut short would read as complete: it gets the body whole, or an error.
            if streamed && version < http::Version::HTTP_11 {
                match body.collect().await {
                    Ok(whole) => {
                        body = CappedBody::new(
                            Full::new(whole.to_bytes())
                                .map_err(|never| match never {})
                                .boxed_unsync(),
                            max_reply,
                        )
                    }
                    Err(e) => {
                        info.outcome = Some(LogOutcome::StreamBroken);
                        return text(
                            StatusCode::BAD_GATEWAY,
                            format!("worker `{id}` failed while sending its body: {e}"),
                        );
                    }
                }
            }
            if !streamed && body.exact_len().is_some_and(|n| n > max_reply) {
                info.outcome = Some(LogOutcome::ReplyTooLarge);
                return text(
                    StatusCode::BAD_GATEWAY,
                    format!(
                        "worker `{id}` answered with a {} byte body; this daemon sends at most {} MiB (max_reply_mb)",
                        body.exact_len().unwrap_or_default(),
                        state.config.max_reply_mb
                    ),
                );
            }
            let mut reply = Response::new(http_body_util::Either::Right(
                http_body_util::Either::Right(body),
            ));
            *reply.status_mut() = parts.status;
            for (k, v) in parts.headers.iter() {
                if !HOP_BY_HOP.contains(&k.as_str()) && k != header::CONTENT_LENGTH {
                    reply.headers_mut().append(k, v.clone());
                }
            }
            reply
        }
        Err(e) => worker_failed(id, e),
    }
}

/// A registered worker that could not load or answer, as `/workers/{id}/...` replies: 503 with
/// `Retry-After` when the pool is full, else 500; `x-wasm-sandbox-outcome` says how it ended.
fn worker_failed(id: &str, e: Error) -> Reply {
    let capacity = matches!(e, Error::Capacity(_));
    let status = if capacity {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let mut r = text(status, format!("worker `{id}` failed: {e}"));
    if let Ok(v) = HeaderValue::from_str(e.outcome().as_str()) {
        r.headers_mut().insert("x-wasm-sandbox-outcome", v);
    }
    if capacity {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

/// A worker's reply body on its way to the client, cut off (as a broken body) past
/// `max_reply_mb`: a streamed body's size is only known as it goes.
pub(crate) struct CappedBody {
    inner: wasm_sandbox::Body,
    left: u64,
}

impl CappedBody {
    fn new(inner: wasm_sandbox::Body, max: u64) -> Self {
        CappedBody { inner, left: max }
    }

    /// The length of a whole body.
    fn exact_len(&self) -> Option<u64> {
        http_body::Body::size_hint(&self.inner).exact()
    }
}

impl http_body::Body for CappedBody {
    type Data = Bytes;
    type Error = wasm_sandbox::BodyError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let frame = std::task::ready!(std::pin::Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(|f| f.data_ref())) {
            let n = data.map_or(0, |d| d.len() as u64);
            if n > self.left {
                self.left = 0;
                return std::task::Poll::Ready(Some(Err(
                    "the worker's reply passed max_reply_mb: cut short".into(),
                )));
            }
            self.left -= n;
        }
        std::task::Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
