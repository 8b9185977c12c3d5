//! In-process memory probe: RSS growth per cached worker, split by stage (bare instance, modules
//! evaluated, one request served), then once its idle instance is trimmed. `cargo bench --workspace --bench memory`.

use bytes::Bytes;
use wasm_sandbox::{Config, Loader, WorkerCode};
use wasm_sandbox_benches::{proc_kib, unique_script};

/// (Rss, Pss, Private_Dirty, Private_Clean) of this process, KiB.
fn rollup() -> (f64, f64, f64, f64) {
    let get = |key| proc_kib("self", "smaps_rollup", key);
    (
        get("Rss"),
        get("Pss"),
        get("Private_Dirty"),
        get("Private_Clean"),
    )
}

fn rss_kib() -> f64 {
    proc_kib("self", "status", "VmRSS")
}

fn main() {
    const N: usize = 500;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let loader = Loader::new(Config { max_instances: 1200, cache_max_workers: 1200, ..Config::default() }).await.unwrap();
        // Warm the process up (allocator, engine) before measuring.
        for i in 0..20 {
            let w = loader.load(WorkerCode::js("w.js", unique_script(i))).unwrap();
            w.entrypoint(None).fetch(http::Request::get("https://w/").body(Bytes::new()).unwrap()).await.unwrap();
        }
        let before = rss_kib();
        let r0 = rollup();
        let mut held = Vec::new();
        for i in 0..N {
            let w = loader.load(WorkerCode::js("w.js", unique_script(1000 + i as u64))).unwrap();
            w.prewarm().await.unwrap();
            held.push(w);
        }
        let loaded = rss_kib();
        for w in &held {
            w.entrypoint(None).fetch(http::Request::get("https://w/").body(Bytes::new()).unwrap()).await.unwrap();
        }
        let served = rss_kib();
        let r1 = rollup();
        println!(
            "per worker (after one request): Rss {:+.0} KiB, Pss {:+.0} KiB, Private_Dirty {:+.0} KiB, Private_Clean {:+.0} KiB",
            (r1.0 - r0.0) / N as f64,
            (r1.1 - r0.1) / N as f64,
            (r1.2 - r0.2) / N as f64,
            (r1.3 - r0.3) / N as f64
        );
        let footprint: u64 = held.iter().map(|w| w.footprint_bytes()).sum::<u64>() / N as u64;
        println!(
            "per worker: modules evaluated {:.0} KiB, + one request {:.0} KiB, total {:.0} KiB (linear memory size {} KiB)",
            (loaded - before) / N as f64,
            (served - loaded) / N as f64,
            (served - before) / N as f64,
            footprint / 1024
        );
        // Idle: the trimmer (`Config::idle_trim_after`, 1 s by default) gives back the pages an
        // idle instance only read and the written ones that hold the snapshot's bytes again
        // (reference counts a request raised and lowered). What is left is what a cached worker
        // costs while it waits. Bounded: at most 20 s.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while held.iter().any(|w| w.trimmed_instances() < w.warm_instances())
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let trimmed = held.iter().filter(|w| w.warm_instances() > 0 && w.trimmed_instances() == w.warm_instances()).count();
        let r2 = rollup();
        let owned: u64 = held.iter().map(|w| w.footprint_bytes()).sum::<u64>() / N as u64;
        println!(
            "per worker (idle, trimmed: {trimmed} of {N}): Pss {:+.0} KiB, Private_Dirty {:+.0} KiB; linear memory it still owns {} KiB",
            (r2.1 - r0.1) / N as f64,
            (r2.2 - r0.2) / N as f64,
            owned / 1024
        );
    });
}
