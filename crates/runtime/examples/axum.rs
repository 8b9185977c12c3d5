//! An axum service that routes `/agent/...` to a sandboxed worker (`HttpService`), next to its
//! own routes. `cargo run --release -p wasm-sandbox --example axum`, then
//! `curl localhost:3000/agent/hello`.

use axum::routing::get;
use wasm_sandbox::{Config, Loader, WorkerCode};

const AGENT: &str = r#"export default {
  async fetch(request) {
    const url = new URL(request.url);
    return Response.json({ path: url.pathname, method: request.method });
  },
};"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let loader = Loader::new(Config::default()).await?;
    let worker = loader.load(WorkerCode::js("agent.js", AGENT))?;
    let app = axum::Router::new()
        .route("/", get(|| async { "the service's own route" }))
        .nest_service("/agent", worker.entrypoint(None).into_service());
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
