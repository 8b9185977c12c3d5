  // ---------------------------------------------------------------- module data
  const dataModules = new Map();
  // `cloudflare:workers` (see loader.rs): the base class of named entrypoints, and RpcTarget.
  class WorkerEntrypoint {
    constructor(ctx, env) { this.ctx = ctx; this.env = env; }
  }
  class RpcTarget {}
  Object.defineProperty(G, Symbol.for("sandbox.internals"), {
    value: Object.freeze({ dataModule: (name) => { const b = dataModules.get(name); return b; }, WorkerEntrypoint, RpcTarget, builtin, moduleSource }),
    enumerable: false, configurable: false, writable: false,
  });


  // ---------------------------------------------------------------- dispatch
  class SandboxError extends Error {
    constructor(kind, message) { super(message); this.__sandboxKind = kind; }
  }
  let worker = null; // { namespace, env }

  function handlerTarget(entrypoint, props) {
    const ns = worker.namespace;
    const name = entrypoint == null ? "default" : entrypoint;
    if (!(name in ns)) {
      if (name === "default") throw new SandboxError("no-default-export", "the main module has no default export: add `export default { async fetch(request, env, ctx) { ... } }`");
      throw new SandboxError("no-handler", `the main module has no export named \`${name}\``);
    }
    const exported = ns[name];
    if (typeof exported === "function" && exported.prototype && typeof exported.prototype.fetch === "function") {
      // A class entrypoint (WorkerEntrypoint style): instantiate per call with (ctx, env).
      const ctx = makeCtx(props);
      const obj = new exported(ctx, worker.env);
      if (obj.env === undefined) obj.env = worker.env;
      if (obj.ctx === undefined) obj.ctx = ctx;
      return { fn: obj.fetch, self: obj, ctx, isClass: true };
    }
    if (exported === null || (typeof exported !== "object" && typeof exported !== "function") || typeof exported.fetch !== "function") {
      throw new SandboxError("no-handler", name === "default"
        ? "the default export has no `fetch` handler: export default { async fetch(request, env, ctx) { ... } }"
        : `the export \`${name}\` has no \`fetch\` handler`);
    }
    return { fn: exported.fetch, self: exported, ctx: makeCtx(props), isClass: false };
  }
  let waitUntil = [];
  class ExecutionContext {
    constructor(props) { this.props = props === null || props === undefined ? {} : JSON.parse(props); }
    waitUntil(p) { waitUntil.push(Promise.resolve(p).catch(reportError)); }
    passThroughOnException() {}
    // Stubs of this worker's own entrypoints (service.js): the default export and every
    // WorkerEntrypoint class (or class with a fetch handler) the main module exports.
    get exports() { return ctxExports(); }
  }
  function makeCtx(props) { return new ExecutionContext(props); }
  let exportStubs = null;
  function ctxExports() {
    if (exportStubs !== null) return exportStubs;
    if (worker === null) return {};
    const out = {};
    for (const name of Object.keys(worker.namespace)) {
      const v = worker.namespace[name];
      const isClass = typeof v === "function" && v.prototype !== undefined && (v.prototype instanceof WorkerEntrypoint || typeof v.prototype.fetch === "function");
      const isObject = name === "default" && v !== null && typeof v === "object";
      if (isClass || isObject) out[name] = loopback(name === "default" ? null : name, null);
    }
    return exportStubs = Object.freeze(out);
  }

  // Call the handler with the host's request. Returns the response as
  // [status, statusText, [[name, value]...], Uint8Array], or a promise of it when the handler
  // (or a ctx.waitUntil) is asynchronous; throws what the handler throws.
  // `streaming`: the host can take a stream body as it is produced (see pumpBody).
  // `bodyId`: the request's body, still arriving in the host (read as it comes).
  function dispatchFetch(entrypoint, props, method, url, headers, body, streaming, bodyId) {
    if (worker === null) throw new SandboxError("invalid-worker", "no worker is loaded");
    const serial = ++callSerial;
    streamingCall = streaming === true;
    inflight.clear(); // anything still in flight belonged to an earlier call
    bodyReads.clear();
    calls.clear();
    const target = handlerTarget(entrypoint, props);
    const href = native.urlHref(url);
    if (href === null) throw new TypeError(`Invalid URL: ${url}`);
    const upper = method.toUpperCase();
    if (METHODS.has(upper)) method = upper;
    const bytes = body === null || body === undefined || method === "GET" || method === "HEAD" ? null : body;
    const request = new Request(FROM_HOST, { url: href, method, pairs: headers, bytes });
    if (bodyId !== null && bodyId !== undefined) {
      if (method === "GET" || method === "HEAD") native.httpCancel(bodyId);
      else bodyState.get(request).pending = new HostBody(bodyId, "reading the request body failed");
    }
    const result = target.isClass ? target.fn.call(target.self, request) : target.fn.call(target.self, request, worker.env, target.ctx);
    if (result !== null && typeof result === "object" && typeof result.then === "function") return Promise.resolve(result).then((r) => finishDispatch(r, serial));
    return finishDispatch(result, serial);
  }
  function finishDispatch(response, serial) {
    // A handler of a call that has ended (it never settled in time) answers no one, and must
    // not take the current call's waitUntil promises.
    if (serial !== callSerial) return null;
    if (!(response instanceof Response)) {
      const what = response === undefined ? "undefined" : response === null ? "null" : typeof response === "object" ? (response.constructor && response.constructor.name) || "an object" : typeof response;
      throw new SandboxError("bad-return", `the fetch handler returned ${what} instead of a Response: return new Response(body, { status, headers })`);
    }
    const st = bodyState.get(response);
    if (st.used) throw new TypeError("Body has already been used. It can only be used once; use clone() first to read it twice.");
    st.used = true;
    const pending = waitUntil; waitUntil = [];
    if (st.pending !== null) {
      if (st.pending.locked) throw new TypeError("the response body stream is locked to a reader");
      // The host sends the head now and the body as pumpBody reads it.
      if (streamingCall) {
        // A fetch() body returned unread is spliced by the host (no chunk passes through JS).
        const job = { stream: null, host: null, pending, serial };
        if (st.pending instanceof HostBody) { st.pending.locked = true; job.host = st.pending; }
        else job.stream = st.pending;
        return [response.status, response.statusText, responsePairs(response), null, job];
      }
      // Else the stream is read to its end here (the host takes the body whole).
      const status = response.status, statusText = response.statusText, pairs = responsePairs(response);
      return Promise.all([bodyBytes(st), ...pending]).then(([bytes]) => [status, statusText, pairs, bytes]);
    }
    const out = [response.status, response.statusText, responsePairs(response), st.bytes || new Uint8Array(0)];
    if (pending.length) return Promise.all(pending).then(() => out);
    return out;
  }

  // A streamed response: the head has gone out; read the body stream and write each chunk to
  // the host as it comes, waiting while the host's buffer is full. A client that goes away
  // cancels the stream (its source's cancel() runs). Then the ctx.waitUntil promises.
  // Every native call names its call (`serial`): a pump left over from an earlier call (its
  // stream fed later by a module-level reference) is refused by the host side and cancels.
  let callSerial = 0, streamingCall = false, writableWaiter = null;
  function respondReady(outcome) {
    const w = writableWaiter;
    writableWaiter = null;
    if (w !== null) w(outcome);
  }
  const writable = (serial) => new Promise((resolve) => { writableWaiter = resolve; native.respondWait(serial); });
  // Splice a fetch() body into the reply: true at its end, false when the client left, else
  // why the source failed.
  const spliced = (host, serial) => new Promise((resolve) => {
    writableWaiter = resolve;
    if (!native.respondSplice(host.id, serial)) { writableWaiter = null; resolve("the response body is no longer available"); }
  });
  async function pumpBody(job) {
    const { stream, host, pending, serial } = job;
    if (host !== null) {
      const outcome = await spliced(host, serial);
      if (typeof outcome === "string") throw new TypeError(`${host.what}: ${outcome}`);
      return finishPump(pending, serial);
    }
    const reader = stream.getReader();
    pump: for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        const e = new TypeError(`a response body stream must produce Uint8Array chunks, not ${value === null ? "null" : typeof value === "object" ? (value.constructor && value.constructor.name) || "an object" : typeof value}`);
        reader.cancel(e).catch(() => {});
        throw e;
      }
      for (let off = 0; off < value.byteLength;) {
        const n = native.respondWrite(value, off, serial);
        if (n < 0) {
          await reader.cancel(new DOMException("the client closed the connection", "AbortError"));
          break pump;
        }
        off += n;
        if (off < value.byteLength) await writable(serial);
      }
    }
    return finishPump(pending, serial);
  }
  async function finishPump(pending, serial) {
    if (serial !== callSerial) return;
    native.respondFinish(serial);
    const later = pending.concat(waitUntil);
    waitUntil = [];
    if (later.length) await Promise.all(later);
  }

  // RPC: call `method` on an entrypoint with JSON arguments; the result as JSON text, or a
  // promise of it.
  const NOT_RPC = new Set(["constructor", "fetch", "then"]);
  function dispatchCall(entrypoint, props, method, argsJson) {
    if (worker === null) throw new SandboxError("invalid-worker", "no worker is loaded");
    const serial = ++callSerial;
    inflight.clear();
    bodyReads.clear();
    calls.clear();
    const ns = worker.namespace;
    const name = entrypoint == null ? "default" : entrypoint;
    if (!(name in ns)) {
      if (name === "default") throw new SandboxError("no-default-export", "the main module has no default export");
      throw new SandboxError("no-handler", `the main module has no export named \`${name}\``);
    }
    const exported = ns[name];
    let self;
    if (typeof exported === "function" && exported.prototype) {
      const ctx = makeCtx(props);
      self = new exported(ctx, worker.env);
      if (self.env === undefined) self.env = worker.env;
      if (self.ctx === undefined) self.ctx = ctx;
    } else if (exported !== null && typeof exported === "object") {
      self = exported;
    } else {
      throw new SandboxError("no-handler", `the export \`${name}\` is not an entrypoint (a class or an object)`);
    }
    const fn = NOT_RPC.has(method) || method in Object.prototype ? undefined : self[method];
    if (typeof fn !== "function") throw new SandboxError("no-handler", `the entrypoint \`${name}\` has no method \`${method}\``);
    const args = JSON.parse(argsJson);
    if (!Array.isArray(args)) throw new TypeError("RPC arguments must be a JSON array");
    const finish = (value) => {
      if (serial !== callSerial) return null;
      const out = value === undefined ? "null" : JSON.stringify(value);
      if (typeof out !== "string") throw new TypeError(`the result of ${method}() is not JSON-serialisable`);
      const pending = waitUntil; waitUntil = [];
      if (pending.length) return Promise.all(pending).then(() => out);
      return out;
    };
    // An object export's `tail(events, env, ctx)` handler gets env and ctx as on Cloudflare.
    if (method === "tail" && self === exported) args.push(worker.env, makeCtx(props));
    const result = fn.apply(self, args);
    if (result !== null && typeof result === "object" && typeof result.then === "function") return Promise.resolve(result).then(finish);
    return finish(result);
  }

