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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_bindings_call_workers_and_handlers_and_stop_loops() {
    let loader = loader().await;
    let backend = loader
        .load(WorkerCode::js(
            "b.js",
            r#"export default { async fetch(req) {
                return new Response(`${req.method} ${new URL(req.url).pathname} ${await req.text()} ${req.headers.get("x-from")}`, { status: 201, statusText: "Made", headers: { "x-backend": "yes" } });
            } };"#,
        ))
        .unwrap();
    let host = Binding::service(|req: http::Request<bytes::Bytes>| async move {
        Ok(http::Response::new(bytes::Bytes::from(format!(
            "host saw {}",
            req.uri()
        ))))
    });
    let front = r#"export default { async fetch(req, env) {
        const r = await env.BACKEND.fetch("https://backend/items", { method: "POST", body: "payload", headers: { "x-from": "front" } });
        const h = await env.HOST.fetch(new Request("https://host/x?y=1"));
        return Response.json({ status: r.status, statusText: r.statusText, header: r.headers.get("x-backend"), body: await r.text(), host: await h.text() });
    } };"#;
    let out = body_json(
        &run(
            &loader,
            WorkerCode::js("f.js", front)
                .with_binding("BACKEND", Binding::worker(backend))
                .with_binding("HOST", host),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        out,
        json!({"status": 201, "statusText": "Made", "header": "yes", "body": "POST /items payload front", "host": "host saw https://host/x?y=1"})
    );

    // A worker bound to itself recurses until the depth limit refuses the next call; the error
    // unwinds through every level as a catchable Error.
    let cell: Arc<std::sync::OnceLock<wasm_sandbox::Worker>> = Arc::default();
    let me = cell.clone();
    let itself = Binding::service(move |req: http::Request<bytes::Bytes>| {
        let w = me.get().cloned();
        async move {
            w.ok_or("not ready")?
                .entrypoint(None)
                .fetch(req)
                .await
                .map_err(|e| e.to_string())
        }
    });
    let recursive = loader
        .load(
            WorkerCode::js(
                "r.js",
                r#"export default { async fetch(req, env) {
                    const depth = Number(new URL(req.url).searchParams.get("d") || 0);
                    try {
                        const r = await env.SELF.fetch(`https://self/?d=${depth + 1}`);
                        return new Response(await r.text(), { status: r.status });
                    } catch (e) { return new Response(`stopped at ${depth}: ${e.message}`, { status: 508 }); }
                } };"#,
            )
            .with_binding("SELF", itself),
        )
        .unwrap();
    cell.set(recursive.clone()).ok().unwrap();
    let resp = recursive
        .entrypoint(None)
        .fetch(get("https://self/"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 508);
    let body = text(&resp);
    assert!(body.starts_with("stopped at 16: "), "{body}");
    assert!(body.contains("nested more than 16 deep"), "{body}");
}

