//! The daemon over real HTTP on 127.0.0.1 (ephemeral ports), one process per test.

use std::time::Duration;

use serde_json::{json, Value};
use wasm_sandbox_tests::daemon::{client, post_json, text_reply, TempDir, TestDaemon};

const SEED: &str =
    r#"export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };"#;

#[tokio::test]
async fn seed_contract_to_the_byte() {
    let dir = TempDir::new("seed");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let r = client()
        .post(d.url("/api/run"))
        .json(&json!({ "code": SEED }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"ok":true,"status":200,"output":"Hello from a dynamic Worker!"}"#
    );
    // Empty or missing code runs the default worker.
    for body in [json!({ "code": "" }), json!({})] {
        let r = client()
            .post(d.url("/api/run"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"ok":true,"status":200,"output":"Hello from a dynamic Worker!"}"#
        );
    }
    let r = client().post(d.url("/api/run")).send().await.unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"ok":true,"status":200,"output":"Hello from a dynamic Worker!"}"#
    );
}

#[tokio::test]
async fn failures_are_400_with_the_message_and_unknown_paths_404() {
    let dir = TempDir::new("fail");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let r = client()
        .post(d.url("/api/run"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(
        text.starts_with(r#"{"ok":false,"error":"bad JSON body"#),
        "{text}"
    );

    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": "export default { fetch() { return new Response(1 +); } };" }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("worker.js:1:"), "{v}");
    assert!(v["error"].as_str().unwrap().contains("SyntaxError"), "{v}");

    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": "export default { fetch() { throw new TypeError('bad input'); } };" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(v["ok"], false);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("TypeError: bad input"),
        "{v}"
    );

    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": SEED, "limits": { "cpuMs": 999999 } }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("ceiling"), "{v}");

    for (method, path) in [
        ("GET", "/"),
        ("GET", "/api/run"),
        ("POST", "/api/nope"),
        ("GET", "/workers"),
    ] {
        let r = client()
            .request(method.parse().unwrap(), d.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{method} {path}");
        assert_eq!(r.text().await.unwrap(), "Not found");
    }
    let r = client().get(d.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn extended_fields_request_and_reply() {
    let dir = TempDir::new("ext");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({
            "mainModule": "main.js",
            "modules": {
                "main.js": "import cfg from './cfg.json'; import t from './t.txt'; import b from './b.bin';\nexport default { async fetch(req, env) { console.log('hi', env.NAME); return new Response(JSON.stringify({ m: req.method, u: req.url, h: req.headers.get('x-k'), body: await req.text(), cfg, t, b: [...new Uint8Array(b)] }), { status: 202, statusText: 'Accepted-ish', headers: { 'x-out': '1' } }); } };",
                "cfg.json": { "json": { "a": [1, 2] } },
                "t.txt": "text module",
                "b.bin": { "data": "AAEC" }
            },
            "env": { "NAME": "agent" },
            "compatibilityDate": "2026-01-01",
            "request": { "method": "PUT", "url": "https://example.test/x?y=1", "headers": [["x-k", "v"]], "body": "payload" }
        }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], 202);
    assert_eq!(v["statusText"], "Accepted-ish");
    assert!(
        v["headers"]
            .as_array()
            .unwrap()
            .contains(&json!(["x-out", "1"])),
        "{v}"
    );
    assert_eq!(v["logs"][0]["level"], "log");
    assert_eq!(v["logs"][0]["message"], "hi agent");
    let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        out,
        json!({ "m": "PUT", "u": "https://example.test/x?y=1", "h": "v", "body": "payload", "cfg": { "a": [1, 2] }, "t": "text module", "b": [0, 1, 2] })
    );

    // CommonJS modules, as the Worker Loader takes them: `{cjs}` and a `*.cjs` string.
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({
            "mainModule": "index.cjs",
            "modules": {
                "index.cjs": { "cjs": "const { add } = require('./math.cjs'); module.exports = { fetch() { return new Response(String(add(2, 3))); } };" },
                "math.cjs": "exports.add = (a, b) => a + b;"
            }
        }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "5", "{v}");

    // A binary body comes back as outputBase64 too.
    let (_, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": "export default { fetch() { return new Response(new Uint8Array([255, 0, 1])); } };", "request": { "bodyBase64": "AA==", "method": "POST" } }),
    )
    .await;
    assert_eq!(v["outputBase64"], "/wAB");
}

#[tokio::test]
async fn api_get_is_fresh_once_then_cached() {
    let dir = TempDir::new("get");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let counter = json!({ "code": "let n = 0; export default { fetch() { return new Response(String(++n)); } };" });
    let (_, v) = post_json(&d, "/api/get/tenant-1", &counter).await;
    assert_eq!(
        (v["fresh"].clone(), v["output"].clone()),
        (json!(true), json!("1"))
    );
    // The same code, or none (`{}`), reuses the cached worker; other code is refused (409: the
    // id is bound to its code, see tests/e2e/tenants.rs).
    let (_, v) = post_json(&d, "/api/get/tenant-1", &counter).await;
    assert_eq!(
        (v["fresh"].clone(), v["output"].clone()),
        (json!(false), json!("2"))
    );
    let (_, v) = post_json(&d, "/api/get/tenant-1", &json!({})).await;
    assert_eq!(
        (v["fresh"].clone(), v["output"].clone()),
        (json!(false), json!("3"))
    );
    let (status, _) = post_json(
        &d,
        "/api/get/tenant-1",
        &json!({ "code": "this code is not used on a hit" }),
    )
    .await;
    assert_eq!(status, 409);
    let (_, v) = post_json(&d, "/api/get/tenant-2", &counter).await;
    assert_eq!(
        (v["fresh"].clone(), v["output"].clone()),
        (json!(true), json!("1"))
    );
    // The spec is only checked on a miss (like the callback): a bad one is a 400 there, and
    // does not bind the id.
    let bad = json!({ "code": "export default {};", "bindings": { "K": { "kv": "../x" } } });
    let (status, v) = post_json(&d, "/api/get/tenant-3", &bad).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("namespace"), "{v}");
    let (status, v) = post_json(&d, "/api/get/tenant-3", &counter).await;
    assert_eq!((status, v["output"].clone()), (200, json!("1")), "{v}");
}

const ECHO: &str = r#"export default { async fetch(req) {
  const u = new URL(req.url);
  const body = new Uint8Array(await req.arrayBuffer());
  return new Response(body, { status: 207, headers: {
    "x-method": req.method, "x-path": u.pathname + u.search, "x-in": req.headers.get("x-in") || "",
    "x-len": String(body.length), "set-cookie": "a=1",
  } });
} };"#;

