//! `make soak`: three rounds of mixed, partly hostile traffic against a real `wasm-sandbox serve`
//! on loopback, printing per round: requests sent, unexpected outcomes, RSS / PSS / private
//! dirty memory and per cached worker, and the daemon's own request count against what was sent;
//! then, on a daemon with two tenants, one tenant's bystander p99 idle and while the other runs
//! each attack of issue 15 (service fan-out, sleepers, slow uploads).
//!
//! Traffic per round (by request number mod 100): 40% `/api/get` over 2,000 ids (the cache holds
//! 1,000: hits, misses and evictions), 20% unique `/api/run` code, 10% exceptions, 5% syntax
//! errors, 3% CPU loops, 2% memory bombs, 10% service fan-out (5 calls each to a registered
//! worker), 10% requests forwarded to that worker. Bounded: `SOAK_REQUESTS` per round (default
//! 20,000), `SOAK_ROUND_SECONDS` per round (default 150), `SOAK_CLIENTS` clients (default 4).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wasm_sandbox_benches::proc_kib;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Daemon(Child, String);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(root: &Path, work: &Path) -> Daemon {
    start_with(root, work, &[])
}

fn binary(root: &Path) -> PathBuf {
    std::env::var("WASM_SANDBOX_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/release/wasm-sandbox"))
}

fn start_with(root: &Path, work: &Path, extra: &[&str]) -> Daemon {
    let bin = binary(root);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            "soak-data",
        ])
        .args(extra)
        .current_dir(work)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting wasm-sandbox");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "daemon did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Daemon(child, base)
}

/// One request of the mix: (path, body, whether a 200 is expected).
fn request(i: u64, round: u64) -> (String, Option<Value>, bool) {
    let run = "/api/run".to_string();
    match i % 100 {
        0..=39 => {
            let id = (i * 7919 + round) % 2000;
            (
                format!("/api/get/soak-{id}"),
                Some(
                    json!({ "code": format!("let n = 0; const ID = {id}; export default {{ fetch() {{ return new Response(ID + ':' + (++n)); }} }};") }),
                ),
                true,
            )
        }
        40..=59 => (
            run,
            Some(
                json!({ "code": format!("export default {{ fetch() {{ return new Response('unique {round} {i}'); }} }};") }),
            ),
            true,
        ),
        60..=69 => (
            run,
            Some(json!({ "code": "export default { fetch() { throw new Error('boom'); } };" })),
            false,
        ),
        70..=74 => (
            run,
            Some(json!({ "code": "export default { fetch( { };" })),
            false,
        ),
        75..=77 => (
            run,
            Some(
                json!({ "code": "export default { fetch() { while (true) {} } };", "limits": { "cpuMs": 20 } }),
            ),
            false,
        ),
        78..=79 => (
            run,
            Some(
                json!({ "code": "export default { fetch() { const a = []; while (true) a.push(new Array(100000).fill(1)); } };", "limits": { "memoryMb": 32, "cpuMs": 500 } }),
            ),
            false,
        ),
        80..=89 => (
            run,
            Some(json!({
                "code": "export default { async fetch(req, env) { const r = await Promise.all([1,2,3,4,5].map(n => env.LEAF.fetch('https://leaf/' + n).then(r => r.text()))); return new Response(r.join(',')); } };",
                "bindings": { "LEAF": { "service": "leaf" } }
            })),
            true,
        ),
        _ => (format!("/workers/leaf/x{}", i % 10), None, true),
    }
}

#[derive(Default)]
struct Round {
    sent: u64,
    unexpected: u64,
    examples: Vec<String>,
}

async fn round(base: &str, round_no: u64, total: u64, clients: u64, limit: Duration) -> Round {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, base) = (next.clone(), base.to_string());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let mut r = Round::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || started.elapsed() > limit {
                    break;
                }
                let (path, body, want_ok) = request(i, round_no);
                let req = match &body {
                    Some(b) => client.post(format!("{base}{path}")).json(b),
                    None => client.get(format!("{base}{path}")),
                };
                r.sent += 1;
                let outcome = match req.send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let text = resp.text().await.unwrap_or_default();
                        let ok = if want_ok {
                            status == 200
                        } else {
                            status == 400
                        };
                        (
                            ok,
                            format!("{path}: {status} {}", &text[..text.len().min(160)]),
                        )
                    }
                    Err(e) => (false, format!("{path}: {e}")),
                };
                if !outcome.0 {
                    r.unexpected += 1;
                    if r.examples.len() < 5 {
                        r.examples.push(outcome.1);
                    }
                }
            }
            r
        }));
    }
    let mut all = Round::default();
    for t in tasks {
        let r = t.await.unwrap();
        all.sent += r.sent;
        all.unexpected += r.unexpected;
        all.examples.extend(r.examples);
    }
    all
}

