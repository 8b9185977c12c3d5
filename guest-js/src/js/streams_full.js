// The WHATWG Streams Standard: ReadableStream (default controller and reader, tee, pipeTo,
// pipeThrough, async iteration, from), WritableStream (controller, writer), TransformStream,
// the queuing strategies, TextEncoderStream/TextDecoderStream and
// CompressionStream/DecompressionStream, and readable byte streams (`type: "bytes"`:
// ReadableByteStreamController, ReadableStreamBYOBReader, ReadableStreamBYOBRequest, byte tee).
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
      // A BYOB reader's pending reads end through the controller (respond(0) or cancel).
      if (!reader.byob) for (const req of reader.requests.splice(0)) req.resolve({ value: undefined, done: true });
      reader.closedD.resolve(undefined);
    }
  }
  function errorStream(r, e) {
    if (r.state !== "readable") return;
    if (r.byte) clearPendingPullIntos(r);
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
    const cancel = r.cancel;
    closeStream(r);
    if (r.reader !== null && r.reader.byob) for (const req of r.reader.requests.splice(0)) req.resolve({ value: undefined, done: true });
    if (r.byte) clearPendingPullIntos(r);
    r.queue = []; r.queueSize = 0;
    clearAlgorithms(r);
    return cancel === null ? resolved(undefined) : promiseCall(() => cancel(reason)).then(() => undefined);
  }
  function readFrom(r) {
    r.disturbed = true;
    if (r.state === "closed") return resolved({ value: undefined, done: true });
    if (r.state === "errored") return rejected(r.error);
    if (r.byte) return bytePullSteps(r);
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
      // Byte streams only: the queue holds { buffer, byteOffset, byteLength } and queueSize counts bytes.
      byte: false, pendingPullIntos: [], byobRequest: null, autoAllocateChunkSize: undefined,
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

  // What the stream's algorithms see of its reader: pending reads (read requests, or read-into
  // requests for a BYOB reader) and the closed promise.
  function attachReader(r, byob) {
    if (r.reader !== null) throw new TypeError("ReadableStream is locked to a reader");
    const state = { requests: [], closedD: deferred(), byob };
    r.reader = state;
    if (r.state === "closed") state.closedD.resolve(undefined);
    else if (r.state === "errored") state.closedD.reject(r.error);
    return state;
  }
  // ReadableStreamReaderGenericRelease, then erroring the pending reads.
  function releaseReader(r, state) {
    const e = new TypeError("the reader was released");
    if (r.state !== "readable") state.closedD = deferred();
    state.closedD.reject(e);
    if (r.byte && r.pendingPullIntos.length > 0) {
      // [[ReleaseSteps]]: the head pull-into is kept (its bytes go to the queue when filled).
      const first = r.pendingPullIntos[0];
      first.readerType = "none";
      r.pendingPullIntos = [first];
    }
    r.reader = null;
    for (const req of state.requests.splice(0)) req.reject(e);
  }
  class ReadableStreamDefaultReader {
    #r = null; #state = null;
    constructor(stream) {
      const r = readableRecord(stream);
      this.#state = attachReader(r, false);
      this.#r = r;
    }
    get closed() { return this.#state.closedD.promise; }
    read() {
      if (this.#r === null) return rejected(new TypeError("the reader has been released"));
      return readFrom(this.#r);
    }
    releaseLock() {
      const r = this.#r;
      if (r === null) return;
      releaseReader(r, this.#state);
      this.#r = null;
    }
    cancel(reason) {
      if (this.#r === null) return rejected(new TypeError("the reader has been released"));
      return cancelStream(this.#r, reason);
    }
    get [Symbol.toStringTag]() { return "ReadableStreamDefaultReader"; }
  }

  // ------------------------------------------------------------ readable byte streams
  // The Streams Standard's byte-stream algorithms (ReadableByteStreamController*), on the same
  // record: `r.queue` holds { buffer, byteOffset, byteLength } entries, `r.queueSize` their bytes,
  // and `r.pendingPullIntos` the pull-into descriptors { buffer, bufferByteLength, byteOffset,
  // byteLength, bytesFilled, minimumFill, elementSize, viewConstructor, readerType }.
  //
  // TransferArrayBuffer: upstream QuickJS's transfer() keeps the old free function and drops its
  // opaque argument, so transferring a buffer the host made (rquickjs's Vec-backed
  // ArrayBuffer::new: TextEncoder output, crypto bytes...) leaked it; our patched engine copies
  // such a buffer instead (quickjs-sys/PATCHES.md). This code does not rely on that: a buffer it
  // made (OWN: every transfer result, the autoAllocate buffers) moves for free; any other is
  // copied and the original detached with transfer(0), which frees it through its own free
  // function. Either way the caller's buffer ends detached, as the spec says. On an
  // engine without transfer() (Node 20) the original cannot be detached and is only copied.
  const OWN = new WeakSet();
  const isArrayBuffer = (b) => Object.prototype.toString.call(b) === "[object ArrayBuffer]";
  function isDetached(buf) {
    if (typeof buf.detached === "boolean") return buf.detached;
    try { new Uint8Array(buf, 0, 0); return false; } catch { return true; }
  }
  function transferBuffer(buf) {
    if (!isArrayBuffer(buf)) throw new TypeError("only an ArrayBuffer can be transferred");
    if (isDetached(buf)) throw new TypeError("the ArrayBuffer is detached");
    let out;
    if (typeof buf.transfer !== "function") out = buf.slice(0);
    else if (OWN.has(buf)) out = buf.transfer();
    else { out = buf.slice(0); buf.transfer(0); }
    OWN.add(out);
    return out;
  }
  // A view's element size and its own %TypedArray% constructor (not a subclass's).
  const TYPED = new Map([Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array].map((C) => [C.name, C]));
  if (typeof Float16Array === "function") TYPED.set("Float16Array", Float16Array);
  const viewConstructorOf = (view) => view instanceof DataView ? DataView : TYPED.get(Object.prototype.toString.call(view).slice(8, -1));
  const ELEMENT_SIZE = (view) => view instanceof DataView ? 1 : view.BYTES_PER_ELEMENT;
  let invalidateRequest; // set by ReadableStreamBYOBRequest
  const MAX_INT = Number.MAX_SAFE_INTEGER;
  function enforceRange(v, what) {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new TypeError(`${what} must be a finite number`);
    const t = Math.trunc(n);
    if (t < 0 || t > MAX_INT) throw new TypeError(`${what} is out of range`);
    return t;
  }

  class ReadableByteStreamController {
    #r;
    constructor(token, r) { if (token !== MAKE) throw new TypeError("Illegal constructor"); this.#r = r; }
    get byobRequest() { return getBYOBRequest(this.#r); }
    get desiredSize() { return desiredSize(this.#r); }
    close() {
      const r = this.#r;
      if (r.closeRequested) throw new TypeError("ReadableByteStreamController: close() was already called");
      if (r.state !== "readable") throw new TypeError("ReadableByteStreamController: the stream is not readable");
      byteClose(r);
    }
    enqueue(chunk) {
      const r = this.#r;
      if (!ArrayBuffer.isView(chunk)) throw new TypeError("ReadableByteStreamController: enqueue() takes an ArrayBufferView");
      if (chunk.byteLength === 0) throw new TypeError("ReadableByteStreamController: the chunk is empty");
      if (chunk.buffer.byteLength === 0) throw new TypeError("ReadableByteStreamController: the chunk's buffer is empty or detached");
      if (r.closeRequested) throw new TypeError("ReadableByteStreamController: cannot enqueue after close()");
      if (r.state !== "readable") throw new TypeError("ReadableByteStreamController: the stream is not readable");
      byteEnqueue(r, chunk);
    }
    error(e) { byteError(this.#r, e); }
    get [Symbol.toStringTag]() { return "ReadableByteStreamController"; }
  }
  class ReadableStreamBYOBRequest {
    #r; #view;
    constructor(token, r, view) { if (token !== MAKE) throw new TypeError("Illegal constructor"); this.#r = r; this.#view = view; }
    get view() { return this.#view; }
    static { invalidateRequest = (req) => { req.#r = undefined; req.#view = null; }; }
    respond(bytesWritten) {
      const n = enforceRange(bytesWritten, "bytesWritten");
      if (this.#r === undefined) throw new TypeError("ReadableStreamBYOBRequest: the request is no longer valid");
      if (isDetached(this.#view.buffer)) throw new TypeError("ReadableStreamBYOBRequest: the view's buffer is detached");
      byteRespond(this.#r, n);
    }
    respondWithNewView(view) {
      if (!ArrayBuffer.isView(view)) throw new TypeError("ReadableStreamBYOBRequest: respondWithNewView() takes an ArrayBufferView");
      if (this.#r === undefined) throw new TypeError("ReadableStreamBYOBRequest: the request is no longer valid");
      if (isDetached(view.buffer)) throw new TypeError("ReadableStreamBYOBRequest: the view's buffer is detached");
      byteRespondWithNewView(this.#r, view);
    }
    get [Symbol.toStringTag]() { return "ReadableStreamBYOBRequest"; }
  }

  function setUpByteSource(r, src, hwm) {
    let autoAllocateChunkSize;
    if (src.autoAllocateChunkSize !== undefined) {
      autoAllocateChunkSize = enforceRange(src.autoAllocateChunkSize, "autoAllocateChunkSize");
      if (autoAllocateChunkSize === 0) throw new TypeError("autoAllocateChunkSize must be greater than 0");
    }
    const start = call(src, "start", () => [r.controller], null);
    const pull = call(src, "pull", () => [r.controller], null);
    const cancel = call(src, "cancel", () => [], null);
    r.byte = true;
    r.controller = new ReadableByteStreamController(MAKE, r);
    r.pull = pull; r.cancel = cancel === null ? null : (reason) => src.cancel(reason);
    r.hwm = hwm; r.autoAllocateChunkSize = autoAllocateChunkSize;
    let startResult;
    try { startResult = start === null ? undefined : start(); } catch (e) { byteError(r, e); throw e; }
    resolved(startResult).then(() => { r.started = true; pullIfNeeded(r); }, (e) => byteError(r, e));
  }
  function getBYOBRequest(r) {
    if (r.byobRequest === null && r.pendingPullIntos.length > 0) {
      const first = r.pendingPullIntos[0];
      const view = new Uint8Array(first.buffer, first.byteOffset + first.bytesFilled, first.byteLength - first.bytesFilled);
      r.byobRequest = new ReadableStreamBYOBRequest(MAKE, r, view);
    }
    return r.byobRequest;
  }
  function invalidateBYOBRequest(r) {
    if (r.byobRequest === null) return;
    invalidateRequest(r.byobRequest);
    r.byobRequest = null;
  }
  function clearPendingPullIntos(r) { invalidateBYOBRequest(r); r.pendingPullIntos = []; }
  function shiftPendingPullInto(r) { return r.pendingPullIntos.shift(); }
  function byteError(r, e) {
    if (r.state !== "readable") return;
    errorStream(r, e); // clears the pull-intos, the queue and the algorithms
  }
  function byteClose(r) {
    if (r.closeRequested || r.state !== "readable") return;
    if (r.queueSize > 0) { r.closeRequested = true; return; }
    if (r.pendingPullIntos.length > 0) {
      const first = r.pendingPullIntos[0];
      if (first.bytesFilled % first.elementSize !== 0) {
        const e = new TypeError("ReadableByteStreamController: closed with a partial element in a pending read");
        byteError(r, e);
        throw e;
      }
    }
    clearAlgorithms(r);
    closeStream(r);
  }
  const hasReader = (r, byob) => r.reader !== null && r.reader.byob === byob;
  function fulfillRead(r, chunk, done) {
    const req = r.reader.requests.shift();
    req.resolve({ value: done && !r.reader.byob ? undefined : chunk, done });
  }
  function enqueueChunkToQueue(r, buffer, byteOffset, byteLength) {
    r.queue.push({ buffer, byteOffset, byteLength });
    r.queueSize += byteLength;
  }
  function enqueueClonedChunkToQueue(r, buffer, byteOffset, byteLength) {
    let clone;
    try { clone = buffer.slice(byteOffset, byteOffset + byteLength); } catch (e) { byteError(r, e); throw e; }
    OWN.add(clone);
    enqueueChunkToQueue(r, clone, 0, byteLength);
  }
  function enqueueDetachedPullIntoToQueue(r, pullInto) {
    if (pullInto.bytesFilled > 0) enqueueClonedChunkToQueue(r, pullInto.buffer, pullInto.byteOffset, pullInto.bytesFilled);
    shiftPendingPullInto(r);
  }
  function byteEnqueue(r, chunk) {
    if (r.closeRequested || r.state !== "readable") return;
    const { buffer, byteOffset, byteLength } = chunk;
    if (isDetached(buffer)) throw new TypeError("ReadableByteStreamController: the chunk's buffer is detached");
    const transferred = transferBuffer(buffer);
    if (r.pendingPullIntos.length > 0) {
      const first = r.pendingPullIntos[0];
      if (isDetached(first.buffer)) throw new TypeError("ReadableByteStreamController: the pending read's buffer is detached");
      invalidateBYOBRequest(r);
      first.buffer = transferBuffer(first.buffer);
      if (first.readerType === "none") enqueueDetachedPullIntoToQueue(r, first);
    }
    if (hasReader(r, false)) {
      processReadRequestsUsingQueue(r);
      if (r.reader.requests.length === 0) enqueueChunkToQueue(r, transferred, byteOffset, byteLength);
      else {
        if (r.pendingPullIntos.length > 0) shiftPendingPullInto(r); // the autoAllocate descriptor
        fulfillRead(r, new Uint8Array(transferred, byteOffset, byteLength), false);
      }
    } else if (hasReader(r, true)) {
      enqueueChunkToQueue(r, transferred, byteOffset, byteLength);
      for (const p of processPullIntoDescriptorsUsingQueue(r)) commitPullIntoDescriptor(r, p);
    } else {
      enqueueChunkToQueue(r, transferred, byteOffset, byteLength);
    }
    pullIfNeeded(r);
  }
  function handleQueueDrain(r) {
    if (r.queueSize === 0 && r.closeRequested) { clearAlgorithms(r); closeStream(r); }
    else pullIfNeeded(r);
  }
  function fillReadRequestFromQueue(r, req) {
    const entry = r.queue.shift();
    r.queueSize -= entry.byteLength;
    handleQueueDrain(r);
    req.resolve({ value: new Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength), done: false });
  }
  function processReadRequestsUsingQueue(r) {
    const requests = r.reader.requests;
    while (requests.length > 0) {
      if (r.queueSize === 0) return;
      fillReadRequestFromQueue(r, requests.shift());
    }
  }
  function processPullIntoDescriptorsUsingQueue(r) {
    const filled = [];
    while (r.pendingPullIntos.length > 0) {
      if (r.queueSize === 0) break;
      const p = r.pendingPullIntos[0];
      if (fillPullIntoDescriptorFromQueue(r, p)) { shiftPendingPullInto(r); filled.push(p); }
    }
    return filled;
  }
  function fillPullIntoDescriptorFromQueue(r, p) {
    const maxBytesToCopy = Math.min(r.queueSize, p.byteLength - p.bytesFilled);
    const maxBytesFilled = p.bytesFilled + maxBytesToCopy;
    let remaining = maxBytesToCopy, ready = false;
    const maxAlignedBytes = maxBytesFilled - (maxBytesFilled % p.elementSize);
    if (maxAlignedBytes >= p.minimumFill) { remaining = maxAlignedBytes - p.bytesFilled; ready = true; }
    while (remaining > 0) {
      const head = r.queue[0];
      const n = Math.min(remaining, head.byteLength);
      const destStart = p.byteOffset + p.bytesFilled;
      new Uint8Array(p.buffer, destStart, n).set(new Uint8Array(head.buffer, head.byteOffset, n));
      if (head.byteLength === n) r.queue.shift();
      else { head.byteOffset += n; head.byteLength -= n; }
      r.queueSize -= n;
      p.bytesFilled += n; // FillHeadPullIntoDescriptor
      remaining -= n;
    }
    return ready;
  }
  function convertPullIntoDescriptor(p) {
    const buffer = transferBuffer(p.buffer);
    return new p.viewConstructor(buffer, p.byteOffset, p.bytesFilled / p.elementSize);
  }
  function commitPullIntoDescriptor(r, p) {
    const done = r.state === "closed";
    const view = convertPullIntoDescriptor(p);
    if (p.readerType === "default") fulfillRead(r, view, done);
    else fulfillRead(r, view, done);
  }
  // [[PullSteps]]: a default reader's read() of a byte stream.
  function bytePullSteps(r) {
    if (r.queueSize > 0) {
      const d = deferred();
      fillReadRequestFromQueue(r, d);
      return d.promise;
    }
    const size = r.autoAllocateChunkSize;
    if (size !== undefined) {
      let buffer;
      try { buffer = new ArrayBuffer(size); } catch (e) { return rejected(e); }
      OWN.add(buffer);
      r.pendingPullIntos.push({ buffer, bufferByteLength: size, byteOffset: 0, byteLength: size, bytesFilled: 0, minimumFill: 1, elementSize: 1, viewConstructor: Uint8Array, readerType: "default" });
    }
    const d = deferred();
    r.reader.requests.push(d);
    pullIfNeeded(r);
    return d.promise;
  }
  // ReadableByteStreamControllerPullInto: a BYOB reader's read(view, { min }).
  function pullInto(r, view, min) {
    const elementSize = ELEMENT_SIZE(view);
    const viewConstructor = viewConstructorOf(view);
    const minimumFill = min * elementSize;
    const { byteOffset, byteLength } = view;
    let buffer;
    try { buffer = transferBuffer(view.buffer); } catch (e) { return rejected(e); }
    const p = { buffer, bufferByteLength: buffer.byteLength, byteOffset, byteLength, bytesFilled: 0, minimumFill, elementSize, viewConstructor, readerType: "byob" };
    const d = deferred();
    if (r.pendingPullIntos.length > 0) {
      r.pendingPullIntos.push(p);
      r.reader.requests.push(d);
      return d.promise;
    }
    if (r.state === "closed") return resolved({ value: new viewConstructor(p.buffer, p.byteOffset, 0), done: true });
    if (r.queueSize > 0) {
      if (fillPullIntoDescriptorFromQueue(r, p)) {
        const filled = convertPullIntoDescriptor(p);
        handleQueueDrain(r);
        return resolved({ value: filled, done: false });
      }
      if (r.closeRequested) {
        const e = new TypeError("ReadableStreamBYOBReader: the stream closed before the read's minimum was reached");
        byteError(r, e);
        return rejected(e);
      }
    }
    r.pendingPullIntos.push(p);
    r.reader.requests.push(d);
    pullIfNeeded(r);
    return d.promise;
  }
  function byteRespond(r, bytesWritten) {
    const first = r.pendingPullIntos[0];
    if (r.state === "closed") {
      if (bytesWritten !== 0) throw new TypeError("ReadableStreamBYOBRequest: respond() on a closed stream takes 0");
    } else {
      if (bytesWritten === 0) throw new TypeError("ReadableStreamBYOBRequest: respond(0) is only for a closed stream");
      if (first.bytesFilled + bytesWritten > first.byteLength) throw new RangeError("ReadableStreamBYOBRequest: bytesWritten is larger than the view");
    }
    first.buffer = transferBuffer(first.buffer);
    respondInternal(r, bytesWritten);
  }
  function byteRespondWithNewView(r, view) {
    const first = r.pendingPullIntos[0];
    if (r.state === "closed") {
      if (view.byteLength !== 0) throw new TypeError("ReadableStreamBYOBRequest: the view for a closed stream must be empty");
    } else if (view.byteLength === 0) throw new TypeError("ReadableStreamBYOBRequest: the view is empty");
    if (first.byteOffset + first.bytesFilled !== view.byteOffset) throw new RangeError("ReadableStreamBYOBRequest: the view does not start where the request's view does");
    if (first.bufferByteLength !== view.buffer.byteLength) throw new RangeError("ReadableStreamBYOBRequest: the view's buffer is not the request's buffer's size");
    if (first.bytesFilled + view.byteLength > first.byteLength) throw new RangeError("ReadableStreamBYOBRequest: the view is larger than the request's");
    const n = view.byteLength;
    first.buffer = transferBuffer(view.buffer);
    respondInternal(r, n);
  }
  function respondInternal(r, bytesWritten) {
    const first = r.pendingPullIntos[0];
    invalidateBYOBRequest(r);
    if (r.state === "closed") respondInClosedState(r, first);
    else respondInReadableState(r, bytesWritten, first);
    pullIfNeeded(r);
  }
  function respondInClosedState(r, first) {
    if (first.readerType === "none") shiftPendingPullInto(r);
    if (hasReader(r, true)) {
      const filled = [];
      while (filled.length < r.reader.requests.length) filled.push(shiftPendingPullInto(r));
      for (const p of filled) commitPullIntoDescriptor(r, p);
    }
  }
  function respondInReadableState(r, bytesWritten, p) {
    p.bytesFilled += bytesWritten;
    if (p.readerType === "none") {
      enqueueDetachedPullIntoToQueue(r, p);
      for (const q of processPullIntoDescriptorsUsingQueue(r)) commitPullIntoDescriptor(r, q);
      return;
    }
    if (p.bytesFilled < p.minimumFill) return;
    shiftPendingPullInto(r);
    const remainder = p.bytesFilled % p.elementSize;
    if (remainder > 0) {
      const end = p.byteOffset + p.bytesFilled;
      enqueueClonedChunkToQueue(r, p.buffer, end - remainder, remainder);
    }
    p.bytesFilled -= remainder;
    const filled = processPullIntoDescriptorsUsingQueue(r);
    commitPullIntoDescriptor(r, p);
    for (const q of filled) commitPullIntoDescriptor(r, q);
  }

  class ReadableStreamBYOBReader {
    #r = null; #state = null;
    constructor(stream) {
      const r = readableRecord(stream);
      if (!r.byte) throw new TypeError("ReadableStreamBYOBReader: the stream is not a byte stream (type: \"bytes\")");
      this.#state = attachReader(r, true);
      this.#r = r;
    }
    get closed() { return this.#state.closedD.promise; }
    read(view, options = undefined) {
      if (!ArrayBuffer.isView(view)) return rejected(new TypeError("ReadableStreamBYOBReader: read() takes an ArrayBufferView"));
      let min = 1;
      try { if (options !== undefined && options !== null && options.min !== undefined) min = enforceRange(options.min, "min"); }
      catch (e) { return rejected(e); }
      if (view.byteLength === 0) return rejected(new TypeError("ReadableStreamBYOBReader: the view is empty"));
      if (view.buffer.byteLength === 0) return rejected(new TypeError("ReadableStreamBYOBReader: the view's buffer is empty or detached"));
      if (isDetached(view.buffer)) return rejected(new TypeError("ReadableStreamBYOBReader: the view's buffer is detached"));
      if (min === 0) return rejected(new TypeError("ReadableStreamBYOBReader: min must be greater than 0"));
      const length = view instanceof DataView ? view.byteLength : view.length;
      if (min > length) return rejected(new RangeError("ReadableStreamBYOBReader: min is larger than the view"));
      if (this.#r === null) return rejected(new TypeError("the reader has been released"));
      const r = this.#r;
      r.disturbed = true;
      if (r.state === "errored") return rejected(r.error);
      return pullInto(r, view, min);
    }
    releaseLock() {
      const r = this.#r;
      if (r === null) return;
      releaseReader(r, this.#state);
      this.#r = null;
    }
    cancel(reason) {
      if (this.#r === null) return rejected(new TypeError("the reader has been released"));
      return cancelStream(this.#r, reason);
    }
    get [Symbol.toStringTag]() { return "ReadableStreamBYOBReader"; }
  }

  // ReadableByteStreamTee: each branch is a byte stream; a branch with a pending BYOB read is
  // served by a BYOB read of the original into that read's buffer, and the other branch gets a copy.
  function byteTee(stream) {
    const sr = readableRecord(stream);
    let reader = new ReadableStreamDefaultReader(stream);
    let reading = false, readAgain1 = false, readAgain2 = false;
    let canceled1 = false, canceled2 = false, reason1, reason2;
    let branch1, branch2;
    const cancelD = deferred();
    const ctl = (b) => R.get(b);
    const cloneAsUint8Array = (v) => { const b = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength); OWN.add(b); return new Uint8Array(b); };
    const forwardReaderError = (thisReader) => {
      thisReader.closed.then(noop, (e) => {
        if (thisReader !== reader) return;
        byteError(ctl(branch1), e); byteError(ctl(branch2), e);
        if (!canceled1 || !canceled2) cancelD.resolve(undefined);
      });
    };
    const failClone = (e) => {
      byteError(ctl(branch1), e); byteError(ctl(branch2), e);
      cancelD.resolve(cancelStream(sr, e));
    };
    const readAgain = () => { if (readAgain1) pull1(); else if (readAgain2) pull2(); };
    const pullWithDefaultReader = () => {
      if (reader instanceof ReadableStreamBYOBReader) {
        reader.releaseLock();
        reader = new ReadableStreamDefaultReader(stream);
        forwardReaderError(reader);
      }
      reader.read().then(({ value: chunk, done }) => {
        if (done) {
          reading = false;
          if (!canceled1) byteClose(ctl(branch1));
          if (!canceled2) byteClose(ctl(branch2));
          if (ctl(branch1).pendingPullIntos.length > 0) byteRespond(ctl(branch1), 0);
          if (ctl(branch2).pendingPullIntos.length > 0) byteRespond(ctl(branch2), 0);
          if (!canceled1 || !canceled2) cancelD.resolve(undefined);
          return;
        }
        readAgain1 = false; readAgain2 = false;
        let chunk2 = chunk;
        if (!canceled1 && !canceled2) {
          try { chunk2 = cloneAsUint8Array(chunk); } catch (e) { failClone(e); return; }
        }
        if (!canceled1) byteEnqueue(ctl(branch1), chunk);
        if (!canceled2) byteEnqueue(ctl(branch2), chunk2);
        reading = false;
        readAgain();
      }, () => { reading = false; });
    };
    const pullWithBYOBReader = (view, forBranch2) => {
      if (reader instanceof ReadableStreamDefaultReader) {
        reader.releaseLock();
        reader = new ReadableStreamBYOBReader(stream);
        forwardReaderError(reader);
      }
      const byobBranch = forBranch2 ? branch2 : branch1, otherBranch = forBranch2 ? branch1 : branch2;
      reader.read(view).then(({ value: chunk, done }) => {
        const byobCanceled = forBranch2 ? canceled2 : canceled1, otherCanceled = forBranch2 ? canceled1 : canceled2;
        if (done) {
          reading = false;
          if (!byobCanceled) byteClose(ctl(byobBranch));
          if (!otherCanceled) byteClose(ctl(otherBranch));
          if (chunk !== undefined) {
            if (!byobCanceled) byteRespondWithNewView(ctl(byobBranch), chunk);
            if (!otherCanceled && ctl(otherBranch).pendingPullIntos.length > 0) byteRespond(ctl(otherBranch), 0);
          }
          if (!byobCanceled || !otherCanceled) cancelD.resolve(undefined);
          return;
        }
        readAgain1 = false; readAgain2 = false;
        if (!otherCanceled) {
          let cloned;
          try { cloned = cloneAsUint8Array(chunk); } catch (e) { failClone(e); return; }
          if (!byobCanceled) byteRespondWithNewView(ctl(byobBranch), chunk);
          byteEnqueue(ctl(otherBranch), cloned);
        } else if (!byobCanceled) byteRespondWithNewView(ctl(byobBranch), chunk);
        reading = false;
        readAgain();
      }, () => { reading = false; });
    };
    const pullFor = (forBranch2) => {
      if (reading) { if (forBranch2) readAgain2 = true; else readAgain1 = true; return resolved(undefined); }
      reading = true;
      const req = getBYOBRequest(ctl(forBranch2 ? branch2 : branch1));
      if (req === null) pullWithDefaultReader();
      else pullWithBYOBReader(req.view, forBranch2);
      return resolved(undefined);
    };
    const pull1 = () => pullFor(false), pull2 = () => pullFor(true);
    const cancel = (which) => (reason) => {
      if (which === 1) { canceled1 = true; reason1 = reason; } else { canceled2 = true; reason2 = reason; }
      if (canceled1 && canceled2) cancelD.resolve(cancelStream(sr, [reason1, reason2]));
      return cancelD.promise;
    };
    branch1 = new ReadableStream({ type: "bytes", pull: pull1, cancel: cancel(1) });
    branch2 = new ReadableStream({ type: "bytes", pull: pull2, cancel: cancel(2) });
    forwardReaderError(reader);
    return [branch1, branch2];
  }

  class ReadableStream {
    constructor(source = undefined, strategy = undefined) {
      const r = makeRecord(this);
      if (source !== undefined && source !== null && typeof source !== "object") throw new TypeError("the underlying source must be an object");
      if (source && source.type !== undefined) {
        if (String(source.type) !== "bytes") throw new TypeError(`invalid underlying source type ${String(source.type)}`);
        if (strategy && strategy.size !== undefined) throw new RangeError("a byte stream's strategy cannot have a size");
        setUpByteSource(r, source, strategyOf(strategy, 0).hwm);
        return;
      }
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
      const mode = options === undefined || options === null ? undefined : options.mode;
      if (mode !== undefined && String(mode) === "byob") return new ReadableStreamBYOBReader(this);
      if (mode !== undefined) throw new TypeError(`invalid reader mode ${mode}`);
      return new ReadableStreamDefaultReader(this);
    }
    tee() {
      if (readableRecord(this).byte) return byteTee(this);
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
    ReadableByteStreamController, ReadableStreamBYOBReader, ReadableStreamBYOBRequest,
    CountQueuingStrategy, ByteLengthQueuingStrategy,
    TextEncoderStream, TextDecoderStream, CompressionStream, DecompressionStream,
    _body: Object.freeze({ fromBytes, collect, isReadable, tee: (s) => s.tee() }),
  };
})
