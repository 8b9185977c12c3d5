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
