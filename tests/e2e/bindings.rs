//! Bindings through the crate: KV namespaces, Code Mode tools, named entrypoints and RPC.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wasm_sandbox::kv::{FileKv, KvNamespace, KvStore, MemoryKv};
use wasm_sandbox::tools::ToolSet;
use wasm_sandbox::{Binding, Error, Loader, WorkerCode};
use wasm_sandbox_tests::{get, json as body_json, loader, text};

fn kv(store: &Arc<dyn KvStore>, ns: &str) -> Binding {
    Binding::Kv(KvNamespace::new(store.clone(), ns).unwrap())
}

async fn run(loader: &Loader, code: WorkerCode) -> Result<http::Response<bytes::Bytes>, Error> {
    loader
        .load(code)?
        .entrypoint(None)
        .fetch(get("https://worker/"))
        .await
}

const KV_ROUND_TRIP: &str = r#"
export default { async fetch(req, env) {
  const out = {};
  await env.KV.put("text", "héllo");
  await env.KV.put("json", JSON.stringify({ a: [1, 2] }), { metadata: { owner: "ada", n: 1 } });
  await env.KV.put("bin", new Uint8Array([0, 1, 255]));
  out.text = await env.KV.get("text");
  out.textType = await env.KV.get("text", { type: "text" });
  out.json = await env.KV.get("json", "json");
  out.bin = Array.from(new Uint8Array(await env.KV.get("bin", { type: "arrayBuffer" })));
  out.stream = await new Response(await env.KV.get("text", "stream")).text();
  out.missing = await env.KV.get("nope");
  out.withMeta = await env.KV.getWithMetadata("json", "json");
  out.noMeta = await env.KV.getWithMetadata("text");
  out.missingMeta = await env.KV.getWithMetadata("nope");
  await env.KV.delete("text");
  await env.KV.delete("never-there");
  out.deleted = await env.KV.get("text");
  try { await env.KV.get("x", { type: "yaml" }); } catch (e) { out.badType = e.constructor.name; }
  try { await env.KV.put("k".repeat(513), "v"); } catch (e) { out.longKey = e.message; }
  try { await env.KV.put("", "v"); } catch (e) { out.emptyKey = e.message; }
  try { await env.KV.put("m", "v", { metadata: { big: "x".repeat(2000) } }); } catch (e) { out.bigMeta = e.message; }
  try { await env.KV.put("t", "v", { expirationTtl: 0 }); } catch (e) { out.zeroTtl = e.message; }
  return Response.json(out);
} };
"#;

#[tokio::test]
async fn kv_round_trip_with_types_metadata_and_limits() {
    let loader = loader().await;
    let store: Arc<dyn KvStore> = MemoryKv::new();
    let code = WorkerCode::js("worker.js", KV_ROUND_TRIP).with_binding("KV", kv(&store, "notes"));
    let out = body_json(&run(&loader, code).await.unwrap());
    assert_eq!(out["text"], "héllo");
    assert_eq!(out["textType"], "héllo");
    assert_eq!(out["json"], json!({"a": [1, 2]}));
    assert_eq!(out["bin"], json!([0, 1, 255]));
    assert_eq!(out["stream"], "héllo");
    assert_eq!(out["missing"], Value::Null);
    assert_eq!(
        out["withMeta"],
        json!({"value": {"a": [1, 2]}, "metadata": {"owner": "ada", "n": 1}})
    );
    assert_eq!(out["noMeta"], json!({"value": "héllo", "metadata": null}));
    assert_eq!(out["missingMeta"], json!({"value": null, "metadata": null}));
    assert_eq!(out["deleted"], Value::Null);
    assert_eq!(out["badType"], "TypeError");
    assert!(
        out["longKey"].as_str().unwrap().contains("limit is 512"),
        "{out}"
    );
    assert!(
        out["emptyKey"].as_str().unwrap().contains("not allowed"),
        "{out}"
    );
    assert!(
        out["bigMeta"].as_str().unwrap().contains("limit is 1024"),
        "{out}"
    );
    assert!(
        out["zeroTtl"]
            .as_str()
            .unwrap()
            .contains("at least 1 second"),
        "{out}"
    );
    // What the script wrote is in the store, under its namespace.
    let json_entry = store.get("notes", "json").unwrap().unwrap();
    assert_eq!(
        json_entry.metadata.as_deref(),
        Some(r#"{"owner":"ada","n":1}"#)
    );
}

#[tokio::test]
async fn kv_entries_expire() {
    let loader = loader().await;
    let store: Arc<dyn KvStore> = MemoryKv::new();
    let put = r#"export default { async fetch(req, env) {
        await env.KV.put("short", "v", { expirationTtl: 1 });
        await env.KV.put("long", "v", { expirationTtl: 3600 });
        await env.KV.put("at", "v", { expiration: Math.floor(Date.now() / 1000) + 3600 });
        return Response.json([await env.KV.get("short"), (await env.KV.list()).keys.map(k => [k.name, typeof k.expiration])]);
    } };"#;
    let out = body_json(
        &run(
            &loader,
            WorkerCode::js("w.js", put).with_binding("KV", kv(&store, "ttl")),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        out,
        json!([
            "v",
            [["at", "number"], ["long", "number"], ["short", "number"]]
        ])
    );
    // Bounded wait past the 1 s TTL (expiry has 1 s resolution).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let read = r#"export default { async fetch(req, env) {
        return Response.json([await env.KV.get("short"), await env.KV.get("long"), (await env.KV.list()).keys.map(k => k.name)]);
    } };"#;
    let out = body_json(
        &run(
            &loader,
            WorkerCode::js("w.js", read).with_binding("KV", kv(&store, "ttl")),
        )
        .await
        .unwrap(),
    );
    assert_eq!(out, json!([null, "v", ["at", "long"]]));
}

