//! The [`Loader`]: makes workers from code, and caches them by id (Cloudflare's Worker Loader).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::code::WorkerCode;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::host::binding::{BoxFuture, Child, ChildCode, Spawn, WorkerLoader};
use crate::host::Binding;
use crate::pool::{Evict, Pool};
use crate::worker::Worker;

/// Loads workers. Create one per process (it owns the engine, its pool and the worker cache) and
/// share it: it is cheap to clone.
///
/// ```no_run
/// # async fn demo() -> Result<(), wasm_sandbox::Error> {
/// use wasm_sandbox::{Config, Loader, WorkerCode};
/// let loader = Loader::new(Config::default()).await?;
/// let code = r#"export default { fetch(req) { return new Response("Hello from a dynamic Worker!"); } }"#;
/// let worker = loader.load(WorkerCode::js("worker.js", code))?;
/// let request = http::Request::get("https://worker/").body(bytes::Bytes::new()).unwrap();
/// let response = worker.entrypoint(None).fetch(request).await?;
/// assert_eq!(response.body(), "Hello from a dynamic Worker!");
/// // Cached by id: the closure only runs when "tenant-123" is not cached.
/// let cached = loader.get("tenant-123", || async { Ok(WorkerCode::js("worker.js", code)) }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Loader {
    inner: Arc<LoaderInner>,
}

struct LoaderInner {
    host: Arc<Pool>,
    cache: Arc<Mutex<Cache>>,
}

/// The pool's way to free warm instances when it is full: evict the least recently used cached
/// worker that has any.
struct EvictFromCache(std::sync::Weak<Mutex<Cache>>);

impl Evict for EvictFromCache {
    fn evict_one(&self) -> bool {
        self.0
            .upgrade()
            .is_some_and(|cache| evict_lru(&cache, None))
    }
}

#[derive(Default)]
struct Cache {
    entries: HashMap<String, Entry>,
    clock: u64,
    evictions: u64,
}

impl Cache {
    /// Footprint of every loaded cached worker (warm instance memory + source).
    fn footprint_bytes(&self) -> u64 {
        self.entries
            .values()
            .filter_map(|e| e.cell.get())
            .map(|w| w.footprint_bytes())
            .sum()
    }
}

struct Entry {
    cell: Arc<OnceCell<Worker>>,
    last_used: u64,
}

/// Sandbox pool occupancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Sandboxes alive now (running a request or kept warm).
    pub live: usize,
    /// The most that may be alive at once ([`Config::max_instances`]).
    pub capacity: usize,
    /// Sandboxes executing guest code now (holding a running permit).
    pub running: usize,
    /// The most that ran at once since the start (at most `max_running`).
    pub running_peak: usize,
    /// The running permits ([`Config::max_running`], resolved).
    pub max_running: usize,
    /// Times a sandbox ready to run waited for a running permit.
    pub running_waits: u64,
}

/// A snapshot of the worker cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Workers cached now.
    pub workers: usize,
    /// Their footprint (warm instance memory + source), bytes.
    pub bytes: u64,
    /// Workers evicted since the loader started.
    pub evictions: u64,
}

impl Loader {
    /// Start a loader: build the engine, load (or compile once and cache) the engine component,
    /// pre-instantiate it and start the epoch ticker.
    pub async fn new(config: Config) -> Result<Self> {
        let cache = Arc::new(Mutex::new(Cache::default()));
        let evict = Box::new(EvictFromCache(Arc::downgrade(&cache)));
        let host = tokio::task::spawn_blocking(move || Pool::new(config, evict))
            .await
            .map_err(|e| Error::Host(anyhow::anyhow!("engine setup panicked: {e}")))??;
        let inner = Arc::new(LoaderInner {
            host: Arc::new(host),
            cache,
        });
        Ok(Loader { inner })
    }

    /// The configuration this loader runs with.
    pub fn config(&self) -> &Config {
        self.inner.host.config()
    }

