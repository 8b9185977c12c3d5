use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wasm_sandbox::{Config, WorkerCode};
use wasm_sandbox_tests::{get, loader, loader_with, text};

const COUNTER: &str = r#"
let count = 0;
export default { fetch() { count++; return new Response(String(count)); } };
"#;

#[tokio::test]
async fn get_calls_back_once_and_module_state_persists() {
    let loader = loader().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let mut seen = Vec::new();
    for _ in 0..5 {
        let calls = calls.clone();
        let worker = loader
            .get("tenant-123", || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(WorkerCode::js("worker.js", COUNTER))
            })
            .await
            .unwrap();
        seen.push(text(
            &worker
                .entrypoint(None)
                .fetch(get("https://w/"))
                .await
                .unwrap(),
        ));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(seen, ["1", "2", "3", "4", "5"]);
    let (_, fresh) = loader
        .get_traced("tenant-123", || async { unreachable!("cached") })
        .await
        .unwrap();
    assert!(!fresh);
}

#[tokio::test]
async fn load_never_shares_state() {
    let loader = loader().await;
    for _ in 0..3 {
        let worker = loader.load(WorkerCode::js("worker.js", COUNTER)).unwrap();
        assert_eq!(
            text(
                &worker
                    .entrypoint(None)
                    .fetch(get("https://w/"))
                    .await
                    .unwrap()
            ),
            "1"
        );
        // ...but one loaded worker keeps its state across its own requests, like an isolate.
        assert_eq!(
            text(
                &worker
                    .entrypoint(None)
                    .fetch(get("https://w/"))
                    .await
                    .unwrap()
            ),
            "2"
        );
    }
}

