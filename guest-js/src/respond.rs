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

use wasi::http::types::IncomingBody;
pub use wasi::http::types::ResponseOutparam;
use wasi::http::types::{Fields, HeaderError, OutgoingBody, OutgoingResponse};
use wasi::io::poll::Pollable;
use wasi::io::streams::{InputStream, OutputStream, StreamError};

/// The body being written. Field order is drop order: the stream goes before its body.
struct Open {
    stream: OutputStream,
    body: OutgoingBody,
}

/// A fetch() response body spliced straight into the reply (the script returned it unread):
/// the host moves the bytes, no chunk passes through the script.
struct Splicing {
    src: InputStream,
    body: IncomingBody,
    /// What the last step waited for: room in the reply (`true`) or bytes from the source.
    on_output: bool,
}

/// The trailer a complete body ends with: the host treats any other end as a body cut short.
const COMPLETE_TRAILER: &str = "x-wasm-sandbox-complete";

thread_local! {
    /// The call (the prelude's serial) whose body is open: a pump of another call is refused.
    static CALL: Cell<u32> = const { Cell::new(0) };
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
    /// The pump waits for room in the host's buffer.
    static WAITING: Cell<bool> = const { Cell::new(false) };
    static SPLICING: RefCell<Option<Splicing>> = const { RefCell::new(None) };
}

/// Most bytes one splice moves.
const SPLICE_SIZE: u64 = 1 << 20;
/// Splices per wake-up before the event loop gets a turn (timers, other I/O).
const SPLICES_PER_TURN: usize = 16;

/// Headers the host sets itself on a streamed response (or that describe a whole body).
fn skipped(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
}

/// Whether `call` is the call whose body is open.
fn current(call: u32) -> bool {
    CALL.with(|c| c.get()) == call
}

/// Send the head through `out` and open the body, for the prelude's call `call`.
pub fn start(
    out: ResponseOutparam,
    status: u16,
    headers: &[(String, String)],
    call: u32,
) -> Result<(), String> {
    CALL.with(|c| c.set(call));
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
pub fn write(call: u32, bytes: &[u8]) -> Result<Option<usize>, String> {
    if !current(call) {
        return Ok(None);
    }
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
pub fn wait(call: u32) {
    if current(call) && is_open() {
        WAITING.with(|w| w.set(true));
    }
}

/// Whether the pump waits (for room, or for a splice to end).
pub fn waiting() -> bool {
    WAITING.with(|w| w.get()) || SPLICING.with(|s| s.borrow().is_some())
}

/// The pollable the event loop waits on while the pump waits.
pub fn pollable() -> Option<Pollable> {
    let on_input = SPLICING.with(|s| {
        s.borrow()
            .as_ref()
            .and_then(|sp| (!sp.on_output).then(|| sp.src.subscribe()))
    });
    if on_input.is_some() {
        return on_input;
    }
    if !waiting() {
        return None;
    }
    OPEN.with(|o| o.borrow().as_ref().map(|open| open.stream.subscribe()))
}

/// How a wait of the pump ended.
pub enum Woke {
    /// Room in the reply: write on.
    Room,
    /// Not over yet (a splice moves on).
    Again,
    /// The splice is over: the source's end (`Ok`), the client gone (`Err(None)`), or the
    /// source failed (`Err(Some(message))`).
    Spliced(Result<(), Option<String>>),
}

/// The pollable of [`pollable`] is ready.
pub fn woke() -> Woke {
    if WAITING.with(|w| w.replace(false)) {
        return Woke::Room;
    }
    let Some(mut sp) = SPLICING.with(|s| s.borrow_mut().take()) else {
        return Woke::Room;
    };
    let step = OPEN.with(|o| {
        let open = o.borrow();
        let Some(open) = open.as_ref() else {
            return Some(Err(None));
        };
        for _ in 0..SPLICES_PER_TURN {
            let room = match open.stream.check_write() {
                Ok(0) => {
                    sp.on_output = true;
                    return None;
                }
                Ok(n) => n.min(SPLICE_SIZE),
                Err(_) => return Some(Err(None)),
            };
            match open.stream.splice(&sp.src, room) {
                Ok(0) => {
                    sp.on_output = false;
                    return None;
                }
                Ok(_) => {}
                // Either end: the reply's stream says whether it was the client.
                Err(StreamError::Closed) => {
                    return Some(match open.stream.check_write() {
                        Ok(_) => Ok(()),
                        Err(_) => Err(None),
                    })
                }
                Err(e) => {
                    return Some(Err(Some(crate::outbound::stream_error(
                        e,
                        "reading the response body",
                    ))))
                }
            }
        }
        sp.on_output = true;
        None
    });
    match step {
        None => {
            SPLICING.with(|s| *s.borrow_mut() = Some(sp));
            Woke::Again
        }
        Some(done) => {
            let Splicing { src, body, .. } = sp;
            drop(src);
            let done = match done {
                // A source the host cut short (a limit) says why in its trailer.
                Ok(()) => match crate::outbound::end_of(body) {
                    Some(reason) => Err(Some(reason)),
                    None => Ok(()),
                },
                Err(e) => Err(e),
            };
            Woke::Spliced(done)
        }
    }
}

/// Splice fetch() body `id` (returned unread by the script) into the reply; the event loop moves
/// it and says when it is over. False when there is no such body.
pub fn splice(id: u32, call: u32) -> bool {
    if !current(call) || !is_open() {
        return false;
    }
    match crate::outbound::take_body(id) {
        Some((src, body)) => {
            SPLICING.with(|s| {
                *s.borrow_mut() = Some(Splicing {
                    src,
                    body,
                    on_output: true,
                })
            });
            true
        }
        None => false,
    }
}

/// End the body: everything written is sent, then the end, marked as complete.
pub fn finish(call: u32) {
    if !current(call) {
        return;
    }
    WAITING.with(|w| w.set(false));
    if let Some(open) = OPEN.with(|o| o.borrow_mut().take()) {
        // What was written is already in the host's buffer (a write is a send there).
        let Open { stream, body } = open;
        drop(stream);
        let trailers = Fields::new();
        let _ = trailers.append(COMPLETE_TRAILER, b"1");
        let _ = OutgoingBody::finish(body, Some(trailers));
    }
}

/// Drop an unfinished body (the host sends it on as broken).
pub fn abort() {
    CALL.with(|c| c.set(0));
    WAITING.with(|w| w.set(false));
    SPLICING.with(|s| s.borrow_mut().take());
    OPEN.with(|o| o.borrow_mut().take());
}

/// Whether a body is open (the pump has not finished).
pub fn is_open() -> bool {
    OPEN.with(|o| o.borrow().is_some())
}
