//! The wasmtime side: one engine, one precompiled engine component, pre-instantiated once, and
//! the epoch ticker.
//!
//! The engine component (QuickJS + prelude, pre-initialized by wizer at build time) is embedded in
//! this crate. On first use it is compiled with Cranelift and the result cached on disk, keyed by
//! the component's hash, the wasmtime version and the engine's compilation settings; later starts
//! deserialize it in about a millisecond. Nothing is compiled on the request path.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::config::Config;
use crate::host::HostState;
use crate::wit;

/// The pre-initialized engine component (the `wasm-sandbox-engine` crate's bytes).
pub(crate) static ENGINE_WASM: &[u8] = wasm_sandbox_engine::ENGINE;

/// The engine: wasmtime's, the engine component pre-instantiated on it, and the epoch ticker
/// that drives CPU metering and preemption.
pub(crate) struct Engine {
    pub(crate) engine: wasmtime::Engine,
    pub(crate) pre: wit::EnginePre<HostState>,
    pub(crate) config: Config,
    _ticker: Periodic,
}

impl Engine {
    pub(crate) fn new(config: Config) -> anyhow::Result<Self> {
        let engine = wasmtime::Engine::new(&wasmtime_config(&config)?)?;
        let component = load_component(&engine, &config)?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        crate::host::add_to_linker(&mut linker)?;
        let pre = wit::EnginePre::new(linker.instantiate_pre(&component)?)?;
        let ticker = {
            let engine = engine.clone();
            Periodic::start_promptly("wasm-sandbox-epoch", config.epoch_tick, move || {
                engine.increment_epoch()
            })
        };
        Ok(Engine {
            engine,
            pre,
            config,
            _ticker: ticker,
        })
    }
}

fn wasmtime_config(config: &Config) -> anyhow::Result<wasmtime::Config> {
    let mut c = wasmtime::Config::new();
    c.wasm_component_model(true);
    c.epoch_interruption(true);
    c.cranelift_opt_level(wasmtime::OptLevel::Speed);
    // Instances start as copy-on-write mappings of the snapshot's memory image.
    c.memory_init_cow(true);
    // Development: `perf` names the guest's functions (QuickJS's C, the glue) from a perf map.
    if std::env::var_os("WASM_SANDBOX_PERFMAP").is_some() {
        c.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let n = config.max_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    // One engine component instance = 1 component instance with a few core instances (the
    // guest module plus wit-component's shim/fixup modules), one memory and a few tables.
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(4))
        .total_memories(n)
        .total_tables(n.saturating_mul(2))
        // Async calls run on fibers: one stack per instance that can be in a call at once.
        .total_stacks(n)
        .max_core_instances_per_component(8)
        .max_memories_per_component(2)
        .max_tables_per_component(4)
        .table_elements(20_000)
        .max_memory_size(config.max_memory_per_instance as usize)
        // Slots that held an instance keep up to KEEP_RESIDENT of memory; reuse recently used
        // slots first so that few slots ever hold any (the set of warm slots stays near the
        // peak number of live instances plus this many).
        .max_unused_warm_slots(16)
        // Reset a reused slot by copying back only the pages the last instance wrote (found with
        // Linux's PAGEMAP_SCAN, kernel >= 6.7; elsewhere the first bytes are reset and the rest
        // returned to the kernel), and keep those pages mapped. Without this every instance
        // re-faults the same pages, and each copy-on-write fault on a page it first read costs
        // a TLB shootdown (an IPI to every other core running a daemon thread): measured at 40%
        // of the cold path's CPU with two busy cores.
        .pagemap_scan(wasmtime::Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(64 * 1024);
    c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Ok(c)
}

/// Written pages a reused slot keeps mapped (reset in place): several times a typical
/// request's working set (about 350 KiB), so the usual request faults on nothing.
const KEEP_RESIDENT: usize = 2 * 1024 * 1024;

/// The cache key of the compiled engine: component bytes + wasmtime version + settings.
fn cache_key(engine: &wasmtime::Engine) -> String {
    let mut h = Sha256::new();
    h.update(ENGINE_WASM);
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let mut settings = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut settings);
    h.update(settings.finish().to_le_bytes());
    hex::encode(&h.finalize()[..12])
}

fn load_component(engine: &wasmtime::Engine, config: &Config) -> anyhow::Result<Component> {
    let dir = config.resolved_cache_dir();
    let path = dir.join(format!("engine-{}.cwasm", cache_key(engine)));
    if path.exists() {
        // SAFETY: the file is one this library wrote (atomically) into its own cache directory,
        // under a name that binds it to this exact component, wasmtime build and configuration;
        // wasmtime checks the version and settings again on load. The cache directory must not
        // be writable by anyone else (it holds native code).
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => return Ok(c),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cached engine unusable; recompiling")
            }
        }
    }
    let compiled = compile_with_progress(engine, config.progress, &path)?;
    if let Err(e) = write_atomically(&dir, &path, &compiled) {
        tracing::warn!(dir = %dir.display(), error = %e, "could not cache the compiled engine; it will be compiled again next start");
    }
    // SAFETY: `compiled` was produced by `precompile_component` on this very engine just now.
    Ok(unsafe { Component::deserialize(engine, &compiled) }?)
}

fn compile_with_progress(
    engine: &wasmtime::Engine,
    progress: bool,
    path: &Path,
) -> anyhow::Result<Vec<u8>> {
    let started = Instant::now();
    tracing::info!(cache = %path.display(), "compiling the engine component (first start only)");
    let done = Arc::new(AtomicBool::new(false));
    let ticker = progress.then(|| {
        eprint!(
            "wasm-sandbox: compiling the engine component for this machine (first start only; cached as {}) ",
            path.display()
        );
        let done = done.clone();
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                if !done.load(Ordering::Relaxed) {
                    eprint!(".");
                }
            }
        })
    });
    let result = engine.precompile_component(ENGINE_WASM);
    done.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
        eprintln!(" done in {:.1}s", started.elapsed().as_secs_f64());
    }
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "engine component compiled"
    );
    result
        .map_err(anyhow::Error::from)
        .context("compiling the engine component")
}

fn write_atomically(dir: &Path, path: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), rand_suffix()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn rand_suffix() -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    Instant::now().hash(&mut h);
    std::thread::current().id().hash(&mut h);
    h.finish()
}

/// A thread that runs a task every period (the epoch ticker, the idle trimmer); stops when
/// dropped, without waiting for the rest of its period.
pub(crate) struct Periodic {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Periodic {
    pub(crate) fn start(name: &str, period: Duration, task: impl FnMut() + Send + 'static) -> Self {
        Self::spawn(name, period, false, task)
    }

    /// Like `start`, on a thread that asks for a short time slice, so that it runs as soon as it
    /// wakes even on a CPU busy with wasm (see [`crate::sched`]).
    fn start_promptly(name: &str, period: Duration, task: impl FnMut() + Send + 'static) -> Self {
        Self::spawn(name, period, true, task)
    }

    fn spawn(
        name: &str,
        period: Duration,
        short_slice: bool,
        mut task: impl FnMut() + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                if short_slice {
                    crate::sched::request_short_slice(crate::sched::PROMPT_SLICE);
                }
                loop {
                    // Woken early only by `drop` (or spuriously, which just runs the task early).
                    std::thread::park_timeout(period);
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    task();
                }
            })
            .expect("spawning a wasm-sandbox background thread");
        Periodic {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Periodic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}
