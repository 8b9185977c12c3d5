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
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, HeaderError, IncomingBody, Method, OutgoingBody,
    OutgoingRequest, Scheme,
};
use wasi::io::poll;
use wasi::io::streams::StreamError;

/// The trailer through which the host says why it cut a response body short.
const BODY_ERROR_TRAILER: &str = "x-wasm-sandbox-error";

/// A response as the prelude turns it into a `Response`.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

thread_local! {
    static PENDING: RefCell<BTreeMap<u32, FutureIncomingResponse>> = const { RefCell::new(BTreeMap::new()) };
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
    let future = outgoing_handler::handle(request, None).map_err(|e| describe(&e))?;
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
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    });
    PENDING.with(|p| p.borrow_mut().insert(id, future));
    Ok(id)
}

/// Drop an in-flight request (abort): the host cancels it.
pub fn cancel(id: u32) {
    PENDING.with(|p| p.borrow_mut().remove(&id));
}

pub fn has_pending() -> bool {
    PENDING.with(|p| !p.borrow().is_empty())
}

/// Drop everything in flight (the call is over).
pub fn clear() {
    PENDING.with(|p| p.borrow_mut().clear());
}

/// A pollable for every request in flight.
pub fn pollables() -> Vec<(u32, poll::Pollable)> {
    PENDING.with(|p| {
        p.borrow()
            .iter()
            .map(|(id, f)| (*id, f.subscribe()))
            .collect()
    })
}

/// The full response (or error) of request `id` if it has arrived (it is then forgotten).
pub fn finish(id: u32) -> Option<Result<Answer, String>> {
    let future = PENDING.with(|p| p.borrow_mut().remove(&id))?;
    let result = match future.get() {
        Some(Ok(Ok(response))) => read_response(response),
        Some(Ok(Err(code))) => Err(describe(&code)),
        Some(Err(())) => Err("the response was already taken".to_string()),
        None => {
            // Spurious wake-up: keep waiting for it.
            PENDING.with(|p| p.borrow_mut().insert(id, future));
            return None;
        }
    };
    Some(result)
}

fn read_response(response: wasi::http::types::IncomingResponse) -> Result<Answer, String> {
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
    let bytes = {
        let stream = body
            .stream()
            .map_err(|_| "the response body was already taken".to_string())?;
        let mut bytes = Vec::new();
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(e) => return Err(stream_error(e, "reading the response body")),
            }
        }
        bytes
    };
    // A body the host cut short (a limit) ends with a trailer saying why.
    let trailers = IncomingBody::finish(body);
    trailers.subscribe().block();
    if let Some(Ok(Ok(Some(fields)))) = trailers.get() {
        if let Some(reason) = fields.get(BODY_ERROR_TRAILER).first() {
            return Err(String::from_utf8_lossy(reason).into_owned());
        }
    }
    Ok(Answer {
        status,
        headers,
        body: bytes,
    })
}

fn stream_error(e: StreamError, what: &str) -> String {
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

/// A one-line message for an error code (the host puts its reason in `internal-error`).
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
