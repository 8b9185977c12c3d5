//! The daemon's handlers in-process: a daemon bound on 127.0.0.1 port 0 in this test's runtime
//! (no release binary), spoken to over real HTTP/1.1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wasm_sandbox_server::{Daemon, Running, ServerConfig};

const ACME: &str = "acme-token-0123456789";
const BETA: &str = "beta-token-0123456789";

/// A fresh data dir under the system's temp dir, removed when dropped.
struct DataDir(PathBuf);

impl DataDir {
    fn new(what: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wasm-sandbox-handlers-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        DataDir(dir)
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A daemon with two tenants, `acme` and `beta`, on a free port.
async fn daemon(dir: &DataDir) -> Running {
    let sha = |t: &str| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(t.as_bytes()))
    };
    let path = dir.0.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = {:?}\n[[tenants]]\nname = \"acme\"\ntoken_sha256 = \"{}\"\n[[tenants]]\nname = \"beta\"\ntoken_sha256 = \"{}\"\n",
            dir.0.join("data"),
            sha(ACME),
            sha(BETA)
        ),
    )
    .unwrap();
    let config = ServerConfig::from_file(&path).unwrap();
    Daemon::bind(config).await.unwrap().spawn()
}

/// One response: status, headers (lowercase names) and body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `method path` with `token` and `body`, over a fresh connection (`Connection: close`).
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.unwrap_or_default();
    let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = std::str::from_utf8(&b[..end]).unwrap().trim();
        let size = usize::from_str_radix(size.split(';').next().unwrap(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[end + 2 + size + 2..];
    }
}