fn requests_counted(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("sandbox_requests_total{") && l.contains("kind=\"fetch\""))
        .filter_map(|l| l.rsplit_once(' ').and_then(|(_, v)| v.parse::<f64>().ok()))
        .sum::<f64>() as u64
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let work = root.join("target/soak");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let total = env_u64("SOAK_REQUESTS", 20_000);
    let clients = env_u64("SOAK_CLIENTS", 4);
    let limit = Duration::from_secs(env_u64("SOAK_ROUND_SECONDS", 150));
    let daemon = start(&root, &work);
    let pid = daemon.0.id().to_string();
    let base = daemon.1.clone();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let leaf = json!({ "code": "let n = 0; export default { fetch(req) { return new Response('leaf ' + new URL(req.url).pathname + ' ' + (++n)); } };" });
    let r = http
        .put(format!("{base}/workers/leaf"))
        .json(&leaf)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let baseline_rss = proc_kib(&pid, "status", "VmRSS");
    println!(
        "soak: {total} requests per round, {clients} clients, at most {}s per round; daemon pid {pid}, baseline RSS {:.0} MiB",
        limit.as_secs(),
        baseline_rss / 1024.0
    );
    println!("| round | sent | unexpected | seconds | RSS MiB | PSS MiB | private dirty MiB | cached workers | RSS growth per cached worker KiB | daemon counted / sent |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    let mut counted_before = 0;
    let mut sent_fetch_total = 0u64;
    for round_no in 1..=3 {
        let started = Instant::now();
        let r = round(&base, round_no, total, clients, limit).await;
        let secs = started.elapsed().as_secs_f64();
        // Let the idle trimmer run (1 s) before reading memory.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss = proc_kib(&pid, "status", "VmRSS");
        let pss = proc_kib(&pid, "smaps_rollup", "Pss");
        let dirty = proc_kib(&pid, "smaps_rollup", "Private_Dirty");
        let health: Value = http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let cached = health["cachedWorkers"].as_u64().unwrap_or(0).max(1);
        let metrics = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let counted = requests_counted(&metrics);
        // Every request the daemon ran is one fetch invocation (a syntax error too: modules are
        // evaluated by the first fetch), plus the fan-out's five leaf calls.
        let invocations: u64 = (0..r.sent)
            .map(|i| if (80..=89).contains(&(i % 100)) { 6 } else { 1 })
            .sum();
        sent_fetch_total += invocations;
        let per_worker = (rss - baseline_rss) / cached as f64;
        println!(
            "| {round_no} | {} | {} | {secs:.0} | {:.0} | {:.0} | {:.0} | {cached} | {per_worker:.0} | {} / {} |",
            r.sent,
            r.unexpected,
            rss / 1024.0,
            pss / 1024.0,
            dirty / 1024.0,
            counted - counted_before,
            invocations,
        );
        for e in &r.examples {
            println!("    unexpected: {e}");
        }
        counted_before = counted;
        rows.push(json!({
            "round": round_no, "sent": r.sent, "unexpected": r.unexpected, "seconds": secs,
            "rssKib": rss, "pssKib": pss, "privateDirtyKib": dirty, "cachedWorkers": cached,
            "rssPerCachedWorkerKib": per_worker, "daemonCounted": counted, "expectedInvocations": sent_fetch_total,
        }));
    }
    drop(daemon);
    let attacks = attacks(&root, &work).await;
    let rss = |i: usize| rows[i]["rssKib"].as_f64().unwrap();
    let drift = (rss(2) - rss(1)) / rss(1) * 100.0;
    println!("RSS round 2 -> 3: {drift:+.1}% (target: within ±10%)");
    std::fs::write(
        work.join("results.json"),
        serde_json::to_string_pretty(
            &json!({ "rounds": rows, "rssDriftPercent": drift, "attacks": attacks }),
        )
        .unwrap(),
    )
    .unwrap();
    let unexpected: u64 = rows.iter().map(|r| r["unexpected"].as_u64().unwrap()).sum();
    let bystander_failed: u64 = ["fan-out", "sleepers", "slow-upload"]
        .iter()
        .map(|a| attacks[*a]["failed"].as_u64().unwrap_or(0))
        .sum();
    if unexpected > 0 || drift.abs() > 10.0 || bystander_failed > 0 {
        eprintln!("soak: {unexpected} unexpected outcomes, RSS drift {drift:+.1}%, {bystander_failed} bystander requests failed under attack");
        std::process::exit(1);
    }
}

