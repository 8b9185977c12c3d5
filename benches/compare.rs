//! Side by side with the isolate variant: the same client, the same scripts, the same routes,
//! against Cloudflare's `workerd` (Dynamic Worker Loader) and `wasm-sandbox serve`, in one run.
//!
//! Run by `make bench-compare` (which installs the pinned workerd from npm into target/workerd).
//! Everything talks to 127.0.0.1 only; every loop is bounded in count and in time.
//!
//! Scenarios: cold (unique code per request) latency and 2-client throughput; warm (`/api/get`
//! on one id) latency and throughput; the HTTP floor (a static route); RSS per cached worker
//! after 1,000 distinct ids; a CPU-bound script; an infinite loop and the p99 of other requests
//! while it runs. Prints one table and writes results.json and latency.svg under
//! benches/results/<date>/.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wasm_sandbox_benches::proc_kib;

const SEED: &str =
    r#"export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };"#;
/// About 50 ms of V8 (JIT) time on these machines.
const CPU_BOUND: &str = r#"export default { fetch() {
  let h = 0;
  for (let i = 0; i < 4500000; i++) { h = (h * 31 + i) | 0; }
  return new Response(String(h));
} };"#;
const LOOP: &str = r#"export default { fetch() { while (true) {} } };"#;

/// `COMPARE_SMOKE=1`: every scenario against both daemons with about 1/20 of the requests, results
/// under `target/compare-smoke/`, then a check that every row has numbers and that our side
/// failed nothing (what CI runs, to keep the harness working; its numbers mean little).
fn smoke() -> bool {
    static SMOKE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SMOKE.get_or_init(|| std::env::var_os("COMPARE_SMOKE").is_some_and(|v| v != "0"))
}

/// A scenario's request count (`full` normally, ~1/20 of it in a smoke run).
fn count(full: u64) -> u64 {
    if smoke() {
        (full / 20).max(5)
    } else {
        full
    }
}

fn unique(n: u64) -> String {
    format!(
        r#"const ID = {n}; export default {{ fetch() {{ return new Response("Hello from a dynamic Worker! " + ID); }} }};"#
    )
}

struct Server {
    name: &'static str,
    child: Child,
    base: String,
    static_path: &'static str,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_ready(base: &str, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(base.trim_start_matches("http://")).is_ok() {
            let ok = Command::new("curl")
                .args(["-sf", &format!("{base}{path}")])
                .stdout(Stdio::null())
                .status();
            if ok.map(|s| s.success()).unwrap_or(false) {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{base} did not become ready");
}

fn start_workerd(root: &Path, work: &Path) -> Server {
    let bin = std::env::var("WORKERD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/workerd/node_modules/.bin/workerd"));
    assert!(
        bin.exists(),
        "workerd not found at {} (run `make bench-compare`)",
        bin.display()
    );
    let port = free_port();
    let config = std::fs::read_to_string(root.join("benches/compare/workerd.capnp.in"))
        .unwrap()
        .replace("@PORT@", &port.to_string());
    std::fs::write(work.join("workerd.capnp"), config).unwrap();
    std::fs::copy(
        root.join("benches/compare/parent.js"),
        work.join("parent.js"),
    )
    .unwrap();
    let child = Command::new(bin)
        .args(["serve", "--experimental", "workerd.capnp"])
        .current_dir(work)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting workerd");
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, "/static");
    Server {
        name: "workerd",
        child,
        base,
        static_path: "/static",
    }
}

