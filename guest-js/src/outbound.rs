//! Outbound HTTP for `fetch()`, over `wasi:http/outgoing-handler` — the only network path the
//! guest has. The host decides whether each request may go anywhere (policy, SSRF checks,
//! limits); the guest only builds requests and waits for answers.
//!
//! Requests are started without blocking ([`send`] returns an id at once); the event loop waits
//! on all of them at once together with the next timer ([`wait`]), so several fetches in flight
//! really overlap.

use std::cell::RefCell;
use std::collections::BTreeMap;

#[cfg(not(feature = "standalone"))]
use crate::engine_world::wasi;
#[cfg(feature = "standalone")]
use crate::standalone_world::wasi;

use wasi::http::outgoing_handler;
pub use wasi::http::types::IncomingBody;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, HeaderError, Method, OutgoingBody, OutgoingRequest,
    Scheme,
};
use wasi::io::poll;
use wasi::io::streams::{InputStream, StreamError};

/// The trailer through which the host says why it cut a response body short.
const BODY_ERROR_TRAILER: &str = "x-wasm-sandbox-error";

/// A response as the prelude turns it into a `Response`: its body stays in the host until the
/// script reads it ([`read_body`]), under the same id.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

/// A response body being received. Field order is drop order: the stream before its body.
struct Receiving {
    stream: InputStream,
    body: IncomingBody,
    want: Want,
}

/// What the script waits for from a body.
enum Want {
    Nothing,
    /// The next chunk (`ReadableStream` pull).
    Chunk,
    /// Everything up to the end (`text()`, `arrayBuffer()`...), collected here.
    All(Vec<u8>),
}

/// What a body read produced: a chunk, the whole rest, or the end (`None`).
pub enum Read {
    Chunk(Vec<u8>),
    End(Option<Vec<u8>>),
}

/// Bytes asked for per read: what the host hands over at most at once.
const READ_SIZE: u64 = 64 * 1024;

thread_local! {
    /// Requests in flight, each with its URL as sent (what [`failure`] asks a denial's reason by).
    static PENDING: RefCell<BTreeMap<u32, (FutureIncomingResponse, String)>> = const { RefCell::new(BTreeMap::new()) };
    static BODIES: RefCell<BTreeMap<u32, Receiving>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

/// Start a request. Errors are messages for a `TypeError` (bad URL, forbidden header, or the
/// host refusing the request outright: policy, limits).
pub fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Result<u32, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    let scheme = match parsed.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => {
            return Err(format!(
                "unsupported URL scheme \"{other}:\" (only http: and https: can be fetched)"
            ))
        }
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("URL {url:?} has no host"))?;
    let authority = match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let mut path = parsed.path().to_string();
    if let Some(q) = parsed.query() {
        path.push('?');
        path.push_str(q);
    }
    // The URL as the host sees the request (`scheme://authority` + path with query): what a
    // denial's reason is asked for by.
    let sent = format!("{}://{authority}{path}", parsed.scheme());

    let fields = Fields::new();
    for (name, value) in headers {
        if let Err(e) = fields.append(name, value.as_bytes()) {
            return Err(match e {
                HeaderError::Forbidden => format!(
                    "the header \"{name}\" cannot be set by a worker (the runtime sets it, or it could be used to reach another host)"
                ),
                _ => format!("invalid header \"{name}\""),
            });
        }
    }
    let request = OutgoingRequest::new(fields);
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_string()),
    };
    request
        .set_method(&method)
        .map_err(|_| "invalid method".to_string())?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|_| "invalid scheme".to_string())?;
    request
        .set_authority(Some(&authority))
        .map_err(|_| format!("invalid host {authority:?}"))?;
    request
        .set_path_with_query(Some(&path))
        .map_err(|_| format!("invalid path {path:?}"))?;
    let out_body = request
        .body()
        .map_err(|_| "request body unavailable".to_string())?;
    let future = outgoing_handler::handle(request, None).map_err(|e| failure(&e, &sent))?;
    // Write the body. When the host refuses the request it drops the body: the write fails,
    // and the reason arrives through the response future.
    let mut written = true;
    {
        let stream = out_body
            .write()
            .map_err(|_| "request body unavailable".to_string())?;
        if let Some(bytes) = body {
            for chunk in bytes.chunks(4096) {
                if stream.blocking_write_and_flush(chunk).is_err() {
                    written = false;
                    break;
                }
            }
        }
    }
    if written {
        let _ = OutgoingBody::finish(out_body, None);
    }
    let id = next_id();
    PENDING.with(|p| p.borrow_mut().insert(id, (future, sent)));
    Ok(id)
}

