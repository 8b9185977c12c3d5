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
                .with_binding("GATE", gate),
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
            .contains("must be null or a service binding"),
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
    let r = parent_reply(&loader, "t/rec", RECURSE).await;
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
