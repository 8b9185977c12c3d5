//! `Entrypoint::into_service()`: a sandboxed worker mounted in an axum router, served on
//! loopback and driven by a real HTTP client.

use wasm_sandbox::WorkerCode;
use wasm_sandbox_tests::loader;

const AGENT: &str = r#"export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/boom")) throw new Error("boom");
    if (url.pathname.endsWith("/spin")) { while (true) {} }
    if (url.pathname.endsWith("/stream")) {
      let n = 0;
      return new Response(new ReadableStream({ pull(c) { if (n++ < 3) c.enqueue(new TextEncoder().encode("chunk" + n + ";")); else c.close(); } }));
    }
    const body = await request.text();
    return Response.json({ path: url.pathname, method: request.method, bytes: body.length });
  },
};"#;

#[tokio::test]
async fn an_axum_router_serves_a_sandboxed_worker() {
    let loader = loader().await;
    let worker = loader.load(WorkerCode::js("agent.js", AGENT)).unwrap();
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "own route" }))
        .nest_service("/agent", worker.entrypoint(None).into_service());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let url = |p: &str| format!("http://{addr}{p}");

    assert_eq!(
        client
            .get(url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "own route"
    );
    // A body of 1 MiB streams in; the reply is the worker's.
    let r = client
        .post(url("/agent/upload"))
        .body(vec![b'x'; 1 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["bytes"], 1 << 20);
    // axum's nest_service strips the prefix: the worker sees its own path.
    assert_eq!(v["path"], "/upload");
    let r = client.get(url("/agent/stream")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "chunk1;chunk2;chunk3;");
    // Failures are answered, never a dropped connection.
    let r = client.get(url("/agent/boom")).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["x-wasm-sandbox-outcome"], "exception");
    assert!(r.text().await.unwrap().contains("boom"));
    let r = client.get(url("/agent/spin")).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert!(r.text().await.unwrap().to_lowercase().contains("cpu"));
    // And the worker still serves.
    let r = client.get(url("/agent/again")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    server.abort();
}