fn next_id() -> u32 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    })
}

/// Drop an in-flight request (abort) or a body not read to its end: the host cancels it.
pub fn cancel(id: u32) {
    PENDING.with(|p| p.borrow_mut().remove(&id));
    BODIES.with(|b| b.borrow_mut().remove(&id));
}

/// Whether the script waits for a response or a body read.
pub fn has_pending() -> bool {
    PENDING.with(|p| !p.borrow().is_empty())
        || BODIES.with(|b| {
            b.borrow()
                .values()
                .any(|r| !matches!(r.want, Want::Nothing))
        })
}

/// Drop everything in flight (the call is over).
pub fn clear() {
    PENDING.with(|p| p.borrow_mut().clear());
    BODIES.with(|b| b.borrow_mut().clear());
}

/// What one pollable of [`pollables`] stands for.
pub enum Waiting {
    Response(u32),
    Body(u32),
}

/// A pollable for every request in flight and every body the script waits to read.
pub fn pollables() -> Vec<(Waiting, poll::Pollable)> {
    let mut all: Vec<(Waiting, poll::Pollable)> = PENDING.with(|p| {
        p.borrow()
            .iter()
            .map(|(id, (f, _))| (Waiting::Response(*id), f.subscribe()))
            .collect()
    });
    BODIES.with(|b| {
        for (id, r) in b.borrow().iter() {
            if !matches!(r.want, Want::Nothing) {
                all.push((Waiting::Body(*id), r.stream.subscribe()));
            }
        }
    });
    all
}

/// Keep an incoming request body for the script to read, under a new id.
pub fn adopt(body: IncomingBody) -> Result<u32, String> {
    let id = next_id();
    keep(id, body).map_err(|()| "the request body stream is unavailable".to_string())?;
    Ok(id)
}

/// Keep `body` under `id` until the script reads it (or the call ends).
fn keep(id: u32, body: IncomingBody) -> Result<(), ()> {
    let stream = body.stream()?;
    BODIES.with(|b| {
        b.borrow_mut().insert(
            id,
            Receiving {
                stream,
                body,
                want: Want::Nothing,
            },
        )
    });
    Ok(())
}

/// Hand body `id` over whole (to be spliced into a streamed reply): its stream and its body.
pub fn take_body(id: u32) -> Option<(InputStream, IncomingBody)> {
    BODIES.with(|b| b.borrow_mut().remove(&id)).map(|r| {
        let Receiving { stream, body, .. } = r;
        (stream, body)
    })
}

/// Why a body ended early, if the host said so in its trailer; waits for the trailers (the
/// host sends them right after the body).
pub fn end_of(body: IncomingBody) -> Option<String> {
    let trailers = IncomingBody::finish(body);
    trailers.subscribe().block();
    match trailers.get() {
        Some(Ok(Ok(Some(fields)))) => fields
            .get(BODY_ERROR_TRAILER)
            .first()
            .map(|reason| String::from_utf8_lossy(reason).into_owned()),
        _ => None,
    }
}

/// The script wants the next chunk of body `id` (`all`: everything up to the end). `false`
/// when there is no such body (read to its end, cancelled, or of an earlier call).
pub fn want(id: u32, all: bool) -> bool {
    BODIES.with(|b| match b.borrow_mut().get_mut(&id) {
        Some(r) => {
            r.want = if all {
                Want::All(Vec::new())
            } else {
                Want::Chunk
            };
            true
        }
        None => false,
    })
}

/// Read what body `id` has now, for the read the script waits for: `None` while that read is
/// not complete. An error is a message for the script; the body is then gone, as at its end.
pub fn read_body(id: u32) -> Option<Result<Read, String>> {
    let step = BODIES.with(|b| {
        let mut bodies = b.borrow_mut();
        let r = bodies.get_mut(&id)?;
        loop {
            match r.stream.read(READ_SIZE) {
                Ok(chunk) if chunk.is_empty() => return Some(None),
                Ok(chunk) => match &mut r.want {
                    Want::All(bytes) => bytes.extend_from_slice(&chunk),
                    _ => {
                        r.want = Want::Nothing;
                        return Some(Some(Ok(Read::Chunk(chunk))));
                    }
                },
                Err(StreamError::Closed) => return Some(Some(Err(None))),
                Err(e) => {
                    return Some(Some(Err(Some(stream_error(
                        e,
                        "reading the response body",
                    )))))
                }
            }
        }
    })?;
    match step? {
        Ok(read) => Some(Ok(read)),
        // The end (or a failure): the body is done either way.
        Err(failure) => {
            let r = BODIES.with(|b| b.borrow_mut().remove(&id))?;
            let Receiving { stream, body, want } = r;
            drop(stream);
            if let Some(message) = failure {
                return Some(Err(message));
            }
            // A body the host cut short (a limit) ends with a trailer saying why.
            if let Some(reason) = end_of(body) {
                return Some(Err(reason));
            }
            Some(Ok(Read::End(match want {
                Want::All(bytes) => Some(bytes),
                _ => None,
            })))
        }
    }
}