#[tokio::test]
async fn concurrent_gets_share_one_callback() {
    let loader = loader().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let loader = loader.clone();
        let calls = calls.clone();
        tasks.push(tokio::spawn(async move {
            loader
                .get("same-id", || async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok(WorkerCode::js("worker.js", COUNTER))
                })
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn failed_callback_is_retried_next_time() {
    let loader = loader().await;
    let err = loader
        .get("flaky", || async { anyhow::bail!("storage unavailable") })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("storage unavailable"));
    let worker = loader
        .get("flaky", || async { Ok(WorkerCode::js("w.js", COUNTER)) })
        .await
        .unwrap();
    assert_eq!(
        text(
            &worker
                .entrypoint(None)
                .fetch(get("https://w/"))
                .await
                .unwrap()
        ),
        "1"
    );
}

#[tokio::test]
async fn two_workers_cannot_see_each_others_globals() {
    let loader = loader().await;
    let a = loader
        .get("a", || async {
            Ok(WorkerCode::js(
                "worker.js",
                r#"globalThis.secret = "a-secret"; globalThis.Response.prototype.leak = "a";
                export default { fetch() { return new Response(String(globalThis.secret)); } };"#,
            ))
        })
        .await
        .unwrap();
    let b = loader
        .get("b", || async {
            Ok(WorkerCode::js(
                "worker.js",
                r#"export default { fetch() {
                    return new Response(`${typeof globalThis.secret}/${typeof Response.prototype.leak}`);
                } };"#,
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        text(&a.entrypoint(None).fetch(get("https://w/")).await.unwrap()),
        "a-secret"
    );
    assert_eq!(
        text(&b.entrypoint(None).fetch(get("https://w/")).await.unwrap()),
        "undefined/undefined"
    );
}

#[tokio::test]
async fn cache_evicts_least_recently_used_and_eviction_only_loses_state() {
    let loader = loader_with(Config {
        cache_max_workers: 2,
        ..Config::default()
    })
    .await;
    let hit = |id: &'static str| {
        let loader = loader.clone();
        async move {
            let w = loader
                .get(id, || async { Ok(WorkerCode::js("w.js", COUNTER)) })
                .await
                .unwrap();
            text(&w.entrypoint(None).fetch(get("https://w/")).await.unwrap())
        }
    };
    assert_eq!(hit("one").await, "1");
    assert_eq!(hit("two").await, "1");
    assert_eq!(hit("one").await, "2"); // "two" is now the least recently used
    assert_eq!(hit("three").await, "1"); // evicts "two"
    assert_eq!(loader.cache_stats().workers, 2);
    assert_eq!(loader.cache_stats().evictions, 1);
    assert_eq!(hit("one").await, "3"); // kept
    assert_eq!(hit("two").await, "1"); // reloaded: module state lost, nothing else
}

#[tokio::test]
async fn cache_is_bounded_by_memory_too() {
    let loader = loader_with(Config {
        cache_max_bytes: 1, // every warm instance is over budget: only the last used stays
        ..Config::default()
    })
    .await;
    for id in ["x", "y", "z"] {
        let w = loader
            .get(id, || async { Ok(WorkerCode::js("w.js", COUNTER)) })
            .await
            .unwrap();
        w.entrypoint(None).fetch(get("https://w/")).await.unwrap();
        assert!(w.footprint_bytes() > 0);
    }
    let stats = loader.cache_stats();
    assert!(stats.workers <= 2, "{stats:?}");
    assert!(stats.evictions >= 1, "{stats:?}");
}

#[tokio::test]
async fn engine_is_compiled_once_and_cached_on_disk() {
    let dir = std::env::temp_dir().join(format!("wasm-sandbox-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config {
        cache_dir: Some(dir.clone()),
        ..Config::default()
    };
    let first = loader_with(config.clone()).await;
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].to_string_lossy().ends_with(".cwasm"));
    let modified = std::fs::metadata(dir.join(&files[0]))
        .unwrap()
        .modified()
        .unwrap();
    drop(first);
    let second = loader_with(config).await;
    assert_eq!(
        std::fs::metadata(dir.join(&files[0]))
            .unwrap()
            .modified()
            .unwrap(),
        modified
    );
    let w = second.load(WorkerCode::js("w.js", COUNTER)).unwrap();
    assert_eq!(
        text(&w.entrypoint(None).fetch(get("https://w/")).await.unwrap()),
        "1"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_full_pool_evicts_idle_cached_workers_instead_of_refusing() {
    let loader = loader_with(Config {
        max_instances: 4,
        cache_max_workers: 100,
        ..Config::default()
    })
    .await;
    for i in 0..12 {
        let id = format!("id-{i}");
        let w = loader
            .get(&id, || async { Ok(WorkerCode::js("w.js", COUNTER)) })
            .await
            .unwrap();
        assert_eq!(
            text(&w.entrypoint(None).fetch(get("https://w/")).await.unwrap()),
            "1",
            "{id}"
        );
    }
    let stats = loader.cache_stats();
    assert!(stats.evictions >= 8, "{stats:?}");
    assert!(stats.workers <= 4, "{stats:?}");
}

/// Eviction under pool pressure must free the victim's slots even while something else holds the
/// worker: the idle trimmer, a request on its way, or a service that kept the handle. (The soak
/// found 503s "all instance slots are in use" while the trimmer held every worker for its pass.)
#[tokio::test]
async fn pool_eviction_frees_slots_of_workers_still_held_elsewhere() {
    let loader = loader_with(Config {
        max_instances: 4,
        cache_max_workers: 100,
        ..Config::default()
    })
    .await;
    let mut held = Vec::new();
    for i in 0..12 {
        let id = format!("held-{i}");
        let w = loader
            .get(&id, || async { Ok(WorkerCode::js("w.js", COUNTER)) })
            .await
            .unwrap();
        let r = w.entrypoint(None).fetch(get("https://w/")).await;
        assert_eq!(text(&r.expect(&id)), "1", "{id}");
        held.push(w);
    }
    let stats = loader.cache_stats();
    assert!(stats.evictions >= 8, "{stats:?}");
    assert!(loader.pool_stats().live <= 4, "{:?}", loader.pool_stats());
    // An evicted worker still held runs again, on a fresh instance (its state started over).
    let r = held[0]
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap();
    assert_eq!(text(&r), "1");
}

/// Module state that spans many pages: a counter and a 256 KiB typed array with a pattern.
const BIG_STATE: &str = r#"
let count = 0;
const data = new Uint32Array(64 * 1024);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 0;
export default { fetch() {
    count++;
    let ok = true;
    for (let i = 0; i < data.length; i++) if (data[i] !== ((i * 2654435761) >>> 0)) { ok = false; break; }
    data[count] = (count * 2654435761) >>> 0;
    return new Response(`${count} ${ok}`);
} };
"#;

#[tokio::test]
async fn idle_trim_releases_read_only_pages_and_keeps_state() {
    let loader = loader_with(Config {
        idle_trim_after: None,
        ..Config::default()
    })
    .await;
    let mut workers = Vec::new();
    for i in 0..4 {
        let w = loader
            .get(&format!("trim-{i}"), || async {
                // Filling and checking the 256 KiB array can pass the default 50 ms of CPU on a
                // busy host; what is under test is the trimming.
                Ok(
                    WorkerCode::js("worker.js", BIG_STATE).with_limits(wasm_sandbox::Limits {
                        cpu_time: std::time::Duration::from_secs(2),
                        ..wasm_sandbox::Limits::default()
                    }),
                )
            })
            .await
            .unwrap();
        let r = w
            .entrypoint(None)
            .fetch(get("https://worker/"))
            .await
            .unwrap();
        assert_eq!(text(&r), "1 true");
        workers.push(w);
    }
    // Just used: nothing is old enough.
    assert_eq!(
        loader
            .trim_idle(std::time::Duration::from_secs(60))
            .instances,
        0
    );
    let first = loader.trim_idle(std::time::Duration::ZERO);
    assert_eq!(first.instances, 4, "{first:?}");
    // Every instance read snapshot pages it did not write (the prelude, QuickJS's tables).
    assert!(first.bytes >= 4 * 64 * 1024, "{first:?}");
    // Already trimmed and not run since: nothing more to do.
    assert_eq!(loader.trim_idle(std::time::Duration::ZERO).instances, 0);
    for round in 2..5 {
        for w in &workers {
            let r = w
                .entrypoint(None)
                .fetch(get("https://worker/"))
                .await
                .unwrap();
            assert_eq!(text(&r), format!("{round} true"), "state survived the trim");
        }
        // Ran again, so trimmed again.
        assert_eq!(loader.trim_idle(std::time::Duration::ZERO).instances, 4);
    }
}

#[tokio::test]
async fn idle_instances_are_trimmed_in_the_background() {
    let loader = loader_with(Config {
        idle_trim_after: Some(std::time::Duration::from_millis(20)),
        ..Config::default()
    })
    .await;
    let w = loader
        .get("bg-trim", || async {
            Ok(WorkerCode::js("worker.js", COUNTER))
        })
        .await
        .unwrap();
    assert_eq!(
        text(
            &w.entrypoint(None)
                .fetch(get("https://worker/"))
                .await
                .unwrap()
        ),
        "1"
    );
    assert_eq!(w.trimmed_instances(), 0);
    // The trimmer runs every 20 ms and takes instances idle for 20 ms (bounded wait).
    let started = std::time::Instant::now();
    while w.trimmed_instances() == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "never trimmed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        loader.trim_idle(std::time::Duration::ZERO).instances,
        0,
        "already trimmed"
    );
    assert_eq!(
        text(
            &w.entrypoint(None)
                .fetch(get("https://worker/"))
                .await
                .unwrap()
        ),
        "2"
    );
}
