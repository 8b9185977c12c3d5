  // ---------------------------------------------------------------- module data, dispatch
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

  // ---------------------------------------------------------------- bindings
  // Every call starts at once on the host and settles from the event loop (callSettle).
  const calls = new Map(); // call id -> { resolve, reject }
  function hostCall(kind, binding, method, args) {
    return new Promise((resolve, reject) => {
      const id = native.bindingCall(kind, binding, method, args);
      calls.set(id, { resolve, reject });
    });
  }
  function callSettle(id, ok, value) {
    const c = calls.get(id);
    if (c === undefined) return;
    calls.delete(id);
    if (ok) c.resolve(value); else c.reject(new Error(value));
  }
  const KV_TYPES = new Set(["text", "json", "arrayBuffer", "stream"]);
  function kvType(options) {
    const type = typeof options === "string" ? options : (options !== null && typeof options === "object" && options.type !== undefined) ? options.type : "text";
    if (!KV_TYPES.has(type)) throw new TypeError(`Unknown response type "${type}". Possible types are "text", "arrayBuffer", "json", and "stream".`);
    return type;
  }
  function kvDecode(bytes, type) {
    switch (type) {
      case "text": return native.utf8Decode(bytes);
      case "json": return JSON.parse(native.utf8Decode(bytes));
      case "arrayBuffer": return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      default: return new Response(bytes).body;
    }
  }
  function kvKey(key) {
    if (typeof key !== "string") key = String(key);
    return key;
  }
  function kvValue(value) {
    if (typeof value === "string") return native.utf8Encode(value.toWellFormed());
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    throw new TypeError("KV put() accepts a string, an ArrayBuffer or an ArrayBufferView as the value");
  }
  function kvSeconds(v, what) {
    if (v === undefined || v === null) return null;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new TypeError(`KV put(): ${what} must be a non-negative number of seconds`);
    return Math.floor(n);
  }
  class KVNamespace {
    #name;
    constructor(name) { this.#name = name; }
    async get(key, options) {
      const type = kvType(options);
      const e = await hostCall("kv", this.#name, "get", [kvKey(key)]);
      return e === null ? null : kvDecode(e[0], type);
    }
    async getWithMetadata(key, options) {
      const type = kvType(options);
      const e = await hostCall("kv", this.#name, "get", [kvKey(key)]);
      if (e === null) return { value: null, metadata: null };
      return { value: kvDecode(e[0], type), metadata: e[1] === null ? null : JSON.parse(e[1]) };
    }
    async put(key, value, options) {
      const o = options === undefined || options === null ? {} : options;
      let metadata = null;
      if (o.metadata !== undefined && o.metadata !== null) {
        metadata = JSON.stringify(o.metadata);
        if (metadata === undefined) throw new TypeError("KV put(): metadata must be JSON-serialisable");
      }
      await hostCall("kv", this.#name, "put", [kvKey(key), kvValue(value), kvSeconds(o.expirationTtl, "expirationTtl"), kvSeconds(o.expiration, "expiration"), metadata]);
    }
    async delete(key) {
      await hostCall("kv", this.#name, "delete", [kvKey(key)]);
    }
    async list(options) {
      const o = options === undefined || options === null ? {} : options;
      const limit = o.limit === undefined || o.limit === null ? null : Number(o.limit);
      if (limit !== null && !(Number.isInteger(limit) && limit > 0)) throw new TypeError("KV list(): limit must be a positive integer");
      const json = await hostCall("kv", this.#name, "list", [o.prefix === undefined ? null : o.prefix, limit, o.cursor === undefined || o.cursor === "" ? null : o.cursor]);
      return JSON.parse(json);
    }
  }
  // Code Mode tools: one async method per registered tool; input and result are JSON.
  function makeTools(name, tools) {
    const obj = Object.create(null);
    for (const tool of tools) {
      obj[tool] = async function (input) {
        const json = input === undefined ? "{}" : JSON.stringify(input);
        if (json === undefined) throw new TypeError(`${name}.${tool}(): the input must be JSON-serialisable`);
        return JSON.parse(await hostCall("tools", name, "call", [tool, json]));
      };
    }
    return Object.freeze(obj);
  }
  // Service bindings: fetch() on another worker (or a host handler).
  function makeService(name) {
    return Object.freeze({
      async fetch(input, init) {
        const request = new Request(input, init);
        const st = bodyState.get(request);
        const bytes = st.pending !== null ? await bodyBytes(st) : st.bytes;
        st.used = bytes !== null;
        const r = await hostCall("service", name, "fetch", [request.method, request.url, headerPairs(request.headers), bytes]);
        const nullBody = r[0] === 101 || r[0] === 204 || r[0] === 205 || r[0] === 304 || request.method === "HEAD";
        const response = new Response(nullBody ? null : r[3], { status: r[0] >= 200 && r[0] <= 599 ? r[0] : 200, statusText: r[1], headers: r[2] });
        responseMeta(response, request.url, false, r[0]);
        return response;
      },
    });
  }
  // Files: a directory the supervisor lends.
  const FILE_TYPES = new Set(["text", "json", "arrayBuffer", "bytes"]);
  function filePath(path) {
    if (typeof path !== "string") throw new TypeError("FILES: a path must be a string");
    return path;
  }
  function makeFiles(name) {
    return Object.freeze({
      async read(path, options) {
        const type = typeof options === "string" ? options : (options && options.type) || "text";
        if (!FILE_TYPES.has(type)) throw new TypeError(`FILES.read(): unknown type "${type}"; use "text", "json", "arrayBuffer" or "bytes"`);
        const bytes = await hostCall("files", name, "read", [filePath(path)]);
        if (bytes === null) return null;
        if (type === "bytes") return bytes;
        if (type === "arrayBuffer") return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        const text = native.utf8Decode(bytes);
        return type === "json" ? JSON.parse(text) : text;
      },
      async write(path, data) {
        const bytes = typeof data === "string" ? native.utf8Encode(data.toWellFormed())
          : data instanceof ArrayBuffer ? new Uint8Array(data)
          : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : null;
        if (bytes === null) throw new TypeError("FILES.write(): data must be a string, an ArrayBuffer or an ArrayBufferView");
        await hostCall("files", name, "write", [filePath(path), bytes]);
      },
      async list(path) {
        return JSON.parse(await hostCall("files", name, "list", [path === undefined ? "" : filePath(path)]));
      },
      async delete(path) {
        await hostCall("files", name, "delete", [filePath(path)]);
      },
    });
  }
  function makeEnv(envJson, bindings) {
    const env = JSON.parse(envJson || "{}");
    for (const [name, kind, methods] of bindings || []) {
      env[name] = kind === "kv" ? new KVNamespace(name)
        : kind === "tools" ? makeTools(name, methods)
        : kind === "service" ? makeService(name)
        : makeFiles(name);
    }
    return Object.freeze(env);
  }