    /// A Worker Loader binding (`env.LOADER`) for a worker: it loads children through this
    /// loader, each given only what its parent passes it (see the README's "Supervisors as
    /// Workers"). `scope` keeps its `get` ids apart from every other scope's: give each parent
    /// worker (and tenant) its own, e.g. `"tenant-a/host"`. The binding holds this loader weakly
    /// (a cached worker holding it does not keep the loader alive).
    pub fn worker_loader(&self, scope: impl Into<String>) -> Binding {
        Binding::Loader(WorkerLoader {
            spawn: Arc::new(Spawner(Arc::downgrade(&self.inner))),
            scope: Arc::from(scope.into()),
        })
    }

    /// A new worker for `code`, never cached and never shared: every call gives a fresh one.
    /// The code is checked here; its modules are evaluated on its first request.
    pub fn load(&self, code: WorkerCode) -> Result<Worker> {
        Worker::new(self.inner.host.clone(), None, code)
    }

    /// The worker cached under `id`; `code` is called only when there is none (a miss), and its
    /// worker is cached. Concurrent calls for one id share a single `code` call. Cached workers
    /// keep their warm instances (module state persists) until evicted, least recently used
    /// first, beyond [`Config::cache_max_workers`] or [`Config::cache_max_bytes`].
    pub async fn get<F, Fut>(&self, id: &str, code: F) -> Result<Worker>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = anyhow::Result<WorkerCode>>,
    {
        self.get_traced(id, code).await.map(|(w, _)| w)
    }

    /// Like [`get`](Self::get), also telling whether `code` was called (`true` on a miss).
    pub async fn get_traced<F, Fut>(&self, id: &str, code: F) -> Result<(Worker, bool)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = anyhow::Result<WorkerCode>>,
    {
        let cell = {
            let mut cache = self.inner.cache.lock().unwrap();
            cache.clock += 1;
            let now = cache.clock;
            let entry = cache.entries.entry(id.to_owned()).or_insert_with(|| Entry {
                cell: Arc::new(OnceCell::new()),
                last_used: now,
            });
            entry.last_used = now;
            entry.cell.clone()
        };
        let mut fresh = false;
        let worker = cell
            .get_or_try_init(|| async {
                fresh = true;
                let code = code().await.map_err(Error::Host)?;
                Worker::new(self.inner.host.clone(), Some(id.to_owned()), code)
            })
            .await;
        let worker = match worker {
            Ok(w) => w.clone(),
            Err(e) => {
                // Forget the failed entry so the next call tries again.
                let mut cache = self.inner.cache.lock().unwrap();
                if cache
                    .entries
                    .get(id)
                    .is_some_and(|e| Arc::ptr_eq(&e.cell, &cell))
                {
                    cache.entries.remove(id);
                }
                return Err(e);
            }
        };
        self.evict(Some(id));
        Ok((worker, fresh))
    }

    /// Create one sandbox from the pre-instantiated engine and drop it: the bare instantiate
    /// path (pool slot, copy-on-write memory, store) with no script. A health check, and the
    /// baseline the benches compare against. Returns how long it took.
    pub async fn probe(&self) -> Result<std::time::Duration> {
        let started = std::time::Instant::now();
        let sandbox = self
            .inner
            .host
            .sandbox(&self.inner.host.config().limits)
            .await?;
        drop(sandbox);
        Ok(started.elapsed())
    }

    /// Give back the snapshot pages that instances idle for at least `idle_for` only read (the
    /// background trimmer does this every [`Config::idle_trim_after`]; call it under memory
    /// pressure to do it now). Module state is kept; the next request faults what it touches
    /// back in.
    pub fn trim_idle(&self, idle_for: std::time::Duration) -> crate::TrimStats {
        self.inner.host.workers.trim_idle(idle_for)
    }

    /// Drop the cached worker for `id`, if any. Returns whether there was one.
    pub fn forget(&self, id: &str) -> bool {
        self.inner
            .cache
            .lock()
            .unwrap()
            .entries
            .remove(id)
            .is_some()
    }

