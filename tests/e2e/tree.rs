//! One budget per request tree (issue 15, finding 3): a request and every call it makes through
//! service bindings and interception share depth, CPU, sandboxes and calls in flight; a script
//! that fans out or recurses cannot take the pool from others.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use wasm_sandbox::{Binding, Config, GlobalOutbound, Limits, Worker, WorkerCode};
use wasm_sandbox_tests::{get, loader_with, text};

fn limits(cpu_ms: u64) -> Limits {
    Limits {
        cpu_time: Duration::from_millis(cpu_ms),
        ..Limits::default()
    }
}

#[tokio::test]
async fn fan_out_is_queued_per_invocation_and_holds_few_sandboxes() {
    let loader = loader_with(Config {
        max_instances: 64,
        ..Config::default()
    })
    .await;
    let leaf = loader
        .load(WorkerCode::js(
            "leaf.js",
            "export default { async fetch() { await new Promise(r => setTimeout(r, 50)); return new Response('leaf'); } };",
        ))
        .unwrap();
    // The finding: one request fanning out 300 calls held 301 sandboxes.
    let parent = loader
        .load(
            WorkerCode::js(
                "parent.js",
                r#"export default { async fetch(req, env) {
                    const all = await Promise.all(Array.from({ length: 60 }, () => env.LEAF.fetch("https://leaf/").then(r => r.text())));
                    return new Response(String(all.filter(t => t === "leaf").length));
                } };"#,
            )
            .with_binding("LEAF", Binding::worker(leaf)),
        )
        .unwrap();
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (loader, peak, done) = (loader.clone(), peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(loader.pool_stats().live, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let r = parent
        .entrypoint(None)
        .fetch(get("https://parent/"))
        .await
        .unwrap();
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    assert_eq!(text(&r), "60", "every call is served, 6 at a time");
    let peak = peak.load(Ordering::Relaxed);
    // The parent, at most 6 leaves running, and the leaf's warm instances kept between them.
    assert!(peak <= 1 + 6 + 2, "peak live sandboxes {peak}");
}

#[tokio::test]
async fn the_roots_cpu_limit_bounds_the_whole_tree() {
    let loader = loader_with(Config::default()).await;
    // Each call burns tens of ms of CPU (QuickJS: ~3M loop turns), within its own 1 s limit.
    let burner = loader
        .load(
            WorkerCode::js(
                "burn.js",
                "export default { fetch() { let x = 0; for (let i = 0; i < 3000000; i++) { x += i % 3; } return new Response(String(x)); } };",
            )
            .with_limits(limits(1000)),
        )
        .unwrap();
    let parent = loader
        .load(
            WorkerCode::js(
                "parent.js",
                r#"export default { async fetch(req, env) {
                    const out = { ok: 0, errors: [] };
                    for (let i = 0; i < 20; i++) {
                        try { await (await env.BURN.fetch("https://b/")).text(); out.ok++; }
                        catch (e) { out.errors.push(e.message); }
                    }
                    return Response.json(out);
                } };"#,
            )
            .with_binding("BURN", Binding::worker(burner))
            .with_limits(limits(200)),
        )
        .unwrap();
    // Before: 20 calls spent ~1.2 s of CPU for a request whose limit is 200 ms.
    let started = std::time::Instant::now();
    let result = parent.entrypoint(None).fetch(get("https://p/")).await;
    let message = match result {
        Ok(r) => {
            let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
            assert!(v["ok"].as_u64().unwrap() <= 4, "{v}");
            v["errors"][0].as_str().unwrap_or_default().to_owned()
        }
        // The parent itself may be the one running when the tree's budget runs out.
        Err(e) => e.to_string(),
    };
    assert!(
        message.contains("for the request and its service calls exceeded"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_gateway_calling_itself_through_interception_stops_at_the_depth_limit() {
    let loader = loader_with(Config::default()).await;
    let depth_seen = Arc::new(AtomicUsize::new(0));
    let this: Arc<OnceLock<Worker>> = Arc::new(OnceLock::new());
    let handler = {
        let (this, depth_seen) = (this.clone(), depth_seen.clone());
        move |request: http::Request<Bytes>| -> wasm_sandbox::ServiceFuture {
            let (this, depth_seen) = (this.clone(), depth_seen.clone());
            Box::pin(async move {
                depth_seen.fetch_add(1, Ordering::Relaxed);
                let worker = this.get().expect("set").clone();
                worker
                    .entrypoint(None)
                    .fetch(request)
                    .await
                    .map_err(|e| e.to_string())
            })
        }
    };
    // The finding: `globalOutbound: {"service": itself}` recursed to depth 399.
    let gateway = loader
        .load(
            WorkerCode::js(
                "gw.js",
                r#"export default { async fetch(req) {
                    try { const r = await fetch("https://api.example/"); return new Response(await r.text(), { status: r.status }); }
                    catch (e) { return new Response("stopped: " + e.message, { status: 508 }); }
                } };"#,
            )
            .with_outbound(GlobalOutbound::intercept(handler)),
        )
        .unwrap();
    this.set(gateway.clone()).unwrap();
    let r = gateway
        .entrypoint(None)
        .fetch(get("https://gw/"))
        .await
        .unwrap();
    assert_eq!(r.status(), 508);
    assert!(
        text(&r).contains("nested more than 16 deep"),
        "{}",
        text(&r)
    );
    assert_eq!(depth_seen.load(Ordering::Relaxed), 16);
    // Nothing is left running: the pool holds only warm instances.
    assert!(loader.pool_stats().live <= 2, "{:?}", loader.pool_stats());
}

