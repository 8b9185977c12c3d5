//! Routing and the request handlers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;
use wasm_sandbox::{Error, GlobalOutbound, Invocation, StatusText, Worker, WorkerCode};

use crate::api::{body_fields, RunBody, RunReply, WorkerSpec};
use crate::registry::{check_id, Registered};
use crate::AppState;

/// A reply body: whole, or the live tail's stream.
pub(crate) type ReplyBody = http_body_util::Either<Full<Bytes>, crate::observe::TailBody>;
type Reply = Response<ReplyBody>;

fn full(body: impl Into<Bytes>) -> ReplyBody {
    http_body_util::Either::Left(Full::new(body.into()))
}

/// What a handler tells the request log besides the status.
#[derive(Default)]
struct LogInfo {
    worker: Option<String>,
    outcome: Option<&'static str>,
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
        status = reply.status().as_u16(),
        duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        outcome = info.outcome.unwrap_or("-"),
        "request"
    );
    reply
}

async fn route(state: &Arc<AppState>, req: http::Request<Incoming>, info: &mut LogInfo) -> Reply {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').splitn(3, '/').collect();
    match (req.method(), segments.as_slice()) {
        (&Method::GET, ["healthz"]) => health(state).await,
        (&Method::GET, ["metrics"]) => {
            let mut r = text(StatusCode::OK, crate::observe::metrics_text(state));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        (&Method::GET, ["usage"]) => {
            if !authorized(state, req.headers()) {
                return unauthorized("usage needs");
            }
            json_reply(StatusCode::OK, &crate::observe::usage(state))
        }
        (&Method::GET, ["usage", id]) => {
            if let Err(e) = check_id(id) {
                return api_error(StatusCode::BAD_REQUEST, e);
            }
            if !authorized(state, req.headers()) {
                return unauthorized("usage needs");
            }
            json_reply(StatusCode::OK, &crate::observe::worker_usage(state, id))
        }
        (&Method::GET, ["workers", id, "tail"]) => {
            if let Err(e) = check_id(id) {
                return api_error(StatusCode::BAD_REQUEST, e);
            }
            if !authorized(state, req.headers()) {
                return unauthorized("the tail needs");
            }
            info.worker = Some(id.to_string());
            let format = crate::observe::TailFormat::choose(req.uri().query(), req.headers());
            crate::observe::tail(state, id, format).map(http_body_util::Either::Right)
        }
        (&Method::POST, ["api", "run"]) => api_run(state, req, None, info).await,
        (&Method::POST, ["api", "get", id]) if !id.is_empty() => {
            let id = id.to_string();
            api_run(state, req, Some(id), info).await
        }
        (_, ["workers", id]) => {
            let id = id.to_string();
            registry_route(state, req, &id, info).await
        }
        (&Method::POST, ["workers", id, "rpc"]) => {
            let id = id.to_string();
            rpc(state, req, &id, info).await
        }
        (_, ["workers", id, _rest]) => {
            let id = id.to_string();
            forward(state, req, &id, info).await
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

/// Why a body could not be read.
enum BodyError {
    TooLarge(usize),
    Timeout(Duration),
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

async fn read_body(
    state: &AppState,
    body: Incoming,
    headers: &http::HeaderMap,
) -> Result<Bytes, BodyError> {
    let max = state.config.max_body_bytes;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max as u64 {
            return Err(BodyError::TooLarge(max));
        }
    }
    let timeout = Duration::from_millis(state.config.body_read_timeout_ms);
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => Err(BodyError::Timeout(timeout)),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge(max)),
        Ok(Err(e)) => Err(BodyError::Broken(e.to_string())),
    }
}

/// The common start of a request that runs a worker: take a concurrency permit (or answer 503),
/// then read the body under the size and time limits. `json` picks the error replies' shape.
async fn admit(
    state: &AppState,
    req: http::Request<Incoming>,
    json: bool,
) -> Result<(OwnedSemaphorePermit, http::request::Parts, Bytes), Reply> {
    let Some(permit) = permit(state) else {
        return Err(saturated(json));
    };
    let (parts, body) = req.into_parts();
    match read_body(state, body, &parts.headers).await {
        Ok(b) => Ok((permit, parts, b)),
        Err(e) => Err(e.reply(json)),
    }
}

async fn health(state: &AppState) -> Reply {
    let stats = state.loader.cache_stats();
    json_reply(
        StatusCode::OK,
        &json!({
            "ok": true,
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
    let (_permit, _parts, body) = match admit(state, req, true).await {
        Ok(admitted) => admitted,
        Err(reply) => return reply,
    };
    let run: RunBody = if body.iter().all(u8::is_ascii_whitespace) {
        RunBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return api_error(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")),
        }
    };
    let request = match run.request.as_ref().map(|r| r.to_request()).transpose() {
        Ok(r) => r.unwrap_or_else(|| {
            http::Request::get("https://worker/")
                .body(Bytes::new())
                .unwrap()
        }),
        Err(e) => return api_error(StatusCode::BAD_REQUEST, e),
    };
    let (worker, fresh) = match &id {
        None => {
            let code = match worker_code(state, &run.worker) {
                Ok(c) => c,
                Err(e) => return api_error(StatusCode::BAD_REQUEST, e),
            };
            match state.loader.load(code) {
                Ok(w) => (w, None),
                Err(e) => return api_failure(e, info),
            }
        }
        // As with LOADER.get's callback, the body's worker is only made into code on a miss: a
        // hit neither re-checks the code nor opens its bindings again.
        Some(id) => match state
            .loader
            .get_traced(&format!("api:{id}"), || async {
                worker_code(state, &run.worker).map_err(|e| anyhow::Error::new(SpecError(e)))
            })
            .await
        {
            Ok((w, fresh)) => (w, Some(fresh)),
            Err(Error::Host(e)) if e.downcast_ref::<SpecError>().is_some() => {
                return api_error(StatusCode::BAD_REQUEST, e)
            }
            Err(e) => return api_failure(e, info),
        },
    };
    let invocation = worker.entrypoint(None).fetch_traced(request).await;
    info.outcome = Some(invocation.trace.outcome);
    let Invocation { result, trace } = invocation;
    let response = match result {
        Ok(r) => r,
        Err(e) => return api_failure(e, info),
    };
    let (output, output_base64) = body_fields(response.body());
    let extended = !run.is_basic() || id.is_some();
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
        output_base64: if extended { output_base64 } else { None },
        logs: extended.then_some(trace.logs),
        outbound: (extended && !trace.outbound.is_empty()).then_some(trace.outbound),
        fresh,
    };
    json_reply(StatusCode::OK, &reply)
}

fn api_failure(e: Error, info: &mut LogInfo) -> Reply {
    info.outcome = Some(e.outcome());
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

/// 401 when a token is set and the request lacks it: registry writes, and reads that show what
/// workers do (their logs may carry secrets). `what` is what needs it (`registry writes need`).
fn unauthorized(what: &str) -> Reply {
    let mut r = api_error(
        StatusCode::UNAUTHORIZED,
        format!("{what} `Authorization: Bearer <token>`"),
    );
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

fn authorized(state: &AppState, headers: &http::HeaderMap) -> bool {
    let Some(token) = state.config.token.as_deref().filter(|t| !t.is_empty()) else {
        return true; // loopback-only daemon without a token
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    // Constant-time comparison.
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn metadata(record: &Registered) -> serde_json::Value {
    json!({
        "ok": true,
        "id": record.id,
        "version": record.version,
        "createdMs": record.created_ms,
        "updatedMs": record.updated_ms,
        "mainModule": record.spec.main_module.clone().unwrap_or_else(|| "worker.js".into()),
        "modules": record.spec.modules.as_ref().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_else(|| vec!["worker.js".into()]),
        "compatibilityDate": record.spec.compatibility_date,
        "limits": record.spec.limits,
    })
}

/// `PUT|GET|DELETE /workers/{id}`.
async fn registry_route(
    state: &Arc<AppState>,
    req: http::Request<Incoming>,
    id: &str,
    info: &mut LogInfo,
) -> Reply {
    if let Err(e) = check_id(id) {
        return api_error(StatusCode::BAD_REQUEST, e);
    }
    info.worker = Some(id.to_owned());
    let method = req.method().clone();
    if (method == Method::PUT || method == Method::DELETE) && !authorized(state, req.headers()) {
        return unauthorized("registry writes need");
    }
    let registry = &state.registry;
    match method {
        Method::GET => match registry.get(id) {
            Ok(Some(record)) => json_reply(StatusCode::OK, &metadata(&record)),
            Ok(None) => api_error(
                StatusCode::NOT_FOUND,
                format!("no worker `{id}` is registered"),
            ),
            Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
        },
        Method::PUT => {
            let (parts, body) = req.into_parts();
            let body = match read_body(state, body, &parts.headers).await {
                Ok(b) => b,
                Err(e) => return e.reply(true),
            };
            let spec: WorkerSpec = match serde_json::from_slice(&body) {
                Ok(s) => s,
                Err(e) => return api_error(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")),
            };
            // Check it now: a worker that cannot load (bad spec, syntax error, throws at load) is
            // refused at registration, with the reason.
            let code = match worker_code(state, &spec) {
                Ok(c) => c,
                Err(e) => return api_error(StatusCode::BAD_REQUEST, e),
            };
            let checked = match state.loader.load(code) {
                Ok(worker) => worker.prewarm().await.map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = checked {
                return api_error(StatusCode::BAD_REQUEST, e);
            }
            let previous = registry.get(id).ok().flatten();
            match registry.put(id, spec) {
                Ok((record, created)) => {
                    if let Some(p) = previous {
                        state.loader.forget(&cache_key(&p));
                    }
                    let status = if created {
                        StatusCode::CREATED
                    } else {
                        StatusCode::OK
                    };
                    json_reply(status, &metadata(&record))
                }
                Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
            }
        }
        Method::DELETE => {
            let previous = registry.get(id).ok().flatten();
            match registry.delete(id) {
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
    format!("reg:{}:{}", record.id, record.version)
}

/// `globalOutbound: {"service": id}`: every outbound request of the worker goes to the
/// registered worker `id` (the gateway pattern: it can hold credentials in its own `env` and
/// reach the real API under its own `globalOutbound`; the calling worker sees only the answer).
/// A worker spec the daemon refused (a 400, not a host failure).
#[derive(Debug)]
struct SpecError(String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

/// A spec as the crate's `WorkerCode`: defaults, ceilings, outbound and bindings applied.
fn worker_code(state: &Arc<AppState>, spec: &WorkerSpec) -> Result<WorkerCode, String> {
    let mut code = spec.to_code(&state.config, &services(state))?;
    let weak = Arc::downgrade(state);
    let service = move |id: &str| -> wasm_sandbox::Binding {
        let (state, id) = (weak.clone(), id.to_owned());
        wasm_sandbox::Binding::service(move |request: http::Request<Bytes>| {
            let (state, id) = (state.clone(), id.clone());
            async move {
                let state = state
                    .upgrade()
                    .ok_or_else(|| "the daemon is shutting down".to_string())?;
                let worker = registered_worker(&state, &id)
                    .await
                    .map_err(|_| format!("the service worker `{id}` is not registered"))?;
                worker
                    .entrypoint(None)
                    .fetch(request)
                    .await
                    .map_err(|e| format!("the service worker `{id}` failed: {e}"))
            }
        })
    };
    code.bindings =
        crate::bindings::bindings(spec.bindings.as_ref(), &state.kv, &state.config, &service)?;
    Ok(code)
}

/// `POST /workers/{id}/rpc` `{"entrypoint"?, "method", "args"?}`: call a method of a registered
/// worker's entrypoint; `{"ok": true, "result"}` or `{"ok": false, "error"}`.
async fn rpc(
    state: &Arc<AppState>,
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
    let (_permit, _parts, body) = match admit(state, req, true).await {
        Ok(admitted) => admitted,
        Err(reply) => return reply,
    };
    let call: RpcBody = match serde_json::from_slice(&body) {
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
    let worker = match registered_worker(state, id).await {
        Ok(w) => w,
        Err(_) => {
            return api_error(
                StatusCode::NOT_FOUND,
                format!("no worker `{id}` is registered"),
            )
        }
    };
    let (result, trace) = worker
        .entrypoint(call.entrypoint.as_deref())
        .call_traced(&call.method, call.args)
        .await;
    info.outcome = Some(trace.outcome);
    match result {
        Ok(value) => json_reply(StatusCode::OK, &json!({ "ok": true, "result": value })),
        Err(e) => api_failure(e, info),
    }
}

fn services(state: &Arc<AppState>) -> impl Fn(&str) -> GlobalOutbound {
    let state = Arc::downgrade(state);
    move |id: &str| {
        GlobalOutbound::Intercept(Arc::new(ServiceInterceptor {
            state: state.clone(),
            id: id.to_owned(),
        }))
    }
}

struct ServiceInterceptor {
    state: std::sync::Weak<AppState>,
    id: String,
}

impl wasm_sandbox::Interceptor for ServiceInterceptor {
    fn fetch(&self, request: http::Request<Bytes>) -> wasm_sandbox::outbound::InterceptFuture {
        let state = self.state.clone();
        let id = self.id.clone();
        Box::pin(async move {
            let state = state
                .upgrade()
                .ok_or_else(|| "the daemon is shutting down".to_string())?;
            let worker = registered_worker(&state, &id)
                .await
                .map_err(|_| format!("the outbound service worker `{id}` is not registered"))?;
            worker
                .entrypoint(None)
                .fetch(request)
                .await
                .map_err(|e| format!("the outbound service worker `{id}` failed: {e}"))
        })
    }
}

async fn registered_worker(state: &Arc<AppState>, id: &str) -> Result<Worker, Reply> {
    let record = match state.registry.get(id) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(text(
                StatusCode::NOT_FOUND,
                format!("no worker `{id}` is registered"),
            ))
        }
        Err(e) => return Err(text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))),
    };
    let code = worker_code(state, &record.spec);
    state
        .loader
        .get(&cache_key(&record), || async move {
            code.map_err(anyhow::Error::msg)
        })
        .await
        .map_err(|e| text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
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
    req: http::Request<Incoming>,
    id: &str,
    info: &mut LogInfo,
) -> Reply {
    if let Err(e) = check_id(id) {
        return text(StatusCode::BAD_REQUEST, e);
    }
    info.worker = Some(id.to_owned());
    let (_permit, parts, body) = match admit(state, req, false).await {
        Ok(admitted) => admitted,
        Err(reply) => return reply,
    };
    let worker = match registered_worker(state, id).await {
        Ok(w) => w,
        Err(reply) => return reply,
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
        if !HOP_BY_HOP.contains(&k.as_str()) {
            builder = builder.header(k, v);
        }
    }
    let request = match builder.body(body) {
        Ok(r) => r,
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("cannot forward this request: {e}"),
            )
        }
    };
    let invocation = worker.entrypoint(None).fetch_traced(request).await;
    info.outcome = Some(invocation.trace.outcome);
    match invocation.result {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let mut reply = Response::new(full(body));
            *reply.status_mut() = parts.status;
            for (k, v) in parts.headers.iter() {
                if !HOP_BY_HOP.contains(&k.as_str()) && k != header::CONTENT_LENGTH {
                    reply.headers_mut().append(k, v.clone());
                }
            }
            reply
        }
        Err(e) => {
            let status = match e {
                Error::Capacity(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let mut r = text(status, format!("worker `{id}` failed: {e}"));
            if let Ok(v) = HeaderValue::from_str(e.outcome()) {
                r.headers_mut().insert("x-wasm-sandbox-outcome", v);
            }
            r
        }
    }
}