const ATTACKER: &str = "attacker-token-0123456789abcdef";
const BYSTANDER: &str = "bystander-token-fedcba9876543210";

fn token_hash(root: &Path, token: &str) -> String {
    let out = Command::new(binary(root))
        .args(["token", "--hash", token])
        .output()
        .expect("wasm-sandbox token --hash");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// p99 (ms) and failures of `n` sequential bystander requests.
async fn bystander(base: &str, n: usize) -> (f64, usize) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let body =
        json!({ "code": "export default { fetch() { return new Response('bystander'); } };" });
    let mut lat = Vec::with_capacity(n);
    let mut failed = 0;
    for _ in 0..n {
        let started = Instant::now();
        let ok = match client
            .post(format!("{base}/api/run"))
            .bearer_auth(BYSTANDER)
            .json(&body)
            .send()
            .await
        {
            Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        lat.push(started.elapsed().as_secs_f64() * 1e3);
        if !ok {
            failed += 1;
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    (lat[(lat.len() * 99 / 100).min(lat.len() - 1)], failed)
}

/// The attacks of issue 15 (service fan-out, sleepers, slow uploads) by one tenant while another
/// tenant's bystander measures its p99 against an idle run.
async fn attacks(root: &Path, work: &Path) -> Value {
    let cfg = work.join("tenants.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[tenants]]\nname = \"attacker\"\ntoken_sha256 = \"{}\"\n[[tenants]]\nname = \"bystander\"\ntoken_sha256 = \"{}\"\n",
            token_hash(root, ATTACKER),
            token_hash(root, BYSTANDER)
        ),
    )
    .unwrap();
    let daemon = start_with(root, work, &["--config", cfg.to_str().unwrap()]);
    let base = daemon.1.clone();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let leaf = json!({ "code": "export default { async fetch() { await new Promise(r => setTimeout(r, 50)); return new Response('leaf'); } };" });
    let r = http
        .put(format!("{base}/workers/leaf"))
        .bearer_auth(ATTACKER)
        .json(&leaf)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let n = 300;
    let _ = bystander(&base, 50).await; // warm up
    let (idle, idle_failed) = bystander(&base, n).await;
    println!("attacks: bystander p99 idle {idle:.2} ms ({idle_failed} failed of {n})");
    println!("| attack | bystander p99 ms | ratio to idle | bystander failures |");
    println!("|---|---|---|---|");
    let mut out = json!({ "idleP99Ms": idle, "idleFailed": idle_failed });
    for attack in ["fan-out", "sleepers", "slow-upload"] {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        let mut conns = Vec::new();
        match attack {
            "fan-out" => {
                for _ in 0..8 {
                    let (base, stop) = (base.clone(), stop.clone());
                    tasks.push(tokio::spawn(async move {
                        let c = reqwest::Client::builder().no_proxy().build().unwrap();
                        let body = json!({
                            "code": "export default { async fetch(req, env) { await Promise.allSettled(Array.from({ length: 300 }, () => env.LEAF.fetch('https://leaf/'))); return new Response('done'); } };",
                            "bindings": { "LEAF": { "service": "leaf" } }, "limits": { "cpuMs": 1000 }
                        });
                        while !stop.load(Ordering::Relaxed) {
                            let _ = c.post(format!("{base}/api/run")).bearer_auth(ATTACKER).json(&body).send().await;
                        }
                    }));
                }
            }
            "sleepers" => {
                for _ in 0..48 {
                    let (base, stop) = (base.clone(), stop.clone());
                    tasks.push(tokio::spawn(async move {
                        let c = reqwest::Client::builder().no_proxy().build().unwrap();
                        let body = json!({ "code": "export default { async fetch() { await new Promise(r => setTimeout(r, 6000)); return new Response('z'); } };" });
                        while !stop.load(Ordering::Relaxed) {
                            let _ = c.post(format!("{base}/api/run")).bearer_auth(ATTACKER).json(&body).send().await;
                        }
                    }));
                }
            }
            _ => {
                let addr = base.trim_start_matches("http://").to_owned();
                for _ in 0..100 {
                    if let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await {
                        use tokio::io::AsyncWriteExt;
                        let head = format!("POST /api/run HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {ATTACKER}\r\ncontent-length: 100000\r\n\r\n{{");
                        let _ = s.write_all(head.as_bytes()).await;
                        conns.push(s);
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (p99, failed) = bystander(&base, n).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.abort();
        }
        drop(conns);
        let ratio = p99 / idle;
        println!("| {attack} | {p99:.2} | {ratio:.2}× (target ≤ 5×) | {failed} of {n} |");
        out[attack] = json!({ "p99Ms": p99, "ratio": ratio, "failed": failed });
        // Let the attack's requests drain before the next one.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    out
}