#[tokio::test]
async fn registry_forwards_raw_requests_and_survives_a_restart() {
    let dir = TempDir::new("reg");
    {
        let d = TestDaemon::start(&dir.0, &[], &[]);
        let r = client()
            .put(d.url("/workers/echo"))
            .json(&json!({ "code": ECHO }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let meta: Value = client()
            .get(d.url("/workers/echo"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(meta["id"], "echo");
        assert_eq!(meta["version"], 1);

        let body: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let r = client()
            .patch(d.url("/workers/echo/a/b?x=1&y=%20"))
            .header("x-in", "hello")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 207);
        assert_eq!(r.headers()["x-method"], "PATCH");
        assert_eq!(r.headers()["x-path"], "/a/b?x=1&y=%20");
        assert_eq!(r.headers()["x-in"], "hello");
        assert_eq!(r.headers()["x-len"], "5000");
        assert_eq!(r.headers()["set-cookie"], "a=1");
        assert_eq!(r.bytes().await.unwrap().as_ref(), body.as_slice());

        // A registration that cannot load is refused.
        let r = client()
            .put(d.url("/workers/broken"))
            .json(&json!({ "code": 42 }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = client()
            .put(d.url("/workers/.."))
            .json(&json!({ "code": ECHO }))
            .send()
            .await
            .unwrap();
        assert!(r.status() == 400 || r.status() == 404);
    }
    // A new process on the same data dir still has it.
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let r = client()
        .post(d.url("/workers/echo/after-restart"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 207);
    assert_eq!(r.headers()["x-path"], "/after-restart");
    // Replace, then delete.
    let r = client()
        .put(d.url("/workers/echo"))
        .json(&json!({ "code": SEED }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        text_reply(client().get(d.url("/workers/echo/"))).await,
        "Hello from a dynamic Worker!"
    );
    assert_eq!(
        client()
            .delete(d.url("/workers/echo"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client()
            .get(d.url("/workers/echo/"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client()
            .get(d.url("/workers/echo"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn cpu_limit_fails_the_loop_while_other_workers_answer() {
    let dir = TempDir::new("cpu");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let looping = tokio::spawn({
        let url = d.url("/api/run");
        async move {
            client().post(url).json(&json!({ "code": "export default { fetch() { while (true) {} } };", "limits": { "cpuMs": 300 } })).send().await.unwrap()
        }
    });
    let mut ok = 0;
    while !looping.is_finished() && ok < 200 {
        let (status, v) = post_json(&d, "/api/run", &json!({ "code": SEED })).await;
        assert_eq!(status, 200, "{v}");
        ok += 1;
    }
    assert!(ok >= 1);
    let r = looping.await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({ "ok": false, "error": "cpu time limit of 300 ms exceeded" })
    );
}

#[tokio::test]
async fn saturation_is_503_with_retry_after_and_big_bodies_413() {
    let dir = TempDir::new("sat");
    let d = TestDaemon::start(
        &dir.0,
        &["--max-concurrent-requests", "1", "--max-body-bytes", "2000"],
        &[],
    );
    let slow = tokio::spawn({
        let url = d.url("/api/run");
        async move {
            client()
                .post(url)
                .json(&json!({ "code": "export default { async fetch() { await new Promise(r => setTimeout(r, 1500)); return new Response('slow'); } };" }))
                .send()
                .await
                .unwrap()
        }
    });
    // Give the slow request time to take the only permit, then probe.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut saw_503 = false;
    for _ in 0..100 {
        let r = client()
            .post(d.url("/api/run"))
            .json(&json!({ "code": SEED }))
            .send()
            .await
            .unwrap();
        if r.status() == 503 {
            assert_eq!(r.headers()["retry-after"], "1");
            saw_503 = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let slow = slow.await.unwrap();
    assert_eq!(slow.status(), 200);
    assert!(saw_503);
    // Oversized body, with and without a content-length the server can check up front.
    let big = "x".repeat(5000);
    let r = client()
        .post(d.url("/api/run"))
        .body(format!(r#"{{"code": "{big}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let stream = futures_stream(big.into_bytes());
    let r = client()
        .post(d.url("/api/run"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

fn futures_stream(
    data: Vec<u8>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    struct Chunks(Vec<Vec<u8>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(if self.0.is_empty() {
                None
            } else {
                Some(Ok(self.0.remove(0)))
            })
        }
    }
    Chunks(data.chunks(500).map(|c| c.to_vec()).collect())
}

#[tokio::test]
async fn graceful_shutdown_completes_an_in_flight_request() {
    let dir = TempDir::new("shutdown");
    let mut d = TestDaemon::start(&dir.0, &[], &[]);
    let in_flight = tokio::spawn({
        let url = d.url("/api/run");
        async move {
            text_reply(client().post(url).json(&json!({ "code": "export default { async fetch() { await new Promise(r => setTimeout(r, 700)); return new Response('finished'); } };" }))).await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    d.terminate();
    let body = in_flight.await.unwrap();
    assert_eq!(body, r#"{"ok":true,"status":200,"output":"finished"}"#);
    let status = d.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    // It stopped accepting.
    assert!(client().get(d.url("/healthz")).send().await.is_err());
    let logs = d.drain_logs().join("\n");
    assert!(logs.contains("SIGTERM"), "{logs}");
}

/// With `drain_ms`, SIGTERM makes `/healthz` fail first (503, `draining`) while requests are
/// still served; only then does the listener close.
#[tokio::test]
async fn readiness_fails_first_on_sigterm() {
    let dir = TempDir::new("drain");
    let cfg = dir.0.join("sandbox.toml");
    std::fs::write(&cfg, "drain_ms = 3000\nreplica = \"r-1\"\n").unwrap();
    let mut d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    let r = client().get(d.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    d.terminate();
    // Draining: health fails, work is still done.
    let start = std::time::Instant::now();
    loop {
        let r = client().get(d.url("/healthz")).send().await.unwrap();
        if r.status() == 503 {
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(
                (v["draining"].clone(), v["replica"].clone()),
                (json!(true), json!("r-1"))
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_millis(2500),
            "health never failed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let body = text_reply(client().post(d.url("/api/run")).json(
        &json!({ "code": "export default { fetch() { return new Response('still here'); } };" }),
    ))
    .await;
    assert!(body.contains("still here"), "{body}");
    let status = d.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    assert!(client().get(d.url("/healthz")).send().await.is_err());
    let logs = d.drain_logs().join("\n");
    assert!(logs.contains("draining"), "{logs}");
}

#[tokio::test]
async fn registry_writes_need_the_token_and_non_loopback_needs_one() {
    let dir = TempDir::new("auth");
    let token = "a-test-token-of-decent-length";
    let d = TestDaemon::start(&dir.0, &[], &[("WASM_SANDBOX_TOKEN", token)]);
    // Every route that runs code or reads worker data needs the token: what workers print may
    // hold secrets, and /api/run reaches the token holder's KV and files.
    for (method, path) in [
        (reqwest::Method::POST, "/api/run"),
        (reqwest::Method::POST, "/api/get/w"),
        (reqwest::Method::GET, "/workers/w"),
    ] {
        let r = client()
            .request(method.clone(), d.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let r = client()
            .request(method, d.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_ne!(r.status(), 401, "{path}");
    }
    for path in ["/workers/w/tail", "/usage", "/usage/w"] {
        let r = client().get(d.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let r = client()
            .get(d.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let r = client()
        .put(d.url("/workers/w"))
        .json(&json!({ "code": SEED }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .put(d.url("/workers/w"))
        .bearer_auth("wrong-token-of-same-lengthxx")
        .json(&json!({ "code": SEED }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .put(d.url("/workers/w"))
        .bearer_auth(token)
        .json(&json!({ "code": SEED }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        client()
            .delete(d.url("/workers/w"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    drop(d);
    // Beyond loopback without a token: refused before binding anything.
    let err = TestDaemon::try_start(&dir.0, &["--listen", "0.0.0.0:0"], &[])
        .err()
        .expect("must refuse");
    assert!(err.contains("without a token"), "{err}");
}

#[tokio::test]
async fn config_file_errors_say_how_to_fix_them() {
    let dir = TempDir::new("cfg");
    let err = TestDaemon::try_start(&dir.0, &["--listen", "nowhere"], &[])
        .err()
        .expect("must refuse");
    assert!(err.contains("is not an address"), "{err}");
    let cases = [
        (
            "[engine]\nmax_instances = 8\n",
            "must be larger than max_concurrent_requests",
        ),
        ("max_concurrent_requests = 0\n", "at least 1"),
        (
            "[limits]\ncpu_ms = 5000\nmemory_mb = 128\nwall_ms = 1000\n",
            "above ceilings.cpu_ms",
        ),
        ("no_such_setting = 1\n", "unknown field"),
    ];
    for (text, expected) in cases {
        let path = dir.0.join("config.toml");
        std::fs::write(&path, text).unwrap();
        let err = TestDaemon::try_start(&dir.0, &["--config", path.to_str().unwrap()], &[])
            .err()
            .expect("must refuse");
        assert!(err.contains(expected), "{text:?}: {err}");
    }
    // A valid file works, and flags override it.
    let path = dir.0.join("config.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:1\"\nmax_body_bytes = 100\n[limits]\ncpu_ms = 20\nmemory_mb = 64\nwall_ms = 5000\n").unwrap();
    let d = TestDaemon::start(
        &dir.0,
        &[
            "--config",
            path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let r = client()
        .post(d.url("/api/run"))
        .body("x".repeat(200))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn outbound_policies_over_the_api_and_a_gateway_worker() {
    let up = wasm_sandbox_tests::upstream::Upstream::start().await;
    let dir = TempDir::new("outbound");
    let cfg = dir.0.join("sandbox.toml");
    // The daemon's ceiling lets workers opt in to 127.0.0.1 only.
    std::fs::write(&cfg, "[outbound]\nallow_private = [\"127.0.0.1/32\"]\n").unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    let fetcher = |url: &str| {
        format!(
            r#"export default {{ async fetch() {{
                try {{ const r = await fetch("{url}"); return new Response(await r.text()); }}
                catch (e) {{ return new Response(e.message, {{ status: 502 }}); }}
            }} }};"#
        )
    };
    let hello = fetcher(&format!("{}/hello", up.base()));

    // Default: no outbound access.
    let (status, v) = post_json(&d, "/api/run", &json!({ "code": hello })).await;
    assert_eq!(status, 200);
    assert_eq!(v["status"], 502);
    assert!(
        v["output"].as_str().unwrap().contains("not permitted"),
        "{v}"
    );

    // Allowed, with the loopback opt-in; the attempt is in the reply.
    let allowed = json!({ "allow": [up.base()], "allowPrivate": ["127.0.0.1/32"] });
    let (_, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": hello, "globalOutbound": allowed }),
    )
    .await;
    assert_eq!(v["output"], "hello from upstream", "{v}");
    assert_eq!(v["outbound"][0]["outcome"], "ok");
    assert_eq!(v["outbound"][0]["status"], 200);

    // A private range beyond the daemon's ceiling stays refused.
    let (_, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": fetcher("http://10.0.0.1/"), "globalOutbound": { "allow": ["*://*:*"], "allowPrivate": ["10.0.0.0/8"] } }),
    )
    .await;
    assert_eq!(v["status"], 502, "{v}");
    assert_eq!(v["outbound"][0]["outcome"], "denied");

    // Bad policies are 400s that say how to fix them.
    for (bad, hint) in [
        (json!({ "allow": ["api.example.com"] }), "https://"),
        (
            json!({ "allow": ["https://a.test"], "extra": 1 }),
            "unknown field",
        ),
        (json!("everything"), "expected null"),
        (
            json!({ "service": "no such id!" }),
            "globalOutbound.service",
        ),
    ] {
        let (status, v) = post_json(
            &d,
            "/api/run",
            &json!({ "code": hello, "globalOutbound": bad }),
        )
        .await;
        assert_eq!(status, 400, "{v}");
        assert!(v["error"].as_str().unwrap().contains(hint), "{v}");
    }

    // The gateway pattern: a registered worker holds the credential and its own policy; the
    // agent's requests all go to it and it never sees the secret.
    let gateway = format!(
        r#"export default {{ async fetch(req, env) {{
            const r = await fetch("{}/hello", {{ headers: {{ authorization: "Bearer " + env.TOKEN, "x-asked": new URL(req.url).pathname }} }});
            return new Response(await r.text() + " via gateway", {{ headers: {{ "x-gateway": "1" }} }});
        }} }};"#,
        up.base()
    );
    let r = client()
        .put(d.url("/workers/gw"))
        .json(&json!({ "code": gateway, "env": { "TOKEN": "SECRET-123" }, "globalOutbound": allowed }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let agent = r#"export default { async fetch() {
        const r = await fetch("https://api.example.com/v1/items", { headers: { "x-agent": "1" } });
        return Response.json({ body: await r.text(), gw: r.headers.get("x-gateway"), headers: [...r.headers] });
    } };"#;
    let (_, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": agent, "globalOutbound": { "service": "gw" } }),
    )
    .await;
    let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["body"], "hello from upstream via gateway");
    assert_eq!(out["gw"], "1");
    assert!(!v.to_string().contains("SECRET"), "{v}");
    let seen = up.seen();
    let last = seen.last().unwrap();
    assert!(last
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v == "Bearer SECRET-123"));
    assert!(last
        .headers
        .iter()
        .any(|(k, v)| k == "x-asked" && v == "/v1/items"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bindings_kv_tools_and_rpc_through_the_daemon() {
    let up = wasm_sandbox_tests::upstream::Upstream::start().await;
    let dir = TempDir::new("bindings");
    let cfg = dir.0.join("sandbox.toml");
    std::fs::write(
        &cfg,
        format!("[tools]\ncallbacks = [\"{}/tool\"]\n", up.base()),
    )
    .unwrap();
    let args = ["--config", cfg.to_str().unwrap()];
    let kv_code = r#"export default { async fetch(req, env) {
        const before = await env.KV.get("visits", "json");
        await env.KV.put("visits", JSON.stringify((before || 0) + 1), { metadata: { by: "test" } });
        return Response.json({ before, list: (await env.KV.list()).keys });
    } };"#;
    let notes = json!({ "KV": { "kv": "notes" } });
    {
        let d = TestDaemon::start(&dir.0, &args, &[]);
        let (status, v) = post_json(
            &d,
            "/api/run",
            &json!({ "code": kv_code, "bindings": notes }),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
        assert_eq!(out["before"], Value::Null);
        assert_eq!(
            out["list"],
            json!([{"name": "visits", "metadata": {"by": "test"}}])
        );
        // Another namespace does not see it.
        let (_, v) = post_json(
            &d,
            "/api/run",
            &json!({ "code": kv_code, "bindings": { "KV": { "kv": "other" } } }),
        )
        .await;
        let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
        assert_eq!(out["before"], Value::Null);

        // Tools over an HTTP callback: chained calls, a caught error, calls that overlap.
        let tools = json!({ "TOOLS": { "tools": {
            "url": format!("{}/tool", up.base()),
            "tools": [
                { "name": "add", "description": "Add two numbers", "inputSchema": { "type": "object", "properties": { "a": { "type": "number" }, "b": { "type": "number" } }, "required": ["a", "b"] } },
                { "name": "fail", "description": "Always fails" },
                { "name": "slow", "description": "Echoes after a while" },
                { "name": "raw", "description": "Answers without ok" }
            ]
        } } });
        let agent = r#"export default { async fetch(req, env) {
            const x = await env.TOOLS.add({ a: 1, b: 2 });
            const y = await env.TOOLS.add({ a: x, b: 10 });
            let error; try { await env.TOOLS.fail({}); } catch (e) { error = e.message; }
            let invalid; try { await env.TOOLS.add({ a: 1 }); } catch (e) { invalid = e.message; }
            const slow = await Promise.all([1, 2, 3].map(n => env.TOOLS.slow({ n })));
            const raw = await env.TOOLS.raw({ k: "v" });
            return Response.json({ x, y, error, invalid, slow, raw });
        } };"#;
        let (status, v) =
            post_json(&d, "/api/run", &json!({ "code": agent, "bindings": tools })).await;
        assert_eq!(status, 200, "{v}");
        let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
        assert_eq!(out["x"], 3.0);
        assert_eq!(out["y"], 13.0);
        assert_eq!(out["error"], "the tool said no");
        assert_eq!(out["invalid"], "add(): invalid input: input.b is required");
        assert_eq!(out["slow"], json!([{"n": 1}, {"n": 2}, {"n": 3}]));
        assert_eq!(out["raw"], json!({"raw": {"k": "v"}}));
        assert_eq!(up.max_concurrent(), 3, "the three slow calls overlapped");

        // A callback URL the config does not list, and malformed bindings: 400 with the reason.
        for (bindings, expect) in [
            (
                json!({ "T": { "tools": { "url": "http://169.254.169.254/x", "tools": [] } } }),
                "is not allowed",
            ),
            (json!({ "K": { "kv": "../escape" } }), "namespace"),
            (json!({ "K": { "durableObject": {} } }), "expected {\"kv\""),
            (json!({ "K": 1 }), "expected {\"kv\""),
        ] {
            let (status, v) = post_json(
                &d,
                "/api/run",
                &json!({ "code": kv_code, "bindings": bindings }),
            )
            .await;
            assert_eq!(status, 400, "{v}");
            assert!(v["error"].as_str().unwrap().contains(expect), "{v}");
        }

        // RPC to a registered worker's named entrypoint.
        let calc = r#"import { WorkerEntrypoint } from "cloudflare:workers";
            export class Calc extends WorkerEntrypoint {
                async add(a, b) { return a + b + (await this.env.KV.get("visits", "json")); }
                boom() { throw new TypeError("no way"); }
            }
            export default { fetch() { return new Response("calc"); }, ping() { return "pong"; } };"#;
        let r = client()
            .put(d.url("/workers/calc"))
            .json(&json!({ "code": calc, "bindings": notes }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let rpc = |body: Value| {
            let url = d.url("/workers/calc/rpc");
            async move {
                let r = client().post(url).json(&body).send().await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        assert_eq!(
            rpc(json!({ "entrypoint": "Calc", "method": "add", "args": [2, 3] })).await,
            (200, json!({ "ok": true, "result": 6 }))
        );
        assert_eq!(
            rpc(json!({ "method": "ping" })).await,
            (200, json!({ "ok": true, "result": "pong" }))
        );
        let (status, v) = rpc(json!({ "entrypoint": "Calc", "method": "boom" })).await;
        assert_eq!((status, &v["ok"]), (400, &json!(false)));
        assert!(
            v["error"].as_str().unwrap().contains("TypeError: no way"),
            "{v}"
        );
        let (status, v) = rpc(json!({ "entrypoint": "Calc", "method": "nope" })).await;
        assert_eq!(status, 400);
        assert!(
            v["error"].as_str().unwrap().contains("has no method"),
            "{v}"
        );
        let (status, _) = rpc(json!({ "args": [] })).await;
        assert_eq!(status, 400);
        let r = client()
            .post(d.url("/workers/missing/rpc"))
            .json(&json!({ "method": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    // KV data survives a daemon restart.
    let d = TestDaemon::start(&dir.0, &args, &[]);
    let (_, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": kv_code, "bindings": notes }),
    )
    .await;
    let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["before"], 1, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_and_files_bindings_through_the_daemon() {
    let dir = TempDir::new("svc-files");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    // A registered backend, called through a service binding.
    let r = client()
        .put(d.url("/workers/backend"))
        .json(&json!({ "code": r#"export default { async fetch(req) { return new Response("backend got " + new URL(req.url).pathname + " " + await req.text()); } };"# }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let front = r#"export default { async fetch(req, env) {
        const r = await env.API.fetch("https://api/v1", { method: "POST", body: "hi" });
        return new Response(await r.text());
    } };"#;
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": front, "bindings": { "API": { "service": "backend" } } }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "backend got /v1 hi");
    // A registered worker bound to itself: the loop ends at the depth limit.
    let looping = r#"export default { async fetch(req, env) {
        try { return await env.SELF.fetch("https://self/"); }
        catch (e) { return new Response("stopped: " + e.message, { status: 508 }); }
    } };"#;
    let r = client()
        .put(d.url("/workers/loop"))
        .json(&json!({ "code": looping, "bindings": { "SELF": { "service": "loop" } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client()
        .get(d.url("/workers/loop/go"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 508);
    assert!(r.text().await.unwrap().contains("nested more than 16 deep"));

    // Files: a read-write directory under the data dir, with a quota.
    let files = json!({ "FILES": { "files": { "dir": "work", "mode": "rw", "quotaBytes": 32 } } });
    let code = r#"export default { async fetch(req, env) {
        await env.FILES.write("a/b.txt", "hello");
        let quota, escape;
        try { await env.FILES.write("big", "x".repeat(64)); } catch (e) { quota = e.message; }
        try { await env.FILES.read("../registry.redb"); } catch (e) { escape = e.message; }
        return Response.json({ read: await env.FILES.read("a/b.txt"), list: await env.FILES.list("a"), quota, escape });
    } };"#;
    let (status, v) = post_json(&d, "/api/run", &json!({ "code": code, "bindings": files })).await;
    assert_eq!(status, 200, "{v}");
    let out: Value = serde_json::from_str(v["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["read"], "hello");
    assert_eq!(
        out["list"],
        json!([{"name": "b.txt", "type": "file", "size": 5}])
    );
    assert!(
        out["quota"].as_str().unwrap().contains("quota of 32 bytes"),
        "{out}"
    );
    assert!(
        out["escape"]
            .as_str()
            .unwrap()
            .contains("`..` is not allowed"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.0.join("files/work/a/b.txt")).unwrap(),
        "hello"
    );
    for (bindings, expect) in [
        (
            json!({ "F": { "files": { "dir": "../x", "mode": "ro" } } }),
            "must be a name",
        ),
        (
            json!({ "F": { "files": { "dir": "w", "mode": "rw" } } }),
            "needs \"quotaBytes\"",
        ),
        (
            json!({ "F": { "files": { "dir": "w", "mode": "x" } } }),
            "\"mode\" must be",
        ),
        (
            json!({ "S": { "service": "../x" } }),
            "expected a worker id",
        ),
    ] {
        let (status, v) = post_json(
            &d,
            "/api/run",
            &json!({ "code": code, "bindings": bindings }),
        )
        .await;
        assert_eq!(status, 400, "{v}");
        assert!(
            v["error"].as_str().unwrap().contains(expect),
            "{expect}: {v}"
        );
    }
}

/// A script plus helper modules (`code` + `modules`) and headers as a record (`{k: v}`): the
/// shapes people send first, through `/api/run`, `/api/get/{id}` and the registry.
#[tokio::test]
async fn code_with_modules_and_record_headers_everywhere() {
    let dir = TempDir::new("shapes");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let code = "import { twice } from './lib.js'; import cfg from './cfg.json'; export default { fetch(req) { return new Response(twice(cfg.n) + ' ' + req.headers.get('x-k')); } };";
    let modules = json!({ "lib.js": "export const twice = (n) => n * 2;", "cfg.json": { "json": { "n": 21 } } });
    let body =
        json!({ "code": code, "modules": modules, "request": { "headers": { "x-k": "record" } } });
    let (status, v) = post_json(&d, "/api/run", &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "42 record", "{v}");
    let (status, v) = post_json(&d, "/api/get/shapes-1", &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "42 record", "{v}");
    // Pairs still work, and repeat.
    let pairs = json!({ "code": code, "modules": modules, "request": { "headers": [["x-k", "a"], ["x-k", "b"]] } });
    let (_, v) = post_json(&d, "/api/run", &pairs).await;
    assert_eq!(v["output"], "42 a, b", "{v}");
    // The registry takes the same worker shape.
    let r = client()
        .put(d.url("/workers/shapes"))
        .json(&json!({ "code": code, "modules": modules }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = client()
        .get(d.url("/workers/shapes/"))
        .header("x-k", "registry")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "42 registry");
    // The main module given twice is a 400 that says so.
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": code, "modules": { "worker.js": "x" } }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("may not define it too"),
        "{v}"
    );
    // A header value that is not a string names the accepted forms.
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": code, "request": { "headers": { "x-k": 5 } } }),
    )
    .await;
    assert_eq!(status, 400);
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("request.headers") && error.contains("or a record"),
        "{v}"
    );
}