#[tokio::test]
async fn kv_list_paginates_with_cursors_and_prefixes() {
    let loader = loader().await;
    let store: Arc<dyn KvStore> = MemoryKv::new();
    let code = r#"export default { async fetch(req, env) {
        for (let i = 0; i < 12; i++) await env.KV.put(`user:${String(i).padStart(2, "0")}`, String(i), { metadata: { i } });
        await env.KV.put("other", "x");
        const pages = [];
        let cursor;
        do {
            const page = await env.KV.list({ prefix: "user:", limit: 5, cursor });
            pages.push({ names: page.keys.map(k => k.name), meta: page.keys.map(k => k.metadata.i), complete: page.list_complete, hasCursor: typeof page.cursor === "string" });
            cursor = page.cursor;
        } while (cursor);
        const all = await env.KV.list();
        try { await env.KV.list({ cursor: "zz-not-a-cursor" }); } catch (e) { pages.push(e.message); }
        return Response.json({ pages, total: all.keys.length, complete: all.list_complete });
    } };"#;
    let out = body_json(
        &run(
            &loader,
            WorkerCode::js("w.js", code).with_binding("KV", kv(&store, "users")),
        )
        .await
        .unwrap(),
    );
    let pages = out["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 4, "{out}");
    assert_eq!(
        pages[0]["names"],
        json!(["user:00", "user:01", "user:02", "user:03", "user:04"])
    );
    assert_eq!(pages[1]["meta"], json!([5, 6, 7, 8, 9]));
    assert_eq!(pages[2]["names"], json!(["user:10", "user:11"]));
    assert_eq!(pages[2]["complete"], true);
    assert_eq!(pages[2]["hasCursor"], false);
    assert_eq!(pages[0]["complete"], false);
    assert!(pages[3].as_str().unwrap().contains("invalid cursor"));
    assert_eq!(out["total"], 13);
    assert_eq!(out["complete"], true);
}

