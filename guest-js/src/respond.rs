//! A response body sent on as the script produces it, through a `wasi:http` response-outparam.
//!
//! The head goes out first ([`start`]); then the prelude's pump reads the body's
//! `ReadableStream` and hands each chunk to [`write`], which writes what the host's buffer takes
//! now. When the buffer is full the pump waits ([`wait`]): the event loop adds the stream's
//! pollable to its wait, next to timers, fetches and binding calls, so the script keeps running
//! while the client catches up. [`finish`] ends the body; anything else (an error, the call
//! ending early) drops it unfinished, which the host passes on as a broken body, never as a
//! complete one.

use std::cell::{Cell, RefCell};

#[cfg(not(feature = "standalone"))]
use crate::engine_world::wasi;
#[cfg(feature = "standalone")]
use crate::standalone_world::wasi;

pub use wasi::http::types::ResponseOutparam;
use wasi::http::types::{Fields, HeaderError, OutgoingBody, OutgoingResponse};
use wasi::io::poll::Pollable;
use wasi::io::streams::{OutputStream, StreamError};

/// The body being written. Field order is drop order: the stream goes before its body.
struct Open {
    stream: OutputStream,
    body: OutgoingBody,
}

thread_local! {
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
    /// The pump waits for room in the host's buffer.
    static WAITING: Cell<bool> = const { Cell::new(false) };
}

/// Headers the host sets itself on a streamed response (or that describe a whole body).
fn skipped(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
}

/// Send the head through `out` and open the body.
pub fn start(
    out: ResponseOutparam,
    status: u16,
    headers: &[(String, String)],
) -> Result<(), String> {
    let fields = Fields::new();
    for (name, value) in headers {
        if skipped(name) {
            continue;
        }
        match fields.append(name, value.as_bytes()) {
            // Hop-by-hop headers are the host's business: left out, as a proxy would.
            Ok(()) | Err(HeaderError::Forbidden) => {}
            Err(_) => return Err(format!("invalid response header \"{name}\"")),
        }
    }
    let response = OutgoingResponse::new(fields);
    response
        .set_status_code(status)
        .map_err(|_| format!("invalid status {status}"))?;
    let body = response
        .body()
        .map_err(|_| "the response body is unavailable".to_string())?;
    let stream = body
        .write()
        .map_err(|_| "the response body stream is unavailable".to_string())?;
    ResponseOutparam::set(out, Ok(response));
    OPEN.with(|o| *o.borrow_mut() = Some(Open { stream, body }));
    Ok(())
}

/// Write as much of `bytes` as the host takes now: the count written, `None` when the client
/// has gone away (or no body is open).
pub fn write(bytes: &[u8]) -> Result<Option<usize>, String> {
    OPEN.with(|o| {
        let open = o.borrow();
        let Some(open) = open.as_ref() else {
            return Ok(None);
        };
        let room = match open.stream.check_write() {
            Ok(n) => n,
            Err(StreamError::Closed) => return Ok(None),
            Err(StreamError::LastOperationFailed(_)) => return Ok(None),
        };
        let n = (room as usize).min(bytes.len());
        if n == 0 {
            return Ok(Some(0));
        }
        match open.stream.write(&bytes[..n]) {
            Ok(()) => Ok(Some(n)),
            Err(_) => Ok(None),
        }
    })
}

/// The pump waits for room: the event loop now includes the stream's pollable.
pub fn wait() {
    WAITING.with(|w| w.set(true));
}

pub fn waiting() -> bool {
    WAITING.with(|w| w.get())
}

/// The pollable the event loop waits on while the pump waits.
pub fn pollable() -> Option<Pollable> {
    if !waiting() {
        return None;
    }
    OPEN.with(|o| o.borrow().as_ref().map(|open| open.stream.subscribe()))
}

/// The stream has room (or is closed): the wait is over.
pub fn woke() {
    WAITING.with(|w| w.set(false));
}

/// End the body: everything written is sent, then the end.
pub fn finish() {
    WAITING.with(|w| w.set(false));
    if let Some(open) = OPEN.with(|o| o.borrow_mut().take()) {
        // What was written is already in the host's buffer (a write is a send there).
        let Open { stream, body } = open;
        drop(stream);
        let _ = OutgoingBody::finish(body, None);
    }
}

/// Drop an unfinished body (the host sends it on as broken).
pub fn abort() {
    WAITING.with(|w| w.set(false));
    OPEN.with(|o| o.borrow_mut().take());
}

/// Whether a body is open (the pump has not finished).
pub fn is_open() -> bool {
    OPEN.with(|o| o.borrow().is_some())
}
