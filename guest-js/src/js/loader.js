  // ---------------------------------------------------------------- Worker Loader (env.LOADER)
  // Over the `loader` natives (generated from the WIT `loader` interface). Cloudflare's Worker
  // Loader: load(code) and get(id, getCode) return a WorkerStub at once; its entrypoints' fetch()
  // and RPC methods wait for the child to be loaded, and reject with what went wrong (a syntax
  // error in the child, its CPU limit...). A binding of this worker's env put in the child's env
  // (or given as its globalOutbound, or in its tails) is passed by name: the host hands the child
  // that very binding; a ctx.exports stub is passed by its entrypoint and props.
  function bytesBase64(data) {
    const u8 = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    let s = "";
    for (let i = 0; i < u8.length; i += 8192) s += String.fromCharCode.apply(null, u8.subarray(i, i + 8192));
    return btoa(s);
  }
  // What a binding or stub this worker holds is passed to a child as: a binding by its name in
  // env, a ctx.exports stub by its entrypoint and props. Undefined for anything else.
  function stubRef(v) {
    if (v === null || (typeof v !== "object" && typeof v !== "function")) return undefined;
    const name = bindingNames.get(v);
    if (name !== undefined) return { binding: name };
    return loopbackRefs.get(v);
  }
  const workerStubs = new WeakSet(); // entrypoint stubs of children: not passable (yet)
  function childCodeJson(code) {
    if (code === null || typeof code !== "object") throw new TypeError("WorkerCode must be an object");
    if (typeof code.mainModule !== "string") throw new TypeError("WorkerCode.mainModule must be a string");
    if (code.modules === null || typeof code.modules !== "object") throw new TypeError("WorkerCode.modules must be an object");
    const modules = {};
    for (const [name, m] of Object.entries(code.modules)) {
      if (m !== null && typeof m === "object" && "data" in m && typeof m.data !== "string") {
        if (!(m.data instanceof ArrayBuffer || ArrayBuffer.isView(m.data))) throw new TypeError(`WorkerCode.modules["${name}"].data must be an ArrayBuffer`);
        modules[name] = { data: bytesBase64(m.data) };
      } else modules[name] = m;
    }
    const out = { mainModule: code.mainModule, modules };
    if (code.env !== undefined && code.env !== null) {
      if (typeof code.env !== "object") throw new TypeError("WorkerCode.env must be an object");
      const env = {}, envBindings = {};
      for (const [k, v] of Object.entries(code.env)) {
        const ref = stubRef(v);
        if (ref !== undefined) envBindings[k] = ref.binding !== undefined ? ref.binding : ref;
        else if (workerStubs.has(v)) throw new TypeError(`WorkerCode.env.${k}: a loaded worker's entrypoint cannot be passed to another worker`);
        else env[k] = v;
      }
      out.env = env;
      out.envBindings = envBindings;
    }
    if (code.globalOutbound !== undefined) {
      const g = code.globalOutbound;
      const ref = stubRef(g);
      out.globalOutbound = g === null ? null : ref !== undefined ? ref : g;
    }
    if (code.limits !== undefined && code.limits !== null) out.limits = code.limits;
    if (code.compatibilityDate !== undefined) out.compatibilityDate = String(code.compatibilityDate);
    if (code.compatibilityFlags !== undefined) out.compatibilityFlags = Array.from(code.compatibilityFlags, String);
    if (code.tails !== undefined && code.tails !== null) {
      out.tails = Array.from(code.tails, (t, i) => {
        const ref = stubRef(t);
        if (ref === undefined) throw new TypeError(`WorkerCode.tails[${i}] must be a service binding or a ctx.exports entrypoint of this worker`);
        return ref;
      });
    }
    return JSON.stringify(out);
  }
  function propsJsonOf(options) {
    if (options === undefined || options === null || options.props === undefined) return null;
    const json = JSON.stringify(options.props);
    if (typeof json !== "string") throw new TypeError("props must be JSON-serialisable");
    return json;
  }
  function entrypointStub(loader, handle, entrypoint, propsJson) {
    const target = Object.freeze({
      async fetch(input, init) {
        const request = new Request(input, init);
        const parts = await serviceRequest(request);
        const r = await hostCall(native.loader.fetch(loader, await handle, entrypoint, propsJson, parts));
        return serviceResponse(request, r);
      },
    });
    // Any other property is an RPC method of a WorkerEntrypoint (JSON arguments and result).
    const stub = new Proxy(target, {
      get(t, prop) {
        if (prop in t) return t[prop];
        if (!rpcName(prop)) return undefined;
        return async (...args) => {
          const json = JSON.stringify(args);
          const h = await handle;
          return JSON.parse(await hostCall(native.loader.call(loader, h, entrypoint, propsJson, prop, json)));
        };
      },
    });
    workerStubs.add(stub);
    return stub;
  }
  class WorkerStub {
    #loader; #handle;
    constructor(loader, handle) {
      this.#loader = loader;
      this.#handle = handle;
      handle.catch(() => {}); // reported where the stub is used
    }
    getEntrypoint(name, options) {
      return entrypointStub(this.#loader, this.#handle, name === undefined || name === null ? null : String(name), propsJsonOf(options));
    }
  }
  function makeLoader(name) {
    return Object.freeze({
      load(code) {
        const json = childCodeJson(code);
        return new WorkerStub(name, hostCall(native.loader.load(name, json)).then(JSON.parse));
      },
      get(id, getCode) {
        if (typeof getCode !== "function") throw new TypeError("get(id, getCode): getCode must be a function");
        const handle = (async () => {
          if (id === null || id === undefined) return JSON.parse(await hostCall(native.loader.load(name, childCodeJson(await getCode()))));
          const key = String(id);
          const found = JSON.parse(await hostCall(native.loader.lookup(name, key)));
          if (found !== null) return found;
          return JSON.parse(await hostCall(native.loader.put(name, key, childCodeJson(await getCode()))));
        })();
        return new WorkerStub(name, handle);
      },
    });
  }
  bindingKinds.set("loader", makeLoader);
