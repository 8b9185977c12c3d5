//! criterion benches of the in-process paths:
//! - `instantiate`: a bare sandbox from the pre-instantiated engine, dropped (no script);
//! - `load_fetch_unique`: `load()` + first `fetch` of code never seen before (cold path:
//!   instantiate + evaluate the module + run the handler);
//! - `fetch_cached`: `fetch` on a worker from `get()` (warm instance, module already evaluated);
//! - `fetch_after_idle_trim`: the same, on an instance whose read-only pages were just given back
//!   (`Loader::trim_idle`, what the idle trimmer does): the cost of faulting them back in.
//! - `typescript/strip_small_handler`, `typescript/strip_200kb`: type stripping (oxc) of a small
//!   handler and of a ~200 KB TypeScript file, what every `/api/run` of TypeScript pays;
//! - `bundle_hono/cold_empty_cache`: Cloudflare's Hono example bundled with an empty package
//!   cache (metadata and the tarball from a registry on loopback serving the vendored
//!   hono-4.13.19.tgz, verified, unpacked, linked); `warm_disk_cache`: a new bundler over the
//!   filled cache (no registry: unpack + link); `cached_result`: the same files again (the
//!   bundler's result cache);
//! - `first_get/plain_js` vs `first_get/hono_ts_npm`: `get()` of an id never seen + its first
//!   response, for a one-line JS worker and for the Hono example (bundled from the warm cache).
//! - `worker_loader/*`: code never seen before loaded and run once — `child_from_parent`: by a
//!   warm parent worker through its `env.LOADER` binding (the parent's own request included);
//!   `child_from_parent_via_http`: by the same parent logic without a loader, `fetch()`ing the
//!   daemon's `POST /api/run` (an in-process daemon on loopback; HTTP and JSON included);
//!   `api_run_http`: `POST /api/run` from a native client (no parent worker at all). The group runs
//!   on one single-threaded runtime, as each of the daemon's connection threads does.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use wasm_sandbox::{Config, Loader, WorkerCode};
use wasm_sandbox_benches::{parent_http_code, post_script, unique_script, HELLO, PARENT};

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

/// A TypeScript handler of a few hundred bytes.
const SMALL_TS: &str = r#"interface Env { GREETING: string }
enum Mode { Plain, Json }
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const mode: Mode = new URL(request.url).searchParams.has("json") ? Mode.Json : Mode.Plain;
    const body = { hello: env.GREETING ?? "world" } satisfies Record<string, string>;
    return mode === Mode.Json ? Response.json(body) : new Response(body.hello);
  },
};
"#;

/// ~200 KB of TypeScript: interfaces, enums, generics, classes with parameter properties.
fn large_ts() -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < 200 * 1024 {
        out.push_str(&format!(
            r#"export interface Item{i}<T> {{ id: number; value: T; tags?: readonly string[] }}
export enum Kind{i} {{ A = {i}, B, C }}
export class Store{i}<T> {{
  private items: Map<number, Item{i}<T>> = new Map();
  constructor(private readonly name: string, public limit: number = 10) {{}}
  put(item: Item{i}<T>): this {{ if (this.items.size < this.limit) this.items.set(item.id, item); return this; }}
  get(id: number): T | undefined {{ return this.items.get(id)?.value as T | undefined; }}
}}
export function total{i}(xs: Array<Item{i}<number>>): number {{ return xs.reduce((a: number, x) => a + x.value, 0); }}
"#
        ));
        i += 1;
    }
    out
}

