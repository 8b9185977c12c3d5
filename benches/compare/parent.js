// The isolate variant's host worker for the side-by-side harness: the same two routes as
// wasm-sandbox's daemon, over workerd's Dynamic Worker Loader (env.LOADER), plus a static route.
const DEFAULT_CODE = `export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };`;
const COMPAT = "2026-11-01";

// `globalOutbound` in the request body (any non-null value) gives the worker the NET service:
// a network service that may reach 127.0.0.1 (the harness's upstream server); else none.
function workerCode(code, outbound, env) {
  return {
    compatibilityDate: COMPAT,
    mainModule: "worker.js",
    modules: { "worker.js": code || DEFAULT_CODE },
    globalOutbound: outbound ? env.NET : null,
  };
}

async function run(worker) {
  const response = await worker.getEntrypoint().fetch(new Request("https://worker/"));
  return Response.json({ ok: true, status: response.status, output: await response.text() });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/static") return new Response("ok");
    if (request.method === "POST" && url.pathname === "/api/run") {
      try {
        const { code, globalOutbound } = await request.json();
        return await run(env.LOADER.load(workerCode(code, globalOutbound, env)));
      } catch (e) {
        return Response.json({ ok: false, error: String(e && e.message || e) }, { status: 400 });
      }
    }
    if (request.method === "POST" && url.pathname.startsWith("/api/get/")) {
      const id = url.pathname.slice("/api/get/".length);
      try {
        const { code, globalOutbound } = await request.json();
        return await run(env.LOADER.get(id, async () => workerCode(code, globalOutbound, env)));
      } catch (e) {
        return Response.json({ ok: false, error: String(e && e.message || e) }, { status: 400 });
      }
    }
    return new Response("Not found", { status: 404 });
  },
};