#[tokio::test]
async fn files_round_trip_quota_modes_and_escapes() {
    use wasm_sandbox::files::{FilesBinding, FilesMode};
    let base = std::env::temp_dir().join(format!("wasm-sandbox-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let root = base.join("lent");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(base.join("secret.txt"), "TOP-SECRET").unwrap();
    std::fs::write(root.join("sub/hello.txt"), "hi").unwrap();
    std::os::unix::fs::symlink(&base, root.join("up")).unwrap();
    std::os::unix::fs::symlink(base.join("secret.txt"), root.join("secret-link")).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("etc")).unwrap();
    let loader = loader().await;
    let rw = FilesBinding::open(&root, FilesMode::ReadWrite, 64).unwrap();
    let code = r#"export default { async fetch(req, env) {
        const out = {};
        const attempt = async (name, f) => { try { out[name] = await f(); } catch (e) { out[name] = "refused: " + e.message; } };
        await env.FILES.write("notes/a.json", JSON.stringify({ n: 1 }));
        await env.FILES.write("bin", new Uint8Array([1, 2, 3]));
        out.text = await env.FILES.read("sub/hello.txt");
        out.json = await env.FILES.read("notes/a.json", { type: "json" });
        out.bytes = Array.from(await env.FILES.read("bin", "bytes"));
        out.missing = await env.FILES.read("nope.txt");
        out.root = (await env.FILES.list()).map(e => `${e.name}:${e.type}`);
        out.notes = await env.FILES.list("notes");
        await attempt("quota", () => env.FILES.write("big", "x".repeat(100)));
        await env.FILES.delete("bin");
        out.afterDelete = await env.FILES.read("bin");
        for (const p of ["../secret.txt", "/etc/passwd", "sub/../../secret.txt", "up/secret.txt", "secret-link", "etc/passwd", "a\0b", ""]) {
            await attempt(p, () => env.FILES.read(p));
        }
        await attempt("write-escape", () => env.FILES.write("up/evil.txt", "x"));
        await attempt("list-escape", () => env.FILES.list("../"));
        return Response.json(out);
    } };"#;
    let out = body_json(
        &run(
            &loader,
            WorkerCode::js("w.js", code).with_binding("FILES", Binding::Files(rw)),
        )
        .await
        .unwrap(),
    );
    assert_eq!(out["text"], "hi");
    assert_eq!(out["json"], json!({"n": 1}));
    assert_eq!(out["bytes"], json!([1, 2, 3]));
    assert_eq!(out["missing"], Value::Null);
    assert_eq!(
        out["root"],
        json!([
            "bin:file",
            "etc:symlink",
            "notes:directory",
            "secret-link:symlink",
            "sub:directory",
            "up:symlink"
        ])
    );
    assert_eq!(
        out["notes"],
        json!([{"name": "a.json", "type": "file", "size": 7}])
    );
    assert!(
        out["quota"].as_str().unwrap().contains("quota of 64 bytes"),
        "{out}"
    );
    assert_eq!(out["afterDelete"], Value::Null);
    for p in [
        "../secret.txt",
        "/etc/passwd",
        "sub/../../secret.txt",
        "up/secret.txt",
        "secret-link",
        "etc/passwd",
        "a\u{0}b",
        "",
        "write-escape",
        "list-escape",
    ] {
        let v = out[p].as_str().unwrap_or_default();
        assert!(v.starts_with("refused: "), "{p}: {v}");
        assert!(
            !v.contains("TOP-SECRET") && !v.contains("root:"),
            "{p}: {v}"
        );
    }
    assert!(!base.join("evil.txt").exists());
    assert_eq!(
        std::fs::read_to_string(base.join("secret.txt")).unwrap(),
        "TOP-SECRET"
    );

    // Read-only: reads work, writes and deletes are refused.
    let ro = FilesBinding::open(&root, FilesMode::ReadOnly, 1 << 20).unwrap();
    let code = r#"export default { async fetch(req, env) {
        const out = [await env.FILES.read("sub/hello.txt")];
        for (const f of [() => env.FILES.write("x", "y"), () => env.FILES.delete("sub/hello.txt")]) {
            try { await f(); out.push("allowed"); } catch (e) { out.push(e.message); }
        }
        return Response.json(out);
    } };"#;
    let out = body_json(
        &run(
            &loader,
            WorkerCode::js("w.js", code).with_binding("FILES", Binding::Files(ro)),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        out,
        json!([
            "hi",
            "FILES: this directory is read-only",
            "FILES: this directory is read-only"
        ])
    );
    assert!(root.join("sub/hello.txt").exists());
    let _ = std::fs::remove_dir_all(&base);
}

#[tokio::test]
async fn kv_values_over_25_mib_are_refused_clearly() {
    let loader = loader().await;
    let store: Arc<dyn KvStore> = MemoryKv::new();
    let code = r#"export default { async fetch(req, env) {
        const big = new Uint8Array(25 * 1024 * 1024 + 1);
        try { await env.KV.put("big", big); return new Response("stored"); }
        catch (e) { return new Response(e.message); }
    } };"#;
    let body = text(
        &run(
            &loader,
            // Filling and copying 25 MiB takes longer than the default 50 ms of CPU on a busy
            // host; the limit under test here is the value size.
            WorkerCode::js("w.js", code)
                .with_binding("KV", kv(&store, "big"))
                .with_limits(wasm_sandbox::Limits {
                    cpu_time: Duration::from_secs(2),
                    ..wasm_sandbox::Limits::default()
                }),
        )
        .await
        .unwrap(),
    );
    assert_eq!(body, "KV value is 26214401 bytes; the limit is 26214400");
    assert!(store.get("big", "big").unwrap().is_none());
}

/// Code Mode meets TypeScript: an LLM sees `ToolSet::typescript`'s declaration and writes a
/// TypeScript worker against it (declaration pasted at the top, typed calls, an interface for
/// the result); the worker runs as written, its types stripped on the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_mode_typescript_runs_against_its_declaration() {
    let loader = loader().await;
    let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let set = Arc::new(tools(in_flight, peak));
    let declaration = set.typescript("TOOLS");
    assert!(declaration.contains("search(input: {"), "{declaration}");
    let code = format!(
        r#"{declaration}
interface Page {{ id: string; words?: number; error?: string }}
type Env = typeof env;
export default {{
  async fetch(request: Request, env: Env): Promise<Response> {{
    const {{ hits }} = (await env.TOOLS.search({{ q: "wasm" }})) as {{ hits: string[] }};
    const pages: Page[] = [];
    for (const id of hits) {{
      try {{ pages.push((await env.TOOLS.fetch_page({{ id }})) as Page); }}
      catch (e) {{ pages.push({{ id, error: (e as Error).message }}); }}
    }}
    const words = pages.filter((p): p is Required<Pick<Page, "words">> & Page => p.words !== undefined).map(p => p.words!);
    const summary = await env.TOOLS.summarize({{ values: words }}) satisfies unknown;
    return Response.json({{ hits, summary }});
  }}
}};
"#
    );
    let out = body_json(
        &run(
            &loader,
            WorkerCode::ts("agent.ts", code).with_binding("TOOLS", Binding::Tools(set)),
        )
        .await
        .unwrap(),
    );
    assert_eq!(out["hits"], json!(["wasm-1", "wasm-2"]));
    assert_eq!(out["summary"], json!({"count": 1, "sum": 600}));
}
