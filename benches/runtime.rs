//! criterion benches of the in-process paths:
//! - `instantiate`: a bare sandbox from the pre-instantiated engine, dropped (no script);
//! - `load_fetch_unique`: `load()` + first `fetch` of code never seen before (cold path:
//!   instantiate + evaluate the module + run the handler);
//! - `fetch_cached`: `fetch` on a worker from `get()` (warm instance, module already evaluated);
//! - `fetch_after_idle_trim`: the same, on an instance whose read-only pages were just given back
//!   (`Loader::trim_idle`, what the idle trimmer does): the cost of faulting them back in.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use wasm_sandbox::{Config, Loader, WorkerCode};
use wasm_sandbox_benches::{unique_script, HELLO};

fn request() -> http::Request<Bytes> {
    http::Request::get("https://worker/")
        .body(Bytes::new())
        .unwrap()
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let loader = rt.block_on(Loader::new(Config::default())).unwrap();

    c.bench_function("instantiate", |b| {
        b.to_async(&rt)
            .iter(|| async { loader.probe().await.unwrap() })
    });

    let counter = AtomicU64::new(0);
    c.bench_function("load_fetch_unique", |b| {
        b.to_async(&rt).iter(|| async {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let worker = loader
                .load(WorkerCode::js("worker.js", unique_script(n)))
                .unwrap();
            let resp = worker.entrypoint(None).fetch(request()).await.unwrap();
            assert_eq!(resp.status(), 200);
        })
    });

    let cached = rt
        .block_on(loader.get("bench", || async { Ok(WorkerCode::js("worker.js", HELLO)) }))
        .unwrap();
    c.bench_function("fetch_cached", |b| {
        b.to_async(&rt).iter(|| async {
            let resp = cached.entrypoint(None).fetch(request()).await.unwrap();
            assert_eq!(resp.status(), 200);
        })
    });

    c.bench_function("fetch_after_idle_trim", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (loader, cached) = (&loader, &cached);
            async move {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    loader.trim_idle(std::time::Duration::ZERO);
                    let started = std::time::Instant::now();
                    let resp = cached.entrypoint(None).fetch(request()).await.unwrap();
                    total += started.elapsed();
                    assert_eq!(resp.status(), 200);
                }
                total
            }
        })
    });
}

/// The portable form against `load()` of the same source: a fresh instance of the compiled
/// component (snapshot already holding the evaluated worker) + its first response, versus
/// `load()` + first `fetch` (pooled engine instance, modules evaluated per worker).
fn standalone(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let code = WorkerCode::js("agent.js", wasm_sandbox_benches::AGENT);
    let wasm = rt
        .block_on(wasm_sandbox::standalone::compile(&code))
        .unwrap();
    let component = wasm_sandbox::standalone::StandaloneComponent::new(&wasm).unwrap();
    let loader = rt.block_on(Loader::new(Config::default())).unwrap();
    let mut group = c.benchmark_group("same_source");
    group.bench_function("standalone_instantiate_first_response", |b| {
        b.to_async(&rt).iter(|| async {
            let resp = component.fetch(request()).await.unwrap();
            assert_eq!(resp.status(), 200);
        })
    });
    group.bench_function("load_first_response", |b| {
        b.to_async(&rt).iter(|| async {
            let worker = loader.load(code.clone()).unwrap();
            let resp = worker.entrypoint(None).fetch(request()).await.unwrap();
            assert_eq!(resp.status(), 200);
        })
    });
    group.finish();
}

criterion_group!(runtime, benches, standalone);
criterion_main!(runtime);