fn start_sandbox(root: &Path, work: &Path) -> Server {
    let bin = std::env::var("WASM_SANDBOX_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/release/wasm-sandbox"));
    let port = free_port();
    // Same defaults as `serve`, except a ceiling high enough for the CPU-bound scenario.
    std::fs::write(
        work.join("sandbox.toml"),
        "[ceilings]\ncpu_ms = 60000\nmemory_mb = 512\nwall_ms = 120000\n[outbound]\nallow_private = [\"127.0.0.1/32\"]\n",
    )
    .unwrap();
    let child = Command::new(bin)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--config",
            "sandbox.toml",
            "--data-dir",
            "sandbox-data",
        ])
        .current_dir(work)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting wasm-sandbox");
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, "/healthz");
    Server {
        name: "wasm-sandbox",
        child,
        base,
        static_path: "/healthz",
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(4)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// One request: (latency, ok).
async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (Duration, bool) {
    let started = Instant::now();
    let ok = match client.post(url).json(body).send().await {
        Ok(r) => {
            let status = r.status();
            let text = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            status.is_success() && text.starts_with(br#"{"ok":true"#)
        }
        Err(_) => false,
    };
    (started.elapsed(), ok)
}

async fn get(client: &reqwest::Client, url: &str) -> (Duration, bool) {
    let started = Instant::now();
    let ok = match client.get(url).send().await {
        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
        Err(_) => false,
    };
    (started.elapsed(), ok)
}

#[derive(Clone, Default)]
struct Sample {
    latencies_ms: Vec<f64>,
    failures: usize,
}

impl Sample {
    fn push(&mut self, (d, ok): (Duration, bool)) {
        if ok {
            self.latencies_ms.push(d.as_secs_f64() * 1000.0);
        } else {
            self.failures += 1;
        }
    }
    /// The `n` longest latencies, longest first.
    fn worst(&self, n: usize) -> Vec<f64> {
        let mut v = self.latencies_ms.clone();
        v.sort_by(|a, b| b.partial_cmp(a).unwrap());
        v.truncate(n);
        v
    }
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.latencies_ms.clone();
        if v.is_empty() {
            return f64::NAN;
        }
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    }
}

/// Run `fut` on a thread of its own with a single-threaded runtime (as wrk runs each client), so
/// that clients measured side by side do not wait for each other's tasks.
fn on_own_thread<T, F>(fut: F) -> tokio::sync::oneshot::Receiver<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = tx.send(rt.block_on(fut));
    });
    rx
}

/// Process CPU time (user + system) in ms, from /proc.
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks * 1000.0 / 100.0 // USER_HZ = 100 on Linux
}

/// (Pss, Private_Dirty) in KiB: what the process really holds (RSS also counts shared clean
/// pages once per mapping, e.g. every copy-on-write instance's view of the same image).
fn pss_private_kib(pid: u32) -> (f64, f64) {
    let pid = pid.to_string();
    (
        proc_kib(&pid, "smaps_rollup", "Pss"),
        proc_kib(&pid, "smaps_rollup", "Private_Dirty"),
    )
}

fn rss_kib(pid: u32) -> f64 {
    proc_kib(&pid.to_string(), "status", "VmRSS")
}

/// `clients` clients send `total` requests between them (or stop at `deadline`); returns req/s.
/// Each client runs on its own thread with a single-threaded runtime, like wrk's threads: its
/// request and its connection's I/O never hop between threads, so the load generator costs the
/// shared cores as little as it can (the same client for both servers).
async fn throughput<F, Fut>(
    clients: usize,
    total: u64,
    deadline: Duration,
    make: F,
) -> (f64, Sample)
where
    F: Fn(reqwest::Client, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = (Duration, bool)> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let next = next.clone();
        let make = make.clone();
        let rx = on_own_thread(async move {
            let c = client();
            let mut s = Sample::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || started.elapsed() > deadline {
                    break;
                }
                s.push(make(c.clone(), i).await);
            }
            s
        });
        tasks.push(rx);
    }
    let mut all = Sample::default();
    for t in tasks {
        let s = t.await.unwrap();
        all.latencies_ms.extend(s.latencies_ms);
        all.failures += s.failures;
    }
    let n = all.latencies_ms.len() as f64;
    (n / started.elapsed().as_secs_f64(), all)
}

struct Results {
    rows: Vec<(String, String, f64, f64, bool)>, // (scenario, unit, workerd, sandbox, higher_is_better)
    raw: serde_json::Map<String, Value>,
    cdfs: Vec<(String, Vec<f64>)>,
}

