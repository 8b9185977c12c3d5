//! Several daemons over one Postgres (`[store] backend = "postgres"`): any replica serves any
//! registered worker and reads any KV write, and a re-registration on one is what the others
//! serve next. Needs the test Postgres (`WASM_SANDBOX_TEST_PG`, started by `make test`).

use serde_json::json;
use wasm_sandbox_tests::daemon::{client, get_json, put_json, TempDir, TestDaemon};
use wasm_sandbox_tests::pg::database;

fn replica(dir: &TempDir, url: &str) -> TestDaemon {
    let cfg = dir.0.join("sandbox.toml");
    std::fs::write(&cfg, "[store]\nbackend = \"postgres\"\n").unwrap();
    // The URL through the environment, as a Secret would give it.
    TestDaemon::start(
        &dir.0,
        &["--config", cfg.to_str().unwrap()],
        &[("WASM_SANDBOX_DATABASE_URL", url)],
    )
}

const NOTES: &str = r#"export default { async fetch(req, env) {
  const u = new URL(req.url);
  if (req.method === "POST") { await env.N.put(u.searchParams.get("k"), await req.text()); return new Response("stored"); }
  return new Response((await env.N.get(u.searchParams.get("k"))) ?? "missing");
} };"#;

#[tokio::test]
async fn replicas_share_the_registry_and_kv() {
    let Some(url) = database("share").await else {
        return;
    };
    let (da, db) = (TempDir::new("replica-a"), TempDir::new("replica-b"));
    let (a, b) = (replica(&da, &url), replica(&db, &url));
    let spec = json!({ "code": NOTES, "bindings": { "N": { "kv": "notes" } } });
    let (s, v) = put_json(&a, "/workers/notes", &spec).await;
    assert_eq!(s, 201, "{v}");
    // Registered on A: B knows it and serves it.
    let (s, v) = get_json(&b, "/workers/notes").await;
    assert_eq!((s, v["version"].clone()), (200, json!(1)), "{v}");
    // KV written by a request served on A is read by a request served on B.
    let r = client()
        .post(a.url("/workers/notes/x?k=greeting"))
        .body("hello from A")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "stored");
    let r = client()
        .get(b.url("/workers/notes/x?k=greeting"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "hello from A");
    // Re-registered on B (B and A both have version 1 warm): A serves version 2 next.
    let r = client()
        .get(a.url("/workers/notes/x?k=greeting"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "hello from A");
    let v2 = json!({ "code": "export default { fetch() { return new Response('v2'); } }" });
    let (s, v) = put_json(&b, "/workers/notes", &v2).await;
    assert_eq!((s, v["version"].clone()), (200, json!(2)), "{v}");
    let r = client()
        .get(a.url("/workers/notes/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "v2");
    // Deleted on A: gone on B.
    let r = client()
        .delete(a.url("/workers/notes"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client()
        .get(b.url("/workers/notes/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_daemon_whose_database_is_unreachable_does_not_start() {
    let dir = TempDir::new("replica-nodb");
    let cfg = dir.0.join("sandbox.toml");
    std::fs::write(&cfg, "[store]\nbackend = \"postgres\"\n").unwrap();
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("host=127.0.0.1 port={port} user=postgres dbname=none connect_timeout=2");
    let err = TestDaemon::try_start(
        &dir.0,
        &["--config", cfg.to_str().unwrap()],
        &[("WASM_SANDBOX_DATABASE_URL", &url)],
    )
    .err()
    .expect("the daemon started without its database");
    assert!(err.contains("opening the [store] database"), "{err}");
    // Postgres without a URL is refused as a config error.
    let err = TestDaemon::try_start(&dir.0, &["--config", cfg.to_str().unwrap()], &[])
        .err()
        .expect("started without a URL");
    assert!(err.contains("needs `url`"), "{err}");
}
