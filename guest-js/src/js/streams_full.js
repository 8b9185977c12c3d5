// The WHATWG Streams Standard: ReadableStream (default controller and reader, tee, pipeTo,
// pipeThrough, async iteration, from), WritableStream (controller, writer), TransformStream,
// the queuing strategies, TextEncoderStream/TextDecoderStream and
// CompressionStream/DecompressionStream. Byte streams (BYOB readers) are not here.
//
// Compiled on first use (see builtins.rs): bodies the host hands over stay plain bytes until a
// script reads `.body` or builds a stream.
(function (I) {
  "use strict";
  const MAKE = Symbol("internal");
  const ABORTED = Symbol("aborted"); // a pipe's abort signal fired
  const noop = () => {};
  const resolved = (v) => Promise.resolve(v);
  const rejected = (e) => { const p = Promise.reject(e); p.catch(noop); return p; };
  function deferred() {
    let resolve, reject;
    const promise = new Promise((a, b) => { resolve = a; reject = b; });
    promise.catch(noop); // a rejection nobody waits for is not an error
    return { promise, resolve, reject };
  }
  const call = (obj, name, args, fallback) => {
    const fn = obj === undefined || obj === null ? undefined : obj[name];
    if (fn === undefined) return fallback;
    if (typeof fn !== "function") throw new TypeError(`${name} must be a function`);
    return () => fn.apply(obj, args());
  };
  const promiseCall = (fn) => { try { return resolved(fn()); } catch (e) { return rejected(e); } };

  // ------------------------------------------------------------ queuing strategies
  function strategyOf(strategy, defaultHwm) {
    const s = strategy === undefined || strategy === null ? {} : strategy;
    const hwm = s.highWaterMark === undefined ? defaultHwm : Number(s.highWaterMark);
    if (Number.isNaN(hwm) || hwm < 0) throw new RangeError("highWaterMark must be a non-negative number");
    if (s.size !== undefined && typeof s.size !== "function") throw new TypeError("size must be a function");
    return { hwm, size: s.size === undefined ? () => 1 : s.size };
  }
  class CountQueuingStrategy {
    #hwm;
    constructor(init) {
      if (init === null || typeof init !== "object" || init.highWaterMark === undefined) throw new TypeError("CountQueuingStrategy needs { highWaterMark }");
      this.#hwm = Number(init.highWaterMark);
    }
    get highWaterMark() { return this.#hwm; }
    get size() { return function size() { return 1; }; }
    get [Symbol.toStringTag]() { return "CountQueuingStrategy"; }
  }
  class ByteLengthQueuingStrategy {
    #hwm;
    constructor(init) {
      if (init === null || typeof init !== "object" || init.highWaterMark === undefined) throw new TypeError("ByteLengthQueuingStrategy needs { highWaterMark }");
      this.#hwm = Number(init.highWaterMark);
    }
    get highWaterMark() { return this.#hwm; }
    get size() { return function size(chunk) { return chunk.byteLength; }; }
    get [Symbol.toStringTag]() { return "ByteLengthQueuingStrategy"; }
  }

  // ------------------------------------------------------------ ReadableStream
  // Internal state lives in one record per stream (`rs`), reached through a WeakMap, so that the
  // classes stay thin and other built-ins (the body code) can drive streams directly.
  const R = new WeakMap(); // ReadableStream -> record
  function readableRecord(stream) {
    const r = R.get(stream);
    if (r === undefined) throw new TypeError("not a ReadableStream");
    return r;
  }
  class ReadableStreamDefaultController {
    #r;
    constructor(token, r) { if (token !== MAKE) throw new TypeError("Illegal constructor"); this.#r = r; }
    get desiredSize() { return desiredSize(this.#r); }
    enqueue(chunk) {
      const r = this.#r;
      if (r.closeRequested || r.state !== "readable") throw new TypeError("ReadableStream: cannot enqueue after close() or on a stream that is not readable");
      enqueue(r, chunk);
    }
    close() {
      const r = this.#r;
      if (r.closeRequested || r.state !== "readable") throw new TypeError("ReadableStream: the stream is already closing or not readable");
      r.closeRequested = true;
      if (r.queue.length === 0) { clearAlgorithms(r); closeStream(r); }
    }
    error(e) { errorStream(this.#r, e); }
    get [Symbol.toStringTag]() { return "ReadableStreamDefaultController"; }
  }
  const desiredSize = (r) => r.state === "errored" ? null : r.state === "closed" ? 0 : r.hwm - r.queueSize;
  function enqueue(r, chunk) {
    if (r.reader !== null && r.reader.requests.length > 0) {
      r.reader.requests.shift().resolve({ value: chunk, done: false });
    } else {
      let size;
      try { size = Number(r.size(chunk)); if (!(size >= 0) || size === Infinity) throw new RangeError("a chunk's size must be a finite, non-negative number"); }
      catch (e) { errorStream(r, e); throw e; }
      r.queue.push({ value: chunk, size });
      r.queueSize += size;
    }
    pullIfNeeded(r);
  }
  function pullIfNeeded(r) {
    const should = r.started && !r.closeRequested && r.state === "readable" &&
      ((r.reader !== null && r.reader.requests.length > 0) || desiredSize(r) > 0);
    if (!should || r.pull === null) return;
    if (r.pulling) { r.pullAgain = true; return; }
    r.pulling = true;
    promiseCall(r.pull).then(() => {
      r.pulling = false;
      if (r.pullAgain) { r.pullAgain = false; pullIfNeeded(r); }
    }, (e) => errorStream(r, e));
  }
  function clearAlgorithms(r) { r.pull = null; r.cancel = null; }
  function closeStream(r) {
    if (r.state !== "readable") return;
    r.state = "closed";
    const reader = r.reader;
    if (reader !== null) {
      for (const req of reader.requests.splice(0)) req.resolve({ value: undefined, done: true });
      reader.closedD.resolve(undefined);
    }
  }
  function errorStream(r, e) {
    if (r.state !== "readable") return;
    r.queue = []; r.queueSize = 0;
    clearAlgorithms(r);
    r.state = "errored"; r.error = e;
    const reader = r.reader;
    if (reader !== null) {
      for (const req of reader.requests.splice(0)) req.reject(e);
      reader.closedD.reject(e);
    }
  }
  function cancelStream(r, reason) {
    r.disturbed = true;
    if (r.state === "closed") return resolved(undefined);
    if (r.state === "errored") return rejected(r.error);
    r.queue = []; r.queueSize = 0;
    const cancel = r.cancel;
    closeStream(r);
    clearAlgorithms(r);
    return cancel === null ? resolved(undefined) : promiseCall(() => cancel(reason)).then(() => undefined);
  }
  function readFrom(r) {
    r.disturbed = true;
    if (r.state === "closed") return resolved({ value: undefined, done: true });
    if (r.state === "errored") return rejected(r.error);
    if (r.queue.length > 0) {
      const { value, size } = r.queue.shift();
      r.queueSize -= size;
      if (r.queue.length === 0) r.queueSize = 0;
      if (r.closeRequested && r.queue.length === 0) { clearAlgorithms(r); closeStream(r); }
      else pullIfNeeded(r);
      return resolved({ value, done: false });
    }
    const d = deferred();
    r.reader.requests.push(d);
    pullIfNeeded(r);
    return d.promise;
  }
  function makeRecord(stream) {
    const r = {
      stream, state: "readable", error: undefined, disturbed: false, reader: null, queue: [], queueSize: 0,
      started: false, closeRequested: false, pulling: false, pullAgain: false,
      pull: null, cancel: null, hwm: 1, size: () => 1, controller: null,
    };
    R.set(stream, r);
    return r;
  }
  // Set up a default controller over `source`-like algorithms.
  function setUp(r, start, pull, cancel, hwm, size) {
    r.controller = new ReadableStreamDefaultController(MAKE, r);
    r.pull = pull; r.cancel = cancel; r.hwm = hwm; r.size = size;
    let startResult;
    try { startResult = start(r.controller); } catch (e) { errorStream(r, e); throw e; }
    resolved(startResult).then(() => { r.started = true; pullIfNeeded(r); }, (e) => errorStream(r, e));
  }

  class ReadableStreamDefaultReader {
    #r = null; #state = null;
    constructor(stream) {
      const r = readableRecord(stream);
      if (r.reader !== null) throw new TypeError("ReadableStream is locked to a reader");
      this.#r = r;
      // What the stream's algorithms see of its reader: pending reads and the closed promise.
      this.#state = { requests: [], closedD: deferred() };
      r.reader = this.#state;
      if (r.state === "closed") this.#state.closedD.resolve(undefined);
      else if (r.state === "errored") this.#state.closedD.reject(r.error);
    }
    get closed() { return this.#state.closedD.promise; }
    read() {
      if (this.#r === null) return rejected(new TypeError("the reader has been released"));
      return readFrom(this.#r);
    }
    releaseLock() {
      const r = this.#r;
      if (r === null) return;
      const e = new TypeError("the reader was released");
      for (const req of this.#state.requests.splice(0)) req.reject(e);
      if (r.state !== "readable") this.#state.closedD = deferred();
      this.#state.closedD.reject(e);
      r.reader = null;
      this.#r = null;
    }
    cancel(reason) {
      if (this.#r === null) return rejected(new TypeError("the reader has been released"));
      return cancelStream(this.#r, reason);
    }
    get [Symbol.toStringTag]() { return "ReadableStreamDefaultReader"; }
  }

  class ReadableStream {
    constructor(source = undefined, strategy = undefined) {
      const r = makeRecord(this);
      if (source !== undefined && source !== null && typeof source !== "object") throw new TypeError("the underlying source must be an object");
      const { hwm, size } = strategyOf(strategy, 1);
      const src = source || {};
      const start = call(src, "start", () => [r.controller], null);
      const pull = call(src, "pull", () => [r.controller], null);
      const cancel = call(src, "cancel", () => [], null);
      setUp(r, start === null ? noop : () => start(), pull, cancel === null ? null : (reason) => src.cancel(reason), hwm, size);
    }
    static from(iterable) {
      if (iterable instanceof ReadableStream) return iterable;
      const asyncIt = iterable !== null && iterable !== undefined && typeof iterable[Symbol.asyncIterator] === "function";
      const it = asyncIt ? iterable[Symbol.asyncIterator]() : iterable !== null && iterable !== undefined && typeof iterable[Symbol.iterator] === "function" ? iterable[Symbol.iterator]() : null;
      if (it === null) throw new TypeError("ReadableStream.from: the argument is not iterable");
      return new ReadableStream({
        async pull(c) { const { value, done } = await it.next(); if (done) c.close(); else c.enqueue(await value); },
        async cancel(reason) { if (typeof it.return === "function") await it.return(reason); },
      }, { highWaterMark: 0 });
    }
    get locked() { return readableRecord(this).reader !== null; }
    cancel(reason) {
      const r = readableRecord(this);
      if (r.reader !== null) return rejected(new TypeError("cannot cancel a locked ReadableStream"));
      return cancelStream(r, reason);
    }
    getReader(options = undefined) {
      const mode = options && options.mode;
      if (mode === "byob") throw new TypeError("ReadableStream: BYOB readers are not supported by this runtime");
      if (mode !== undefined) throw new TypeError(`invalid reader mode ${mode}`);
      return new ReadableStreamDefaultReader(this);
    }
    tee() {
      const reader = this.getReader();
      let reading = false, cancelled1 = false, cancelled2 = false, reason1, reason2;
      let branch1, branch2;
      const cancelBoth = deferred();
      const pull = () => {
        if (reading) return resolved(undefined);
        reading = true;
        return reader.read().then(({ value, done }) => {
          reading = false;
          const r1 = R.get(branch1), r2 = R.get(branch2);
          if (done) {
            if (!cancelled1 && r1.state === "readable" && !r1.closeRequested) r1.controller.close();
            if (!cancelled2 && r2.state === "readable" && !r2.closeRequested) r2.controller.close();
            cancelBoth.resolve(undefined);
            return;
          }
          if (!cancelled1) r1.controller.enqueue(value);
          if (!cancelled2) r2.controller.enqueue(value);
        }, (e) => { errorStream(R.get(branch1), e); errorStream(R.get(branch2), e); cancelBoth.resolve(undefined); });
      };
      const cancel = (which) => (reason) => {
        if (which === 1) { cancelled1 = true; reason1 = reason; } else { cancelled2 = true; reason2 = reason; }
        if (cancelled1 && cancelled2) cancelBoth.resolve(reader.cancel([reason1, reason2]));
        return cancelBoth.promise;
      };
      branch1 = new ReadableStream({ pull, cancel: cancel(1) });
      branch2 = new ReadableStream({ pull, cancel: cancel(2) });
      return [branch1, branch2];
    }
    pipeThrough(transform, options = undefined) {
      if (transform === null || typeof transform !== "object" || !(transform.writable instanceof WritableStream) || !(transform.readable instanceof ReadableStream)) throw new TypeError("pipeThrough needs { writable, readable }");
      if (this.locked) throw new TypeError("cannot pipe a locked ReadableStream");
      if (transform.writable.locked) throw new TypeError("cannot pipe to a locked WritableStream");
      this.pipeTo(transform.writable, options).catch(noop);
      return transform.readable;
    }
    pipeTo(dest, options = undefined) {
      if (!(dest instanceof WritableStream)) return rejected(new TypeError("pipeTo needs a WritableStream"));
      if (this.locked) return rejected(new TypeError("cannot pipe a locked ReadableStream"));
      if (dest.locked) return rejected(new TypeError("cannot pipe to a locked WritableStream"));
      const o = options || {};
      const preventClose = !!o.preventClose, preventAbort = !!o.preventAbort, preventCancel = !!o.preventCancel, signal = o.signal;
      const reader = this.getReader(), writer = dest.getWriter();
      return (async () => {
        let abortReason, aborted = false;
        const abortD = deferred();
        const onAbort = () => { aborted = true; abortReason = signal.reason; abortD.reject(ABORTED); };
        // Every wait of the pipe also ends when the signal aborts.
        const orAbort = (p) => Promise.race([p, abortD.promise]);
        if (signal) { if (signal.aborted) onAbort(); else signal.addEventListener("abort", onAbort, { once: true }); }
        const stop = async () => {
          await Promise.all([preventAbort ? undefined : writer.abort(abortReason), preventCancel ? undefined : reader.cancel(abortReason)]);
          throw abortReason;
        };
        try {
          for (;;) {
            if (aborted) await stop();
            const dr = W.get(dest);
            if (dr.state === "errored" || dr.state === "erroring") {
              const e = dr.error;
              if (!preventCancel) await reader.cancel(e);
              throw e;
            }
            let chunk;
            try {
              await orAbort(writer.ready);
              chunk = await orAbort(reader.read());
            } catch (e) {
              if (e === ABORTED) { await stop(); }
              if (!preventAbort) await writer.abort(e);
              throw e;
            }
            if (chunk.done) {
              if (!preventClose) await writer.close();
              return undefined;
            }
            writer.write(chunk.value).catch(noop);
          }
        } finally {
          if (signal) signal.removeEventListener("abort", onAbort);
          reader.releaseLock();
          writer.releaseLock();
        }
      })();
    }
    values(options = undefined) {
      const reader = this.getReader();
      const preventCancel = !!(options && options.preventCancel);
      return {
        next() { return reader.read().then((r) => { if (r.done) reader.releaseLock(); return r; }); },
        return(value) {
          if (preventCancel) { reader.releaseLock(); return resolved({ value, done: true }); }
          const p = reader.cancel(value);
          reader.releaseLock();
          return p.then(() => ({ value, done: true }));
        },
        [Symbol.asyncIterator]() { return this; },
      };
    }
    [Symbol.asyncIterator](options) { return this.values(options); }
    get [Symbol.toStringTag]() { return "ReadableStream"; }
  }

  // A stream over bytes already held (bodies): one chunk, then closed. `onRead` runs on the
  // first read (the body is then "used").
  function fromBytes(bytes, onRead) {
    let first = true;
    return new ReadableStream({
      pull(c) {
        if (first && onRead) onRead();
        first = false;
        if (bytes !== null && bytes.length > 0) c.enqueue(bytes);
        bytes = null;
        c.close();
      },
    }, { highWaterMark: 0 });
  }
  // Read a stream to the end as bytes (strings are UTF-8 encoded; other chunks must be
  // ArrayBuffers or views).
  async function collect(stream, limit = Infinity) {
    const reader = stream.getReader();
    const chunks = [];
    let total = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const bytes = typeof value === "string" ? I.utf8Encode(value) : value instanceof ArrayBuffer ? new Uint8Array(value) : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : null;
      if (bytes === null) { reader.cancel(new TypeError("a body stream chunk must be a Uint8Array")).catch(noop); throw new TypeError("a body stream produced a chunk that is not bytes (Uint8Array, ArrayBuffer or a view)"); }
      total += bytes.length;
      if (total > limit) { reader.cancel(new RangeError("too large")).catch(noop); throw new RangeError(`a body stream produced more than ${limit} bytes`); }
      chunks.push(bytes.slice());
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) { out.set(c, o); o += c.length; }
    return out;
  }

  // ------------------------------------------------------------ WritableStream
  const W = new WeakMap();
  function writableRecord(stream) {
    const w = W.get(stream);
    if (w === undefined) throw new TypeError("not a WritableStream");
    return w;
  }
  class WritableStreamDefaultController {
    #w;
    constructor(token, w) { if (token !== MAKE) throw new TypeError("Illegal constructor"); this.#w = w; }
    get signal() { return this.#w.abortController.signal; }
    error(e) { if (this.#w.state === "writable") startErroring(this.#w, e); }
    get [Symbol.toStringTag]() { return "WritableStreamDefaultController"; }
  }
  const writableDesired = (w) => w.hwm - w.queueSize;
  function updateBackpressure(w) {
    const bp = w.state === "writable" && !w.closeQueued && writableDesired(w) <= 0;
    if (bp === w.backpressure) return;
    w.backpressure = bp;
    if (w.writer !== null) {
      if (bp) w.writer.readyD = deferred();
      else w.writer.readyD.resolve(undefined);
    }
  }
  function startErroring(w, reason) {
    w.state = "erroring"; w.error = reason;
    if (w.writer !== null) { w.writer.readyD = deferred(); w.writer.readyD.reject(reason); }
    if (!w.inFlight && w.started) finishErroring(w);
  }
  function finishErroring(w) {
    w.state = "errored";
    const e = w.error;
    for (const q of w.queue.splice(0)) if (q.d) q.d.reject(e);
    w.queueSize = 0;
    const abort = w.pendingAbort;
    w.pendingAbort = null;
    const done = () => { if (w.writer !== null) w.writer.closedD.reject(e); if (w.closeD) w.closeD.reject(e); };
    if (abort !== null && w.abort !== null) {
      promiseCall(() => w.abort(abort.reason)).then(() => { abort.d.resolve(undefined); done(); }, (x) => { abort.d.reject(x); done(); });
    } else { if (abort !== null) abort.d.resolve(undefined); done(); }
  }
  function advance(w) {
    if (!w.started || w.inFlight) return;
    if (w.state === "erroring") { finishErroring(w); return; }
    if (w.state !== "writable") return;
    if (w.queue.length === 0) return;
    const q = w.queue[0];
    if (q.close) {
      w.queue.shift();
      w.inFlight = true;
      promiseCall(w.close === null ? noop : () => w.close()).then(() => {
        w.inFlight = false;
        w.state = "closed";
        q.d.resolve(undefined);
        if (w.writer !== null) w.writer.closedD.resolve(undefined);
      }, (e) => { w.inFlight = false; w.state = "errored"; w.error = e; q.d.reject(e); if (w.writer !== null) w.writer.closedD.reject(e); });
      return;
    }
    w.inFlight = true;
    promiseCall(() => w.write(q.chunk)).then(() => {
      w.inFlight = false;
      w.queue.shift();
      w.queueSize -= q.size;
      q.d.resolve(undefined);
      if (w.state === "erroring") { finishErroring(w); return; }
      updateBackpressure(w);
      advance(w);
    }, (e) => {
      w.inFlight = false;
      w.queue.shift();
      q.d.reject(e);
      if (w.state === "writable") startErroring(w, e);
      finishErroring(w);
    });
  }
  function writeTo(w, chunk) {
    if (w.state === "errored" || w.state === "erroring") return rejected(w.error);
    if (w.closeQueued || w.state === "closed") return rejected(new TypeError("the WritableStream is closed or closing"));
    let size;
    try { size = Number(w.size(chunk)); if (!(size >= 0)) throw new RangeError("a chunk's size must be non-negative"); }
    catch (e) { startErroring(w, e); return rejected(e); }
    const d = deferred();
    w.queue.push({ chunk, size, d });
    w.queueSize += size;
    updateBackpressure(w);
    advance(w);
    return d.promise;
  }
  function closeWritable(w) {
    if (w.state === "closed" || w.state === "errored") return rejected(new TypeError("the WritableStream is already closed or errored"));
    if (w.closeQueued) return rejected(new TypeError("the WritableStream is already closing"));
    const d = deferred();
    w.closeQueued = true;
    w.queue.push({ close: true, size: 0, d });
    if (w.backpressure && w.writer !== null && w.state === "writable") w.writer.readyD.resolve(undefined);
    advance(w);
    return d.promise;
  }
  function abortWritable(w, reason) {
    w.abortController.abort(reason);
    if (w.state === "closed" || w.state === "errored") return resolved(undefined);
    if (w.pendingAbort !== null) return w.pendingAbort.d.promise;
    const d = deferred();
    w.pendingAbort = { reason, d };
    if (w.state === "writable") startErroring(w, reason);
    return d.promise;
  }
  class WritableStreamDefaultWriter {
    #w = null;
    constructor(stream) {
      const w = writableRecord(stream);
      if (w.writer !== null) throw new TypeError("WritableStream is locked to a writer");
      this.#w = w;
      w.writer = this;
      Object.defineProperty(this, "readyD", { value: deferred(), writable: true, enumerable: false });
      Object.defineProperty(this, "closedD", { value: deferred(), writable: true, enumerable: false });
      if (w.state === "writable" && !w.backpressure) this.readyD.resolve(undefined);
      if (w.state === "errored" || w.state === "erroring") { this.readyD.reject(w.error); this.closedD.reject(w.error); }
      if (w.state === "closed") { this.readyD.resolve(undefined); this.closedD.resolve(undefined); }
    }
    get closed() { return this.closedD.promise; }
    get ready() { return this.readyD.promise; }
    get desiredSize() {
      const w = this.#w;
      if (w === null) throw new TypeError("the writer has been released");
      return w.state === "errored" || w.state === "erroring" ? null : w.state === "closed" ? 0 : writableDesired(w);
    }
    write(chunk) { return this.#w === null ? rejected(new TypeError("the writer has been released")) : writeTo(this.#w, chunk); }
    close() { return this.#w === null ? rejected(new TypeError("the writer has been released")) : closeWritable(this.#w); }
    abort(reason) { return this.#w === null ? rejected(new TypeError("the writer has been released")) : abortWritable(this.#w, reason); }
    releaseLock() {
      const w = this.#w;
      if (w === null) return;
      const e = new TypeError("the writer was released");
      this.readyD = deferred(); this.readyD.reject(e);
      this.closedD = deferred(); this.closedD.reject(e);
      w.writer = null;
      this.#w = null;
    }
    get [Symbol.toStringTag]() { return "WritableStreamDefaultWriter"; }
  }
  class WritableStream {
    constructor(sink = undefined, strategy = undefined) {
      if (sink !== undefined && sink !== null && typeof sink !== "object") throw new TypeError("the underlying sink must be an object");
      if (sink && sink.type !== undefined) throw new RangeError("invalid sink type");
      const { hwm, size } = strategyOf(strategy, 1);
      const s = sink || {};
      const w = {
        state: "writable", error: undefined, writer: null, queue: [], queueSize: 0, hwm, size,
        started: false, inFlight: false, closeQueued: false, backpressure: false, pendingAbort: null,
        abortController: new (I.builtin("web:events").AbortController)(), controller: null, closeD: null,
        write: null, close: null, abort: null,
      };
      W.set(this, w);
      w.controller = new WritableStreamDefaultController(MAKE, w);
      w.write = typeof s.write === "function" ? (chunk) => s.write(chunk, w.controller) : noop;
      w.close = typeof s.close === "function" ? () => s.close() : null;
      w.abort = typeof s.abort === "function" ? (reason) => s.abort(reason) : null;
      updateBackpressure(w);
      let startResult;
      if (typeof s.start === "function") startResult = s.start(w.controller);
      resolved(startResult).then(() => { w.started = true; advance(w); }, (e) => { w.started = true; if (w.state === "writable") startErroring(w, e); finishErroring(w); });
    }
    get locked() { return writableRecord(this).writer !== null; }
    getWriter() { return new WritableStreamDefaultWriter(this); }
    abort(reason) {
      const w = writableRecord(this);
      if (w.writer !== null) return rejected(new TypeError("cannot abort a locked WritableStream"));
      return abortWritable(w, reason);
    }
    close() {
      const w = writableRecord(this);
      if (w.writer !== null) return rejected(new TypeError("cannot close a locked WritableStream"));
      return closeWritable(w);
    }
    get [Symbol.toStringTag]() { return "WritableStream"; }
  }

  // ------------------------------------------------------------ TransformStream
  class TransformStreamDefaultController {
    #t;
    constructor(token, t) { if (token !== MAKE) throw new TypeError("Illegal constructor"); this.#t = t; }
    get desiredSize() { return desiredSize(R.get(this.#t.readable)); }
    enqueue(chunk) {
      const r = R.get(this.#t.readable);
      if (r.closeRequested || r.state !== "readable") throw new TypeError("TransformStream: the readable side is not readable");
      enqueue(r, chunk);
      if (desiredSize(r) <= 0 && !this.#t.backpressure) { this.#t.backpressure = true; this.#t.bpD = deferred(); }
    }
    error(e) { transformError(this.#t, e); }
    terminate() {
      const r = R.get(this.#t.readable);
      if (r.state === "readable" && !r.closeRequested) r.controller.close();
      transformError(this.#t, new TypeError("the TransformStream was terminated"), true);
    }
    get [Symbol.toStringTag]() { return "TransformStreamDefaultController"; }
  }
  function transformError(t, e, writableOnly) {
    if (!writableOnly) errorStream(R.get(t.readable), e);
    const w = W.get(t.writable);
    if (w.state === "writable") startErroring(w, e);
    if (t.backpressure) { t.backpressure = false; t.bpD.resolve(undefined); }
  }
  class TransformStream {
    constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
      const tr = transformer || {};
      if (tr.readableType !== undefined || tr.writableType !== undefined) throw new RangeError("invalid transformer type");
      const t = { readable: null, writable: null, backpressure: false, bpD: null, controller: null };
      const startD = deferred();
      const controller = new TransformStreamDefaultController(MAKE, t);
      t.controller = controller;
      const transform = typeof tr.transform === "function" ? (chunk) => tr.transform(chunk, controller) : (chunk) => controller.enqueue(chunk);
      const flush = typeof tr.flush === "function" ? () => tr.flush(controller) : noop;
      t.writable = new WritableStream({
        start: () => startD.promise,
        write: async (chunk) => {
          if (t.backpressure) await t.bpD.promise;
          const w = W.get(t.writable);
          if (w.state === "erroring") throw w.error;
          try { await transform(chunk); } catch (e) { errorStream(R.get(t.readable), e); throw e; }
        },
        close: async () => {
          try { await flush(); } catch (e) { errorStream(R.get(t.readable), e); throw e; }
          const r = R.get(t.readable);
          if (r.state === "errored") throw r.error;
          if (r.state === "readable" && !r.closeRequested) r.controller.close();
        },
        abort: async (reason) => {
          if (typeof tr.cancel === "function") await tr.cancel(reason);
          errorStream(R.get(t.readable), reason);
        },
      }, writableStrategy);
      const rs = strategyOf(readableStrategy, 0);
      t.readable = new ReadableStream({
        start: () => startD.promise,
        pull: () => { if (t.backpressure) { t.backpressure = false; t.bpD.resolve(undefined); } },
        cancel: async (reason) => {
          if (typeof tr.cancel === "function") await tr.cancel(reason);
          const w = W.get(t.writable);
          if (w.state === "writable") startErroring(w, reason);
        },
      }, { highWaterMark: rs.hwm, size: rs.size });
      t.backpressure = true; t.bpD = deferred();
      const started = typeof tr.start === "function" ? promiseCall(() => tr.start(controller)) : resolved(undefined);
      started.then(() => startD.resolve(undefined), (e) => { startD.reject(e); });
      this.readable = t.readable;
      this.writable = t.writable;
      Object.freeze(this);
    }
    get [Symbol.toStringTag]() { return "TransformStream"; }
  }

  // ------------------------------------------------------------ encoding streams
  class TextEncoderStream {
    #ts;
    constructor() {
      let pending = ""; // a lone high surrogate at the end of a chunk
      this.#ts = new TransformStream({
        transform(chunk, c) {
          let s = pending + String(chunk);
          pending = "";
          const last = s.charCodeAt(s.length - 1);
          if (last >= 0xd800 && last <= 0xdbff) { pending = s.slice(-1); s = s.slice(0, -1); }
          if (s.length) c.enqueue(I.utf8Encode(s));
        },
        flush(c) { if (pending) c.enqueue(new Uint8Array([0xef, 0xbf, 0xbd])); },
      });
    }
    get encoding() { return "utf-8"; }
    get readable() { return this.#ts.readable; }
    get writable() { return this.#ts.writable; }
    get [Symbol.toStringTag]() { return "TextEncoderStream"; }
  }
  class TextDecoderStream {
    #ts; #fatal; #ignoreBOM;
    constructor(label = "utf-8", options = {}) {
      const decoder = new TextDecoder(label, options); // validates the label
      this.#fatal = decoder.fatal; this.#ignoreBOM = decoder.ignoreBOM;
      const fatal = this.#fatal;
      let pending = new Uint8Array(0), first = true;
      this.#ts = new TransformStream({
        transform(chunk, c) {
          const b = chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : ArrayBuffer.isView(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : null;
          if (b === null) throw new TypeError("TextDecoderStream: chunks must be ArrayBuffers or views");
          const all = new Uint8Array(pending.length + b.length);
          all.set(pending); all.set(b, pending.length);
          // Hold back an incomplete UTF-8 sequence at the end.
          let keep = 0;
          for (let i = all.length - 1, back = 0; i >= 0 && back < 4; i--, back++) {
            const x = all[i];
            if ((x & 0xc0) === 0x80) continue;
            const need = x >= 0xf0 ? 4 : x >= 0xe0 ? 3 : x >= 0xc0 ? 2 : 1;
            if (need > back + 1) keep = back + 1;
            break;
          }
          pending = all.slice(all.length - keep);
          let part = all.subarray(0, all.length - keep);
          if (first && part.length) first = false;
          if (part.length) { const s = I.utf8Decode(part, fatal); if (s.length) c.enqueue(s); }
        },
        flush(c) { if (pending.length) { const s = I.utf8Decode(pending, fatal); if (s.length) c.enqueue(s); } },
      });
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    get readable() { return this.#ts.readable; }
    get writable() { return this.#ts.writable; }
    get [Symbol.toStringTag]() { return "TextDecoderStream"; }
  }

  // ------------------------------------------------------------ compression streams
  const FORMATS = new Set(["gzip", "deflate", "deflate-raw"]);
  // Compression is done in one pass when the writable side closes (natives over miniz_oxide):
  // the output is what a streaming compressor would produce, emitted at the end.
  function codecStream(format, compress, name) {
    if (!FORMATS.has(format)) throw new TypeError(`${name}: unsupported format ${JSON.stringify(format)} (gzip, deflate, deflate-raw)`);
    const chunks = [];
    let total = 0;
    return new TransformStream({
      transform(chunk) {
        const b = chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : ArrayBuffer.isView(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : null;
        if (b === null) throw new TypeError(`${name}: chunks must be ArrayBuffers or views`);
        chunks.push(b.slice()); total += b.length;
      },
      flush(c) {
        const all = new Uint8Array(total);
        let o = 0; for (const x of chunks) { all.set(x, o); o += x.length; }
        chunks.length = 0;
        let out;
        try { out = I.native.compression(compress, format, all); }
        catch (e) { throw new TypeError(String(e && e.message).replace(/^\[\w+\] /, "")); }
        if (out.length) c.enqueue(out);
      },
    });
  }
  class CompressionStream {
    #ts;
    constructor(format) { this.#ts = codecStream(String(format), true, "CompressionStream"); }
    get readable() { return this.#ts.readable; }
    get writable() { return this.#ts.writable; }
    get [Symbol.toStringTag]() { return "CompressionStream"; }
  }
  class DecompressionStream {
    #ts;
    constructor(format) { this.#ts = codecStream(String(format), false, "DecompressionStream"); }
    get readable() { return this.#ts.readable; }
    get writable() { return this.#ts.writable; }
    get [Symbol.toStringTag]() { return "DecompressionStream"; }
  }

  const isReadable = (v) => R.has(v);
  return {
    ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController,
    WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController,
    TransformStream, TransformStreamDefaultController,
    CountQueuingStrategy, ByteLengthQueuingStrategy,
    TextEncoderStream, TextDecoderStream, CompressionStream, DecompressionStream,
    _body: Object.freeze({ fromBytes, collect, isReadable, tee: (s) => s.tee() }),
  };
})