async fn measure(server: &Server, tag: u64, res: &mut Results) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let run = format!("{}/api/run", server.base);
    let c = client();
    // Warm both paths up (engine caches, connection).
    for i in 0..count(20) {
        post(
            &c,
            &run,
            &json!({ "code": unique(tag * 1_000_000 + 900_000 + i) }),
        )
        .await;
    }

    let pid = server.child.id();
    // COMPARE_SCENARIOS=cold,warm,... limits a profiling run to some scenarios.
    let only = std::env::var("COMPARE_SCENARIOS").ok();
    let want = |s: &str| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == s));
    if want("cold") {
        eprintln!("[{}] cold", server.name);
        // 1. cold: unique code per request, sequential.
        let cpu0 = cpu_ms(pid);
        let mut cold = Sample::default();
        let n_cold = count(300);
        let t0 = Instant::now();
        for i in 0..n_cold {
            cold.push(post(&c, &run, &json!({ "code": unique(tag * 1_000_000 + i) })).await);
            if t0.elapsed() > Duration::from_secs(60) {
                break;
            }
        }
        let cold_cpu = (cpu_ms(pid) - cpu0) / cold.latencies_ms.len().max(1) as f64;
        let run2 = run.clone();
        let (cold_rps, _) = throughput(2, count(1500), Duration::from_secs(10), move |c, i| {
            let url = run2.clone();
            async move {
                post(
                    &c,
                    &url,
                    &json!({ "code": unique(tag * 1_000_000 + 100_000 + i) }),
                )
                .await
            }
        })
        .await;
        out.insert("cold".into(), json!({ "p50_ms": cold.pct(0.5), "p99_ms": cold.pct(0.99), "server_cpu_ms_per_req": cold_cpu, "rps_2_clients": cold_rps, "failures": cold.failures, "n": cold.latencies_ms.len() }));
        res.cdfs.push((
            format!("{} cold /api/run", server.name),
            cold.latencies_ms.clone(),
        ));
    }

    if want("warm") {
        eprintln!("[{}] warm", server.name);
        // 2. warm: the same id repeatedly.
        let warm_url = format!("{}/api/get/warm-{tag}", server.base);
        let counter = json!({ "code": "let n = 0; export default { fetch() { return new Response(String(++n)); } };" });
        let mut warm = Sample::default();
        post(&c, &warm_url, &counter).await;
        let cpu0 = cpu_ms(pid);
        for _ in 0..count(1000) {
            warm.push(post(&c, &warm_url, &counter).await);
        }
        let warm_cpu = (cpu_ms(pid) - cpu0) / warm.latencies_ms.len().max(1) as f64;
        let (wurl, wbody) = (warm_url.clone(), counter.clone());
        // COMPARE_WARM_SCALE=N runs N times the requests (and time bound), for profiling.
        let scale: u32 = std::env::var("COMPARE_WARM_SCALE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
            .clamp(1, 100);
        let (warm_rps, _) = throughput(
            2,
            count(6000) * u64::from(scale),
            Duration::from_secs(10) * scale,
            move |c, _| {
                let (u, b) = (wurl.clone(), wbody.clone());
                async move { post(&c, &u, &b).await }
            },
        )
        .await;
        out.insert("warm".into(), json!({ "p50_ms": warm.pct(0.5), "p99_ms": warm.pct(0.99), "server_cpu_ms_per_req": warm_cpu, "rps_2_clients": warm_rps, "failures": warm.failures }));
        res.cdfs.push((
            format!("{} warm /api/get", server.name),
            warm.latencies_ms.clone(),
        ));
    }

    if want("floor") {
        eprintln!("[{}] floor", server.name);
        // 3. the HTTP floor.
        let static_url = format!("{}{}", server.base, server.static_path);
        let mut floor = Sample::default();
        for _ in 0..count(1000) {
            floor.push(get(&c, &static_url).await);
        }
        let su = static_url.clone();
        let (floor_rps, _) = throughput(2, count(8000), Duration::from_secs(10), move |c, _| {
            let u = su.clone();
            async move { get(&c, &u).await }
        })
        .await;
        out.insert(
        "floor".into(),
        json!({ "p50_ms": floor.pct(0.5), "p99_ms": floor.pct(0.99), "rps_2_clients": floor_rps }),
    );
    }

    if want("memory") {
        eprintln!("[{}] memory", server.name);
        // 4. memory per cached worker after 1,000 distinct ids.
        let rss0 = rss_kib(pid);
        let (pss0, priv0) = pss_private_kib(pid);
        let mut mem_fail = 0;
        let ids = count(1000);
        for i in 0..ids {
            let url = format!("{}/api/get/mem-{tag}-{i}", server.base);
            let (_, ok) = post(&c, &url, &json!({ "code": unique(i) })).await;
            mem_fail += usize::from(!ok);
        }
        // Right after the burst, and settled: 3 s later, once idle work (V8's memory reducer
        // and GC; our idle trimmer, which runs every second for instances idle a second) is done.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_burst = rss_kib(pid);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let rss1 = rss_kib(pid);
        let (pss1, priv1) = pss_private_kib(pid);
        out.insert("memory".into(), json!({
        "rss_before_kib": rss0, "rss_after_kib": rss1, "kib_per_worker": (rss1 - rss0) / ids as f64,
        "rss_after_burst_kib": rss_burst, "kib_per_worker_after_burst": (rss_burst - rss0) / ids as f64,
        "pss_kib_per_worker": (pss1 - pss0) / ids as f64, "private_dirty_kib_per_worker": (priv1 - priv0) / ids as f64,
        "failures": mem_fail,
    }));
    }

    if want("outbound") {
        eprintln!("[{}] outbound", server.name);
        // 7. outbound: a warm worker whose handler fetches from a loopback server.
        let upstream = start_upstream().await;
        let url = format!("{}/api/get/outbound-{tag}", server.base);
        let body = json!({
            "code": format!(r#"export default {{ async fetch() {{ const r = await fetch("http://{upstream}/"); return new Response(await r.text()); }} }};"#),
            "globalOutbound": { "allow": [format!("http://{upstream}")], "allowPrivate": ["127.0.0.1/32"] },
        });
        let first = c.post(&url).json(&body).send().await;
        let first = match first {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        let mut seq = Sample::default();
        let t0 = Instant::now();
        for _ in 0..count(500) {
            seq.push(post(&c, &url, &body).await);
            if t0.elapsed() > Duration::from_secs(20) {
                break;
            }
        }
        let (u, b) = (url.clone(), body.clone());
        let (rps, _) = throughput(2, count(3000), Duration::from_secs(10), move |c, _| {
            let (u, b) = (u.clone(), b.clone());
            async move { post(&c, &u, &b).await }
        })
        .await;
        out.insert(
            "outbound".into(),
            json!({ "p50_ms": seq.pct(0.5), "p99_ms": seq.pct(0.99), "rps_2_clients": rps, "failures": seq.failures, "first": first }),
        );
    }

    if want("cpu") {
        eprintln!("[{}] cpu-bound", server.name);
        // 5. CPU-bound script.
        let mut cpu = Sample::default();
        let mut cpu_err = None;
        for _ in 0..5 {
            let body = json!({ "code": CPU_BOUND, "limits": { "cpuMs": 60000, "wallMs": 120000 } });
            let started = Instant::now();
            let r = c.post(&run).json(&body).send().await;
            match r {
                Ok(r) if r.status().is_success() => {
                    let _ = r.bytes().await;
                    cpu.latencies_ms
                        .push(started.elapsed().as_secs_f64() * 1000.0);
                }
                Ok(r) => cpu_err = Some(r.text().await.unwrap_or_default()),
                Err(e) => cpu_err = Some(e.to_string()),
            }
        }
        out.insert(
            "cpu_bound".into(),
            json!({ "p50_ms": cpu.pct(0.5), "runs": cpu.latencies_ms, "error": cpu_err }),
        );
    }
    out
}

/// A minimal HTTP/1.1 server on 127.0.0.1 (keep-alive, fixed 5-byte answer) for the outbound
/// scenario; returns `127.0.0.1:PORT`. It lives as long as the process.
async fn start_upstream() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(4096);
                let mut chunk = [0u8; 4096];
                loop {
                    // One request: headers only (the scenario sends GETs).
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    buf.drain(..end);
                    let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello";
                    if stream.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// The infinite loop: keep looping scripts in flight for ~3 s and meanwhile measure warm
/// requests, one after the other, for the whole time; compare with as long an idle run.
async fn infinite_loop(server: &Server, tag: u64) -> Value {
    eprintln!("[{}] infinite loop", server.name);
    let warm_url = format!("{}/api/get/loop-bystander-{tag}", server.base);
    let body = json!({ "code": SEED });
    let loop_time = Duration::from_secs(if smoke() { 1 } else { 3 });
    // Sequential requests until `stop` is set, `max` were sent or `limit` has passed (a hung
    // server costs at most ~8 s here).
    let probe = |max: u64, stop: Arc<std::sync::atomic::AtomicBool>, limit: Duration| {
        let (u, b) = (warm_url.clone(), body.clone());
        async move {
            let c = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(2))
                .build()
                .unwrap();
            let mut s = Sample::default();
            let started = Instant::now();
            for _ in 0..max {
                if stop.load(Ordering::Relaxed) || started.elapsed() > limit {
                    break;
                }
                s.push(post(&c, &u, &b).await);
            }
            s
        }
    };
    // The idle baseline: as long as the loops will run.
    let never = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let idle = on_own_thread(probe(count(30_000), never, loop_time))
        .await
        .unwrap();
    let run = format!("{}/api/run", server.base);
    let loops_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = loops_done.clone();
    let looping = on_own_thread(async move {
        let c = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let mut outcomes = Vec::new();
        let started = Instant::now();
        // Keep a looping script in flight for `loop_time` (or until the server stops answering).
        while started.elapsed() < loop_time {
            let t = Instant::now();
            match c.post(&run).json(&json!({ "code": LOOP })).send().await {
                Ok(r) => outcomes.push(format!(
                    "{} after {:.0} ms: {}",
                    r.status(),
                    t.elapsed().as_secs_f64() * 1000.0,
                    r.text().await.unwrap_or_default()
                )),
                Err(e) => {
                    outcomes.push(format!(
                        "no answer after {:.0} ms ({})",
                        t.elapsed().as_secs_f64() * 1000.0,
                        if e.is_timeout() { "timeout" } else { "error" }
                    ));
                    break;
                }
            }
        }
        done.store(true, Ordering::Relaxed);
        outcomes
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let busy = on_own_thread(probe(count(30_000), loops_done, Duration::from_secs(8)))
        .await
        .unwrap();
    let outcomes = looping.await.unwrap();
    // The measure of earlier runs: the first 300 requests (~100 ms, two loop hand-overs).
    let first = Sample {
        latencies_ms: busy.latencies_ms.iter().take(300).copied().collect(),
        failures: 0,
    };
    json!({
        "idle_p99_ms": idle.pct(0.99),
        "idle_n": idle.latencies_ms.len(),
        "during_loop_p99_ms": busy.pct(0.99),
        "during_loop_first_300_p99_ms": first.pct(0.99),
        "during_loop_failures": busy.failures,
        "during_loop_ok": busy.latencies_ms.len(),
        "during_loop_worst_ms": busy.worst(5),
        "loop_outcomes": outcomes.iter().take(3).collect::<Vec<_>>(),
        "loop_requests": outcomes.len(),
    })
}

fn svg(cdfs: &[(String, Vec<f64>)]) -> String {
    let (w, h, l, r, t, b) = (900.0, 500.0, 70.0, 260.0, 30.0, 50.0);
    let all: Vec<f64> = cdfs
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| *v > 0.0)
        .collect();
    let lo = all
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min)
        .max(0.01)
        .log10()
        .floor();
    let hi = all
        .iter()
        .cloned()
        .fold(0.0, f64::max)
        .log10()
        .ceil()
        .max(lo + 1.0);
    let x = |v: f64| l + (v.max(10f64.powf(lo)).log10() - lo) / (hi - lo) * (w - l - r);
    let y = |p: f64| t + (1.0 - p) * (h - t - b);
    let colors = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c"];
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>"#
    );
    s += &format!(
        r#"<text x="{l}" y="18" font-size="14">Latency CDF over HTTP on 127.0.0.1 (log x, ms) — make bench-compare</text>"#
    );
    let mut e = lo;
    while e <= hi {
        let xv = x(10f64.powf(e));
        s += &format!(
            r##"<line x1="{xv}" y1="{t}" x2="{xv}" y2="{}" stroke="#ddd"/><text x="{xv}" y="{}" text-anchor="middle">{}</text>"##,
            h - b,
            h - b + 16.0,
            10f64.powf(e)
        );
        e += 1.0;
    }
    for p in [0.0, 0.5, 0.9, 0.99, 1.0] {
        let yv = y(p);
        s += &format!(
            r##"<line x1="{l}" y1="{yv}" x2="{}" y2="{yv}" stroke="#eee"/><text x="{}" y="{}" text-anchor="end">p{}</text>"##,
            w - r,
            l - 6.0,
            yv + 4.0,
            (p * 100.0) as u32
        );
    }
    for (i, (name, v)) in cdfs.iter().enumerate() {
        let mut v = v.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let pts: Vec<String> = v
            .iter()
            .enumerate()
            .map(|(j, ms)| format!("{:.1},{:.1}", x(*ms), y((j + 1) as f64 / v.len() as f64)))
            .collect();
        let c = colors[i % colors.len()];
        s += &format!(
            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        );
        s += &format!(
            r#"<rect x="{}" y="{}" width="14" height="4" fill="{c}"/><text x="{}" y="{}">{name}</text>"#,
            w - r + 10.0,
            t + 20.0 * i as f64,
            w - r + 30.0,
            t + 20.0 * i as f64 + 5.0
        );
    }
    s + "</svg>"
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().unwrap();
    let stamp = std::process::Command::new("date")
        .arg("+%Y-%m-%dT%H%M")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let out_dir = if smoke() {
        root.join("target/compare-smoke").join(&stamp)
    } else {
        root.join("benches/results").join(&stamp)
    };
    let work = std::env::temp_dir().join(format!("wasm-sandbox-compare-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut res = Results {
        rows: Vec::new(),
        raw: serde_json::Map::new(),
        cdfs: Vec::new(),
    };
    // For profiling one side while iterating: prints its raw numbers, writes no results.
    if let Ok(only) = std::env::var("COMPARE_ONLY") {
        rt.block_on(async {
            let server = match only.as_str() {
                "workerd" => start_workerd(&root, &work),
                _ => start_sandbox(&root, &work),
            };
            eprintln!("{} pid {}", server.name, server.child.id());
            let mut m = measure(&server, 3, &mut res).await;
            let scenarios = std::env::var("COMPARE_SCENARIOS").unwrap_or_default();
            if scenarios.is_empty() || scenarios.split(',').any(|s| s == "loop") {
                m.insert("infinite_loop".into(), infinite_loop(&server, 3).await);
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&Value::Object(m)).unwrap()
            );
        });
        let _ = std::fs::remove_dir_all(&work);
        return;
    }
    std::fs::create_dir_all(&out_dir).unwrap();
    rt.block_on(async {
        let sandbox = start_sandbox(&root, &work);
        let scenarios = std::env::var("COMPARE_SCENARIOS").unwrap_or_default();
        let want_loop = scenarios.is_empty() || scenarios.split(',').any(|s| s == "loop");
        let s = measure(&sandbox, 2, &mut res).await;
        let s_loop = if want_loop {
            infinite_loop(&sandbox, 2).await
        } else {
            Value::Null
        };
        drop(sandbox);
        let workerd = start_workerd(&root, &work);
        let w = measure(&workerd, 1, &mut res).await;
        // Last: it may hang workerd for good.
        let w_loop = if want_loop {
            infinite_loop(&workerd, 1).await
        } else {
            Value::Null
        };
        drop(workerd);
        // Scenarios left out by COMPARE_SCENARIOS have no numbers: their rows are left out.
        let g = |m: &serde_json::Map<String, Value>, a: &str, b: &str| {
            m.get(a)
                .and_then(|v| v.get(b))
                .and_then(Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        for (name, unit, key, field, hib) in [
            ("cold load → response, p50", "ms", "cold", "p50_ms", false),
            ("cold load → response, p99", "ms", "cold", "p99_ms", false),
            (
                "cold server CPU per request",
                "ms",
                "cold",
                "server_cpu_ms_per_req",
                false,
            ),
            (
                "cold throughput, 2 clients",
                "req/s",
                "cold",
                "rps_2_clients",
                true,
            ),
            ("warm get → response, p50", "ms", "warm", "p50_ms", false),
            ("warm get → response, p99", "ms", "warm", "p99_ms", false),
            (
                "warm server CPU per request",
                "ms",
                "warm",
                "server_cpu_ms_per_req",
                false,
            ),
            (
                "warm throughput, 2 clients",
                "req/s",
                "warm",
                "rps_2_clients",
                true,
            ),
            (
                "HTTP floor (static route), p50",
                "ms",
                "floor",
                "p50_ms",
                false,
            ),
            (
                "HTTP floor throughput, 2 clients",
                "req/s",
                "floor",
                "rps_2_clients",
                true,
            ),
            (
                "RSS growth per cached worker (1,000 ids), settled (3 s)",
                "KiB",
                "memory",
                "kib_per_worker",
                false,
            ),
            (
                "RSS growth per cached worker, 0.5 s after the burst",
                "KiB",
                "memory",
                "kib_per_worker_after_burst",
                false,
            ),
            (
                "PSS growth per cached worker (1,000 ids)",
                "KiB",
                "memory",
                "pss_kib_per_worker",
                false,
            ),
            (
                "private dirty memory per cached worker",
                "KiB",
                "memory",
                "private_dirty_kib_per_worker",
                false,
            ),
            (
                "warm worker fetching from a loopback server, p50",
                "ms",
                "outbound",
                "p50_ms",
                false,
            ),
            (
                "warm worker fetching from a loopback server, 2 clients",
                "req/s",
                "outbound",
                "rps_2_clients",
                true,
            ),
            (
                "CPU-bound script (~50 ms on V8), p50",
                "ms",
                "cpu_bound",
                "p50_ms",
                false,
            ),
        ] {
            if g(&w, key, field).is_nan() && g(&s, key, field).is_nan() {
                continue;
            }
            res.rows.push((
                name.into(),
                unit.into(),
                g(&w, key, field),
                g(&s, key, field),
                hib,
            ));
        }
        for (name, key) in [
            ("other requests' p99, idle (3 s)", "idle_p99_ms"),
            (
                "other requests' p99 while loops run (3 s)",
                "during_loop_p99_ms",
            ),
            (
                "same, first 300 requests only (the earlier measure)",
                "during_loop_first_300_p99_ms",
            ),
        ]
        .into_iter()
        .filter(|_| want_loop)
        {
            let f = |v: &Value| v[key].as_f64().unwrap_or(f64::NAN);
            res.rows
                .push((name.into(), "ms".into(), f(&w_loop), f(&s_loop), false));
        }
        res.raw.insert("workerd".into(), Value::Object(w));
        res.raw.insert("wasm-sandbox".into(), Value::Object(s));
        res.raw.insert(
            "infinite_loop".into(),
            json!({ "workerd": w_loop, "wasm-sandbox": s_loop }),
        );
    });
    let mut table = String::from("| scenario | unit | workerd | wasm-sandbox | ratio (better = >1) |\n|---|---|---|---|---|\n");
    for (name, unit, w, s, hib) in &res.rows {
        let ratio = if *hib { s / w } else { w / s };
        table += &format!("| {name} | {unit} | {w:.2} | {s:.2} | {ratio:.1}× |\n");
    }
    let lp = &res.raw["infinite_loop"];
    if !lp["workerd"].is_null() {
        // Bystander requests sent while the loops ran (answered or failed).
        let sent = |side: &str| {
            lp[side]["during_loop_failures"].as_u64().unwrap_or(0)
                + lp[side]["during_loop_ok"].as_u64().unwrap_or(0)
        };
        let ours = &lp["wasm-sandbox"];
        let ms = |key: &str| ours[key].as_f64().unwrap_or(f64::NAN);
        table += &format!(
            "\nInfinite loop — workerd: {} of {} bystander requests failed while it ran; first loop request: {}.\nwasm-sandbox: {} of {} bystander requests failed; their p99 while loops ran was {:.2}× their p99 in the idle run (target: ≤ 2×); {} looping requests; the first: {}.\n",
            lp["workerd"]["during_loop_failures"],
            sent("workerd"),
            lp["workerd"]["loop_outcomes"][0],
            ours["during_loop_failures"],
            sent("wasm-sandbox"),
            ms("during_loop_p99_ms") / ms("idle_p99_ms"),
            ours["loop_requests"],
            ours["loop_outcomes"][0]
        );
    }
    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::fs::read_to_string("/etc/debian_version")
            .map(|v| format!("Debian {}", v.trim()))
            .unwrap_or_default()
    );
    let command = if smoke() {
        "`COMPARE_SMOKE=1 cargo bench --workspace --bench compare` (smoke run: ~1/20 of the requests, numbers not comparable)"
    } else {
        "`make bench-compare`"
    };
    let header = format!("Side by side, {stamp}, {machine}, {command}\n\n");
    println!("{header}{table}");
    res.raw.insert("machine".into(), json!(machine));
    res.raw.insert("date".into(), json!(stamp));
    std::fs::write(
        out_dir.join("results.json"),
        serde_json::to_string_pretty(&Value::Object(res.raw.clone())).unwrap(),
    )
    .unwrap();
    std::fs::write(out_dir.join("table.md"), format!("{header}{table}")).unwrap();
    std::fs::write(out_dir.join("latency.svg"), svg(&res.cdfs)).unwrap();
    println!("results: {}", out_dir.display());
    let _ = std::fs::remove_dir_all(&work);
    if smoke() {
        check_smoke(&res, &out_dir);
    }
}

/// What a smoke run must show: every row has numbers on both sides (except workerd's p99 while a
/// loop hangs it), our side failed no request, its loop ended at the CPU limit, the files exist.
fn check_smoke(res: &Results, out_dir: &Path) {
    let mut problems = Vec::new();
    if res.rows.len() < 20 {
        problems.push(format!("{} table rows, expected 20", res.rows.len()));
    }
    for (name, _, w, s, _) in &res.rows {
        let workerd_may_hang = name.contains("while loops run") || name.contains("first 300");
        if !(s.is_finite() && *s >= 0.0) || !(workerd_may_hang || w.is_finite() && *w >= 0.0) {
            problems.push(format!("row {name:?}: workerd {w}, wasm-sandbox {s}"));
        }
    }
    let ours = &res.raw["wasm-sandbox"];
    for scenario in ["cold", "warm", "memory", "outbound"] {
        if ours[scenario]["failures"] != json!(0) {
            problems.push(format!("wasm-sandbox {scenario}: {}", ours[scenario]));
        }
    }
    if !ours["cpu_bound"]["error"].is_null() {
        problems.push(format!("wasm-sandbox cpu-bound: {}", ours["cpu_bound"]));
    }
    let lp = &res.raw["infinite_loop"]["wasm-sandbox"];
    let first = lp["loop_outcomes"][0].as_str().unwrap_or_default();
    if lp["during_loop_failures"] != json!(0) || !first.contains("cpu time limit") {
        problems.push(format!("wasm-sandbox infinite loop: {lp}"));
    }
    for file in ["results.json", "table.md", "latency.svg"] {
        let len = std::fs::metadata(out_dir.join(file)).map_or(0, |m| m.len());
        if len == 0 {
            problems.push(format!("{file} missing or empty"));
        }
    }
    assert!(
        problems.is_empty(),
        "side-by-side smoke run:\n{}",
        problems.join("\n")
    );
    println!("smoke run: every row has numbers, wasm-sandbox failed nothing");
}