/// The response head (or error) of request `id` if it has arrived; its body is kept under the
/// same id for the script to read.
pub fn finish(id: u32) -> Option<Result<Answer, String>> {
    let (future, sent) = PENDING.with(|p| p.borrow_mut().remove(&id))?;
    let result = match future.get() {
        Some(Ok(Ok(response))) => receive(id, response),
        Some(Ok(Err(code))) => Err(failure(&code, &sent)),
        Some(Err(())) => Err("the response was already taken".to_string()),
        None => {
            // Spurious wake-up: keep waiting for it.
            PENDING.with(|p| p.borrow_mut().insert(id, (future, sent)));
            return None;
        }
    };
    Some(result)
}

fn receive(id: u32, response: wasi::http::types::IncomingResponse) -> Result<Answer, String> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let body = response
        .consume()
        .map_err(|_| "the response body was already taken".to_string())?;
    keep(id, body).map_err(|()| "the response body was already taken".to_string())?;
    Ok(Answer { status, headers })
}

pub fn stream_error(e: StreamError, what: &str) -> String {
    match e {
        StreamError::Closed => format!("connection closed while {what}"),
        // Not `to_debug_string()`: host error details are not the script's business (and
        // formatting them can be expensive).
        StreamError::LastOperationFailed(err) => match wasi::http::types::http_error_code(&err) {
            Some(code) => describe(&code),
            None => format!("the connection failed while {what}"),
        },
    }
}

/// The message for a request to `url` (as sent) that failed with `code`. A denial carries no
/// text: its reason (the rule or check that refused it, the same text as a failure's) is asked
/// of the host, which keeps it for this request (`sandbox:worker/outbound.denial`).
fn failure(code: &ErrorCode, url: &str) -> String {
    match code {
        ErrorCode::HttpRequestDenied => denial(url).unwrap_or_else(|| describe(code)),
        _ => describe(code),
    }
}

/// Why the host denied the oldest request to `url` not asked about yet (the reason is then
/// forgotten).
#[cfg(not(feature = "standalone"))]
fn denial(url: &str) -> Option<String> {
    crate::engine_world::sandbox::worker::outbound::denial(url)
}

/// A plain `wasi:http/proxy` host keeps no reasons.
#[cfg(feature = "standalone")]
fn denial(_url: &str) -> Option<String> {
    None
}

/// A one-line message for an error code (the host puts a failure's reason in `internal-error`;
/// a denial's is asked for by [`failure`]).
fn describe(code: &ErrorCode) -> String {
    match code {
        ErrorCode::InternalError(Some(m)) => m.clone(),
        ErrorCode::HttpRequestDenied => "the request was denied by the host".into(),
        ErrorCode::DnsError(p) => format!(
            "DNS lookup failed{}",
            p.rcode
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        ErrorCode::DnsTimeout => "DNS lookup timed out".into(),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionTimeout => "connection timed out".into(),
        ErrorCode::ConnectionReadTimeout => "timed out waiting for the response".into(),
        ErrorCode::ConnectionTerminated => "connection closed by the server".into(),
        ErrorCode::HttpResponseTimeout => "timed out waiting for the response".into(),
        ErrorCode::HttpResponseBodySize(Some(n)) => {
            format!("the response body exceeds the limit of {n} bytes")
        }
        ErrorCode::HttpRequestBodySize(Some(n)) => {
            format!("the request body exceeds the limit of {n} bytes")
        }
        ErrorCode::TlsCertificateError => "TLS certificate error".into(),
        ErrorCode::TlsProtocolError => "TLS protocol error".into(),
        ErrorCode::HttpProtocolError => "HTTP protocol error".into(),
        ErrorCode::HttpRequestUriInvalid => "invalid request URL".into(),
        other => format!("{other:?}"),
    }
}
