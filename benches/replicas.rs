//! Replicas on one machine: what the balancer and the shared store cost.
//!
//! `make bench-replicas` (a test Postgres and haproxy; `tests/pg/with-postgres.sh cargo bench
//! --workspace --bench replicas`). Rows, each the median of its requests, all in one run:
//! - throughput of a warm registered worker (`/workers/{id}/`, 16 clients, 16 ids): one daemon
//!   direct, one daemon behind HAProxy (the shipped config, its three servers the one daemon), and
//!   three replicas behind HAProxy — on 2 cores, three replicas cannot be faster;
//! - the balancer's added latency: one client, one request at a time, direct vs through HAProxy;
//! - cold `/api/get/{id}` (a new id with new code: the binding is written, the worker compiled
//!   and run) and warm `/workers/{id}/` with the store on redb vs Postgres.
//!
//! Every loop is bounded in count (and each request by the client's 30 s timeout).
//! `REPLICAS_SMOKE=1` runs each row with a few requests (in `make test`: the harness works).

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use wasm_sandbox_tests::balancer::{haproxy, replica, Balancer};
use wasm_sandbox_tests::daemon::{client, put_json, TempDir, TestDaemon};
use wasm_sandbox_tests::pg::database;

fn say(body: &str) -> String {
    format!("export default {{ fetch() {{ return new Response({body:?}); }} }}")
}

/// Makes the i-th request of a load.
type MakeRequest = Arc<dyn Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync>;

struct Row {
    what: String,
    requests: usize,
    seconds: f64,
    median_us: u64,
    p99_us: u64,
}

impl Row {
    fn print(&self) {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} |",
            self.what,
            self.requests,
            self.requests as f64 / self.seconds,
            self.median_us as f64 / 1000.0,
            self.p99_us as f64 / 1000.0
        );
    }
}

