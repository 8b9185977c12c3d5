  // ---------------------------------------------------------------- ReadableStream (buffered)
  // Bodies are held whole. `body` is a ReadableStream over those bytes (one chunk); a stream the
  // script builds must enqueue everything and close synchronously in `start` (pull-based and
  // async sources are not supported yet and say so).
  const STREAM_FROM_BYTES = Symbol("stream from bytes");
  let streamFromBytes, streamBytes;
  class ReadableStream {
    #chunks = []; #error = undefined; #locked = false; #onRead = null;
    constructor(source = {}, strategy = undefined) {
      if (source === STREAM_FROM_BYTES) return;
      let closed = false;
      const controller = {
        enqueue: (chunk) => { this.#chunks.push(typeof chunk === "string" ? utf8Encode(chunk) : copyBytes(chunk)); },
        close: () => { closed = true; },
        error: (e) => { this.#error = e; closed = true; },
        get desiredSize() { return closed ? 0 : 1; },
      };
      if (source && typeof source.start === "function") {
        const started = source.start(controller);
        if (started && typeof started.then === "function" && !closed) throw new TypeError("ReadableStream: an asynchronous start() is not supported by this runtime yet; enqueue every chunk and close() synchronously");
      }
      if (!closed) throw new TypeError("ReadableStream: only sources that enqueue every chunk and close() synchronously in start() are supported by this runtime yet");
    }
    static {
      streamFromBytes = (bytes, onRead) => { const s = new ReadableStream(STREAM_FROM_BYTES); s.#chunks = bytes && bytes.length ? [bytes] : []; s.#onRead = onRead; return s; };
      streamBytes = (s) => {
        if (s.#locked) throw new TypeError("ReadableStream is locked");
        if (s.#error !== undefined) throw s.#error;
        s.#locked = true;
        if (s.#onRead) s.#onRead();
        const total = s.#chunks.reduce((n, c) => n + c.length, 0);
        const out = new Uint8Array(total);
        let off = 0; for (const c of s.#chunks) { out.set(c, off); off += c.length; }
        return out;
      };
    }
    get locked() { return this.#locked; }
    getReader() {
      if (this.#locked) throw new TypeError("ReadableStream is locked to a reader");
      this.#locked = true;
      if (this.#onRead) this.#onRead();
      const chunks = this.#chunks, error = this.#error;
      let i = 0;
      return {
        read: () => error !== undefined ? Promise.reject(error) : Promise.resolve(i < chunks.length ? { value: chunks[i++].slice(), done: false } : { value: undefined, done: true }),
        releaseLock: () => { this.#locked = false; },
        cancel: () => { i = chunks.length; return Promise.resolve(); },
        closed: Promise.resolve(undefined),
      };
    }
    cancel() { this.#chunks = []; return Promise.resolve(); }
    async *[Symbol.asyncIterator]() {
      const reader = this.getReader();
      for (;;) { const { value, done } = await reader.read(); if (done) return; yield value; }
    }
    get [Symbol.toStringTag]() { return "ReadableStream"; }
  }
  define("ReadableStream", ReadableStream);

