//! Several daemons over one Postgres (`[store] backend = "postgres"`): any replica serves any
//! registered worker and reads any KV write, and a re-registration on one is what the others
//! serve next. Needs the test Postgres (`WASM_SANDBOX_TEST_PG`, started by `make test`).

use serde_json::json;
use wasm_sandbox_tests::daemon::{client, get_json, post_json, put_json, TempDir, TestDaemon};
use wasm_sandbox_tests::pg::database;

fn replica(dir: &TempDir, url: &str) -> TestDaemon {
    wasm_sandbox_tests::balancer::replica(dir, url, "")
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

fn code(body: &str) -> serde_json::Value {
    json!({ "code": format!("export default {{ fetch() {{ return new Response({body:?}); }} }}") })
}

async fn run_on(d: &TestDaemon, id: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    post_json(d, &format!("/api/get/{id}"), body).await
}

/// `/api/get/{id}`: the code an id is bound to is the same on every replica, so correctness does
/// not depend on which replica a request lands on; a DELETE on one frees the id on all.
#[tokio::test]
async fn api_get_bindings_hold_on_every_replica() {
    let Some(url) = database("apiget").await else {
        return;
    };
    let (da, db) = (TempDir::new("replica-ga"), TempDir::new("replica-gb"));
    let (a, b) = (replica(&da, &url), replica(&db, &url));
    let (s, v) = run_on(&a, "agent", &code("X")).await;
    assert_eq!((s, v["output"].as_str()), (200, Some("X")), "{v}");
    assert_eq!(v["fresh"], json!(true), "{v}");
    // Other code for the id through B: refused, though B never ran it.
    let (s, v) = run_on(&b, "agent", &code("Y")).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("bound to other code"),
        "{v}"
    );
    // The same code through B: served (made fresh there; warm on A).
    let (s, v) = run_on(&b, "agent", &code("X")).await;
    assert_eq!((s, v["output"].as_str()), (200, Some("X")), "{v}");
    let (s, v) = run_on(&a, "agent", &json!({})).await;
    assert_eq!((s, v["fresh"].clone()), (200, json!(false)), "{v}");
    // `{}` where the id is bound but was never loaded: the code is asked for, never the
    // default worker under the id.
    let (dc, _) = (TempDir::new("replica-gc"), ());
    let c = replica(&dc, &url);
    let (s, v) = run_on(&c, "agent", &json!({})).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("send its code again"),
        "{v}"
    );
    // Freed on B: A (warm with X) lets the id take new code at once.
    let r = client()
        .delete(b.url("/api/get/agent"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let start = std::time::Instant::now();
    loop {
        let (s, v) = run_on(&a, "agent", &code("Y")).await;
        if s == 200 {
            assert_eq!(v["output"].as_str(), Some("Y"), "{v}");
            break;
        }
        assert_eq!(s, 409, "{v}");
        assert!(
            start.elapsed().as_secs() < 5,
            "A still holds the old binding: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // And `{}` on A now runs Y, not the X it had warm.
    let (s, v) = run_on(&a, "agent", &json!({})).await;
    assert_eq!((s, v["output"].as_str()), (200, Some("Y")), "{v}");
}

/// Each replica names itself on /healthz, /usage and every metric.
#[tokio::test]
async fn replicas_name_themselves() {
    let Some(url) = database("names").await else {
        return;
    };
    let dir = TempDir::new("replica-named");
    let d = replica(&dir, &url);
    let name = dir.0.file_name().unwrap().to_str().unwrap().to_owned();
    let (s, v) = get_json(&d, "/healthz").await;
    assert_eq!(
        (s, v["replica"].as_str()),
        (200, Some(name.as_str())),
        "{v}"
    );
    assert_eq!(v["draining"], json!(false), "{v}");
    let (s, v) = get_json(&d, "/usage").await;
    assert_eq!(
        (s, v["replica"].as_str()),
        (200, Some(name.as_str())),
        "{v}"
    );
    let metrics = client()
        .get(d.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let samples: Vec<&str> = metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    assert!(!samples.is_empty());
    for l in samples {
        assert!(l.contains(&format!("replica=\"{name}\"")), "{l}");
    }
    // Listening for the others' changes.
    let start = std::time::Instant::now();
    while get_json(&d, "/healthz").await.1["storeListening"] != json!(true) {
        assert!(start.elapsed().as_secs() < 10, "never listening");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
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
