//! Instructions per operation, counted under valgrind (callgrind): a measure of CPU cost that does
//! not move with the machine's load, for before/after comparisons on a shared VM where criterion's
//! medians move by 2x between runs. `make bench-count` (installs valgrind if missing), or
//! `cargo bench --workspace --bench count`.
//!
//! For each operation it runs itself twice under valgrind, with `SMALL` and `LARGE` repetitions,
//! and prints `(count(LARGE) - count(SMALL)) / (LARGE - SMALL)`: the startup (engine load, the
//! first instance) cancels out. Operations:
//! - `fetch_cached`: `fetch` on a worker from `get()` (warm instance, module already evaluated);
//! - `load_fetch_unique`: `load()` + first `fetch` of code never seen before (the cold path);
//! - `service_fetch_cached`: `fetch_cached` on a worker whose handler awaits one service-binding
//!   fetch answered on the host (the guest's Request/Response plumbing, the call's round trip);
//! - `child_from_parent`: a warm parent `load()`s never-seen code through its `env.LOADER`
//!   binding and fetches it once (the bench `worker_loader/child_from_parent`);
//! - `child_from_parent_via_http`: the same parent logic without a loader, `fetch()`ing an
//!   in-process daemon's `POST /api/run` over loopback;
//! - `api_run_http`: the same never-seen code through an in-process daemon's `POST /api/run`
//!   over loopback (client, HTTP, JSON and daemon included: `worker_loader/api_run_http`).
//!
//! Valgrind runs the wasm code as wasmtime compiled it for the CPU valgrind presents (the engine
//! is compiled once for it and cached, ~90 s the first time). Counts are exact to about 1 in
//! 100,000 run to run; they are instructions, not time (a cache miss costs more than an add).

use std::process::Command;

use bytes::Bytes;
use wasm_sandbox::{Binding, Config, Limits, Loader, WorkerCode};
use wasm_sandbox_benches::{parent_http_code, post_script, unique_script, HELLO, PARENT};

const OPS: &[(&str, u64, u64)] = &[
    ("fetch_cached", 100, 600),
    ("load_fetch_unique", 20, 120),
    ("service_fetch_cached", 100, 600),
    ("child_from_parent", 20, 120),
    ("child_from_parent_via_http", 20, 120),
    ("api_run_http", 20, 120),
];

/// A worker that answers with what its service binding `SVC` answers.
const SERVICE_CALLER: &str = r#"export default { async fetch(req, env) {
  return new Response(await (await env.SVC.fetch("https://svc/")).text());
} };"#;

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
            "{op:<28} {per_op:>12.0} instructions per operation  ({small}: {}, {large}: {})",
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
            max_instances: 6,
            cache_max_workers: 4,
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
        let service = loader
            .get("service", || async {
                Ok(WorkerCode::js("worker.js", SERVICE_CALLER).with_binding(
                    "SVC",
                    Binding::service(|_req| async {
                        Ok(http::Response::new(Bytes::from_static(b"from the host")))
                    }),
                ))
            })
            .await
            .unwrap();
        let parent = loader
            .get("parent", || async {
                Ok(WorkerCode::js("parent.js", PARENT)
                    .with_binding("LOADER", loader.worker_loader("count/parent")))
            })
            .await
            .unwrap();
        let daemon = if op == "api_run_http" || op == "child_from_parent_via_http" {
            Some(Daemon::start().await)
        } else {
            None
        };
        let parent_http = match &daemon {
            Some(d) if op == "child_from_parent_via_http" => {
                let code = parent_http_code(&d.url);
                Some(
                    loader
                        .get("parent-http", || async { Ok(code) })
                        .await
                        .unwrap(),
                )
            }
            _ => None,
        };
        for i in 0..n {
            if let Some(parent) = &parent_http {
                let response = parent
                    .entrypoint(None)
                    .fetch(post_script(5000 + i))
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                continue;
            }
            if let Some(d) = &daemon {
                d.run(&unique_script(5000 + i)).await;
                continue;
            }
            let response = match op {
                "service_fetch_cached" => service.entrypoint(None).fetch(request()).await,
                "child_from_parent" => parent.entrypoint(None).fetch(post_script(5000 + i)).await,
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
        if let Some(d) = daemon {
            d.stop().await;
        }
    });
}

/// An in-process daemon on loopback and a client for its `/api/run`.
struct Daemon {
    handle: wasm_sandbox_server::Running,
    url: String,
    client: reqwest::Client,
    dir: std::path::PathBuf,
}

impl Daemon {
    async fn start() -> Daemon {
        use wasm_sandbox_server::config::{EngineConfig, LimitsConfig};
        use wasm_sandbox_server::ServerConfig;
        let dir = std::env::temp_dir().join(format!("wasm-sandbox-count-{}", std::process::id()));
        // As for the loader above: a small pool, generous time limits.
        let limits = LimitsConfig {
            cpu_ms: 60_000,
            memory_mb: 128,
            wall_ms: 120_000,
        };
        let config = ServerConfig {
            listen: "127.0.0.1:0".into(),
            data_dir: Some(dir.clone()),
            max_concurrent_requests: 4,
            limits,
            ceilings: limits,
            engine: EngineConfig {
                max_instances: 6,
                cache_max_workers: 4,
                ..EngineConfig::default()
            },
            ..ServerConfig::default()
        };
        let handle = wasm_sandbox_server::Daemon::bind(config)
            .await
            .expect("daemon")
            .spawn();
        let url = format!("http://{}/api/run", handle.local_addr());
        Daemon {
            handle,
            url,
            client: reqwest::Client::new(),
            dir,
        }
    }

    async fn run(&self, code: &str) {
        let resp = self
            .client
            .post(&self.url)
            .json(&serde_json::json!({ "code": code }))
            .send()
            .await
            .expect("POST /api/run");
        assert_eq!(resp.status(), 200);
        resp.bytes().await.expect("body");
    }

    async fn stop(self) {
        self.handle.stop().await.expect("stop");
        let _ = std::fs::remove_dir_all(self.dir);
    }
}
