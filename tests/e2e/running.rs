//! Running, not in flight (issue 15, finding 4): a sandbox waiting on a timer or I/O holds no
//! running permit, so sleepers cannot keep others from running; and no more than
//! `max_running` sandboxes execute guest code at once.

use std::time::Duration;

use wasm_sandbox::{Config, WorkerCode};
use wasm_sandbox_tests::{get, loader_with, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleepers_hold_no_running_permit() {
    let loader = loader_with(Config {
        max_running: 1,
        ..Config::default()
    })
    .await;
    let sleeper = loader
        .load(WorkerCode::js(
            "sleeper.js",
            "export default { async fetch() { await new Promise(r => setTimeout(r, 3000)); return new Response('slept'); } };",
        ))
        .unwrap();
    let sleepers: Vec<_> = (0..20)
        .map(|_| {
            let sleeper = sleeper.clone();
            tokio::spawn(async move { sleeper.entrypoint(None).fetch(get("https://s/")).await })
        })
        .collect();
    // Every sleeper has started and is waiting on its timer.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while loader.pool_stats().live < 20 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(loader.pool_stats().live >= 20, "{:?}", loader.pool_stats());
    // With one running permit and 20 sandboxes in flight, a bystander still runs to the end
    // before any sleeper wakes.
    let bystander = loader
        .load(WorkerCode::js(
            "b.js",
            "export default { fetch() { let s = 0; for (let i = 0; i < 1e5; i++) s += i; return new Response(String(s)); } };",
        ))
        .unwrap();
    let r = bystander
        .entrypoint(None)
        .fetch(get("https://b/"))
        .await
        .unwrap();
    assert_eq!(text(&r), "4999950000");
    assert!(
        sleepers.iter().all(|s| !s.is_finished()),
        "the bystander should finish while every sleeper still waits"
    );
    for s in sleepers {
        assert_eq!(text(&s.await.unwrap().unwrap()), "slept");
    }
    let stats = loader.pool_stats();
    assert_eq!(stats.max_running, 1);
    assert_eq!(stats.running_peak, 1, "{stats:?}");
    assert_eq!(stats.running, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn computing_sandboxes_take_turns_within_max_running() {
    let loader = loader_with(Config {
        max_running: 1,
        ..Config::default()
    })
    .await;
    // Short computations that yield between rounds (awaiting a resolved promise does not
    // leave the guest; a zero timer does): several in flight, one executing at a time.
    let worker = loader
        .load(WorkerCode::js(
            "w.js",
            "export default { async fetch() { let s = 0; for (let r = 0; r < 5; r++) { for (let i = 0; i < 2e4; i++) s += i; await new Promise(res => setTimeout(res, 0)); } return new Response(String(s)); } };",
        ))
        .unwrap();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let worker = worker.clone();
            tokio::spawn(async move { worker.entrypoint(None).fetch(get("https://w/")).await })
        })
        .collect();
    for c in calls {
        assert_eq!(text(&c.await.unwrap().unwrap()), "999950000");
    }
    let stats = loader.pool_stats();
    assert_eq!(stats.running_peak, 1, "{stats:?}");
    assert!(stats.running_waits > 0, "{stats:?}");
}