/// `total` requests from `clients` concurrent clients; `request(i)` makes the i-th. Every reply
/// must be a 2xx.
async fn load(what: &str, clients: usize, total: usize, request: MakeRequest) -> Row {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut lat = Vec::new();
            let mut i = c;
            while i < total {
                let t = Instant::now();
                let r = request(&http, i).send().await.expect("request");
                let status = r.status();
                let body = r.bytes().await.expect("body");
                assert!(status.is_success(), "{status}: {body:?}");
                lat.push(t.elapsed().as_micros() as u64);
                i += clients;
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let seconds = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    Row {
        what: what.to_owned(),
        requests: lat.len(),
        seconds,
        median_us: lat[lat.len() / 2],
        p99_us: lat[(lat.len() * 99 / 100).min(lat.len() - 1)],
    }
}

/// Register `ids` trivial workers on `d` and warm each through `base`.
async fn register(d: &TestDaemon, base: &str, ids: usize) {
    for i in 0..ids {
        let (s, v) = put_json(d, &format!("/workers/w{i}"), &json!({ "code": say("hi") })).await;
        assert!(s == 201 || s == 200, "{v}");
        let r = client()
            .get(format!("{base}/workers/w{i}/"))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
}

fn warm_get(base: String, ids: usize) -> MakeRequest {
    Arc::new(move |c: &reqwest::Client, i: usize| c.get(format!("{base}/workers/w{}/", i % ids)))
}

fn cold_api_get(base: String, tag: &'static str) -> MakeRequest {
    Arc::new(move |c: &reqwest::Client, i: usize| {
        c.post(format!("{base}/api/get/{tag}{i}"))
            .json(&json!({ "code": say(&format!("{tag}{i}")) }))
    })
}

/// One daemon on redb, its request path only (no Postgres, no balancer): `DAEMON_PATH=1`, with
/// `WASM_SANDBOX_BIN` naming the build to measure, to compare two builds.
async fn daemon_path(n: impl Fn(usize) -> usize) {
    let dir = TempDir::new("bench-path");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let ids = 16;
    register(&d, &d.base, ids).await;
    let base = d.base.clone();
    let warm_api: MakeRequest = Arc::new(move |c: &reqwest::Client, i: usize| {
        c.post(format!("{base}/api/get/warm{}", i % 16))
            .json(&json!({ "code": say(&format!("warm{}", i % 16)) }))
    });
    // Warm the /api/get ids.
    for i in 0..16 {
        client()
            .post(d.url(&format!("/api/get/warm{i}")))
            .json(&json!({ "code": say(&format!("warm{i}")) }))
            .send()
            .await
            .unwrap();
    }
    let rows = [
        load(
            "warm /workers/{id}/, 1 client",
            1,
            n(2000),
            warm_get(d.base.clone(), ids),
        )
        .await,
        load(
            "warm /api/get/{id} (same code), 1 client",
            1,
            n(2000),
            warm_api,
        )
        .await,
        load(
            "cold /api/get/{id} (new id + code), 1 client",
            1,
            n(500),
            cold_api_get(d.base.clone(), "path"),
        )
        .await,
    ];
    println!("| what | requests | req/s | median ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for r in &rows {
        r.print();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let smoke = std::env::var("REPLICAS_SMOKE").as_deref() == Ok("1");
    let n = |full: usize| if smoke { 20 } else { full };
    if std::env::var("DAEMON_PATH").as_deref() == Ok("1") {
        return daemon_path(n).await;
    }
    let Some(url) = database("bench").await else {
        return;
    };
    let Some(haproxy) = haproxy() else {
        return;
    };
    let dirs = [
        TempDir::new("bench-r1"),
        TempDir::new("bench-r2"),
        TempDir::new("bench-r3"),
    ];
    let replicas: Vec<TestDaemon> = dirs.iter().map(|d| replica(d, &url, "")).collect();
    let redb_dir = TempDir::new("bench-redb");
    let redb = TestDaemon::start(&redb_dir.0, &[], &[]);

    let ids = 16;
    let mut rows = Vec::new();
    // One daemon (Postgres store), direct and behind the balancer.
    let one = &replicas[0];
    register(one, &one.base, ids).await;
    {
        let lb1 = Balancer::start(&haproxy, [one, one, one]).await;
        rows.push(
            load(
                "1 daemon, direct, 16 clients",
                16,
                n(4000),
                warm_get(one.base.clone(), ids),
            )
            .await,
        );
        rows.push(
            load(
                "1 daemon behind HAProxy, 16 clients",
                16,
                n(4000),
                warm_get(lb1.base.clone(), ids),
            )
            .await,
        );
        rows.push(
            load(
                "1 daemon, direct, 1 client",
                1,
                n(1000),
                warm_get(one.base.clone(), ids),
            )
            .await,
        );
        rows.push(
            load(
                "1 daemon behind HAProxy, 1 client",
                1,
                n(1000),
                warm_get(lb1.base.clone(), ids),
            )
            .await,
        );
    }
    {
        let lb3 = Balancer::start(&haproxy, [&replicas[0], &replicas[1], &replicas[2]]).await;
        // Warm each id on the replica it hashes to.
        for i in 0..ids {
            client()
                .get(lb3.url(&format!("/workers/w{i}/")))
                .send()
                .await
                .unwrap();
        }
        rows.push(
            load(
                "3 replicas behind HAProxy, 16 clients",
                16,
                n(4000),
                warm_get(lb3.base.clone(), ids),
            )
            .await,
        );
    }
    // The store: redb vs Postgres, one daemon each, direct.
    register(&redb, &redb.base, ids).await;
    rows.push(
        load(
            "warm /workers/{id}/, redb store, 1 client",
            1,
            n(1000),
            warm_get(redb.base.clone(), ids),
        )
        .await,
    );
    rows.push(
        load(
            "warm /workers/{id}/, Postgres store, 1 client",
            1,
            n(1000),
            warm_get(one.base.clone(), ids),
        )
        .await,
    );
    rows.push(
        load(
            "cold /api/get/{id} (new id + code), redb, 1 client",
            1,
            n(300),
            cold_api_get(redb.base.clone(), "cold"),
        )
        .await,
    );
    rows.push(
        load(
            "cold /api/get/{id} (new id + code), Postgres, 1 client",
            1,
            n(300),
            cold_api_get(one.base.clone(), "cold"),
        )
        .await,
    );

    println!("| what | requests | req/s | median ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for r in &rows {
        r.print();
    }
    let direct1 = rows[2].median_us as f64;
    let lb1 = rows[3].median_us as f64;
    println!(
        "\nthe balancer adds {:.0} µs per request (median, one client: {:.0} vs {:.0} µs); 3 replicas / 1 daemon throughput: {:.2}x",
        lb1 - direct1,
        lb1,
        direct1,
        (rows[4].requests as f64 / rows[4].seconds) / (rows[0].requests as f64 / rows[0].seconds)
    );
}