#[tokio::test]
async fn kv_namespaces_are_isolated_and_unbound_names_are_refused() {
    let loader = loader().await;
    let store: Arc<dyn KvStore> = MemoryKv::new();
    let write = |ns: &str, v: &str| {
        WorkerCode::js(
            "w.js",
            format!(r#"export default {{ async fetch(req, env) {{ await env.KV.put("k", "{v}"); return new Response(await env.KV.get("k")); }} }};"#),
        )
        .with_binding("KV", kv(&store, ns))
    };
    assert_eq!(
        text(&run(&loader, write("a", "from a")).await.unwrap()),
        "from a"
    );
    assert_eq!(
        text(&run(&loader, write("b", "from b")).await.unwrap()),
        "from b"
    );
    // Same binding name, other namespace: each sees its own value only.
    let read = |ns: &str| {
        WorkerCode::js(
            "w.js",
            r#"export default { async fetch(req, env) { return Response.json([await env.KV.get("k"), (await env.KV.list()).keys.length]); } };"#,
        )
        .with_binding("KV", kv(&store, ns))
    };
    assert_eq!(
        body_json(&run(&loader, read("a")).await.unwrap()),
        json!(["from a", 1])
    );
    assert_eq!(
        body_json(&run(&loader, read("c")).await.unwrap()),
        json!([null, 0])
    );
    // A worker without bindings has no KV, and cannot name another worker's binding.
    let none = WorkerCode::js(
        "w.js",
        r#"export default { async fetch(req, env) { return Response.json([typeof env.KV, Object.keys(env)]); } };"#,
    );
    assert_eq!(
        body_json(&run(&loader, none).await.unwrap()),
        json!(["undefined", []])
    );
    assert!(KvNamespace::new(store.clone(), "../etc").is_err());
}

#[tokio::test]
async fn kv_file_store_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("wasm-sandbox-kv-{}", std::process::id()));
    let path = dir.join("kv.redb");
    let _ = std::fs::remove_dir_all(&dir);
    let loader = loader().await;
    {
        let store: Arc<dyn KvStore> = FileKv::open(&path).unwrap();
        let code = WorkerCode::js(
            "w.js",
            r#"export default { async fetch(req, env) { await env.KV.put("greeting", "persisted", { metadata: { v: 2 } }); return new Response("ok"); } };"#,
        )
        .with_binding("KV", kv(&store, "notes"));
        assert_eq!(text(&run(&loader, code).await.unwrap()), "ok");
    }
    // The store is closed (dropped) and opened again from the file.
    let store: Arc<dyn KvStore> = FileKv::open(&path).unwrap();
    let code = WorkerCode::js(
        "w.js",
        r#"export default { async fetch(req, env) { return Response.json(await env.KV.getWithMetadata("greeting")); } };"#,
    )
    .with_binding("KV", kv(&store, "notes"));
    assert_eq!(
        body_json(&run(&loader, code).await.unwrap()),
        json!({"value": "persisted", "metadata": {"v": 2}})
    );
    // The file store lists and isolates like the memory one.
    let other = KvNamespace::new(store.clone(), "other").unwrap();
    assert_eq!(other.get("greeting").await.unwrap(), None);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Tools that record how many handler calls run at once.
fn tools(in_flight: Arc<AtomicUsize>, peak: Arc<AtomicUsize>) -> ToolSet {
    ToolSet::new()
        .tool(
            "search",
            "Search the docs for a query.",
            json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}),
            move |input| {
                let (in_flight, peak) = (in_flight.clone(), peak.clone());
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let q = input["q"].as_str().unwrap_or_default().to_owned();
                    Ok(json!({"hits": [format!("{q}-1"), format!("{q}-2")]}))
                }
            },
        )
        .tool(
            "fetch_page",
            "Fetch a page by id.",
            json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}),
            |input| async move {
                let id = input["id"].as_str().unwrap_or_default().to_owned();
                if id.ends_with("-2") {
                    return Err(format!("page {id} is gone"));
                }
                Ok(json!({"id": id, "words": id.len() * 100}))
            },
        )
        .tool(
            "summarize",
            "Summarize numbers.",
            json!({"type": "object", "properties": {"values": {"type": "array", "items": {"type": "number"}}}, "required": ["values"]}),
            |input| async move {
                let values: Vec<f64> = input["values"].as_array().unwrap().iter().filter_map(Value::as_f64).collect();
                Ok(json!({"count": values.len(), "sum": values.iter().sum::<f64>()}))
            },
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_chain_catch_errors_and_overlap() {
    let loader = loader().await;
    let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let set = Arc::new(tools(in_flight, peak.clone()));
    // The Code Mode example: three tool calls chained in one execution.
    let code = r#"export default { async fetch(req, env) {
        const { hits } = await env.TOOLS.search({ q: "wasm" });
        const pages = [];
        for (const id of hits) {
            try { pages.push(await env.TOOLS.fetch_page({ id })); }
            catch (e) { pages.push({ id, error: e.message }); }
        }
        const summary = await env.TOOLS.summarize({ values: pages.filter(p => p.words).map(p => p.words) });
        let invalid;
        try { await env.TOOLS.search({ query: "wrong field" }); } catch (e) { invalid = e.message; }
        const together = await Promise.all([env.TOOLS.search({ q: "a" }), env.TOOLS.search({ q: "b" }), env.TOOLS.search({ q: "c" })]);
        return Response.json({ hits, pages, summary, invalid, together: together.map(t => t.hits[0]), names: Object.keys(env.TOOLS) });
    } };"#;
    let out = body_json(
        &run(
            &loader,
            WorkerCode::js("agent.js", code).with_binding("TOOLS", Binding::Tools(set)),
        )
        .await
        .unwrap(),
    );
    assert_eq!(out["hits"], json!(["wasm-1", "wasm-2"]));
    assert_eq!(
        out["pages"],
        json!([{"id": "wasm-1", "words": 600}, {"id": "wasm-2", "error": "page wasm-2 is gone"}])
    );
    assert_eq!(out["summary"], json!({"count": 1, "sum": 600}));
    assert_eq!(
        out["invalid"],
        "search(): invalid input: input.q is required"
    );
    assert_eq!(out["together"], json!(["a-1", "b-1", "c-1"]));
    assert_eq!(out["names"], json!(["search", "fetch_page", "summarize"]));
    // The three calls made together were in the handler at the same time.
    assert_eq!(peak.load(Ordering::SeqCst), 3);
}

