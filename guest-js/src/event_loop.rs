//! The event loop: drive a promise to completion.
//!
//! Each turn runs every pending job (microtasks), then looks at the promise. While it is pending,
//! the loop waits (one `wasi:io/poll` over everything in flight, which the host turns into an
//! async wait, so it costs no CPU time) for whichever comes first: the next timer, an answer to a
//! fetch, a body chunk, a binding call's reply (`calls`) or room for a streamed response body;
//! it settles what finished and fires the due timers. When the promise is pending with no jobs,
//! no timers and nothing in flight, nothing can ever settle it: that is an error, not a hang.
//! Wall-time and CPU limits are the host's job.

use javy::quickjs::{promise::PromiseState, Ctx, Function, Object, Promise, Value};

#[cfg(not(feature = "standalone"))]
use crate::engine_world::wasi;
use crate::outbound::{self, Answer};
#[cfg(feature = "standalone")]
use crate::standalone_world::wasi;
use crate::{describe, describe_value, error, Failure, Kind};
use wasi::clocks::monotonic_clock;
use wasi::io::poll;

/// Hand a finished fetch to the prelude, which resolves (or rejects) its promise.
fn settle<'js>(
    ctx: &Ctx<'js>,
    internals: &Object<'js>,
    id: u32,
    result: Result<Answer, String>,
) -> Result<(), Failure> {
    match result {
        Ok(answer) => {
            let resolve: Function<'js> = internals
                .get("fetchResolve")
                .map_err(|e| describe(ctx, e))?;
            let headers =
                crate::natives::pairs_to_js(ctx, &answer.headers).map_err(|e| describe(ctx, e))?;
            resolve
                .call::<_, ()>((id, answer.status, headers))
                .map_err(|e| describe(ctx, e))
        }
        Err(message) => {
            let reject: Function<'js> =
                internals.get("fetchReject").map_err(|e| describe(ctx, e))?;
            reject
                .call::<_, ()>((id, message))
                .map_err(|e| describe(ctx, e))
        }
    }
}

pub fn drive<'js>(
    ctx: &Ctx<'js>,
    internals: &Object<'js>,
    promise: Promise<'js>,
) -> Result<Value<'js>, Failure> {
    let next_timer: Function<'js> = internals.get("nextTimer").map_err(|e| describe(ctx, e))?;
    let run_timers: Function<'js> = internals.get("runTimers").map_err(|e| describe(ctx, e))?;
    loop {
        run_jobs(ctx);
        match promise.state() {
            PromiseState::Resolved => {
                return promise
                    .result::<Value<'js>>()
                    .expect("settled")
                    .map_err(|e| describe(ctx, e));
            }
            PromiseState::Rejected => {
                // Mark it handled and take the reason.
                let reason = match promise.result::<Value<'js>>() {
                    Some(Err(e)) if e.is_exception() => ctx.catch(),
                    _ => Value::new_undefined(ctx.clone()),
                };
                return Err(describe_value(ctx, reason));
            }
            PromiseState::Pending => {}
        }
        let due: f64 = next_timer.call(()).map_err(|e| describe(ctx, e))?;
        let waiting = outbound::has_pending() || calls_pending() || crate::respond::waiting();
        if due < 0.0 && !waiting {
            return Err(error(
                Kind::NeverSettled,
                "the handler's promise never settled: no pending timers, jobs or I/O are left that could settle it",
            ));
        }
        let now = crate::natives::monotonic_nanos() as f64 / 1_000_000.0;
        if waiting {
            // Wait for whichever comes first: an answer to any fetch or binding call in flight,
            // room for a streamed response body, or the next timer.
            let timeout = (due >= 0.0).then(|| ((due - now).max(0.0) * 1_000_000.0).ceil() as u64);
            wait(ctx, internals, timeout)?;
        } else if due > now {
            std::thread::sleep(std::time::Duration::from_micros(
                ((due - now) * 1000.0).ceil() as u64,
            ));
        }
        run_timers.call::<_, ()>(()).map_err(|e| describe(ctx, e))?;
    }
}

#[cfg(not(feature = "standalone"))]
fn calls_pending() -> bool {
    crate::calls::has_pending()
}

#[cfg(feature = "standalone")]
fn calls_pending() -> bool {
    false
}