#[tokio::test]
async fn a_tree_cannot_take_the_pools_reserve() {
    // 16 slots, 25% (4) kept for requests from outside: a fan-out of sleepers gets at most
    // 12 busy sandboxes, and a request from outside still finds a slot.
    let loader = loader_with(Config {
        max_instances: 16,
        warm_instances_per_worker: 1,
        tree: wasm_sandbox::TreeLimits {
            max_calls_in_flight: 64,
            ..Default::default()
        },
        ..Config::default()
    })
    .await;
    let sleeper = loader
        .load(WorkerCode::js(
            "s.js",
            "export default { async fetch() { await new Promise(r => setTimeout(r, 300)); return new Response('z'); } };",
        ))
        .unwrap();
    let parent = loader
        .load(
            WorkerCode::js(
                "p.js",
                r#"export default { async fetch(req, env) {
                    const r = await Promise.allSettled(Array.from({ length: 30 }, () => env.S.fetch("https://s/")));
                    const refused = r.filter(x => x.status === "rejected").map(x => x.reason.message);
                    return Response.json({ ok: r.length - refused.length, refused: refused.length, reason: refused[0] });
                } };"#,
            )
            .with_binding("S", Binding::worker(sleeper)),
        )
        .unwrap();
    let fan = tokio::spawn(async move { parent.entrypoint(None).fetch(get("https://p/")).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let bystander = wasm_sandbox_tests::run_js(
        &loader,
        "export default { fetch() { return new Response('still here'); } };",
    )
    .await
    .unwrap();
    assert_eq!(text(&bystander), "still here");
    let r = fan.await.unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert!(v["refused"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("kept for other requests"),
        "{v}"
    );
}

#[tokio::test]
async fn calls_a_script_never_awaited_end_with_its_request() {
    // Red-team finding: `env.S.fetch()` started and not awaited kept running after the reply
    // (after the request's admission slot was given back), on the warm instance.
    let loader = loader_with(Config::default()).await;
    let finished = Arc::new(AtomicUsize::new(0));
    let slow = {
        let finished = finished.clone();
        Binding::service(move |_req: http::Request<Bytes>| {
            let finished = finished.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                finished.fetch_add(1, Ordering::Relaxed);
                Ok(http::Response::new(Bytes::from_static(b"late")))
            }
        })
    };
    let worker = loader
        .load(
            WorkerCode::js(
                "w.js",
                "export default { fetch(req, env) { for (let i = 0; i < 20; i++) env.S.fetch('https://s/'); return new Response('replied'); } };",
            )
            .with_binding("S", slow),
        )
        .unwrap();
    let r = worker
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap();
    assert_eq!(text(&r), "replied");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        finished.load(Ordering::Relaxed),
        0,
        "calls outlived their request"
    );
}
