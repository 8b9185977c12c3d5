//! Helpers shared by the end-to-end tests: a loader with a small pool, request builders, a real
//! daemon process.

pub mod balancer;
pub mod daemon;
pub mod npm_registry;
pub mod openapi;
pub mod pg;
pub mod upstream;

use bytes::Bytes;
use wasm_sandbox::{Config, Loader, Result, WorkerCode};

/// A loader sized for tests (a few dozen instance slots: tests run in parallel in one process).
pub async fn loader() -> Loader {
    loader_with(Config::default()).await
}

/// A loader from `config`, with the pool shrunk to test size unless the test set it.
pub async fn loader_with(mut config: Config) -> Loader {
    if config.max_instances == Config::default().max_instances {
        config.max_instances = 32;
    }
    config.progress = false;
    Loader::new(config).await.expect("loader")
}

/// Until `check` holds, polled every 5 ms for at most `within`: how long it took (`None`: it
/// never held). For waiting on something another process does, bounded.
pub async fn until(
    within: std::time::Duration,
    mut check: impl AsyncFnMut() -> bool,
) -> Option<std::time::Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    None
}

/// `GET url` with an empty body.
pub fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

/// Load `source` as a one-off `worker.js` and send it `GET https://worker/`.
pub async fn run_js(loader: &Loader, source: &str) -> Result<http::Response<Bytes>> {
    let worker = loader.load(WorkerCode::js("worker.js", source))?;
    worker.entrypoint(None).fetch(get("https://worker/")).await
}

/// The body as UTF-8 text.
pub fn text(response: &http::Response<Bytes>) -> String {
    String::from_utf8(response.body().to_vec()).expect("utf-8 body")
}

/// The body parsed as JSON.
pub fn json(response: &http::Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(response.body()).expect("json body")
}
