//! Hostile scripts: each limit ends that request with a named error; everything else carries on.

use std::time::Duration;

use wasm_sandbox::{Error, Limits, WorkerCode};
use wasm_sandbox_tests::{get, loader, text};

fn limits(cpu_ms: u64, memory_mb: u64, wall_ms: u64) -> Limits {
    Limits {
        cpu_time: Duration::from_millis(cpu_ms),
        memory_bytes: memory_mb << 20,
        wall_time: Duration::from_millis(wall_ms),
    }
}

/// A worker whose behaviour is chosen by the request path; `/ok` always answers.
const HOSTILE: &str = r#"
let served = 0;
function deep(n) { return deep(n + 1) + 1; }
function wide(n) {
  // Many locals per frame: stresses the shadow stack rather than the wasm stack.
  let a0=n,a1=n,a2=n,a3=n,a4=n,a5=n,a6=n,a7=n,a8=n,a9=n,b0=n,b1=n,b2=n,b3=n,b4=n,b5=n,b6=n,b7=n,b8=n,b9=n;
  return wide(n + 1) + a0+a1+a2+a3+a4+a5+a6+a7+a8+a9+b0+b1+b2+b3+b4+b5+b6+b7+b8+b9;
}
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    served++;
    if (path === "/loop") while (true) {}
    if (path === "/busy") { let h = 0; for (let i = 0; i < 2000000; i++) h = (h * 31 + i) | 0; }
    if (path === "/alloc") { const chunks = []; while (true) chunks.push(new Uint8Array(1 << 20).fill(7)); }
    if (path === "/big") { return new Response(String(new Uint8Array(200 << 20).length)); }
    if (path === "/string") { return new Response("x".repeat(200 << 20).slice(0, 1)); }
    if (path === "/recurse") return new Response(String(deep(0)));
    if (path === "/wide") return new Response(String(wide(0)));
    if (path === "/sleep") { await new Promise((r) => setTimeout(r, 10_000)); }
    if (path === "/wait") { await new Promise((r) => setTimeout(r, 150)); }
    if (path === "/loop-after-wait") { await new Promise((r) => setTimeout(r, 5)); while (true) {} }
    return new Response(`ok ${served}`);
  },
};"#;

async fn call(worker: &wasm_sandbox::Worker, path: &str) -> Result<String, Error> {
    worker
        .entrypoint(None)
        .fetch(get(&format!("https://w{path}")))
        .await
        .map(|r| text(&r))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_loop_ends_at_the_cpu_limit_and_others_carry_on() {
    let loader = loader().await;
    let hostile = loader.load(WorkerCode::js("w.js", HOSTILE)).unwrap();
    let bystander = loader
        .load(WorkerCode::js(
            "b.js",
            "export default { fetch() { return new Response('fine'); } }",
        ))
        .unwrap();
    let looping = tokio::spawn({
        let hostile = hostile.clone();
        async move { call(&hostile, "/loop").await }
    });
    // While the loop burns its budget, the bystander keeps answering.
    for _ in 0..20 {
        assert_eq!(call(&bystander, "/").await.unwrap(), "fine");
    }
    match looping.await.unwrap() {
        Err(e @ Error::CpuTimeExceeded { .. }) => {
            assert_eq!(e.to_string(), "cpu time limit of 50 ms exceeded")
        }
        other => panic!("expected CpuTimeExceeded, got {other:?}"),
    }
    // The same worker serves its next request on a fresh instance (state was lost with the old one).
    assert_eq!(call(&hostile, "/ok").await.unwrap(), "ok 1");
    // Also after waiting first: time spent waiting is not CPU time, the loop still is.
    assert!(matches!(
        call(&hostile, "/loop-after-wait").await,
        Err(Error::CpuTimeExceeded { .. })
    ));
}

#[tokio::test]
async fn cpu_limit_is_per_worker_and_waiting_is_not_cpu() {
    let loader = loader().await;
    let tight = loader
        .load(WorkerCode::js("w.js", HOSTILE).with_limits(limits(20, 128, 60_000)))
        .unwrap();
    let busy = call(&tight, "/busy").await;
    assert!(
        matches!(busy, Err(Error::CpuTimeExceeded { limit }) if limit == Duration::from_millis(20)),
        "{busy:?}"
    );
    // 150 ms of timers under a 20 ms CPU limit: fine, waiting costs no CPU.
    assert!(call(&tight, "/wait").await.unwrap().starts_with("ok"));
    let roomy = loader
        .load(WorkerCode::js("w.js", HOSTILE).with_limits(limits(2_000, 128, 5_000)))
        .unwrap();
    assert!(call(&roomy, "/busy").await.unwrap().starts_with("ok"));
}

#[tokio::test]
async fn memory_bombs_end_at_the_memory_limit() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js("w.js", HOSTILE).with_limits(limits(5_000, 32, 10_000)))
        .unwrap();
    for path in ["/alloc", "/big", "/string"] {
        match call(&worker, path).await {
            Err(e @ Error::MemoryExceeded { .. }) => {
                assert_eq!(e.to_string(), "memory limit of 32 MiB exceeded")
            }
            other => panic!("{path}: expected MemoryExceeded, got {other:?}"),
        }
        assert!(
            call(&worker, "/ok").await.unwrap().starts_with("ok"),
            "{path}"
        );
    }
    // The default limit (128 MiB) holds too.
    let default = loader
        .load(WorkerCode::js("w.js", HOSTILE).with_limits(limits(5_000, 128, 10_000)))
        .unwrap();
    assert!(
        matches!(call(&default, "/big").await, Err(Error::MemoryExceeded { limit }) if limit == 128 << 20)
    );
}