/// Hand what a body read produced to the prelude (`bodySettle`): a chunk, the whole body, the
/// end (null) or an error message.
fn settle_body<'js>(
    ctx: &Ctx<'js>,
    internals: &Object<'js>,
    id: u32,
    result: Result<outbound::Read, String>,
) -> Result<(), Failure> {
    let settle: Function<'js> = internals.get("bodySettle").map_err(|e| describe(ctx, e))?;
    let bytes = |b: Vec<u8>| {
        javy::quickjs::TypedArray::<u8>::new(ctx.clone(), b)
            .map(|a| a.into_value())
            .map_err(|e| describe(ctx, e))
    };
    match result {
        Ok(outbound::Read::Chunk(b)) | Ok(outbound::Read::End(Some(b))) => {
            settle.call::<_, ()>((id, true, bytes(b)?))
        }
        Ok(outbound::Read::End(None)) => {
            settle.call::<_, ()>((id, true, Value::new_null(ctx.clone())))
        }
        Err(message) => settle.call::<_, ()>((id, false, message)),
    }
    .map_err(|e| describe(ctx, e))
}

/// What one pollable in a wait stands for.
enum Waited {
    Fetch(u32),
    Body(u32),
    #[cfg(not(feature = "standalone"))]
    Call(u32),
    Writable,
    Timer,
}

/// Block until a fetch or a binding call in flight finishes, a streamed response body has room,
/// or `timeout_ns` passes (`None`: no timer is pending), and settle what finished.
fn wait<'js>(
    ctx: &Ctx<'js>,
    internals: &Object<'js>,
    timeout_ns: Option<u64>,
) -> Result<(), Failure> {
    let mut what = Vec::new();
    let mut pollables = Vec::new();
    for (waiting, p) in outbound::pollables() {
        what.push(match waiting {
            outbound::Waiting::Response(id) => Waited::Fetch(id),
            outbound::Waiting::Body(id) => Waited::Body(id),
        });
        pollables.push(p);
    }
    #[cfg(not(feature = "standalone"))]
    for (id, p) in crate::calls::pollables() {
        what.push(Waited::Call(id));
        pollables.push(p);
    }
    if let Some(p) = crate::respond::pollable() {
        what.push(Waited::Writable);
        pollables.push(p);
    }
    if let Some(ns) = timeout_ns {
        what.push(Waited::Timer);
        pollables.push(monotonic_clock::subscribe_duration(ns));
    }
    if pollables.is_empty() {
        return Ok(());
    }
    let refs: Vec<&poll::Pollable> = pollables.iter().collect();
    let ready = poll::poll(&refs);
    drop(refs);
    drop(pollables);
    for i in ready {
        match what.get(i as usize) {
            Some(Waited::Fetch(id)) => {
                if let Some(result) = outbound::finish(*id) {
                    settle(ctx, internals, *id, result)?;
                }
            }
            #[cfg(not(feature = "standalone"))]
            Some(Waited::Call(id)) => {
                if let Some(result) = crate::calls::take(*id) {
                    settle_call(ctx, internals, *id, result)?;
                }
            }
            Some(Waited::Body(id)) => {
                if let Some(result) = outbound::read_body(*id) {
                    settle_body(ctx, internals, *id, result)?;
                }
            }
            Some(Waited::Writable) => {
                use crate::respond::Woke;
                let outcome = match crate::respond::woke() {
                    Woke::Again => continue,
                    Woke::Room => Value::new_bool(ctx.clone(), true),
                    Woke::Spliced(Ok(())) => Value::new_bool(ctx.clone(), true),
                    Woke::Spliced(Err(None)) => Value::new_bool(ctx.clone(), false),
                    Woke::Spliced(Err(Some(message))) => {
                        javy::quickjs::String::from_str(ctx.clone(), &message)
                            .map_err(|e| describe(ctx, e))?
                            .into_value()
                    }
                };
                let ready: Function<'js> = internals
                    .get("respondReady")
                    .map_err(|e| describe(ctx, e))?;
                ready
                    .call::<_, ()>((outcome,))
                    .map_err(|e| describe(ctx, e))?;
            }
            Some(Waited::Timer) | None => {}
        }
    }
    Ok(())
}

/// Hand a finished binding call to the prelude, which resolves (or rejects) its promise.
#[cfg(not(feature = "standalone"))]
fn settle_call<'js>(
    ctx: &Ctx<'js>,
    internals: &Object<'js>,
    id: u32,
    result: Result<crate::engine_world::sandbox::worker::calls::Reply, String>,
) -> Result<(), Failure> {
    let settle: Function<'js> = internals.get("callSettle").map_err(|e| describe(ctx, e))?;
    match result {
        Ok(reply) => {
            let value = crate::calls::reply_to_js(ctx, reply).map_err(|e| describe(ctx, e))?;
            settle.call::<_, ()>((id, true, value))
        }
        Err(message) => settle.call::<_, ()>((id, false, message)),
    }
    .map_err(|e| describe(ctx, e))
}

/// Run microtasks until none are left. (Promise jobs never throw; user callbacks queued with
/// `queueMicrotask` are wrapped by the prelude, which reports what they throw.)
pub fn run_jobs(ctx: &Ctx<'_>) {
    while ctx.execute_pending_job() {}
}