async fn post_json(addr: SocketAddr, path: &str, token: &str, v: &Value) -> Reply {
    let body = serde_json::to_vec(v).unwrap();
    send(addr, "POST", path, Some(token), Some(&body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_bad_json_and_the_registry() {
    let dir = DataDir::new("run");
    let d = daemon(&dir).await;
    let addr = d.local_addr();

    // No credential: 401.
    let r = send(addr, "POST", "/api/run", None, Some(b"{}")).await;
    assert_eq!(r.status, 401);

    // `/api/run`: Cloudflare's exact reply for a basic body.
    let r = post_json(
        addr,
        "/api/run",
        ACME,
        &json!({ "code": "export default { fetch() { return new Response('hi'); } };" }),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({ "ok": true, "status": 200, "output": "hi" })
    );

    // Bad `bindings` and `globalOutbound`: 400 with a message that says what is wrong.
    for (body, needle) in [
        (json!({ "bindings": { "K": 1 } }), "expected {\"kv\""),
        (
            json!({ "bindings": { "K": { "durableObject": {} } } }),
            "bindings.K: expected {\"kv\"",
        ),
        (
            json!({ "bindings": { "K": { "kv": 1 } } }),
            "bindings.K.kv: expected a namespace name",
        ),
        (
            json!({ "bindings": { "F": { "files": { "dir": "w", "mode": "x" } } } }),
            "\"mode\" must be",
        ),
        (
            json!({ "bindings": { "S": { "service": "../x" } } }),
            "expected a worker id",
        ),
        (json!({ "globalOutbound": "everything" }), "expected null"),
        (
            json!({ "globalOutbound": { "allow": "https://a.test" } }),
            "list of strings",
        ),
        (
            json!({ "globalOutbound": { "allow": ["a.test"] } }),
            "https://",
        ),
        (
            json!({ "globalOutbound": { "allow": [], "extra": 1 } }),
            "unknown field",
        ),
        (
            json!({ "globalOutbound": { "service": "gw", "allow": [] } }),
            "stands alone",
        ),
        (
            json!({ "globalOutbound": { "service": "no such id!" } }),
            "globalOutbound.service",
        ),
        (
            json!({ "modules": { "a.js": 5 } }),
            "module `a.js`: expected a string",
        ),
        (
            json!({ "globalOutbund": null }),
            "unknown field `globalOutbund`",
        ),
    ] {
        let r = post_json(addr, "/api/run", ACME, &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.json());
        let v = r.json();
        assert_eq!(v["ok"], json!(false), "{v}");
        assert!(
            v["error"].as_str().unwrap().contains(needle),
            "{needle}: {v}"
        );
    }

    // The registry: PUT, GET, forward, outcome header, DELETE.
    let spec = json!({ "code": "export default { fetch(req) { return new Response(new URL(req.url).pathname); } };" });
    let put = |spec: Value| async move {
        let body = serde_json::to_vec(&spec).unwrap();
        send(addr, "PUT", "/workers/echo", Some(ACME), Some(&body)).await
    };
    assert_eq!(put(spec.clone()).await.status, 201);
    let r = send(addr, "GET", "/workers/echo", Some(ACME), None).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        (v["id"].clone(), v["version"].clone()),
        (json!("echo"), json!(1)),
        "{v}"
    );
    assert_eq!(v["modules"], json!(["worker.js"]), "{v}");
    let r = send(addr, "GET", "/workers/echo/a/b?q", Some(ACME), None).await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"/a/b"[..]));
    // A new version replaces the cached one.
    let thrower = json!({ "code": "export default { fetch() { throw new Error('boom'); } };" });
    assert_eq!(put(thrower).await.status, 200);
    let r = send(addr, "GET", "/workers/echo/x", Some(ACME), None).await;
    assert_eq!(r.status, 500, "{}", r.json());
    assert_eq!(r.header("x-wasm-sandbox-outcome"), Some("exception"));
    // A module map lists its modules.
    let map = json!({ "mainModule": "m.js", "modules": { "m.js": "export default {}", "d.json": { "json": [1] } } });
    let body = serde_json::to_vec(&map).unwrap();
    let r = send(addr, "PUT", "/workers/mods", Some(ACME), Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.json());
    assert_eq!(r.json()["modules"], json!(["d.json", "m.js"]));
    let r = send(addr, "DELETE", "/workers/echo", Some(ACME), None).await;
    assert_eq!(r.status, 200);
    let r = send(addr, "GET", "/workers/echo", Some(ACME), None).await;
    assert_eq!(r.status, 404);

    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_does_not_reach_another_tenants_worker() {
    let dir = DataDir::new("tenants");
    let d = daemon(&dir).await;
    let addr = d.local_addr();
    let spec =
        json!({ "code": "export default { fetch() { return new Response('acme secret'); } };" });
    let body = serde_json::to_vec(&spec).unwrap();
    let r = send(addr, "PUT", "/workers/private", Some(ACME), Some(&body)).await;
    assert_eq!(r.status, 201);

    // beta sees no such worker: not by the registry, forwarding, rpc or a service binding.
    assert_eq!(
        send(addr, "GET", "/workers/private", Some(BETA), None)
            .await
            .status,
        404
    );
    assert_eq!(
        send(addr, "GET", "/workers/private/x", Some(BETA), None)
            .await
            .status,
        404
    );
    let r = post_json(
        addr,
        "/workers/private/rpc",
        BETA,
        &json!({ "method": "x" }),
    )
    .await;
    assert_eq!(r.status, 404);
    let caller = json!({
        "code": "export default { async fetch(req, env) { try { return await env.S.fetch('https://s/'); } catch (e) { return new Response(String(e)); } } };",
        "bindings": { "S": { "service": "private" } },
    });
    let r = post_json(addr, "/api/run", BETA, &caller).await;
    let v = r.json();
    assert!(!v.to_string().contains("acme secret"), "{v}");
    // As the outbound service too.
    let outbound = json!({
        "code": "export default { async fetch() { try { const r = await fetch('https://x.test/'); return new Response(await r.text()); } catch (e) { return new Response(String(e)); } } };",
        "globalOutbound": { "service": "private" },
    });
    let v = post_json(addr, "/api/run", BETA, &outbound).await.json();
    assert!(!v.to_string().contains("acme secret"), "{v}");
    // acme reaches its own worker both ways.
    let v = post_json(addr, "/api/run", ACME, &caller).await.json();
    assert_eq!(v["output"], json!("acme secret"), "{v}");
    let v = post_json(addr, "/api/run", ACME, &outbound).await.json();
    assert_eq!(v["output"], json!("acme secret"), "{v}");

    // `/api/get/{id}` ids are per tenant too.
    let counter = |text: &str| json!({ "code": format!("export default {{ fetch() {{ return new Response('{text}'); }} }};") });
    let v = post_json(addr, "/api/get/same", ACME, &counter("a"))
        .await
        .json();
    assert_eq!(v["output"], json!("a"), "{v}");
    let v = post_json(addr, "/api/get/same", BETA, &counter("b"))
        .await
        .json();
    assert_eq!(v["output"], json!("b"), "{v}");

    d.stop().await.unwrap();
}
