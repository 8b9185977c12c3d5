//! CPU time: the meter every poll of a call into a sandbox is charged to.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// CPU time used by calls into one sandbox: the sum of the CPU time spent inside `poll` of the
/// call futures. Each poll runs on one thread from start to end, so the thread's CPU clock
/// (`CLOCK_THREAD_CPUTIME_ID`) measures it exactly: time waiting on timers or host I/O (the
/// future is pending) and time the thread was preempted by other processes do not count.
#[derive(Default)]
pub(crate) struct CpuMeter {
    pub(crate) used_ns: AtomicU64,
    /// The thread CPU clock when the current poll started (+1 so that 0 means "not polling").
    pub(crate) poll_started: AtomicU64,
    /// The current call has used more than [`LONG_RUNNING`] (it moves to the long-running lane).
    pub(crate) long: AtomicBool,
    /// The request tree the current call charges its CPU time to as well.
    pub(crate) tree: std::sync::Mutex<Option<Arc<crate::tree::RequestTree>>>,
    /// The last pending poll was an epoch-deadline yield (the script was computing, not waiting).
    pub(crate) epoch_yield: AtomicBool,
    /// The sandbox's frozen clock ([`crate::Clock::Frozen`]): advanced when a call resumes
    /// after a wait, not after an epoch yield.
    pub(crate) frozen: Option<Arc<crate::sandbox::clock::FrozenTime>>,
    /// Set (with the reason) when the call must end: a denied fetch under `OnDenied::Fail`.
    pub(crate) fatal: Arc<std::sync::Mutex<Option<String>>>,
}

/// CPU time consumed by the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_THREAD_CPUTIME_ID exists on
    // every Linux (and other POSIX systems this crate targets).
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl CpuMeter {
    pub(crate) fn now_ns(&self) -> u64 {
        thread_cpu_ns()
    }

    /// CPU time used so far, the poll in progress included (call from the polling thread).
    pub(crate) fn used(&self) -> Duration {
        let mut ns = self.used_ns.load(Ordering::Relaxed);
        let started = self.poll_started.load(Ordering::Relaxed);
        if started != 0 {
            ns += self.now_ns().saturating_sub(started - 1);
        }
        Duration::from_nanos(ns)
    }

    /// CPU time charged so far, from any thread, when no poll is in progress.
    pub(crate) fn used_idle(&self) -> Duration {
        Duration::from_nanos(self.used_ns.load(Ordering::Relaxed))
    }

    pub(crate) fn reset(&self) {
        self.used_ns.store(0, Ordering::Relaxed);
        self.long.store(false, Ordering::Relaxed);
    }

    pub(crate) fn tree(&self) -> Option<Arc<crate::tree::RequestTree>> {
        self.tree.lock().unwrap().clone()
    }

    /// The tree's CPU used so far, the poll in progress included (call from the polling
    /// thread), if the current call belongs to a tree.
    pub(crate) fn tree_used(&self) -> Option<(Duration, Duration)> {
        let tree = self.tree.lock().unwrap();
        let tree = tree.as_ref()?;
        let in_progress = self.used().saturating_sub(self.used_idle());
        Some((tree.cpu_used() + in_progress, tree.cpu_budget))
    }
}

/// Wraps a future and charges the time spent in its `poll` to a [`CpuMeter`].
pub(crate) struct Metered<'a, F> {
    pub(crate) inner: Pin<&'a mut F>,
    pub(crate) meter: &'a CpuMeter,
    /// Charged too (the request tree the call belongs to).
    pub(crate) tree: Option<Arc<crate::tree::RequestTree>>,
}

impl<F: Future> Future for Metered<'_, F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Time moves for the script only across waits: not when it resumes after its time
        // slice ran out.
        if !self.meter.epoch_yield.swap(false, Ordering::Relaxed) {
            if let Some(frozen) = &self.meter.frozen {
                frozen.advance();
            }
        }
        let start = self.meter.now_ns();
        self.meter.poll_started.store(start + 1, Ordering::Relaxed);
        let out = self.inner.as_mut().poll(cx);
        let end = self.meter.now_ns();
        self.meter.poll_started.store(0, Ordering::Relaxed);
        let spent = end.saturating_sub(start);
        self.meter.used_ns.fetch_add(spent, Ordering::Relaxed);
        if let Some(tree) = &self.tree {
            tree.charge(spent);
        }
        out
    }
}
