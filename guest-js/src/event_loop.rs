//! The event loop: drive a promise to completion.
//!
//! Each turn runs every pending job (microtasks), then looks at the promise. While it is pending,
//! the loop sleeps until the next timer is due (a blocking `wasi:clocks` wait, which the host
//! turns into an async sleep, so it costs no CPU time) and fires the due timers. When the promise
//! is pending with no jobs and no timers left, nothing can ever settle it: that is an error, not
//! a hang. Wall-time and CPU limits are the host's job.

use javy::quickjs::{promise::PromiseState, Ctx, Function, Object, Promise, Value};

use crate::outbound::{self, Answer};
use crate::{describe, describe_value, error, Failure, Kind};

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
            let body = javy::quickjs::TypedArray::<u8>::new(ctx.clone(), answer.body)
                .map_err(|e| describe(ctx, e))?;
            resolve
                .call::<_, ()>((id, answer.status, headers, body))
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
        let fetching = outbound::has_pending();
        if due < 0.0 && !fetching {
            return Err(error(
                Kind::NeverSettled,
                "the handler's promise never settled: no pending timers, jobs or I/O are left that could settle it",
            ));
        }
        let now = crate::natives::monotonic_nanos() as f64 / 1_000_000.0;
        if fetching {
            // Wait for whichever comes first: an answer to any fetch in flight, or the next timer.
            let timeout = (due >= 0.0).then(|| ((due - now).max(0.0) * 1_000_000.0).ceil() as u64);
            for (id, result) in outbound::wait(timeout) {
                settle(ctx, internals, id, result)?;
            }
        } else if due > now {
            std::thread::sleep(std::time::Duration::from_micros(
                ((due - now) * 1000.0).ceil() as u64,
            ));
        }
        run_timers.call::<_, ()>(()).map_err(|e| describe(ctx, e))?;
    }
}

/// Run microtasks until none are left. (Promise jobs never throw; user callbacks queued with
/// `queueMicrotask` are wrapped by the prelude, which reports what they throw.)
pub fn run_jobs(ctx: &Ctx<'_>) {
    while ctx.execute_pending_job() {}
}