    /// How many workers are cached, their footprint, and evictions so far.
    pub fn cache_stats(&self) -> CacheStats {
        let cache = self.inner.cache.lock().unwrap();
        CacheStats {
            workers: cache.entries.len(),
            bytes: cache.footprint_bytes(),
            evictions: cache.evictions,
        }
    }

    /// How many sandboxes are alive, of how many the pool allows.
    pub fn pool_stats(&self) -> PoolStats {
        use std::sync::atomic::Ordering::Relaxed;
        let lane = &self.inner.host.lane;
        PoolStats {
            live: self
                .inner
                .host
                .live_instances
                .load(std::sync::atomic::Ordering::Relaxed),
            capacity: self.inner.host.config().max_instances as usize,
            running: lane.running_stats().now.load(Relaxed),
            running_peak: lane.running_stats().peak.load(Relaxed),
            max_running: lane.max_running(),
            running_waits: lane.running_stats().waits.load(Relaxed),
        }
    }

    /// Metering of the workers given `account` ([`WorkerCode::account`](crate::WorkerCode)):
    /// their anonymous workers together and their daily totals (empty for an account that
    /// never ran). Ids are in [`usage`](Self::usage).
    pub fn account_usage(&self, account: &str) -> crate::AccountUsage {
        self.inner.host.observer.account_usage(account)
    }

    /// Subscribe to the tail of every worker of this loader: each invocation's start, console
    /// lines, outbound attempts, exception and outcome, as they happen (see [`crate::observe`]).
    /// Filter by [`TailEvent::worker`](crate::TailEvent::worker) for one id.
    pub fn tail(&self) -> crate::Tail {
        self.inner.host.observer.subscribe(None)
    }

    /// Metering since this loader started: requests, errors and CPU time per worker id, and
    /// unique workers loaded per UTC day.
    pub fn usage(&self) -> crate::Usage {
        self.inner.host.observer.usage()
    }

    /// Metering of one worker id (`None` if it never ran).
    pub fn worker_usage(&self, id: &str) -> Option<crate::WorkerUsage> {
        self.inner.host.observer.worker_usage(id)
    }

    /// Evict the least recently used cached worker that holds warm instances (pool pressure).
    /// Returns whether one was evicted.
    /// Evict least-recently-used workers until the cache is within its bounds. `keep` (the id
    /// just used) is never evicted.
    fn evict(&self, keep: Option<&str>) {
        let config = self.inner.host.config();
        let mut evicted = Vec::new();
        {
            let mut cache = self.inner.cache.lock().unwrap();
            let mut bytes = cache.footprint_bytes();
            while cache.entries.len() > config.cache_max_workers.max(1)
                || bytes > config.cache_max_bytes
            {
                let victim = cache
                    .entries
                    .iter()
                    .filter(|(id, e)| Some(id.as_str()) != keep && e.cell.initialized())
                    .min_by_key(|(_, e)| e.last_used)
                    .map(|(id, _)| id.clone());
                let Some(victim) = victim else { break };
                if let Some(e) = cache.entries.remove(&victim) {
                    bytes = bytes
                        .saturating_sub(e.cell.get().map(|w| w.footprint_bytes()).unwrap_or(0));
                    cache.evictions += 1;
                    tracing::debug!(id = %victim, "evicted cached worker");
                    evicted.push(e);
                }
            }
        }
        // As in `evict_lru`: the memory comes back even while the worker is still held.
        for w in evicted.iter().filter_map(|e| e.cell.get()) {
            w.release_idle();
        }
    }
}

