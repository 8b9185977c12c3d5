  // ---------------------------------------------------------------- KV (env.NOTES)
  // Workers KV over the `kv` natives (generated from the WIT `kv` interface).
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
      const e = await hostCall(native.kv.get(this.#name, kvKey(key)));
      return e === null ? null : kvDecode(e[0], type);
    }
    async getWithMetadata(key, options) {
      const type = kvType(options);
      const e = await hostCall(native.kv.get(this.#name, kvKey(key)));
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
      const k = kvKey(key), bytes = kvValue(value);
      const put = { expirationTtl: kvSeconds(o.expirationTtl, "expirationTtl"), expiration: kvSeconds(o.expiration, "expiration"), metadataJson: metadata };
      await hostCall(native.kv.put(this.#name, k, bytes, put));
    }
    async delete(key) {
      await hostCall(native.kv.delete(this.#name, kvKey(key)));
    }
    async list(options) {
      const o = options === undefined || options === null ? {} : options;
      const limit = o.limit === undefined || o.limit === null ? null : Number(o.limit);
      if (limit !== null && !(Number.isInteger(limit) && limit > 0)) throw new TypeError("KV list(): limit must be a positive integer");
      const json = await hostCall(native.kv.listKeys(this.#name, o.prefix === undefined ? null : o.prefix, limit, o.cursor === undefined || o.cursor === "" ? null : o.cursor));
      return JSON.parse(json);
    }
  }
  bindingKinds.set("kv", (name) => new KVNamespace(name));
