  // ---------------------------------------------------------------- Blob
  class Blob {
    #bytes; #type;
    constructor(parts = [], options = {}) {
      const chunks = [...parts].map((p) => (p instanceof Blob ? p.#bytes : isBufferSource(p) ? copyBytes(p) : utf8Encode(p)));
      const total = chunks.reduce((n, c) => n + c.length, 0);
      this.#bytes = new Uint8Array(total);
      let off = 0; for (const c of chunks) { this.#bytes.set(c, off); off += c.length; }
      this.#type = options.type ? String(options.type).toLowerCase() : "";
    }
    _bytes() { return this.#bytes.slice(); }
    get size() { return this.#bytes.length; }
    get type() { return this.#type; }
    async text() { return utf8Decode(this.#bytes); }
    async arrayBuffer() { return this.#bytes.slice().buffer; }
    async bytes() { return this.#bytes.slice(); }
    stream() { return streamFromBytes(this.#bytes.slice(), null); }
    get [Symbol.toStringTag]() { return "Blob"; }
    slice(start, end, type) { const b = new Blob([this.#bytes.slice(start, end)], { type }); return b; }
  }
  define("Blob", Blob);