const RPC: &str = r#"
import { WorkerEntrypoint } from "cloudflare:workers";
let calls = 0;
export class Math2 extends WorkerEntrypoint {
  add(a, b) { calls++; return a + b; }
  async slowConcat(parts) { await new Promise(r => setTimeout(r, 5)); return { joined: parts.join(this.env.SEP), calls }; }
  fail(message) { throw new RangeError(message); }
  nothing() {}
  big() { return 10n; }
  async fetch(req) { return new Response(`Math2 fetch ${new URL(req.url).pathname} ${this.env.SEP}`); }
}
export default {
  fetch() { return new Response("default"); },
  hello(name) { return `hello ${name}`; },
};
"#;

#[tokio::test]
async fn named_entrypoints_answer_fetch_and_rpc() {
    let loader = loader().await;
    let worker = loader
        .get("rpc", || async {
            Ok(WorkerCode::js("worker.js", RPC).with_env("SEP", "+"))
        })
        .await
        .unwrap();
    let math = worker.entrypoint(Some("Math2"));
    assert_eq!(
        math.call("add", vec![json!(2), json!(40)]).await.unwrap(),
        json!(42)
    );
    assert_eq!(
        math.call("slowConcat", vec![json!(["a", "b", "c"])])
            .await
            .unwrap(),
        json!({"joined": "a+b+c", "calls": 1})
    );
    assert_eq!(math.call("nothing", vec![]).await.unwrap(), Value::Null);
    let resp = math.fetch(get("https://worker/sum")).await.unwrap();
    assert_eq!(text(&resp), "Math2 fetch /sum +");
    let default = worker.entrypoint(None);
    assert_eq!(
        default.call("hello", vec![json!("ada")]).await.unwrap(),
        json!("hello ada")
    );
    assert_eq!(
        text(&default.fetch(get("https://worker/")).await.unwrap()),
        "default"
    );

    match math.call("fail", vec![json!("out of range")]).await {
        Err(Error::Exception { message, .. }) => assert_eq!(message, "RangeError: out of range"),
        other => panic!("{other:?}"),
    }
    for missing in ["nope", "constructor", "toString", "__proto__"] {
        match math.call(missing, vec![]).await {
            Err(Error::NoHandler(m)) => assert!(m.contains("has no method"), "{m}"),
            other => panic!("{missing}: {other:?}"),
        }
    }
    match worker.entrypoint(Some("Nope")).call("add", vec![]).await {
        Err(Error::NoHandler(m)) => assert!(m.contains("no export named `Nope`"), "{m}"),
        other => panic!("{other:?}"),
    }
    match math.call("big", vec![]).await {
        Err(Error::Exception { message, .. }) => assert!(message.contains("BigInt"), "{message}"),
        other => panic!("{other:?}"),
    }
    // The instance (and its module state) survived the errors.
    assert_eq!(
        math.call("slowConcat", vec![json!([])]).await.unwrap()["calls"],
        1
    );
}
