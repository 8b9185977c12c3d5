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
//! (Measured with the side-by-side harness's infinite-loop scenario: README, "Numbers".)
//!
//! **Running, not in flight.** A call's guest code runs only while its future is being polled;
//! while the script waits (a timer, `fetch()`, a binding call, a nested worker) it is parked and
//! costs memory, not CPU. The lane therefore takes a *running* permit for each poll of a call
//! on the caller's threads and gives it back whenever the call yields — waiting on I/O or
//! preempted at an epoch tick (every 0.5 ms) — so at most [`Config::max_running`] sandboxes
//! execute at once, however many are in flight (that bound is the daemon's and the pool's:
//! memory). Permits are handed out first come, first served, so a yielded call queues behind
//! the calls that were waiting. Calls on the lane itself take none: `SCHED_IDLE` threads only
//! get CPU nobody else wants.
//!
//! [`Config::max_running`]: crate::Config::max_running

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// CPU time after which a call counts as long-running and moves to the lane.
pub(crate) const LONG_RUNNING: Duration = Duration::from_micros(500);

/// The OS priority (nice value) of the lane's threads where `SCHED_IDLE` is refused.
const LANE_NICE: libc::c_int = 10;

/// A runtime for long-running calls, and the running permits of the others (see the module
/// docs).
pub(crate) struct LongLane {
    runtime: Option<tokio::runtime::Runtime>,
    running: Arc<Semaphore>,
    max_running: usize,
    stats: Arc<RunningStats>,
}

/// What the running permits have seen.
#[derive(Default)]
pub(crate) struct RunningStats {
    /// Calls executing guest code now (holding a permit).
    pub now: AtomicUsize,
    /// The most at once since the start.
    pub peak: AtomicUsize,
    /// Times a call was ready to run and had to wait for a permit.
    pub waits: AtomicU64,
}

impl LongLane {
    /// `max_running`: how many calls may execute on the callers' threads at once (0: one per
    /// CPU).
    pub(crate) fn new(max_running: usize) -> std::io::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("wasm-sandbox-long")
            .on_thread_start(|| crate::sched::lower_to_idle(LANE_NICE))
            .enable_all()
            .build()?;
        let max_running = if max_running == 0 {
            threads
        } else {
            max_running
        };
        Ok(LongLane {
            runtime: Some(runtime),
            running: Arc::new(Semaphore::new(max_running)),
            max_running,
            stats: Arc::default(),
        })
    }

    /// The most calls that execute at once on the callers' threads.
    pub(crate) fn max_running(&self) -> usize {
        self.max_running
    }

    /// What the running permits have seen.
    pub(crate) fn running_stats(&self) -> &RunningStats {
        &self.stats
    }

    /// Drive `fut` here until it finishes or `long` is set, then finish it on the lane.
    pub(crate) async fn run<F>(&self, fut: F, long: &AtomicBool) -> Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut fut: Pin<Box<F>> = Box::pin(fut);
        loop {
            let permit = match self.running.try_acquire() {
                Ok(permit) => permit,
                Err(_) => {
                    self.stats.waits.fetch_add(1, Ordering::Relaxed);
                    self.running
                        .acquire()
                        .await
                        .expect("the running semaphore is never closed")
                }
            };
            let running = Running::new(&self.stats);
            // One poll: the guest runs until it finishes, waits or is preempted at a tick.
            let polled = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
            drop(running);
            drop(permit);
            match polled {
                Poll::Ready(v) => return Ok(v),
                Poll::Pending if long.load(Ordering::Relaxed) => break,
                // Parked without a permit until the call's waker fires (the poll above
                // registered this task's waker).
                Poll::Pending => {
                    let mut parked = false;
                    std::future::poll_fn(|_| {
                        if std::mem::replace(&mut parked, true) {
                            Poll::Ready(())
                        } else {
                            Poll::Pending
                        }
                    })
                    .await;
                }
            }
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

/// Counts one call as running until dropped (a panicking poll included).
struct Running<'a>(&'a RunningStats);

impl<'a> Running<'a> {
    fn new(stats: &'a RunningStats) -> Self {
        let now = stats.now.fetch_add(1, Ordering::Relaxed) + 1;
        stats.peak.fetch_max(now, Ordering::Relaxed);
        Running(stats)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
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
        let lane = LongLane::new(0).unwrap();
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
        let lane = LongLane::new(0).unwrap();
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

    /// Calls that each compute 2 ms per poll and yield 20 times, 6 at once on 2 threads.
    async fn busy_calls(lane: &LongLane) -> usize {
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let never = AtomicBool::new(false);
        let calls = (0..6).map(|_| {
            let (inside, most) = (inside.clone(), most.clone());
            let call = async move {
                for _ in 0..20 {
                    let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    let start = std::time::Instant::now();
                    while start.elapsed() < Duration::from_millis(2) {
                        std::hint::spin_loop();
                    }
                    inside.fetch_sub(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
            };
            let lane = &*lane;
            let never = &never;
            async move { lane.run(call, never).await.unwrap() }
        });
        let tasks: Vec<_> = calls.collect();
        futures_join_all(tasks).await;
        most.load(Ordering::SeqCst)
    }

    async fn futures_join_all<F: Future<Output = ()>>(futs: Vec<F>) {
        let mut futs: Vec<Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
        std::future::poll_fn(|cx| {
            futs.retain_mut(|f| f.as_mut().poll(cx).is_pending());
            if futs.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_max_running_calls_execute_at_once() {
        let lane = Arc::new(LongLane::new(1).unwrap());
        // Six calls in flight on two threads, each its own task.
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let lane = lane.clone();
                tokio::spawn(async move { busy_calls(&lane).await })
            })
            .collect();
        let mut most = 0;
        for t in tasks {
            most = most.max(t.await.unwrap());
        }
        assert_eq!(most, 1, "two calls ran at once with max_running = 1");
        assert_eq!(lane.running_stats().peak.load(Ordering::SeqCst), 1);
        assert!(lane.running_stats().waits.load(Ordering::SeqCst) > 0);
        assert_eq!(lane.running_stats().now.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_call_holds_no_running_permit() {
        let lane = Arc::new(LongLane::new(1).unwrap());
        let never = Arc::new(AtomicBool::new(false));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let waiter = {
            let (lane, never) = (lane.clone(), never.clone());
            tokio::spawn(async move { lane.run(async { rx.await.ok() }, &never).await })
        };
        tokio::task::yield_now().await;
        // The only permit is free while the first call waits: a second call runs to the end.
        let second = lane.run(async { 7 }, &never).await.unwrap();
        assert_eq!(second, 7);
        tx.send(()).unwrap();
        assert_eq!(waiter.await.unwrap().unwrap(), Some(()));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lane_threads_run_at_lower_priority() {
        let lane = LongLane::new(0).unwrap();
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
