//! Engine-wide settings ([`Config`]) and per-worker limits ([`Limits`]).

use std::path::PathBuf;
use std::time::Duration;

/// Resource limits for one worker's requests. Every field has a default (below) and can be
/// overridden per worker in [`WorkerCode::limits`](crate::WorkerCode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU time one request may use (module evaluation on a fresh instance included), measured
    /// with the thread CPU clock while the sandbox runs. Time spent waiting (timers, host I/O) or
    /// preempted by other processes does not count. Default: 50 ms. Enforced with epoch deadlines;
    /// the precision is one epoch tick ([`Config::epoch_tick`]).
    pub cpu_time: Duration,
    /// Linear memory one instance may grow to. Default: 128 MiB. Capped by
    /// [`Config::max_memory_per_instance`].
    pub memory_bytes: u64,
    /// Wall-clock time one request may take, waiting included. Default: 30 s.
    pub wall_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu_time: Duration::from_millis(50),
            memory_bytes: 128 * 1024 * 1024,
            wall_time: Duration::from_secs(30),
        }
    }
}

/// Engine-wide configuration of a [`Loader`](crate::Loader).
///
/// Defaults:
/// - `limits`: [`Limits::default()`] (50 ms CPU, 128 MiB memory, 30 s wall time);
/// - `max_memory_per_instance`: 1 GiB (the ceiling no per-worker limit can exceed);
/// - `max_instances`: 1000 live sandboxes at once (pooling allocator slots);
/// - `cache_max_workers`: 1000 workers kept by [`Loader::get`](crate::Loader::get);
/// - `cache_max_bytes`: 2 GiB of instance memory kept warm by cached workers;
/// - `warm_instances_per_worker`: the number of CPU cores, at most 8 (so concurrent requests to one
///   worker each find a warm instance instead of paying a cold start);
/// - `epoch_tick`: 0.5 ms (its thread asks the kernel to run it promptly, see [`crate::sched`]);
/// - `idle_trim_after`: 1 s;
/// - `cache_dir`: `$WASM_SANDBOX_CACHE_DIR`, else `$XDG_CACHE_HOME/wasm-sandbox`, else
///   `$HOME/.cache/wasm-sandbox`, else the system temp dir (holds the precompiled engine);
/// - `progress`: true (print a line to stderr while the engine is compiled the first time);
/// - `tree`: [`TreeLimits::default()`](crate::TreeLimits) (depth 16, 6 calls in flight per
///   invocation, 32 sandboxes per request tree, the root's CPU limit bounds the whole tree, 25%
///   of the pool kept for requests from outside);
/// - `clock`: [`Clock::Frozen`](crate::Clock) (time advances only while the script waits).
#[derive(Debug, Clone)]
pub struct Config {
    /// Default limits for workers that don't set their own.
    pub limits: Limits,
    /// The largest memory any instance may have; also sizes the pooling allocator's slots.
    pub max_memory_per_instance: u64,
    /// How many sandboxes may be alive at once (in use or kept warm). Each one reserves address
    /// space (not memory) in the pooling allocator.
    pub max_instances: u32,
    /// How many workers [`Loader::get`](crate::Loader::get) keeps cached; least recently used
    /// ones are evicted beyond this.
    pub cache_max_workers: usize,
    /// How much instance memory cached workers may keep warm in total; least recently used
    /// workers are evicted beyond this.
    pub cache_max_bytes: u64,
    /// How many idle instances each worker keeps for its next requests (module state persists
    /// in them, as in an isolate).
    pub warm_instances_per_worker: usize,
    /// Period of the epoch ticker that enforces CPU limits (and makes long computations yield
    /// to other tasks).
    pub epoch_tick: Duration,
    /// Instances idle at least this long give back the snapshot pages they only read (shared
    /// with the engine image, but counted in RSS once per instance); the next request faults
    /// them back in (tens of microseconds). Checked on a background thread every this long;
    /// `None` turns it off.
    pub idle_trim_after: Option<Duration>,
    /// Where the precompiled engine is cached.
    pub cache_dir: Option<PathBuf>,
    /// Print progress to stderr while compiling the engine for the first time.
    pub progress: bool,
    /// A ceiling on every worker's outbound allow-list: a request must be allowed by both
    /// (`None`: no ceiling).
    pub outbound_ceiling: Option<crate::host::outbound::OutboundPolicy>,
    /// Limits on each request's outbound fetches.
    pub outbound_limits: crate::host::outbound::OutboundLimits,
    /// Bounds on a request tree: a request and every call it makes through service bindings
    /// and interception share one budget (see [`TreeLimits`](crate::TreeLimits)).
    pub tree: crate::tree::TreeLimits,
    /// What the sandboxes' clocks show (see [`Clock`](crate::Clock)).
    pub clock: crate::sandbox::clock::Clock,
    /// How many sandboxes may execute guest code at once on the callers' threads (0: one per
    /// CPU). A sandbox waiting on a timer, `fetch()` or a binding call holds no such permit;
    /// only the number in flight (bounded by [`max_instances`](Self::max_instances) and the
    /// daemon's admission) is limited by memory. Calls moved to the long-running lane run at
    /// `SCHED_IDLE` priority and take none.
    pub max_running: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            max_memory_per_instance: 1024 * 1024 * 1024,
            max_instances: 1000,
            cache_max_workers: 1000,
            cache_max_bytes: 2 * 1024 * 1024 * 1024,
            warm_instances_per_worker: std::thread::available_parallelism()
                .map_or(1, |n| n.get().min(8)),
            epoch_tick: Duration::from_micros(500),
            idle_trim_after: Some(Duration::from_secs(1)),
            cache_dir: None,
            progress: true,
            outbound_ceiling: None,
            outbound_limits: crate::host::outbound::OutboundLimits::default(),
            tree: crate::tree::TreeLimits::default(),
            clock: crate::sandbox::clock::Clock::Frozen,
            max_running: 0,
        }
    }
}

impl Config {
    pub(crate) fn resolved_cache_dir(&self) -> PathBuf {
        if let Some(dir) = &self.cache_dir {
            return dir.clone();
        }
        if let Some(dir) = std::env::var_os("WASM_SANDBOX_CACHE_DIR") {
            return PathBuf::from(dir);
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return PathBuf::from(dir).join("wasm-sandbox");
        }
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(".cache").join("wasm-sandbox");
        }
        std::env::temp_dir().join("wasm-sandbox")
    }
}