fn hono_files() -> wasm_sandbox::Files {
    [
        ("package.json", r#"{"dependencies": {"hono": "^4.0.0"}}"#),
        (
            "src/index.ts",
            "import { Hono } from 'hono';\nconst app = new Hono();\napp.get('/', (c) => c.text('Hello from Dynamic Worker!'));\nexport default app;\n",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect()
}

fn typescript_npm(c: &mut Criterion) {
    use wasm_sandbox::bundle::source::{strip_types, JsxConfig};
    use wasm_sandbox_tests::npm_registry::{FixturePackage, Registry, Tamper};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("typescript");
    let large = large_ts();
    group.bench_function("strip_small_handler", |b| {
        b.iter(|| strip_types("src/index.ts", SMALL_TS, &JsxConfig::default()).unwrap())
    });
    group.bench_function("strip_200kb", |b| {
        b.iter(|| strip_types("big.ts", &large, &JsxConfig::default()).unwrap())
    });
    group.finish();

    let tarball = include_bytes!("fixtures/hono-4.13.19.tgz").to_vec();
    let registry = rt.block_on(Registry::start(vec![(
        FixturePackage::new("hono", "4.13.19", &[]),
        Tamper::Raw(tarball),
    )]));
    let root = std::env::temp_dir().join(format!("wasm-sandbox-bench-npm-{}", std::process::id()));
    let config = |dir: &std::path::Path| {
        let mut npm = wasm_sandbox::NpmConfig::new(dir);
        npm.registry = registry.url();
        wasm_sandbox::BundleConfig {
            npm: Some(npm),
            ..Default::default()
        }
    };
    let mut group = c.benchmark_group("bundle_hono");
    let counter = AtomicU64::new(0);
    group.bench_function("cold_empty_cache", |b| {
        b.to_async(&rt).iter(|| async {
            let dir = root.join(format!("cold-{}", counter.fetch_add(1, Ordering::Relaxed)));
            let bundler = wasm_sandbox::Bundler::new(config(&dir));
            let bundled = bundler.bundle(hono_files(), None, None).await.unwrap();
            assert!(bundled.lock[0].starts_with("hono@4.13.19#"));
            let _ = std::fs::remove_dir_all(&dir);
        })
    });
    let warm_dir = root.join("warm");
    rt.block_on(wasm_sandbox::Bundler::new(config(&warm_dir)).bundle(hono_files(), None, None))
        .unwrap();
    group.bench_function("warm_disk_cache", |b| {
        b.to_async(&rt).iter(|| async {
            let bundler = wasm_sandbox::Bundler::new(config(&warm_dir));
            bundler.bundle(hono_files(), None, None).await.unwrap();
        })
    });
    let bundler = wasm_sandbox::Bundler::new(config(&warm_dir));
    rt.block_on(bundler.bundle(hono_files(), None, None))
        .unwrap();
    group.bench_function("cached_result", |b| {
        b.to_async(&rt)
            .iter(|| async { bundler.bundle(hono_files(), None, None).await.unwrap() })
    });
    group.finish();

    let loader = rt.block_on(Loader::new(Config::default())).unwrap();
    let mut group = c.benchmark_group("first_get");
    let ids = AtomicU64::new(0);
    group.bench_function("plain_js", |b| {
        b.to_async(&rt).iter(|| async {
            let id = format!("js-{}", ids.fetch_add(1, Ordering::Relaxed));
            let worker = loader
                .get(&id, || async { Ok(WorkerCode::js("worker.js", HELLO)) })
                .await
                .unwrap();
            let resp = worker.entrypoint(None).fetch(request()).await.unwrap();
            assert_eq!(resp.status(), 200);
        })
    });
    group.bench_function("hono_ts_npm", |b| {
        b.to_async(&rt).iter(|| async {
            let id = format!("hono-{}", ids.fetch_add(1, Ordering::Relaxed));
            let worker = loader
                .get(&id, || async {
                    let fresh = wasm_sandbox::Bundler::new(config(&warm_dir));
                    let bundled = fresh.bundle(hono_files(), None, None).await?;
                    Ok(WorkerCode::from_bundle(&bundled))
                })
                .await
                .unwrap();
            let resp = worker.entrypoint(None).fetch(request()).await.unwrap();
            assert_eq!(resp.status(), 200);
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

fn worker_loader(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("worker_loader");
    let loader = rt.block_on(Loader::new(Config::default())).unwrap();
    let parent = rt
        .block_on(loader.get("parent", || async {
            Ok(WorkerCode::js("parent.js", PARENT)
                .with_binding("LOADER", loader.worker_loader("bench/parent")))
        }))
        .unwrap();
    // The daemon, in process, on loopback: for /api/run over HTTP from outside, and from a parent.
    let dir = std::env::temp_dir().join(format!("wasm-sandbox-bench-{}", std::process::id()));
    let config = wasm_sandbox_server::ServerConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: Some(dir.clone()),
        ..Default::default()
    };
    let daemon = rt.block_on(async {
        wasm_sandbox_server::Daemon::bind(config)
            .await
            .unwrap()
            .spawn()
    });
    let url = format!("http://{}/api/run", daemon.local_addr());
    let parent_http = rt
        .block_on(loader.get("parent-http", || async { Ok(parent_http_code(&url)) }))
        .unwrap();
    let counter = AtomicU64::new(0);
    let post = post_script;
    group.bench_function("child_from_parent", |b| {
        b.to_async(&rt).iter(|| async {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let resp = parent.entrypoint(None).fetch(post(n)).await.unwrap();
            assert_eq!(resp.status(), 200);
        })
    });
    group.bench_function("child_from_parent_via_http", |b| {
        b.to_async(&rt).iter(|| async {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let resp = parent_http.entrypoint(None).fetch(post(n)).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert!(resp.body().starts_with(b"Hello"));
        })
    });

    let client = reqwest::Client::new();
    group.bench_function("api_run_http", |b| {
        b.to_async(&rt).iter(|| async {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let resp = client
                .post(&url)
                .json(&serde_json::json!({ "code": unique_script(n) }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            resp.bytes().await.unwrap();
        })
    });
    group.finish();
    rt.block_on(daemon.stop()).unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(runtime, benches, standalone, typescript_npm, worker_loader);
criterion_main!(runtime);
