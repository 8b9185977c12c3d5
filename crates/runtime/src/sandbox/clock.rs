//! The clocks a sandbox sees ([`Clock`]): by default time is *frozen* while the script runs and
//! advances only when it waits (timers, fetches, binding calls), as on Cloudflare — a script
//! cannot time its own computation (a Spectre-style timer), and `Date.now()` in a busy loop does
//! not move. `coarse` gives real time at 100 µs resolution; `precise` the host's clocks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What `Date.now()` and `performance.now()` (and timers' notion of "now") read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// Time stands still while the script computes and advances when it waits on I/O or a
    /// timer (the default for untrusted code, as on Cloudflare).
    #[default]
    Frozen,
    /// Real time, rounded down to 100 µs.
    Coarse,
    /// The host's clocks, unrounded (for trusted code and debugging).
    Precise,
}

/// Resolution of [`Clock::Coarse`].
const COARSE: u64 = 100_000;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

fn real_mono_ns() -> u64 {
    origin().elapsed().as_nanos() as u64
}

fn real_wall() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// The time a frozen clock shows: set when the sandbox's call is resumed after a wait.
#[derive(Debug)]
pub(crate) struct FrozenTime {
    mono_ns: AtomicU64,
    wall_ns: AtomicU64,
}

impl FrozenTime {
    pub(crate) fn new() -> Arc<Self> {
        let t = Arc::new(FrozenTime {
            mono_ns: AtomicU64::new(0),
            wall_ns: AtomicU64::new(0),
        });
        t.advance();
        t
    }

    /// Move to the real time now (the script waited).
    pub(crate) fn advance(&self) {
        self.mono_ns.store(real_mono_ns(), Ordering::Relaxed);
        self.wall_ns
            .store(real_wall().as_nanos() as u64, Ordering::Relaxed);
    }
}

struct Mono(Option<Arc<FrozenTime>>, u64);
struct Wall(Option<Arc<FrozenTime>>, u64);

impl wasmtime_wasi::HostMonotonicClock for Mono {
    fn resolution(&self) -> u64 {
        self.1
    }
    fn now(&self) -> u64 {
        match &self.0 {
            Some(f) => f.mono_ns.load(Ordering::Relaxed),
            None => real_mono_ns() / self.1 * self.1,
        }
    }
}

impl wasmtime_wasi::HostWallClock for Wall {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(self.1)
    }
    fn now(&self) -> Duration {
        match &self.0 {
            Some(f) => Duration::from_nanos(f.wall_ns.load(Ordering::Relaxed)),
            None => {
                let ns = real_wall().as_nanos() as u64;
                Duration::from_nanos(ns / self.1 * self.1)
            }
        }
    }
}

/// Set `builder`'s clocks for `clock`; returns the frozen time to advance, if frozen.
pub(crate) fn install(
    clock: Clock,
    builder: &mut wasmtime_wasi::WasiCtxBuilder,
) -> Option<Arc<FrozenTime>> {
    match clock {
        Clock::Precise => None,
        Clock::Coarse => {
            builder.monotonic_clock(Mono(None, COARSE));
            builder.wall_clock(Wall(None, COARSE));
            None
        }
        Clock::Frozen => {
            let t = FrozenTime::new();
            builder.monotonic_clock(Mono(Some(t.clone()), 1));
            builder.wall_clock(Wall(Some(t.clone()), 1));
            Some(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

    #[test]
    fn frozen_stands_still_until_advanced_and_coarse_rounds() {
        let t = FrozenTime::new();
        let mono = Mono(Some(t.clone()), 1);
        let wall = Wall(Some(t.clone()), 1);
        let (m0, w0) = (mono.now(), wall.now());
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!((mono.now(), wall.now()), (m0, w0));
        t.advance();
        assert!(mono.now() >= m0 + 5_000_000);
        assert!(wall.now() >= w0 + Duration::from_millis(5));
        let coarse = Mono(None, COARSE);
        assert_eq!(coarse.now() % COARSE, 0);
        assert_eq!(Wall(None, COARSE).now().as_nanos() % COARSE as u128, 0);
    }
}
