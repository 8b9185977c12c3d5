//! Instructions per operation, counted under valgrind (callgrind): a measure of CPU cost that does
//! not move with the machine's load, for before/after comparisons on a shared VM where criterion's
//! medians move by 2x between runs. `make bench-count` (installs valgrind if missing), or
//! `cargo bench --workspace --bench count`.
//!
//! For each operation it runs itself twice under valgrind, with `SMALL` and `LARGE` repetitions,
//! and prints `(count(LARGE) - count(SMALL)) / (LARGE - SMALL)`: the startup (engine load, the
//! first instance) cancels out. Operations:
//! - `fetch_cached`: `fetch` on a worker from `get()` (warm instance, module already evaluated);
//! - `load_fetch_unique`: `load()` + first `fetch` of code never seen before (the cold path).
//!
//! Valgrind runs the wasm code as wasmtime compiled it for the CPU valgrind presents (the engine
//! is compiled once for it and cached, ~90 s the first time). Counts are exact to about 1 in
//! 100,000 run to run; they are instructions, not time (a cache miss costs more than an add).

use std::process::Command;

use bytes::Bytes;
use wasm_sandbox::{Config, Limits, Loader, WorkerCode};
use wasm_sandbox_benches::{unique_script, HELLO};

const OPS: &[(&str, u64, u64)] = &[("fetch_cached", 100, 600), ("load_fetch_unique", 20, 120)];

fn main() {
    if let (Ok(op), Ok(n)) = (std::env::var("COUNT_OP"), std::env::var("COUNT_N")) {
        run(&op, n.parse().expect("COUNT_N"));
        return;
    }
    let exe = std::env::current_exe().expect("current_exe");
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!(
            "count: valgrind is not installed (`make bench-count` installs it); nothing measured"
        );
        return;
    }
    for &(op, small, large) in OPS {
        let counts: Vec<u64> = [small, large]
            .iter()
            .map(|n| instructions(&exe, op, *n))
            .collect();
        let per_op = (counts[1] as f64 - counts[0] as f64) / (large - small) as f64;
        println!(
            "{op:<20} {per_op:>12.0} instructions per operation  ({small}: {}, {large}: {})",
            counts[0], counts[1]
        );
    }
}

/// Run `op` `n` times in a child under callgrind; the instructions it executed (all threads).
fn instructions(exe: &std::path::Path, op: &str, n: u64) -> u64 {
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            // wasmtime's code is generated at run time (or mapped from its cache).
            "--smc-check=all-non-file",
        ])
        .arg(exe)
        .env("COUNT_OP", op)
        .env("COUNT_N", n.to_string())
        .output()
        .expect("valgrind");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "count: {op} x{n} failed under valgrind:\n{text}"
    );
    text.lines()
        .find_map(|l| {
            let (_, rest) = l.split_once("Collected :")?;
            rest.trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("count: no instruction count in valgrind's output:\n{text}"))
}

fn request() -> http::Request<Bytes> {
    http::Request::get("https://worker/")
        .body(Bytes::new())
        .unwrap()
}

fn run(op: &str, n: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // A small pool (valgrind cannot reserve the default's address space) and generous time
        // limits (everything runs ~50x slower under valgrind).
        let loader = Loader::new(Config {
            max_instances: 4,
            cache_max_workers: 2,
            limits: Limits {
                cpu_time: std::time::Duration::from_secs(60),
                wall_time: std::time::Duration::from_secs(120),
                ..Limits::default()
            },
            ..Config::default()
        })
        .await
        .unwrap();
        let cached = loader
            .get("bench", || async { Ok(WorkerCode::js("worker.js", HELLO)) })
            .await
            .unwrap();
        for i in 0..n {
            let response = match op {
                "fetch_cached" => cached.entrypoint(None).fetch(request()).await,
                "load_fetch_unique" => {
                    let w = loader
                        .load(WorkerCode::js("w.js", unique_script(5000 + i)))
                        .unwrap();
                    w.entrypoint(None).fetch(request()).await
                }
                other => panic!("count: no operation {other}"),
            };
            assert_eq!(response.unwrap().status(), 200);
        }
    });
}
