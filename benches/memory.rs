//! In-process memory probe: RSS growth per cached worker, split by stage (bare instance, modules
//! evaluated, one request served). `cargo bench -p wasm-sandbox-benches --bench memory`.

use bytes::Bytes;
use wasm_sandbox::{Config, Loader, WorkerCode};
use wasm_sandbox_benches::unique_script;

/// (Rss, Pss, Private_Dirty, Private_Clean) in KiB from /proc/self/smaps_rollup.
fn rollup() -> (f64, f64, f64, f64) {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    (
        get("Rss:"),
        get("Pss:"),
        get("Private_Dirty:"),
        get("Private_Clean:"),
    )
}

fn rss_kib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(f64::NAN)
}

/// Private dirty KiB per mapping (start address -> (size KiB, dirty KiB, name)).
fn smaps() -> std::collections::BTreeMap<String, (u64, u64, String)> {
    let text = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    let mut out = std::collections::BTreeMap::new();
    let mut current: Option<(String, u64, String)> = None;
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            let (a, b) = first.split_once('-').unwrap();
            let size = (u64::from_str_radix(b, 16).unwrap_or(0)
                - u64::from_str_radix(a, 16).unwrap_or(0))
                / 1024;
            let name = line
                .split_whitespace()
                .nth(5)
                .unwrap_or("[anon]")
                .to_string();
            current = Some((a.to_string(), size, name));
        } else if let Some(v) = line.strip_prefix("Private_Dirty:") {
            if let Some((a, size, name)) = &current {
                let kib: u64 = v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0);
                out.insert(a.clone(), (*size, kib, name.clone()));
            }
        }
    }
    out
}

fn diff(
    before: &std::collections::BTreeMap<String, (u64, u64, String)>,
    after: &std::collections::BTreeMap<String, (u64, u64, String)>,
    n: usize,
) {
    let mut rows: Vec<(i64, u64, String)> = after
        .iter()
        .map(|(a, (size, dirty, name))| {
            (
                *dirty as i64 - before.get(a).map(|b| b.1 as i64).unwrap_or(0),
                *size,
                name.clone(),
            )
        })
        .filter(|(d, _, _)| d.abs() > 256)
        .collect();
    rows.sort();
    for (d, size, name) in rows.iter().rev().take(6) {
        println!(
            "  mapping {:>12} KiB {name}: {:+.1} KiB per worker",
            size,
            *d as f64 / n as f64
        );
    }
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
        let maps0 = smaps();
        let mut held = Vec::new();
        for i in 0..N {
            let w = loader.load(WorkerCode::js("w.js", unique_script(1000 + i as u64))).unwrap();
            w.prewarm().await.unwrap();
            held.push(w);
        }
        let loaded = rss_kib();
        diff(&maps0, &smaps(), N);
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
    });
}