#[tokio::test]
async fn unbounded_recursion_is_a_named_error() {
    let loader = loader().await;
    let worker = loader.load(WorkerCode::js("w.js", HOSTILE)).unwrap();
    for path in ["/recurse", "/wide"] {
        let err = call(&worker, path).await.unwrap_err();
        let named = match &err {
            Error::StackOverflow => true,
            Error::Exception { message, .. } => {
                message.contains("Maximum call stack size exceeded")
            }
            _ => false,
        };
        assert!(named, "{path}: {err:?}");
        assert!(
            call(&worker, "/ok").await.unwrap().starts_with("ok"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn wall_time_limit_ends_a_request_that_waits_too_long() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js("w.js", HOSTILE).with_limits(limits(50, 128, 300)))
        .unwrap();
    let started = std::time::Instant::now();
    match call(&worker, "/sleep").await {
        Err(e @ Error::WallTimeExceeded { .. }) => {
            assert_eq!(e.to_string(), "wall time limit of 300 ms exceeded")
        }
        other => panic!("expected WallTimeExceeded, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(call(&worker, "/ok").await.unwrap().starts_with("ok"));
}

#[tokio::test]
async fn top_level_infinite_loop_is_caught_at_load() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js("w.js", "while (true) {} export default {};"))
        .unwrap();
    assert!(matches!(
        call(&worker, "/").await,
        Err(Error::CpuTimeExceeded { .. })
    ));
}

#[tokio::test]
async fn memory_limit_above_the_ceiling_is_refused() {
    let loader = loader().await;
    let err = loader
        .load(WorkerCode::js("w.js", HOSTILE).with_limits(limits(50, 1 << 20, 1000)))
        .unwrap_err();
    assert!(err.to_string().contains("ceiling"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_hostile_requests_at_once_leave_the_loader_healthy() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js("w.js", HOSTILE).with_limits(limits(30, 32, 2_000)))
        .unwrap();
    let mut tasks = Vec::new();
    for (i, path) in ["/loop", "/alloc", "/recurse", "/string", "/loop", "/wide"]
        .iter()
        .cycle()
        .take(18)
        .enumerate()
    {
        let worker = worker.clone();
        let path = path.to_string();
        tasks.push(tokio::spawn(async move { (i, call(&worker, &path).await) }));
    }
    for t in tasks {
        let (i, r) = t.await.unwrap();
        assert!(r.is_err(), "request {i} should have failed");
    }
    let fresh = loader
        .load(WorkerCode::js(
            "b.js",
            "export default { fetch() { return new Response('alive'); } }",
        ))
        .unwrap();
    assert_eq!(call(&fresh, "/").await.unwrap(), "alive");
}

/// A request that computes for a while (it moves to the long-running lane part-way), waits on a
/// timer, computes again and keeps module state: the move changes nothing it can see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_computations_finish_correctly_after_moving_to_the_long_running_lane() {
    let loader = loader().await;
    let code = r#"
let runs = 0;
function spin(n) { let h = 0; for (let i = 0; i < n; i++) h = (h * 31 + i) | 0; return h; }
export default { async fetch() {
    runs++;
    const a = spin(300000);
    await new Promise((r) => setTimeout(r, 5));
    const b = spin(300000);
    return new Response(`${runs} ${a === b} ${a}`);
} };
"#;
    let worker = loader
        .get("long-lane", || async {
            Ok(WorkerCode::js("worker.js", code).with_limits(limits(5_000, 64, 10_000)))
        })
        .await
        .unwrap();
    let expected = {
        let mut h: i32 = 0;
        for i in 0..300000i32 {
            h = h.wrapping_mul(31).wrapping_add(i);
        }
        h
    };
    for run in 1..=3 {
        let inv = worker
            .entrypoint(None)
            .fetch_traced(get("https://worker/"))
            .await;
        let body = text(&inv.result.unwrap());
        assert_eq!(body, format!("{run} true {expected}"));
        // Long enough to have been moved (the lane takes calls past 0.5 ms of CPU).
        assert!(
            inv.trace.cpu_time > Duration::from_millis(1),
            "{:?}",
            inv.trace.cpu_time
        );
    }
    assert_eq!(
        worker.warm_instances(),
        1,
        "the instance came back from the lane"
    );
}

/// Reference counting frees most garbage; cycles need QuickJS's collector. A long-lived instance
/// that leaves cycles behind on every request must not grow into its memory limit.
#[tokio::test]
async fn cyclic_garbage_is_collected_in_a_long_lived_instance() {
    let loader = loader().await;
    // About 100 KiB of self-referencing objects per request, kept nowhere.
    let worker = loader
        .load(
            WorkerCode::js(
                "w.js",
                r#"
let served = 0;
export default { fetch() {
  for (let i = 0; i < 1000; i++) { const o = { pad: [i, i, i, i] }; o.self = o; }
  return new Response(String(++served));
} };"#,
            )
            .with_limits(limits(2_000, 8, 30_000)),
        )
        .unwrap();
    // 400 requests leave ~40 MiB of cycles: five times the 8 MiB limit.
    for n in 1..=400 {
        assert_eq!(
            call(&worker, "/")
                .await
                .map_err(|e| format!("request {n}: {e}"))
                .unwrap(),
            n.to_string()
        );
    }
}

#[tokio::test]
async fn a_response_over_the_hostcall_limit_is_named_not_a_crash() {
    // Issue 15: a 150 MB body failed as "the sandbox crashed: … fuel allocated for hostcalls".
    let loader = wasm_sandbox_tests::loader_with(wasm_sandbox::Config {
        limits: wasm_sandbox::Limits {
            cpu_time: std::time::Duration::from_secs(5),
            memory_bytes: 512 << 20,
            ..Default::default()
        },
        max_memory_per_instance: 512 << 20,
        ..Default::default()
    })
    .await;
    let err = wasm_sandbox_tests::run_js(
        &loader,
        "export default { fetch() { return new Response(new Uint8Array(150 * 1024 * 1024)); } };",
    )
    .await
    .unwrap_err();
    assert_eq!(err.outcome(), "tooLarge", "{err}");
    assert!(err.to_string().contains("larger than 128 MiB"), "{err}");
}
