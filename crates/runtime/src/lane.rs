//! The long-running lane: where calls that compute for a long time finish, so that they cannot
//! delay short requests.
//!
//! Every call into a sandbox starts on the caller's task (no hand-off for the usual sub-millisecond
//! request). The epoch callback yields to the async runtime every tick; once a call has used
//! [`LONG_RUNNING`] of CPU, the callback also marks it long, and at that yield the call is moved
//! (the wasm fiber is `Send`) onto this lane: a separate runtime whose threads run under Linux's
//! `SCHED_IDLE` policy (nice +10 where that is refused). A `SCHED_IDLE` thread is preempted the
//! moment a normal thread wakes on its CPU, so request-serving threads never wait out a busy
//! thread's time slice, while the long call still gets every cycle nobody else wants. The price:
//! on a host saturated with short requests, long calls make progress only in the gaps (their wall
//! time limit still ends them) — short requests first, by design, since a long call is usually a
//! hostile or runaway script.
//!
//! Measured with the side-by-side harness's infinite-loop scenario (`COMPARE_ONLY=wasm-sandbox
//! COMPARE_SCENARIOS=loop`), bystanders' p99 while loops run / idle p99: without the lane
//! 0.77-2.29x (5 runs); with the lane at nice +10, 0.63-1.91x (5 runs) and 3.9x, 0.88x, 0.93x
//! (3 later runs: under the kernel's EEVDF scheduler a nice +10 thread still finishes its slice
//! before a woken thread runs, 1.3-1.9 ms outliers).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use crate::error::{Error, Result};

/// CPU time after which a call counts as long-running and moves to the lane.
pub(crate) const LONG_RUNNING: Duration = Duration::from_micros(500);

/// The OS priority (nice value) of the lane's threads where `SCHED_IDLE` is refused.
const LANE_NICE: libc::c_int = 10;

/// A runtime for long-running calls (see the module docs).
pub(crate) struct LongLane {
    runtime: Option<tokio::runtime::Runtime>,
}

impl LongLane {
    pub fn new() -> std::io::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("wasm-sandbox-long")
            .on_thread_start(|| crate::sched::lower_to_idle(LANE_NICE))
            .enable_all()
            .build()?;
        Ok(LongLane {
            runtime: Some(runtime),
        })
    }

    /// Drive `fut` here until it finishes or `long` is set, then finish it on the lane.
    pub async fn run<F>(&self, fut: F, long: &AtomicBool) -> Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut fut: Pin<Box<F>> = Box::pin(fut);
        let inline = std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending if long.load(Ordering::Relaxed) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
        .await;
        if let Some(v) = inline {
            return Ok(v);
        }
        let Some(runtime) = &self.runtime else {
            return Ok(fut.await);
        };
        // Aborted if the caller goes away (e.g. the client disconnected): the call, and the
        // sandbox it owns, are dropped with it.
        let mut task = AbortOnDrop(runtime.spawn(fut));
        match (&mut task.0).await {
            Ok(v) => Ok(v),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::Host(anyhow::anyhow!(
                "the long-running lane shut down during the call"
            ))),
        }
    }
}

impl Drop for LongLane {
    fn drop(&mut self) {
        // May be dropped inside an async context, where a blocking shutdown would panic.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or("").to_owned()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_moves_to_the_lane_once_marked_long_and_finishes_there() {
        let lane = LongLane::new().unwrap();
        let long = std::sync::Arc::new(AtomicBool::new(false));
        let flag = long.clone();
        let (first, last) = lane
            .run(
                async move {
                    let first = thread_name();
                    flag.store(true, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                    // Timers and the like keep working after the move.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    (first, thread_name())
                },
                &long,
            )
            .await
            .unwrap();
        assert_ne!(first, "wasm-sandbox-long");
        assert_eq!(last, "wasm-sandbox-long");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_short_call_stays_on_the_callers_thread() {
        let lane = LongLane::new().unwrap();
        let long = AtomicBool::new(false);
        let name = lane
            .run(
                async {
                    tokio::task::yield_now().await;
                    thread_name()
                },
                &long,
            )
            .await
            .unwrap();
        assert_ne!(name, "wasm-sandbox-long");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lane_threads_run_at_lower_priority() {
        let lane = LongLane::new().unwrap();
        let long = AtomicBool::new(true);
        let (policy, nice) = lane
            .run(
                async {
                    tokio::task::yield_now().await;
                    // SAFETY: sched_getscheduler and getpriority have no preconditions.
                    unsafe {
                        (
                            libc::sched_getscheduler(0),
                            libc::getpriority(libc::PRIO_PROCESS, 0),
                        )
                    }
                },
                &long,
            )
            .await
            .unwrap();
        assert!(
            policy == libc::SCHED_IDLE || nice == LANE_NICE,
            "{policy} {nice}"
        );
    }
}
