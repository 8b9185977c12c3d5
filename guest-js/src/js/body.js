  // ---------------------------------------------------------------- Body (Request and Response)
  // A body is held as bytes (Uint8Array) or null.
  function extractBody(body) {
    if (body === undefined || body === null) return { bytes: null, type: null };
    if (typeof body === "string") return { bytes: utf8Encode(body), type: "text/plain;charset=UTF-8" };
    if (body instanceof URLSearchParams) return { bytes: utf8Encode(body.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
    if (isBufferSource(body)) return { bytes: copyBytes(body), type: null };
    if (body instanceof Blob) return { bytes: body._bytes(), type: body.type || null };
    // A FormData can only exist once its built-in was loaded.
    const forms = builtinExports.get("web:formdata");
    if (forms !== undefined && body instanceof forms.FormData) return forms.serialize(body);
    if (isReadableStream(body)) {
      if (body.locked) throw new TypeError("a locked or already read ReadableStream cannot be a body");
      return { bytes: null, type: null, stream: body };
    }
    if (typeof body === "object" && typeof body.getReader === "function") throw new TypeError("only this runtime's own ReadableStream can be a body; pass a string, ArrayBuffer or typed array");
    return { bytes: utf8Encode(String(body)), type: "text/plain;charset=UTF-8" };
  }
  // Request|Response -> { bytes, used, stream, pending }: `bytes` held whole, or `pending`, a
  // ReadableStream the body still has to be read from (null when none: every constructor sets
  // it); `stream` is the `.body` handed out for held bytes.
  const bodyState = new WeakMap();
  const bodyOf = (b) => ({ bytes: b.bytes, used: false, pending: b.stream || null });

  // A fetch() response body still in the host, as `pending` (native httpBodyRead; the event loop
  // settles each read through bodySettle). A script that reads it whole (text(), json()...) gets
  // it without any stream; it becomes a ReadableStream pulling chunk by chunk only when one is
  // asked for (`.body`, clone(), a streamed reply): see realStream.
  // `what` starts the message of a failed read (`fetch("…") failed`).
  class HostBody {
    constructor(id, what) { this.id = id; this.what = what; this.locked = false; }
  }
  const bodyReads = new Map(); // body id -> { resolve, reject, what }
  function hostRead(host, all) {
    return new Promise((resolve, reject) => {
      if (!native.httpBodyRead(host.id, all)) {
        reject(new TypeError(`${host.what}: the body is no longer available`));
        return;
      }
      bodyReads.set(host.id, { resolve, reject, what: host.what });
    });
  }
  function bodySettle(id, ok, value) {
    const r = bodyReads.get(id);
    if (r === undefined) return;
    bodyReads.delete(id);
    if (ok) r.resolve(value);
    else r.reject(new TypeError(`${r.what}: ${value}`));
  }
  function hostStream(host) {
    host.locked = true;
    return new (streams().ReadableStream)({
      pull: (c) => hostRead(host, false).then((chunk) => { if (chunk === null) c.close(); else c.enqueue(chunk); }),
      cancel() { bodyReads.delete(host.id); native.httpCancel(host.id); },
    });
  }
  // The body's stream, made now if it is still a HostBody.
  function realStream(st) {
    if (st.pending instanceof HostBody) st.pending = hostStream(st.pending);
    return st.pending;
  }
  // The whole body as bytes (reading a stream body to its end).
  const bodyBytes = (st) => st.pending === null ? Promise.resolve(st.bytes || new Uint8Array(0))
    : st.pending instanceof HostBody ? hostRead(st.pending, true).then((b) => b === null ? new Uint8Array(0) : b)
    : streams()._body.collect(st.pending);
  // A copy of a body for clone(): bytes are copied, a stream is teed.
  function cloneBody(st) {
    if (st.pending !== null) {
      const [a, b] = realStream(st).tee();
      st.pending = a;
      return { bytes: null, used: false, pending: b };
    }
    return { bytes: st.bytes && st.bytes.slice(), used: false, pending: null };
  }
  const mixinBody = (cls) => {
    Object.defineProperties(cls.prototype, {
      bodyUsed: { get() { return bodyState.get(this).used; }, configurable: true },
      body: {
        get() {
          const st = bodyState.get(this);
          if (st.pending !== null) return realStream(st);
          if (st.bytes === null) return null;
          if (st.stream === undefined) st.stream = streamFromBytes(st.bytes, () => { st.used = true; });
          return st.stream;
        },
        configurable: true,
      },
    });
    const take = (self) => {
      const st = bodyState.get(self);
      if (st.used) return Promise.reject(new TypeError("Body has already been used. It can only be used once; use clone() first to read it twice."));
      const stream = st.pending !== null ? st.pending : st.stream;
      if (stream !== undefined && stream.locked) return Promise.reject(new TypeError("the body stream is locked to a reader"));
      st.used = true;
      return bodyBytes(st);
    };
    cls.prototype.arrayBuffer = function () { return take(this).then((b) => b.slice().buffer); };
    cls.prototype.bytes = function () { return take(this).then((b) => b.slice()); };
    cls.prototype.text = function () { return take(this).then((b) => utf8Decode(b)); };
    cls.prototype.json = function () { return take(this).then((b) => JSON.parse(utf8Decode(b))); };
    cls.prototype.blob = function () { return take(this).then((b) => new Blob([b], { type: this.headers.get("content-type") || "" })); };
    cls.prototype.formData = function () {
      return take(this).then((b) => builtin("web:formdata").parseBody(b, this.headers.get("content-type")));
    };
  };

