//! Shared pieces of the benches (kept out of the bench binaries so both benches and the
//! side-by-side harness can use them).

/// The seed script: the smallest useful worker.
pub const HELLO: &str =
    r#"export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };"#;

/// A script that is never the same twice (defeats any caching keyed by source).
pub fn unique_script(n: u64) -> String {
    format!(
        r#"const ID = {n};
export default {{ fetch(request) {{ return new Response("Hello from a dynamic Worker! " + ID); }} }};"#
    )
}

/// A parent worker holding a Worker Loader as `LOADER`: it loads the request body as a child's
/// `worker.js` and answers with the child's answer.
pub const PARENT: &str = r#"export default { async fetch(req, env) {
  const w = env.LOADER.load({ mainModule: "worker.js", modules: { "worker.js": await req.text() }, globalOutbound: null });
  return new Response(await (await w.getEntrypoint().fetch("https://worker/")).text());
} };"#;

/// The same parent without a loader: it reaches children the way a worker could before, by
/// `fetch()`ing the daemon's `POST /api/run` (at `env.API`) with the code as JSON.
pub const PARENT_HTTP: &str = r#"export default { async fetch(req, env) {
  const r = await fetch(env.API, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code: await req.text() }) });
  return new Response((await r.json()).output);
} };"#;

/// A request to [`PARENT`] or [`PARENT_HTTP`] carrying never-seen child code `n`.
pub fn post_script(n: u64) -> http::Request<bytes::Bytes> {
    http::Request::post("https://parent/")
        .body(bytes::Bytes::from(unique_script(n)))
        .unwrap()
}

/// [`PARENT_HTTP`] as a worker reaching the daemon's `/api/run` at `api` (`http://host:port/api/run`):
/// its `env.API`, and an outbound that allows that loopback address and nothing else.
pub fn parent_http_code(api: &str) -> wasm_sandbox::WorkerCode {
    let base = api.trim_end_matches("/api/run");
    wasm_sandbox::WorkerCode::js("parent.js", PARENT_HTTP)
        .with_env("API", api.to_string())
        .with_outbound(wasm_sandbox::GlobalOutbound::allow(&[base], &["127.0.0.1/32"]).unwrap())
}

/// A small agent: a JSON module, some module state, an async handler.
pub const AGENT: &str = r#"
const table = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i * i]));
let hits = 0;
export default {
  async fetch(request) {
    hits++;
    const url = new URL(request.url);
    return Response.json({ hits, path: url.pathname, sum: Object.values(table).reduce((a, b) => a + b, 0) });
  },
};"#;

/// A `Key:  123 kB` value from `/proc/<pid>/<file>` (`pid` may be `self`), in KiB; NaN when absent.
/// `status` has `VmRSS`; `smaps_rollup` has `Rss`, `Pss`, `Private_Dirty`, `Private_Clean`.
pub fn proc_kib(pid: &str, file: &str, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|rest| rest.strip_prefix(':')))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN)
}
