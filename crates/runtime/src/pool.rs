//! The sandbox pool: how many sandboxes may live and run, what they share (the engine, the
//! long-running lane, the observer), the warm instances every worker keeps, and the idle
//! trimmer. When the pool is full, it asks its [`Evict`] (given at construction: the loader's
//! cache) to free the warm instances of a cached worker.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use anyhow::Context as _;

use crate::config::{Config, Limits};
use crate::engine::{Engine, Periodic};
use crate::error::{Error, Result};
use crate::observe::Observer;
use crate::sandbox::lane::LongLane;
use crate::sandbox::trim::{self, TrimStats};
use crate::sandbox::Sandbox;

/// Frees idle warm instances when the pool is full.
pub(crate) trait Evict: Send + Sync {
    /// Evict one victim (the least recently used cached worker with warm instances); whether
    /// anything was freed.
    fn evict_one(&self) -> bool;
}

/// Engine-wide state shared by every worker of a loader.
pub(crate) struct Pool {
    pub(crate) engine: Engine,
    evict: Box<dyn Evict>,
    /// Every live worker's warm set, for the idle trimmer.
    pub(crate) workers: Arc<WorkerRegistry>,
    /// Where calls that compute for long finish (lower OS priority).
    pub(crate) lane: LongLane,
    /// Tail events, invocation numbers, metering.
    pub(crate) observer: Arc<Observer>,
    /// Sandboxes alive now (in use or kept warm): the pool's occupancy.
    pub(crate) live_instances: Arc<AtomicUsize>,
    /// Sandboxes checked out for a call now (not idle warm ones).
    pub(crate) busy_instances: Arc<AtomicUsize>,
    /// Children's tail deliveries in flight.
    pub(crate) tails: crate::observe::tails::TailQueue,
    _trimmer: Option<Periodic>,
}

impl Pool {
    pub(crate) fn new(config: Config, evict: Box<dyn Evict>) -> anyhow::Result<Self> {
        let lane = LongLane::new(config.max_running).context("starting the long-running lane")?;
        let engine = Engine::new(config)?;
        let workers = Arc::new(WorkerRegistry::default());
        let trimmer = engine.config.idle_trim_after.map(|after| {
            let workers = workers.clone();
            Periodic::start("wasm-sandbox-trim", trim::period(after), move || {
                let stats = workers.trim_idle(after);
                if stats.instances > 0 {
                    tracing::debug!(
                        instances = stats.instances,
                        kib = stats.bytes / 1024,
                        "trimmed idle instances"
                    );
                }
            })
        });
        Ok(Pool {
            engine,
            evict,
            workers,
            lane,
            observer: Arc::default(),
            live_instances: Arc::default(),
            busy_instances: Arc::default(),
            tails: Default::default(),
            _trimmer: trimmer,
        })
    }

    pub(crate) fn config(&self) -> &Config {
        &self.engine.config
    }

    /// A fresh sandbox, with nothing loaded.
    pub(crate) async fn sandbox(&self, limits: &Limits) -> Result<Sandbox> {
        Sandbox::new(&self.engine, &self.live_instances, limits).await
    }

    /// A fresh sandbox. A full pool is usually full of idle warm instances of cached workers:
    /// evict those (least recently used first) and try again, rather than refuse the request.
    pub(crate) async fn sandbox_or_evict(&self, limits: &Limits) -> Result<Sandbox> {
        for _ in 0..8 {
            match self.sandbox(limits).await {
                Err(Error::Capacity(_)) => {
                    if !self.evict.evict_one() && !self.workers.release_oldest_idle() {
                        break;
                    }
                }
                other => return other,
            }
        }
        self.sandbox(limits).await
    }
}

/// The idle warm instances of one worker, and the memory they hold.
#[derive(Default)]
pub(crate) struct WarmSet {
    pub(crate) idle: Mutex<Vec<Sandbox>>,
    pub(crate) bytes: AtomicU64,
}

/// Every live worker of an engine (weakly: dropping a worker drops its instances), for the idle
/// trimmer.
#[derive(Default)]
pub(crate) struct WorkerRegistry {
    workers: Mutex<Registered>,
}

#[derive(Default)]
struct Registered {
    list: Vec<Weak<WarmSet>>,
    /// Prune dropped workers when the list reaches this length (amortised, so registering stays
    /// O(1) even when nothing sweeps).
    prune_at: usize,
}

impl WorkerRegistry {
    pub(crate) fn register(&self, worker: &Arc<WarmSet>) {
        let mut r = self.workers.lock().unwrap();
        r.list.push(Arc::downgrade(worker));
        if r.list.len() >= r.prune_at {
            r.list.retain(|w| w.strong_count() > 0);
            r.prune_at = (r.list.len() * 2).max(256);
        }
    }

    /// Drop the instance idle the longest of any worker (cached or not: a worker from `load()`,
    /// a Worker Loader's child), giving its pool slot back; whether there was one. The pool's
    /// last resort when it is full and the cache has no victim: a worker that loses its warm
    /// instance starts cold on its next request.
    pub(crate) fn release_oldest_idle(&self) -> bool {
        let workers: Vec<Weak<WarmSet>> = {
            let mut r = self.workers.lock().unwrap();
            r.list.retain(|w| w.strong_count() > 0);
            r.list.clone()
        };
        let oldest = workers
            .iter()
            .filter_map(Weak::upgrade)
            .filter_map(|w| {
                let since = w
                    .idle
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|sb| sb.idle_since)
                    .min()?;
                Some((since, w))
            })
            .min_by_key(|(since, _)| *since);
        let Some((_, w)) = oldest else { return false };
        let released = {
            let mut idle = w.idle.lock().unwrap();
            let Some(i) = (0..idle.len()).min_by_key(|&i| idle[i].idle_since) else {
                return false;
            };
            idle.swap_remove(i)
        };
        w.bytes
            .fetch_sub(released.memory_bytes() as u64, Ordering::Relaxed);
        drop(released);
        true
    }

    /// Release the clean pages of every instance that has been idle for at least `idle_for` and
    /// was not trimmed since it last ran (see [`crate::sandbox::trim`]).
    pub(crate) fn trim_idle(&self, idle_for: Duration) -> TrimStats {
        let workers: Vec<Weak<WarmSet>> = {
            let mut r = self.workers.lock().unwrap();
            r.list.retain(|w| w.strong_count() > 0);
            r.list.clone()
        };
        let mut stats = TrimStats::default();
        // One worker held at a time: holding them all for the pass would keep every worker
        // evicted meanwhile (and its instances) alive until the pass ends.
        for w in workers.iter().filter_map(Weak::upgrade) {
            // Held per worker while its (at most a few) idle instances are trimmed: a request
            // for it meanwhile waits that long rather than starting a cold instance.
            let mut idle = w.idle.lock().unwrap();
            for sb in idle
                .iter_mut()
                .filter(|sb| !sb.trimmed && sb.idle_since.elapsed() >= idle_for)
            {
                // The cache counts what the instance really holds from now on.
                let before = sb.memory_bytes() as u64;
                let t = sb.trim();
                let after = sb.memory_bytes() as u64;
                w.bytes.fetch_add(after, Ordering::Relaxed);
                w.bytes.fetch_sub(before, Ordering::Relaxed);
                stats.bytes += t.released;
                stats.instances += 1;
                sb.trimmed = true;
            }
        }
        stats
    }
}
