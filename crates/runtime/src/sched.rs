//! Scheduling hints for the threads that keep sandboxes in check (Linux; no-ops elsewhere).
//!
//! The epoch ticker is what interrupts running wasm (CPU limits, the move to the long-running
//! lane): if it waits for a CPU behind the very wasm it should interrupt, nothing is interrupted
//! until the kernel's scheduler tick (4 ms at HZ=250) preempts the guest's thread. Measured with
//! `perf sched timehist` during the side-by-side harness's infinite-loop scenario: the ticker
//! woke behind a thread running a looping script inline and waited 1-3.3 ms, so the script ran
//! 3.7 ms on a request thread instead of 0.5-1.5 ms. Under the EEVDF scheduler (Linux 6.12+) a
//! thread may ask for a shorter time slice; one that wakes with a shorter slice than the running
//! thread preempts it at once. It needs no privilege.
//!
//! (The measurements behind the short slice and the 0.5 ms tick: README, "Numbers".)

use std::time::Duration;

/// The slice asked for by threads that must run promptly: the shortest the kernel grants.
pub const PROMPT_SLICE: Duration = Duration::from_micros(100);

/// Ask for a time slice of `slice` (at least 0.1 ms) for the calling thread, keeping its policy
/// (normal) and nice value. Returns whether the kernel accepted it; older kernels accept and
/// ignore it.
pub fn request_short_slice(slice: Duration) -> bool {
    #[cfg(target_os = "linux")]
    {
        /// `struct sched_attr` (SCHED_ATTR_SIZE_VER0) from `linux/sched/types.h`.
        #[repr(C)]
        struct SchedAttr {
            size: u32,
            sched_policy: u32,
            sched_flags: u64,
            sched_nice: i32,
            sched_priority: u32,
            sched_runtime: u64,
            sched_deadline: u64,
            sched_period: u64,
        }
        // SAFETY: getpriority has no memory-safety preconditions; sched_setattr reads the
        // attribute struct we own, whose size field says how much of it there is.
        unsafe {
            *libc::__errno_location() = 0;
            let nice = libc::getpriority(libc::PRIO_PROCESS, 0);
            if nice == -1 && *libc::__errno_location() != 0 {
                return false;
            }
            let attr = SchedAttr {
                size: std::mem::size_of::<SchedAttr>() as u32,
                sched_policy: libc::SCHED_OTHER as u32,
                sched_flags: 0,
                sched_nice: nice,
                sched_priority: 0,
                sched_runtime: slice.as_nanos().min(u64::MAX as u128) as u64,
                sched_deadline: 0,
                sched_period: 0,
            };
            libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = slice;
        false
    }
}

/// Lower the calling thread to the `SCHED_IDLE` policy (or, where that is refused, to `nice`).
/// Lowering needs no privilege; failing to is harmless (the thread keeps its priority).
pub(crate) fn lower_to_idle(nice: libc::c_int) {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_setscheduler reads the param we own; setpriority has no memory-safety
    // preconditions. On Linux the policy and the nice value are per thread (pid 0 = caller).
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            libc::setpriority(libc::PRIO_PROCESS, 0, nice);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_short_slice_keeps_the_policy_and_nice_value() {
        std::thread::spawn(|| {
            // SAFETY: plain syscalls on the calling thread.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 5) };
            assert!(request_short_slice(Duration::from_micros(100)));
            let (policy, nice) = unsafe {
                (
                    libc::sched_getscheduler(0),
                    libc::getpriority(libc::PRIO_PROCESS, 0),
                )
            };
            assert_eq!((policy, nice), (libc::SCHED_OTHER, 5));
        })
        .join()
        .unwrap();
    }
}