/// Evict the least recently used cached worker that has warm instances (never `keep`); whether
/// there was one.
fn evict_lru(cache: &Mutex<Cache>, keep: Option<&str>) -> bool {
    let evicted = {
        let mut cache = cache.lock().unwrap();
        let victim = cache
            .entries
            .iter()
            .filter(|(id, e)| {
                Some(id.as_str()) != keep && e.cell.get().is_some_and(|w| w.warm_instances() > 0)
            })
            .min_by_key(|(_, e)| e.last_used)
            .map(|(id, _)| id.clone());
        let Some(victim) = victim else { return false };
        let entry = cache.entries.remove(&victim);
        cache.evictions += 1;
        tracing::debug!(id = %victim, "evicted cached worker (instance pool full)");
        entry
    };
    // Outside the cache lock: the slots come back now even if something else still holds
    // the worker, and dropping instances does not stall other lookups.
    if let Some(w) = evicted.as_ref().and_then(|e| e.cell.get()) {
        w.release_idle();
    }
    true
}

/// Most children one Worker Loader binding keeps cached by `get` id: past it, its least
/// recently used child is dropped, so one parent (one tenant) cycling through ids cannot push
/// every other worker out of the shared cache.
pub const MAX_CACHED_CHILDREN_PER_LOADER: usize = 64;

impl Loader {
    /// Before caching `key` (a Worker Loader's scoped id): drop the scope's least recently used
    /// child if the scope already holds [`MAX_CACHED_CHILDREN_PER_LOADER`].
    fn make_room_in_scope(&self, key: &str) {
        let Some(cut) = key.rfind('\0') else { return };
        let scope = &key[..=cut];
        let victim = {
            let mut cache = self.inner.cache.lock().unwrap();
            let mut n = 0;
            let mut oldest: Option<(&String, u64)> = None;
            for (id, e) in cache
                .entries
                .iter()
                .filter(|(id, _)| id.starts_with(scope) && id.as_str() != key)
            {
                n += 1;
                if oldest.is_none_or(|(_, t)| e.last_used < t) {
                    oldest = Some((id, e.last_used));
                }
            }
            if n < MAX_CACHED_CHILDREN_PER_LOADER {
                return;
            }
            let Some(id) = oldest.map(|(id, _)| id.clone()) else {
                return;
            };
            cache.evictions += 1;
            cache.entries.remove(&id)
        };
        if let Some(w) = victim.as_ref().and_then(|e| e.cell.get()) {
            w.release_idle();
        }
    }
}

/// A Worker Loader binding's way back to the loader that made it.
struct Spawner(std::sync::Weak<LoaderInner>);

impl Spawner {
    fn loader(&self) -> std::result::Result<Loader, String> {
        self.0
            .upgrade()
            .map(|inner| Loader { inner })
            .ok_or_else(|| "the loader has shut down".to_string())
    }
}

fn worker_code(c: ChildCode) -> WorkerCode {
    WorkerCode {
        main_module: c.main_module,
        modules: c.modules,
        env: c.env,
        limits: Some(c.limits),
        compatibility_date: c.compatibility_date,
        compatibility_flags: c.compatibility_flags,
        global_outbound: c.global_outbound,
        bindings: c.bindings,
        max_subrequests: c.max_subrequests,
        account: c.account,
        tails: c.tails,
        ..WorkerCode::default()
    }
}

impl Spawn for Spawner {
    fn load(&self, code: ChildCode) -> std::result::Result<Arc<dyn Child>, String> {
        let worker = self
            .loader()?
            .load(worker_code(code))
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(worker))
    }

    fn lookup(&self, key: &str) -> Option<Arc<dyn Child>> {
        let loader = self.loader().ok()?;
        let cache = loader.inner.cache.lock().unwrap();
        let worker = cache.entries.get(key)?.cell.get()?.clone();
        Some(Arc::new(worker))
    }

    fn put(
        &self,
        key: String,
        code: ChildCode,
    ) -> BoxFuture<std::result::Result<Arc<dyn Child>, String>> {
        let loader = self.loader();
        Box::pin(async move {
            let loader = loader?;
            loader.make_room_in_scope(&key);
            let worker = loader
                .get(&key, || async move { Ok(worker_code(code)) })
                .await
                .map_err(|e| e.to_string())?;
            Ok(Arc::new(worker) as Arc<dyn Child>)
        })
    }
}
