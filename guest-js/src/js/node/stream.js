// node:stream — the legacy Stream (EventEmitter with .pipe), Readable, Writable, Duplex, Transform,
// PassThrough, pipeline, finished, addAbortSignal and the bridges to Web streams (toWeb/fromWeb).
// The state machines follow Node's lib/internal/streams (same flags, same order of events); where
// Node defers with process.nextTick this defers with queueMicrotask (node:process's nextTick too).
(function (I) {
  "use strict";
  const EE = I.builtin("node:events").EventEmitter;
  const { Buffer } = I.builtin("node:buffer");
  const web = () => I.builtin("web:streams");
  const tick = (fn, ...args) => queueMicrotask(() => fn(...args));
  const nop = () => {};
  const kDestroy = Symbol("kDestroy"), kConstruct = Symbol("kConstruct"), kPaused = Symbol("kPaused"), kOnFinished = Symbol("kOnFinished"), kCallback = Symbol("kCallback");

  // ---------------------------------------------------------------- errors, worded as Node's
  const E = (code, message, Ctor = Error) => { const e = new Ctor(message); e.code = code; return e; };
  const received = (v) => v == null ? ` Received ${v}` : typeof v === "function" ? ` Received function ${v.name || "<anonymous>"}` : typeof v === "object" ? (v.constructor && v.constructor.name ? ` Received an instance of ${v.constructor.name}` : ` Received ${I.inspect(v, 1, [])}`) : ` Received type ${typeof v} (${typeof v === "string" ? `'${v.length > 25 ? v.slice(0, 25) + "..." : v}'` : String(v)})`;
  const argType = (name, types, v) => E("ERR_INVALID_ARG_TYPE", `The "${name}" argument must be ${types}.${received(v)}`, TypeError);
  const destroyedErr = (method) => E("ERR_STREAM_DESTROYED", `Cannot call ${method} after a stream was destroyed`);
  const prematureClose = () => E("ERR_STREAM_PREMATURE_CLOSE", "Premature close");
  const notImplemented = (m) => E("ERR_METHOD_NOT_IMPLEMENTED", `The ${m} method is not implemented`);
  const multipleCallback = () => E("ERR_MULTIPLE_CALLBACK", "Callback called multiple times");
  const unknownEncoding = (enc) => E("ERR_UNKNOWN_ENCODING", `Unknown encoding: ${enc}`, TypeError);
  const nullValues = () => E("ERR_STREAM_NULL_VALUES", "May not write null values to stream", TypeError);
  const chunkType = (v) => argType("chunk", "of type string or an instance of Buffer, TypedArray, or DataView", v);
  const returnValue = (what, where) => E("ERR_INVALID_RETURN_VALUE", `Expected ${what} to be returned from the "${where}" function.`, TypeError);
  class AbortError extends Error {
    constructor(message = "The operation was aborted", options = undefined) { super(message, options); this.code = "ABORT_ERR"; this.name = "AbortError"; }
  }
  function aggregateTwoErrors(inner, outer) {
    if (!inner || !outer || inner === outer) return inner || outer;
    if (Array.isArray(outer.errors)) { outer.errors.push(inner); return outer; }
    const err = new AggregateError([outer, inner], outer.message); err.code = outer.code; return err;
  }
  const validateFunction = (f, name) => { if (typeof f !== "function") throw argType(name, "of type function", f); };

  // ---------------------------------------------------------------- what a value is (Node's streams/utils)
  const fns = (o, ...names) => names.every((n) => typeof o[n] === "function");
  const isNodeStream = (s) => !!(s && (s._readableState || s._writableState || fns(s, "write", "on") || fns(s, "pipe", "on")));
  const isReadableNodeStream = (s, strict = false) => !!(s && fns(s, "pipe", "on") && (!strict || fns(s, "pause", "resume")) && (!s._writableState || (s._readableState && s._readableState.readable !== false)));
  const isWritableNodeStream = (s) => !!(s && fns(s, "write", "on") && (!s._readableState || (s._writableState && s._writableState.writable !== false)));
  const isIterable = (o, isAsync) => o != null && ((isAsync !== false && typeof o[Symbol.asyncIterator] === "function") || (isAsync !== true && typeof o[Symbol.iterator] === "function"));
  const isWebReadable = (s) => !!(s && fns(s, "getReader", "pipeTo"));
  const isWebWritable = (s) => !!(s && fns(s, "getWriter", "abort"));
  const isWebPair = (s) => !!(s && !isNodeStream(s) && isWebReadable(s.readable) && isWebWritable(s.writable));
  const isDestroyed = (s) => { const st = s && (s._writableState || s._readableState); return !!(s && (s.destroyed || (st && st.destroyed))); };
  const isWritableEnded = (s, w = s._writableState) => s.writableEnded === true ? true : w && w.errored ? false : w && typeof w.ended === "boolean" ? w.ended : null;
  function isWritableFinished(s, strict) {
    const w = s._writableState;
    if (!isWritableNodeStream(s)) return null;
    if (s.writableFinished === true) return true;
    return w && w.errored ? false : !w || typeof w.finished !== "boolean" ? null : !!(w.finished || (strict === false && w.ended === true && w.length === 0));
  }
  function isReadableFinished(s, strict) {
    const r = s._readableState;
    if (!isReadableNodeStream(s)) return null;
    return r && r.errored ? false : !r || typeof r.endEmitted !== "boolean" ? null : !!(r.endEmitted || (strict === false && r.ended === true && r.length === 0));
  }
  const isReadable = (s) => !s || typeof s.readable !== "boolean" ? null : isDestroyed(s) ? false : isReadableNodeStream(s) && s.readable && !isReadableFinished(s);
  const isWritable = (s) => !s || typeof s.writable !== "boolean" ? null : isDestroyed(s) ? false : isWritableNodeStream(s) && s.writable && !isWritableEnded(s);
  const isErrored = (s) => !!(s && [s._readableState, s._writableState].some((st) => st && (st.errorEmitted || st.errored)));
  const isDisturbed = (s) => !!(s && (s.readableDidRead || s.readableAborted));
  // The two sides' states: `both` visits each, `either` asks whether one of them has a flag.
  const both = (s, f) => { if (s._writableState) f(s._writableState); if (s._readableState) f(s._readableState); };
  const either = (s, f) => !!((s._writableState && f(s._writableState)) || (s._readableState && f(s._readableState)));
  const erroredOf = (s) => (s._writableState && s._writableState.errored) || (s._readableState && s._readableState.errored) || null;

  // ---------------------------------------------------------------- destroy and construct
  const setErrored = (s, err) => { if (err) both(s, (st) => { if (!st.errored) st.errored = err; }); };
  function destroy(err, cb) {
    if (either(this, (st) => st.destroyed)) { if (typeof cb === "function") cb(); return this; }
    setErrored(this, err);
    both(this, (st) => { st.destroyed = true; });
    if (!(this._writableState || this._readableState).constructed) this.once(kDestroy, function (er) { _destroy(this, aggregateTwoErrors(er, err), cb); });
    else _destroy(this, err, cb);
    return this;
  }
  function _destroy(self, err, cb) {
    let called = false;
    const onDestroy = (err) => {
      if (called) return;
      called = true;
      setErrored(self, err);
      both(self, (st) => { st.closed = true; });
      if (typeof cb === "function") cb(err);
      if (err) tick(() => { emitErrorNT(self, err); emitCloseNT(self); }); else tick(emitCloseNT, self);
    };
    try { self._destroy(err || null, onDestroy); } catch (e) { onDestroy(e); }
  }
  function emitCloseNT(self) { both(self, (st) => { st.closeEmitted = true; }); if (either(self, (st) => st.emitClose)) self.emit("close"); }
  function emitErrorNT(self, err) { if (either(self, (st) => st.errorEmitted)) return; both(self, (st) => { st.errorEmitted = true; }); self.emit("error", err); }
  function errorOrDestroy(stream, err, sync) {
    if (either(stream, (st) => st.destroyed)) return;
    if (either(stream, (st) => st.autoDestroy)) stream.destroy(err);
    else if (err) { setErrored(stream, err); if (sync) tick(emitErrorNT, stream, err); else emitErrorNT(stream, err); }
  }
  // options.construct(cb) runs on the next tick; reads, writes and destroy wait for it.
  function construct(stream, cb) {
    if (typeof stream._construct !== "function") return;
    both(stream, (st) => { st.constructed = false; });
    stream.once(kConstruct, cb);
    if (stream.listenerCount(kConstruct) > 1) return;
    tick(() => {
      let called = false;
      const onConstruct = (err) => {
        if (called) { errorOrDestroy(stream, err == null ? multipleCallback() : err); return; }
        called = true;
        both(stream, (st) => { st.constructed = true; });
        if ((stream._writableState || stream._readableState).destroyed) stream.emit(kDestroy, err);
        else if (err) errorOrDestroy(stream, err, true); else tick(() => stream.emit(kConstruct));
      };
      try { stream._construct((err) => tick(onConstruct, err)); } catch (err) { tick(onConstruct, err); }
    });
  }
  // Destroy any stream-like thing (pipeline's teardown, stream.destroy(s, err)).
  function destroyer(stream, err) {
    if (!stream || isDestroyed(stream)) return;
    if (typeof stream.destroy === "function") stream.destroy(err); else if (typeof stream.close === "function") stream.close();
  }

  // ---------------------------------------------------------------- options
  let defaultHwm = 65536, defaultObjectHwm = 16; // Node 22's defaults
  const getDefaultHighWaterMark = (objectMode) => (objectMode ? defaultObjectHwm : defaultHwm);
  function setDefaultHighWaterMark(objectMode, value) {
    if (!Number.isInteger(value) || value < 0) throw E("ERR_OUT_OF_RANGE", `The value of "value" is out of range. It must be >= 0. Received ${value}`, RangeError);
    if (objectMode) defaultObjectHwm = value; else defaultHwm = value;
  }
  function hwmOf(options, duplexKey, isDuplex, objectMode) {
    const key = options && options.highWaterMark == null && isDuplex ? duplexKey : "highWaterMark", v = options ? options[key] : null;
    if (v == null) return getDefaultHighWaterMark(objectMode);
    if (!Number.isInteger(v) || v < 0) throw E("ERR_INVALID_ARG_VALUE", `The property 'options.${key}' is invalid. Received ${v}`, TypeError);
    return v;
  }
  // The common state of both sides.
  function baseState(st, options, isDuplex, side) {
    st.objectMode = !!(options && (options.objectMode || (isDuplex && options[side + "ObjectMode"])));
    st.highWaterMark = hwmOf(options, side + "HighWaterMark", isDuplex, st.objectMode);
    st.defaultEncoding = (options && options.defaultEncoding) || "utf8";
    st.emitClose = !options || options.emitClose !== false; st.autoDestroy = !options || options.autoDestroy !== false;
    st.length = 0; st.ended = false; st.constructed = true; st.sync = true; st.destroyed = false; st.errored = null;
    st.errorEmitted = false; st.closed = false; st.closeEmitted = false;
  }
  // Node's option hooks: options.read becomes this._read, and so on.
  const hooks = (self, options, names) => { for (const k of names) if (typeof options[k] === "function") self["_" + k] = options[k]; };
  const toBuffer = (view) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  const inherit = (Sub, Base) => { Object.setPrototypeOf(Sub.prototype, Base.prototype); Object.setPrototypeOf(Sub, Base); };

  // ---------------------------------------------------------------- Stream: the legacy base
  function Stream(opts) { EE.call(this, opts); }
  inherit(Stream, EE);
  const prependListener = (emitter, event, f) => (typeof emitter.prependListener === "function" ? emitter.prependListener(event, f) : emitter.on(event, f));
  Stream.prototype.pipe = function (dest, options) {
    const source = this;
    let didOnEnd = false;
    const ondata = (chunk) => { if (dest.writable && dest.write(chunk) === false && source.pause) source.pause(); };
    const ondrain = () => { if (source.readable && source.resume) source.resume(); };
    const onend = () => { if (!didOnEnd) { didOnEnd = true; dest.end(); } };
    const onclose = () => { if (!didOnEnd) { didOnEnd = true; if (typeof dest.destroy === "function") dest.destroy(); } };
    function onerror(er) { cleanup(); if (this.listenerCount("error") === 0) this.emit("error", er); }
    const listeners = [[source, "data", ondata], [dest, "drain", ondrain], [source, "end", onend], [source, "close", onclose], [source, "error", onerror], [dest, "error", onerror], [source, "end", cleanup], [source, "close", cleanup], [dest, "close", cleanup]];
    function cleanup() { for (const [e, name, f] of listeners) e.removeListener(name, f); }
    source.on("data", ondata); dest.on("drain", ondrain);
    if (!options || options.end !== false) { source.on("end", onend); source.on("close", onclose); }
    prependListener(source, "error", onerror); prependListener(dest, "error", onerror);
    source.on("end", cleanup); source.on("close", cleanup); dest.on("close", cleanup);
    dest.emit("pipe", source);
    return dest;
  };

  // ---------------------------------------------------------------- Readable
  const newDecoder = (enc) => new (I.builtin("node:string_decoder").StringDecoder)(enc);
  class ReadableState {
    constructor(options, stream, isDuplex) {
      baseState(this, options, isDuplex, "readable");
      this.buffer = []; this.pipes = []; this.flowing = null; this[kPaused] = null; this.endEmitted = false; this.reading = false;
      this.needReadable = false; this.emittedReadable = false; this.readableListening = false; this.resumeScheduled = false;
      this.awaitDrainWriters = null; this.multiAwaitDrain = false; this.readingMore = false; this.dataEmitted = false; this.decoder = null; this.encoding = null;
      if (options && options.encoding) { this.decoder = newDecoder(options.encoding); this.encoding = this.decoder.encoding; }
    }
  }
  function Readable(options) {
    if (!(this instanceof Readable)) return new Readable(options);
    const isDuplex = this instanceof Duplex;
    this._readableState = new ReadableState(options, this, isDuplex);
    Stream.call(this, options);
    if (options) { hooks(this, options, ["read", "destroy", "construct"]); if (options.signal && !isDuplex) addAbortSignal(options.signal, this); }
    construct(this, () => { if (this._readableState.needReadable) maybeReadMore(this, this._readableState); });
  }
  inherit(Readable, Stream);
  Readable.ReadableState = ReadableState;
  const R = Readable.prototype;
  R.destroy = destroy;
  R._destroy = function (err, cb) { cb(err); };
  R._read = function () { throw notImplemented("_read()"); };
  R.push = function (chunk, encoding) { return readableAddChunk(this, chunk, encoding, false); };
  R.unshift = function (chunk, encoding) { return readableAddChunk(this, chunk, encoding, true); };
  function readableAddChunk(stream, chunk, encoding, addToFront) {
    const state = stream._readableState;
    let err = null;
    if (!state.objectMode) {
      if (typeof chunk === "string") {
        encoding = encoding || state.defaultEncoding;
        if (state.encoding !== encoding) {
          if (addToFront && state.encoding) chunk = Buffer.from(chunk, encoding).toString(state.encoding); else { chunk = Buffer.from(chunk, encoding); encoding = ""; }
        }
      } else if (chunk instanceof Buffer) encoding = "";
      else if (ArrayBuffer.isView(chunk)) { chunk = toBuffer(chunk); encoding = ""; }
      else if (chunk != null) err = chunkType(chunk);
    }
    if (err) errorOrDestroy(stream, err);
    else if (chunk === null) { state.reading = false; onEofChunk(stream, state); }
    else if (state.objectMode || (chunk && chunk.length > 0)) {
      if (addToFront) {
        if (state.endEmitted) errorOrDestroy(stream, E("ERR_STREAM_UNSHIFT_AFTER_END_EVENT", "stream.unshift() after end event"));
        else if (state.destroyed || state.errored) return false; else addChunk(stream, state, chunk, true);
      } else if (state.ended) errorOrDestroy(stream, E("ERR_STREAM_PUSH_AFTER_EOF", "stream.push() after EOF"));
      else if (state.destroyed || state.errored) return false;
      else {
        state.reading = false;
        if (!state.decoder || encoding) addChunk(stream, state, chunk, false);
        else if ((chunk = state.decoder.write(chunk)).length !== 0 || state.objectMode) addChunk(stream, state, chunk, false); else maybeReadMore(stream, state);
      }
    } else if (!addToFront) { state.reading = false; maybeReadMore(stream, state); }
    return !state.ended && (state.length < state.highWaterMark || state.length === 0);
  }
  function clearAwaitDrain(state) { if (state.multiAwaitDrain) state.awaitDrainWriters.clear(); else state.awaitDrainWriters = null; }
  function addChunk(stream, state, chunk, addToFront) {
    if (state.flowing && state.length === 0 && !state.sync && stream.listenerCount("data") > 0) { clearAwaitDrain(state); state.dataEmitted = true; stream.emit("data", chunk); }
    else {
      state.length += state.objectMode ? 1 : chunk.length;
      if (addToFront) state.buffer.unshift(chunk); else state.buffer.push(chunk);
      if (state.needReadable) emitReadable(stream);
    }
    maybeReadMore(stream, state);
  }
  R.isPaused = function () { const s = this._readableState; return s[kPaused] === true || s.flowing === false; };
  R.setEncoding = function (enc) {
    const state = this._readableState, decoder = newDecoder(enc);
    state.decoder = decoder; state.encoding = decoder.encoding;
    const content = state.buffer.map((data) => decoder.write(data)).join("");
    state.buffer = content === "" ? [] : [content]; state.length = content.length;
    return this;
  };
  const computeNewHighWaterMark = (n) => { if (n > 0x40000000) throw E("ERR_OUT_OF_RANGE", `The value of "size" is out of range. It must be <= 1GiB. Received ${n}`, RangeError); n--; n |= n >>> 1; n |= n >>> 2; n |= n >>> 4; n |= n >>> 8; n |= n >>> 16; return n + 1; };
  function howMuchToRead(n, state) {
    if (n <= 0 || (state.length === 0 && state.ended)) return 0;
    if (state.objectMode) return 1;
    if (Number.isNaN(n)) return state.flowing && state.length ? state.buffer[0].length : state.length;
    return n <= state.length ? n : state.ended ? state.length : 0;
  }
  R.read = function (n) {
    n = n === undefined ? NaN : Number.isInteger(n) ? n : Number.parseInt(n, 10);
    const state = this._readableState, nOrig = n;
    if (n > state.highWaterMark) state.highWaterMark = computeNewHighWaterMark(n);
    if (n !== 0) state.emittedReadable = false;
    if (n === 0 && state.needReadable && ((state.highWaterMark !== 0 ? state.length >= state.highWaterMark : state.length > 0) || state.ended)) {
      if (state.length === 0 && state.ended) endReadable(this); else emitReadable(this);
      return null;
    }
    n = howMuchToRead(n, state);
    if (n === 0 && state.ended) { if (state.length === 0) endReadable(this); return null; }
    // Call _read when the buffer is below the high water mark (and no _read is pending).
    const doRead = state.needReadable || state.length === 0 || state.length - n < state.highWaterMark;
    if (doRead && !(state.ended || state.reading || state.destroyed || state.errored || !state.constructed)) {
      state.reading = true; state.sync = true;
      if (state.length === 0) state.needReadable = true;
      try { this._read(state.highWaterMark); } catch (e) { errorOrDestroy(this, e); }
      state.sync = false;
      if (!state.reading) n = howMuchToRead(nOrig, state);
    }
    const ret = n > 0 ? fromList(n, state) : null;
    if (ret === null) { state.needReadable = state.length <= state.highWaterMark; n = 0; } else { state.length -= n; clearAwaitDrain(state); }
    if (state.length === 0) { if (!state.ended) state.needReadable = true; if (nOrig !== n && state.ended) endReadable(this); }
    if (ret !== null && !state.errorEmitted && !state.closeEmitted) { state.dataEmitted = true; this.emit("data", ret); }
    return ret;
  };
  // Take n bytes (or characters, or one object) off the front of the buffer.
  function fromList(n, state) {
    const buf = state.buffer, cut = (c, a, b) => (state.decoder ? c.slice(a, b) : c.subarray(a, b));
    if (state.length === 0) return null;
    if (state.objectMode) return buf.shift();
    if (!n || n >= state.length) {
      const ret = state.decoder ? buf.join("") : buf.length === 1 ? buf[0] : Buffer.concat(buf, state.length);
      state.buffer = [];
      return ret;
    }
    const parts = [];
    for (let need = n; need > 0;) {
      const c = buf[0];
      if (c.length <= need) { parts.push(buf.shift()); need -= c.length; } else { parts.push(cut(c, 0, need)); buf[0] = cut(c, need); need = 0; }
    }
    return parts.length === 1 ? parts[0] : state.decoder ? parts.join("") : Buffer.concat(parts, n);
  }
  function onEofChunk(stream, state) {
    if (state.ended) return;
    const chunk = state.decoder && state.decoder.end();
    if (chunk && chunk.length) { state.buffer.push(chunk); state.length += state.objectMode ? 1 : chunk.length; }
    state.ended = true;
    if (state.sync) emitReadable(stream); else { state.needReadable = false; state.emittedReadable = true; emitReadable_(stream); }
  }
  function emitReadable(stream) {
    const state = stream._readableState;
    state.needReadable = false;
    if (!state.emittedReadable) { state.emittedReadable = true; tick(emitReadable_, stream); }
  }
  function emitReadable_(stream) {
    const state = stream._readableState;
    if (!state.destroyed && !state.errored && (state.length || state.ended)) { stream.emit("readable"); state.emittedReadable = false; }
    state.needReadable = !state.flowing && !state.ended && state.length <= state.highWaterMark;
    flow(stream);
  }
  // Keep the buffer filled up to the high water mark, a _read at a time.
  function maybeReadMore(stream, state) {
    if (state.readingMore || !state.constructed) return;
    state.readingMore = true;
    tick(() => {
      while (!state.reading && !state.ended && (state.length < state.highWaterMark || (state.flowing && state.length === 0))) {
        const len = state.length;
        stream.read(0);
        if (len === state.length) break;
      }
      state.readingMore = false;
    });
  }
  R.pipe = function (dest, pipeOpts) {
    const src = this, state = this._readableState;
    if (state.pipes.length === 1 && !state.multiAwaitDrain) { state.multiAwaitDrain = true; state.awaitDrainWriters = new Set(state.awaitDrainWriters ? [state.awaitDrainWriters] : []); }
    state.pipes.push(dest);
    let ondrain, cleanedUp = false;
    const onend = () => dest.end(), unpipe = () => src.unpipe(dest), endFn = !pipeOpts || pipeOpts.end !== false ? onend : unpipe;
    const onunpipe = (readable, info) => { if (readable === src && info && info.hasUnpiped === false) { info.hasUnpiped = true; cleanup(); } };
    const ondata = (chunk) => { if (dest.write(chunk) === false) pause(); };
    const onclose = () => { dest.removeListener("finish", onfinish); unpipe(); };
    const onfinish = () => { dest.removeListener("close", onclose); unpipe(); };
    if (state.endEmitted) tick(endFn); else src.once("end", endFn);
    dest.on("unpipe", onunpipe);
    function cleanup() {
      for (const [e, name, f] of [[dest, "close", onclose], [dest, "finish", onfinish], [dest, "error", onerror], [dest, "unpipe", onunpipe], [src, "end", onend], [src, "end", unpipe], [src, "data", ondata]]) e.removeListener(name, f);
      if (ondrain) dest.removeListener("drain", ondrain);
      cleanedUp = true;
      if (ondrain && state.awaitDrainWriters && (!dest._writableState || dest._writableState.needDrain)) ondrain();
    }
    // dest.write() said false: stop the flow until every such destination has drained.
    function pause() {
      if (!cleanedUp) {
        if (state.pipes.length === 1 && state.pipes[0] === dest) { state.awaitDrainWriters = dest; state.multiAwaitDrain = false; }
        else if (state.pipes.length > 1 && state.pipes.includes(dest)) state.awaitDrainWriters.add(dest);
        src.pause();
      }
      if (ondrain) return;
      ondrain = () => {
        if (state.awaitDrainWriters === dest) state.awaitDrainWriters = null; else if (state.multiAwaitDrain) state.awaitDrainWriters.delete(dest);
        if ((!state.awaitDrainWriters || state.awaitDrainWriters.size === 0) && src.listenerCount("data")) src.resume();
      };
      dest.on("drain", ondrain);
    }
    function onerror(er) {
      unpipe();
      dest.removeListener("error", onerror);
      if (dest.listenerCount("error") !== 0) return;
      const s = dest._writableState || dest._readableState;
      if (s && !s.errorEmitted) errorOrDestroy(dest, er); else dest.emit("error", er);
    }
    src.on("data", ondata);
    prependListener(dest, "error", onerror);
    dest.once("close", onclose); dest.once("finish", onfinish);
    dest.emit("pipe", src);
    if (dest.writableNeedDrain === true) pause(); else if (!state.flowing) src.resume();
    return dest;
  };
  R.unpipe = function (dest) {
    const state = this._readableState, dests = dest ? (state.pipes.includes(dest) ? [dest] : []) : state.pipes;
    if (dests.length === 0) return this;
    state.pipes = state.pipes.filter((d) => !dests.includes(d));
    if (state.pipes.length === 0) this.pause();
    for (const d of dests) d.emit("unpipe", this, { hasUnpiped: false });
    return this;
  };
  // A 'data' listener starts the flow; a 'readable' listener switches to paused mode.
  R.on = function (ev, f) {
    const res = Stream.prototype.on.call(this, ev, f), state = this._readableState;
    if (ev === "data") {
      state.readableListening = this.listenerCount("readable") > 0;
      if (state.flowing !== false) this.resume();
    } else if (ev === "readable" && !state.endEmitted && !state.readableListening) {
      state.readableListening = state.needReadable = true; state.flowing = false; state.emittedReadable = false;
      if (state.length) emitReadable(this); else if (!state.reading) tick(() => this.read(0));
    }
    return res;
  };
  R.addListener = R.on;
  R.removeListener = function (ev, f) { const res = Stream.prototype.removeListener.call(this, ev, f); if (ev === "readable") tick(updateReadableListening, this); return res; };
  R.off = R.removeListener;
  R.removeAllListeners = function (ev) {
    const res = Stream.prototype.removeAllListeners.apply(this, arguments);
    if (ev === "readable" || ev === undefined) tick(updateReadableListening, this);
    return res;
  };
  function updateReadableListening(self) {
    const state = self._readableState;
    state.readableListening = self.listenerCount("readable") > 0;
    if (state.resumeScheduled && state[kPaused] === false) state.flowing = true;
    else if (self.listenerCount("data") > 0) self.resume(); else if (!state.readableListening) state.flowing = null;
  }
  R.resume = function () {
    const state = this._readableState;
    if (!state.flowing) {
      state.flowing = !state.readableListening;
      if (!state.resumeScheduled) {
        state.resumeScheduled = true;
        tick(() => {
          if (!state.reading) this.read(0);
          state.resumeScheduled = false;
          this.emit("resume");
          flow(this);
          if (state.flowing && !state.reading) this.read(0);
        });
      }
    }
    state[kPaused] = false;
    return this;
  };
  R.pause = function () {
    const state = this._readableState;
    if (state.flowing !== false) { state.flowing = false; this.emit("pause"); }
    state[kPaused] = true;
    return this;
  };
  function flow(stream) { const state = stream._readableState; while (state.flowing && stream.read() !== null); }
  // An old-style stream (data/end events, pause/resume) under a Readable.
  R.wrap = function (stream) {
    let paused = false;
    stream.on("data", (chunk) => { if (!this.push(chunk) && stream.pause) { paused = true; stream.pause(); } });
    stream.on("end", () => this.push(null));
    stream.on("error", (err) => errorOrDestroy(this, err));
    stream.on("close", () => this.destroy()); stream.on("destroy", () => this.destroy());
    this._read = () => { if (paused && stream.resume) { paused = false; stream.resume(); } };
    for (const k of Object.keys(stream)) if (this[k] === undefined && typeof stream[k] === "function") this[k] = stream[k].bind(stream);
    return this;
  };
  R[Symbol.asyncIterator] = function () { return createAsyncIterator(this); };
  R.iterator = function (options) { return createAsyncIterator(this, options); };
  async function* createAsyncIterator(stream, options) {
    let callback = nop, error;
    function next(resolve) { if (this === stream) { callback(); callback = nop; } else callback = resolve; }
    stream.on("readable", next);
    const cleanup = eos(stream, { writable: false }, (err) => { error = err ? aggregateTwoErrors(error, err) : null; callback(); callback = nop; });
    try {
      while (true) {
        const chunk = stream.destroyed ? null : stream.read();
        if (chunk !== null) yield chunk; else if (error) throw error; else if (error === null) return; else await new Promise(next);
      }
    } catch (err) { error = aggregateTwoErrors(error, err); throw error; }
    finally {
      if ((error || !options || options.destroyOnReturn !== false) && (error === undefined || stream._readableState.autoDestroy)) destroyer(stream, null);
      else { stream.off("readable", next); cleanup(); }
    }
  }
  function endReadable(stream) {
    const state = stream._readableState;
    if (state.endEmitted) return;
    state.ended = true;
    tick(() => {
      if (state.errored || state.closeEmitted || state.endEmitted || state.length !== 0) return;
      state.endEmitted = true;
      stream.emit("end");
      const w = stream._writableState;
      if (stream.writable && stream.allowHalfOpen === false) tick(() => { if (stream.writable && !stream.writableEnded && !stream.destroyed) stream.end(); });
      else if (state.autoDestroy && (!w || (w.autoDestroy && (w.finished || w.writable === false)))) stream.destroy();
    });
  }
  // Getters over the state, as Node's (each tolerates a missing state, for half-built subclasses).
  const getters = (key, props) => { const out = {}; for (const [name, get, dflt] of props) out[name] = { get() { const st = this[key]; return st ? get(st) : dflt; } }; return out; };
  Object.defineProperties(R, getters("_readableState", [
    ["readableDidRead", (r) => r.dataEmitted, false], ["readableHighWaterMark", (r) => r.highWaterMark], ["readableBuffer", (r) => r.buffer],
    ["readableLength", (r) => r.length], ["readableObjectMode", (r) => r.objectMode, false], ["readableEncoding", (r) => r.encoding, null],
    ["errored", (r) => r.errored, null], ["closed", (r) => r.closed, false], ["readableEnded", (r) => r.endEmitted, false],
    ["readableAborted", (r) => !!(r.readable !== false && (r.destroyed || r.errored) && !r.endEmitted), false],
  ]));
  Object.defineProperties(R, {
    readable: {
      get() { const r = this._readableState; return !!r && r.readable !== false && !r.destroyed && !r.errorEmitted && !r.endEmitted; },
      set(v) { if (this._readableState) this._readableState.readable = !!v; },
    },
    readableFlowing: { get() { return this._readableState.flowing; }, set(v) { if (this._readableState) this._readableState.flowing = v; } },
    destroyed: { get() { return this._readableState ? this._readableState.destroyed : false; }, set(v) { if (this._readableState) this._readableState.destroyed = v; } },
  });
  // The array-like helpers (Node's operators), one chunk at a time: each returns a Readable or a promise.
  const op = (src, gen) => Readable.from(gen(src));
  R.map = function (f, o) { return op(this, async function* (s) { for await (const c of s) yield await f(c, o); }); };
  R.filter = function (f, o) { return op(this, async function* (s) { for await (const c of s) if (await f(c, o)) yield c; }); };
  R.take = function (n) { return op(this, async function* (s) { if (n <= 0) return; let i = 0; for await (const c of s) { yield c; if (++i >= n) return; } }); };
  R.drop = function (n) { return op(this, async function* (s) { let i = 0; for await (const c of s) if (i++ >= n) yield c; }); };
  R.forEach = async function (f, o) { for await (const c of this) await f(c, o); };
  R.toArray = async function () { const out = []; for await (const c of this) out.push(c); return out; };
  R.reduce = async function (f, ...init) {
    let acc = init[0], first = init.length === 0;
    for await (const c of this) { if (first) { acc = c; first = false; } else acc = await f(acc, c); }
    if (first) throw E("ERR_INVALID_ARGS", "Reduce of an empty stream requires an initial value", TypeError);
    return acc;
  };
  // Readable.from: a Readable over an iterable, an async iterable, a string or a Buffer.
  Readable.from = function (iterable, opts) {
    if (typeof iterable === "string" || iterable instanceof Buffer) return new Readable({ objectMode: true, ...opts, read() { this.push(iterable); this.push(null); } });
    const isAsync = isIterable(iterable, true);
    if (!isAsync && !isIterable(iterable, false)) throw argType("iterable", "an instance of Iterable", iterable);
    const iterator = isAsync ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator](), readable = new Readable({ objectMode: true, highWaterMark: 1, ...opts });
    let reading = false;
    readable._read = function () { if (!reading) { reading = true; next(); } };
    readable._destroy = function (error, cb) { close(error).then(() => tick(cb, error), (e) => tick(cb, e || error)); };
    async function close(error) {
      if (error != null && typeof iterator.throw === "function") { const { value, done } = await iterator.throw(error); await value; if (done) return; }
      if (typeof iterator.return === "function") { const { value } = await iterator.return(); await value; }
    }
    async function next() {
      for (;;) {
        try {
          const { value, done } = isAsync ? await iterator.next() : iterator.next();
          if (done) readable.push(null);
          else {
            const res = value && typeof value.then === "function" ? await value : value;
            if (res === null) { reading = false; throw nullValues(); }
            if (readable.push(res)) continue;
            reading = false;
          }
        } catch (err) { readable.destroy(err); }
        break;
      }
    }
    return readable;
  };

  // ---------------------------------------------------------------- Writable
  class WritableState {
    constructor(options, stream, isDuplex) {
      baseState(this, options, isDuplex, "writable");
      if (!Buffer.isEncoding(this.defaultEncoding)) throw unknownEncoding(this.defaultEncoding);
      this.decodeStrings = !(options && options.decodeStrings === false);
      this.finalCalled = false; this.prefinished = false; this.needDrain = false; this.ending = false; this.finished = false;
      this.writing = false; this.corked = 0; this.bufferProcessing = false; this.pendingcb = 0; this[kOnFinished] = [];
      this.onwrite = (er) => onwrite(stream, er); this.writecb = null; this.writelen = 0; this.afterWriteTickInfo = null;
      resetBuffer(this);
    }
  }
  function resetBuffer(state) { state.buffered = []; state.bufferedIndex = 0; state.allBuffers = true; state.allNoop = true; }
  function Writable(options) {
    const isDuplex = this instanceof Duplex;
    if (!isDuplex && !Function.prototype[Symbol.hasInstance].call(Writable, this)) return new Writable(options);
    this._writableState = new WritableState(options, this, isDuplex);
    Stream.call(this, options);
    if (options) { hooks(this, options, ["write", "writev", "destroy", "final", "construct"]); if (options.signal) addAbortSignal(options.signal, this); }
    construct(this, () => { const state = this._writableState; if (!state.writing) clearBuffer(this, state); finishMaybe(this, state); });
  }
  inherit(Writable, Stream);
  Writable.WritableState = WritableState;
  // A Duplex is a Writable too (it inherits from Readable only).
  Object.defineProperty(Writable, Symbol.hasInstance, {
    value(object) { return Function.prototype[Symbol.hasInstance].call(this, object) || (this === Writable && !!object && object._writableState instanceof WritableState); },
  });
  const W = Writable.prototype;
  W.destroy = function (err, cb) {
    const state = this._writableState;
    if (!state.destroyed && (state.bufferedIndex < state.buffered.length || state[kOnFinished].length)) tick(errorBuffer, state);
    destroy.call(this, err, cb);
    return this;
  };
  W._destroy = function (err, cb) { cb(err); };
  W.pipe = function () { errorOrDestroy(this, E("ERR_STREAM_CANNOT_PIPE", "Cannot pipe, not readable")); };
  function _write(stream, chunk, encoding, cb) {
    const state = stream._writableState;
    if (typeof cb !== "function") cb = nop;
    if (chunk === null) throw nullValues();
    if (!state.objectMode) {
      if (!encoding) encoding = state.defaultEncoding; else if (encoding !== "buffer" && !Buffer.isEncoding(encoding)) throw unknownEncoding(encoding);
      if (typeof chunk === "string") { if (state.decodeStrings) { chunk = Buffer.from(chunk, encoding); encoding = "buffer"; } }
      else if (chunk instanceof Buffer) encoding = "buffer";
      else if (ArrayBuffer.isView(chunk)) { chunk = toBuffer(chunk); encoding = "buffer"; }
      else throw chunkType(chunk);
    }
    const err = state.ending ? E("ERR_STREAM_WRITE_AFTER_END", "write after end") : state.destroyed ? destroyedErr("write") : null;
    if (err) { tick(cb, err); errorOrDestroy(stream, err, true); return err; }
    state.pendingcb++;
    return writeOrBuffer(stream, state, chunk, encoding, cb);
  }
  W.write = function (chunk, encoding, cb) { if (typeof encoding === "function") { cb = encoding; encoding = null; } return _write(this, chunk, encoding, cb) === true; };
  W.cork = function () { this._writableState.corked++; };
  W.uncork = function () { const state = this._writableState; if (state.corked) { state.corked--; if (!state.writing) clearBuffer(this, state); } };
  W.setDefaultEncoding = function (encoding) {
    if (typeof encoding === "string") encoding = encoding.toLowerCase();
    if (!Buffer.isEncoding(encoding)) throw unknownEncoding(encoding);
    this._writableState.defaultEncoding = encoding;
    return this;
  };
  // One write at a time reaches _write; the others wait in `buffered` (and go to _writev together).
  function writeOrBuffer(stream, state, chunk, encoding, callback) {
    const len = state.objectMode ? 1 : chunk.length;
    state.length += len;
    const ret = state.length < state.highWaterMark;
    if (!ret) state.needDrain = true;
    if (state.writing || state.corked || state.errored || !state.constructed) {
      state.buffered.push({ chunk, encoding, callback });
      if (state.allBuffers && encoding !== "buffer") state.allBuffers = false;
      if (state.allNoop && callback !== nop) state.allNoop = false;
    } else doWrite(stream, state, false, len, chunk, encoding, callback);
    return ret && !state.errored && !state.destroyed;
  }
  function doWrite(stream, state, writev, len, chunk, encoding, cb) {
    state.writelen = len; state.writecb = cb; state.writing = true; state.sync = true;
    if (state.destroyed) state.onwrite(destroyedErr("write")); else if (writev) stream._writev(chunk, state.onwrite); else stream._write(chunk, encoding, state.onwrite);
    state.sync = false;
  }
  function onwrite(stream, er) {
    const state = stream._writableState, sync = state.sync, cb = state.writecb;
    if (typeof cb !== "function") { errorOrDestroy(stream, multipleCallback()); return; }
    state.writing = false; state.writecb = null; state.length -= state.writelen; state.writelen = 0;
    if (er) {
      if (!state.errored) state.errored = er;
      if (stream._readableState && !stream._readableState.errored) stream._readableState.errored = er;
      const onwriteError = () => { --state.pendingcb; cb(er); errorBuffer(state); errorOrDestroy(stream, er); };
      if (sync) tick(onwriteError); else onwriteError();
      return;
    }
    if (state.buffered.length > state.bufferedIndex) clearBuffer(stream, state);
    // A synchronous _write calls back on the next tick (the callbacks of a run of them together).
    if (!sync) afterWrite(stream, state, 1, cb);
    else if (state.afterWriteTickInfo !== null && state.afterWriteTickInfo.cb === cb) state.afterWriteTickInfo.count++;
    else { const info = state.afterWriteTickInfo = { count: 1, cb }; tick(() => { state.afterWriteTickInfo = null; afterWrite(stream, state, info.count, cb); }); }
  }
  function afterWrite(stream, state, count, cb) {
    if (!state.ending && !stream.destroyed && state.length === 0 && state.needDrain) { state.needDrain = false; stream.emit("drain"); }
    while (count-- > 0) { state.pendingcb--; cb(null); }
    if (state.destroyed) errorBuffer(state);
    finishMaybe(stream, state);
  }
  function errorBuffer(state) {
    if (state.writing) return;
    for (const { chunk, callback } of state.buffered.slice(state.bufferedIndex)) { state.length -= state.objectMode ? 1 : chunk.length; callback(state.errored || destroyedErr("write")); }
    for (const cb of state[kOnFinished].splice(0)) cb(state.errored || destroyedErr("end"));
    resetBuffer(state);
  }
  function clearBuffer(stream, state) {
    if (state.corked || state.bufferProcessing || state.destroyed || !state.constructed) return;
    const { buffered, bufferedIndex, objectMode } = state, bufferedLength = buffered.length - bufferedIndex;
    if (!bufferedLength) return;
    let i = bufferedIndex;
    state.bufferProcessing = true;
    if (bufferedLength > 1 && stream._writev) {
      state.pendingcb -= bufferedLength - 1;
      const callback = state.allNoop ? nop : (err) => { for (let n = i; n < buffered.length; ++n) buffered[n].callback(err); };
      const chunks = state.allNoop && i === 0 ? buffered : buffered.slice(i);
      chunks.allBuffers = state.allBuffers;
      doWrite(stream, state, true, state.length, chunks, "", callback);
      resetBuffer(state);
    } else {
      do {
        const { chunk, encoding, callback } = buffered[i];
        buffered[i++] = null;
        doWrite(stream, state, false, objectMode ? 1 : chunk.length, chunk, encoding, callback);
      } while (i < buffered.length && !state.writing);
      if (i === buffered.length) resetBuffer(state); else if (i > 256) { buffered.splice(0, i); state.bufferedIndex = 0; } else state.bufferedIndex = i;
    }
    state.bufferProcessing = false;
  }
  W._write = function (chunk, encoding, cb) { if (this._writev) this._writev([{ chunk, encoding }], cb); else throw notImplemented("_write()"); };
  W._writev = null;
  W.end = function (chunk, encoding, cb) {
    const state = this._writableState;
    if (typeof chunk === "function") { cb = chunk; chunk = null; encoding = null; } else if (typeof encoding === "function") { cb = encoding; encoding = null; }
    let err = chunk != null ? _write(this, chunk, encoding) : null;
    if (!(err instanceof Error)) err = null;
    if (state.corked) { state.corked = 1; this.uncork(); }
    if (err) { /* the write's error is reported already */ }
    else if (!state.errored && !state.ending) { state.ending = true; finishMaybe(this, state, true); state.ended = true; }
    else if (state.finished) err = E("ERR_STREAM_ALREADY_FINISHED", "Cannot call end after a stream was finished");
    else if (state.destroyed) err = destroyedErr("end");
    if (typeof cb === "function") { if (err || state.errored || state.finished) tick(cb, err || state.errored || null); else state[kOnFinished].push(cb); }
    return this;
  };
  const needFinish = (state) => state.ending && !state.destroyed && state.constructed && state.length === 0 && !state.errored && state.buffered.length === 0 && !state.finished && !state.writing && !state.errorEmitted && !state.closeEmitted;
  // 'prefinish', then _final(cb) if there is one, then 'finish'.
  function prefinish(stream, state) {
    if (state.prefinished || state.finalCalled) return;
    if (typeof stream._final !== "function" || state.destroyed) { state.prefinished = true; stream.emit("prefinish"); return; }
    state.finalCalled = true;
    let called = false;
    const onFinish = (err) => {
      if (called) { errorOrDestroy(stream, err == null ? multipleCallback() : err); return; }
      called = true;
      state.pendingcb--;
      if (err) { for (const cb of state[kOnFinished].splice(0)) cb(err); errorOrDestroy(stream, err, state.sync); }
      else if (needFinish(state)) { state.prefinished = true; stream.emit("prefinish"); state.pendingcb++; tick(finish, stream, state); }
    };
    state.sync = true; state.pendingcb++;
    try { stream._final(onFinish); } catch (err) { onFinish(err); }
    state.sync = false;
  }
  function finishMaybe(stream, state, sync) {
    if (!needFinish(state)) return;
    prefinish(stream, state);
    if (state.pendingcb !== 0) return;
    if (sync) { state.pendingcb++; tick(() => { if (needFinish(state)) finish(stream, state); else state.pendingcb--; }); }
    else if (needFinish(state)) { state.pendingcb++; finish(stream, state); }
  }
  function finish(stream, state) {
    state.pendingcb--; state.finished = true;
    for (const cb of state[kOnFinished].splice(0)) cb(null);
    stream.emit("finish");
    const r = stream._readableState;
    if (state.autoDestroy && (!r || (r.autoDestroy && (r.endEmitted || r.readable === false)))) stream.destroy();
  }
  const writableProps = {
    ...getters("_writableState", [
      ["closed", (w) => w.closed, false], ["writableFinished", (w) => w.finished, false], ["writableObjectMode", (w) => w.objectMode, false],
      ["writableBuffer", (w) => w.buffered.slice(w.bufferedIndex)], ["writableEnded", (w) => w.ending, false],
      ["writableNeedDrain", (w) => !w.destroyed && !w.ending && w.needDrain, false], ["writableHighWaterMark", (w) => w.highWaterMark],
      ["writableCorked", (w) => w.corked, 0], ["writableLength", (w) => w.length], ["errored", (w) => w.errored, null],
      ["writableAborted", (w) => !!(w.writable !== false && (w.destroyed || w.errored) && !w.finished), false],
    ]),
    destroyed: { get() { return this._writableState ? this._writableState.destroyed : false; }, set(v) { if (this._writableState) this._writableState.destroyed = v; } },
    writable: {
      get() { const w = this._writableState; return !!w && w.writable !== false && !w.destroyed && !w.errored && !w.ending && !w.ended; },
      set(v) { if (this._writableState) this._writableState.writable = !!v; },
    },
  };
  Object.defineProperties(W, writableProps);

  // ---------------------------------------------------------------- Duplex, Transform, PassThrough
  function Duplex(options) {
    if (!(this instanceof Duplex)) return new Duplex(options);
    this._readableState = new ReadableState(options, this, true);
    this._writableState = new WritableState(options, this, true);
    Stream.call(this, options);
    this.allowHalfOpen = !options || options.allowHalfOpen !== false;
    if (options) {
      if (options.readable === false) Object.assign(this._readableState, { readable: false, ended: true, endEmitted: true });
      if (options.writable === false) Object.assign(this._writableState, { writable: false, ending: true, ended: true, finished: true });
      hooks(this, options, ["read", "write", "writev", "destroy", "final", "construct"]);
      if (options.signal) addAbortSignal(options.signal, this);
    }
    construct(this, () => {
      const r = this._readableState, w = this._writableState;
      if (r.needReadable) maybeReadMore(this, r);
      if (!w.writing) clearBuffer(this, w);
      finishMaybe(this, w);
    });
  }
  inherit(Duplex, Readable);
  for (const k of ["write", "cork", "uncork", "setDefaultEncoding", "_write", "_writev", "end", "destroy"]) Duplex.prototype[k] = W[k];
  for (const k of Object.keys(writableProps)) if (k.startsWith("writable")) Object.defineProperty(Duplex.prototype, k, writableProps[k]);
  Object.defineProperty(Duplex.prototype, "destroyed", {
    get() { return !!(this._readableState && this._writableState && this._readableState.destroyed && this._writableState.destroyed); },
    set(v) { if (this._readableState && this._writableState) { this._readableState.destroyed = v; this._writableState.destroyed = v; } },
  });
  function Transform(options) {
    if (!(this instanceof Transform)) return new Transform(options);
    Duplex.call(this, options);
    this._readableState.sync = false;
    this[kCallback] = null;
    if (options) hooks(this, options, ["transform", "flush"]);
    this.on("prefinish", function () { if (this._final !== transformFinal) transformFinal.call(this); });
  }
  inherit(Transform, Duplex);
  // At the end of the writes: flush, then end the readable side.
  function transformFinal(cb) {
    if (typeof this._flush !== "function" || this.destroyed) { this.push(null); if (cb) cb(); return; }
    this._flush((er, data) => {
      if (er) { if (cb) cb(er); else this.destroy(er); return; }
      if (data != null) this.push(data);
      this.push(null);
      if (cb) cb();
    });
  }
  Transform.prototype._final = transformFinal;
  Transform.prototype._transform = function () { throw notImplemented("_transform()"); };
  // The next write waits (its callback held) while the readable side is full.
  Transform.prototype._write = function (chunk, encoding, callback) {
    const r = this._readableState, w = this._writableState, length = r.length;
    this._transform(chunk, encoding, (err, val) => {
      if (err) { callback(err); return; }
      if (val != null) this.push(val);
      if (w.ended || length === r.length || r.length < r.highWaterMark) callback(); else this[kCallback] = callback;
    });
  };
  Transform.prototype._read = function () { const cb = this[kCallback]; if (cb) { this[kCallback] = null; cb(); } };
  function PassThrough(options) { if (!(this instanceof PassThrough)) return new PassThrough(options); Transform.call(this, options); }
  inherit(PassThrough, Transform);
  PassThrough.prototype._transform = function (chunk, encoding, cb) { cb(null, chunk); };

  // ---------------------------------------------------------------- finished (end-of-stream)
  function eos(stream, options, callback) {
    if (arguments.length === 2) { callback = options; options = {}; } else if (options == null) options = {};
    validateFunction(callback, "callback");
    if (!isNodeStream(stream)) throw argType("stream", "an instance of Stream", stream);
    let called = false;
    const userCallback = callback, w = stream._writableState, r = stream._readableState, st = w || r;
    callback = function (...args) { if (!called) { called = true; userCallback.apply(this, args); } };
    const readable = options.readable != null ? options.readable : isReadableNodeStream(stream);
    const writable = options.writable != null ? options.writable : isWritableNodeStream(stream);
    // A stream that will emit 'close' is done at 'close' (and not before) unless it is destroyed.
    let emitsClose = !!(st && st.autoDestroy && st.emitClose && st.closed === false) && isReadableNodeStream(stream) === readable && isWritableNodeStream(stream) === writable;
    let writableFinished = isWritableFinished(stream, false), readableFinished = isReadableFinished(stream, false);
    let closed = either(stream, (s) => typeof s.closed === "boolean") ? either(stream, (s) => s.closed) : null;
    const onlegacyfinish = () => { if (!stream.writable) onfinish(); };
    const onfinish = () => {
      writableFinished = true;
      if (stream.destroyed) emitsClose = false;
      if (emitsClose && (!stream.readable || readable)) return;
      if (!readable || readableFinished) callback.call(stream);
    };
    const onend = () => {
      readableFinished = true;
      if (stream.destroyed) emitsClose = false;
      if (emitsClose && (!stream.writable || writable)) return;
      if (!writable || writableFinished) callback.call(stream);
    };
    const onerror = (err) => callback.call(stream, err);
    const onclose = () => {
      closed = true;
      const errored = erroredOf(stream);
      if (errored && typeof errored !== "boolean") return callback.call(stream, errored);
      if (readable && !readableFinished && isReadableNodeStream(stream, true) && !isReadableFinished(stream, false)) return callback.call(stream, prematureClose());
      if (writable && !writableFinished && !isWritableFinished(stream, false)) return callback.call(stream, prematureClose());
      callback.call(stream);
    };
    const onclosed = () => { closed = true; const errored = erroredOf(stream); callback.call(stream, ...(errored && typeof errored !== "boolean" ? [errored] : [])); };
    if (writable && !w) { stream.on("end", onlegacyfinish); stream.on("close", onlegacyfinish); }
    stream.on("end", onend); stream.on("finish", onfinish);
    if (options.error !== false) stream.on("error", onerror);
    stream.on("close", onclose);
    if (closed) tick(onclose);
    else if ((w && w.errorEmitted) || (r && r.errorEmitted)) { if (!emitsClose) tick(onclosed); }
    else if (!readable && (!emitsClose || isReadable(stream)) && (writableFinished || isWritable(stream) === false)) tick(onclosed);
    else if (!writable && (!emitsClose || isWritable(stream)) && (readableFinished || isReadable(stream) === false)) tick(onclosed);
    const cleanup = () => {
      callback = nop;
      for (const [name, f] of [["end", onlegacyfinish], ["close", onlegacyfinish], ["end", onend], ["finish", onfinish], ["error", onerror], ["close", onclose]]) stream.removeListener(name, f);
    };
    const signal = options.signal;
    if (signal && !closed) {
      const abort = () => { const end = callback; cleanup(); end.call(stream, new AbortError(undefined, { cause: signal.reason })); };
      if (signal.aborted) tick(abort);
      else {
        const end = callback;
        signal.addEventListener("abort", abort);
        callback = function (...args) { signal.removeEventListener("abort", abort); end.apply(stream, args); };
      }
    }
    return cleanup;
  }
  function addAbortSignal(signal, stream) {
    if (!signal || typeof signal !== "object" || !("aborted" in signal)) throw argType("signal", "an instance of AbortSignal", signal);
    if (!isNodeStream(stream)) throw argType("stream", "an instance of Stream", stream);
    const onAbort = () => stream.destroy(new AbortError(undefined, { cause: signal.reason }));
    if (signal.aborted) onAbort(); else { signal.addEventListener("abort", onAbort); eos(stream, () => signal.removeEventListener("abort", onAbort)); }
    return stream;
  }

  // ---------------------------------------------------------------- pipeline
  function pipeline(...streams) {
    validateFunction(streams[streams.length - 1], "streams[stream.length - 1]");
    return pipelineImpl(streams, streams.pop());
  }
  // Write an (async) iterable into a Node Writable, minding its backpressure.
  async function pumpToNode(iterable, writable, finish, { end }) {
    let error, onresolve = null;
    const resume = (err) => { if (err) error = err; if (onresolve) { const cb = onresolve; onresolve = null; cb(); } };
    const wait = () => new Promise((resolve, reject) => { if (error) reject(error); else onresolve = () => (error ? reject(error) : resolve()); });
    writable.on("drain", resume);
    const cleanup = eos(writable, { readable: false }, resume);
    try {
      if (writable.writableNeedDrain) await wait();
      for await (const chunk of iterable) if (!writable.write(chunk)) await wait();
      if (end) { writable.end(); await wait(); }
      finish();
    } catch (err) { finish(error !== err ? aggregateTwoErrors(error, err) : err); }
    finally { cleanup(); writable.off("drain", resume); }
  }
  function pipe(src, dst, finish, { end }) {
    let ended = false;
    dst.on("close", () => { if (!ended) finish(prematureClose()); });
    src.pipe(dst, { end: false });
    if (end) {
      const endFn = () => { ended = true; dst.end(); };
      if (isReadableFinished(src)) tick(endFn); else src.once("end", endFn);
      eos(src, { readable: true, writable: false }, (err) => {
        const r = src._readableState;
        if (err && err.code === "ERR_STREAM_PREMATURE_CLOSE" && r && r.ended && !r.errored && !r.errorEmitted) src.once("end", endFn).once("error", finish); else finish(err);
      });
    } else finish();
    return eos(dst, { readable: false, writable: true }, finish);
  }
  function pipelineImpl(streams, callback, opts) {
    if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
    if (streams.length < 2) throw E("ERR_MISSING_ARGS", 'The "streams" argument must be specified', TypeError);
    const ac = new AbortController(), signal = ac.signal, outerSignal = opts && opts.signal, lastStreamCleanup = [], destroys = [];
    const abort = () => finishImpl(new AbortError(undefined, { cause: outerSignal.reason }));
    if (outerSignal) { if (outerSignal.aborted) tick(abort); else outerSignal.addEventListener("abort", abort); }
    let error, value, finishCount = 0, ret;
    const finish = (err) => finishImpl(err, --finishCount === 0);
    function finishImpl(err, final) {
      if (err && (!error || error.code === "ERR_STREAM_PREMATURE_CLOSE")) error = err;
      if (!error && !final) return;
      while (destroys.length) destroys.shift()(error);
      if (outerSignal) outerSignal.removeEventListener("abort", abort);
      ac.abort();
      if (final) { if (!error) for (const f of lastStreamCleanup) f(); tick(callback, error, value); }
    }
    // On failure every stream of the pipeline is destroyed (those not already done).
    const addDestroyer = (stream, reading, writing, isLast) => {
      let done = false;
      stream.on("close", () => { done = true; });
      const cleanup = eos(stream, { readable: reading, writable: writing }, (err) => { done = !err; });
      destroys.push((err) => { if (!done) { done = true; destroyer(stream, err || destroyedErr("pipe")); } });
      if (isLast) lastStreamCleanup.push(cleanup);
    };
    for (let i = 0; i < streams.length; i++) {
      let stream = streams[i];
      const reading = i < streams.length - 1, writing = i > 0, end = reading || !opts || opts.end !== false, isLastStream = i === streams.length - 1;
      // Web streams join in through their Node counterparts (a ReadableStream is an async iterable already).
      if (isWebPair(stream)) stream = Duplex.fromWeb(stream, { objectMode: true }); else if (i > 0 && isWebWritable(stream)) stream = Writable.fromWeb(stream, { objectMode: true });
      if (isNodeStream(stream)) {
        if (end) addDestroyer(stream, reading, writing, isReadable(stream) && isLastStream);
        const onError = (err) => { if (err && err.name !== "AbortError" && err.code !== "ERR_STREAM_PREMATURE_CLOSE") finish(err); };
        stream.on("error", onError);
        if (isReadable(stream) && isLastStream) lastStreamCleanup.push(() => stream.removeListener("error", onError));
      }
      if (i === 0) {
        if (typeof stream === "function") { ret = stream({ signal }); if (!isIterable(ret)) throw returnValue("Iterable, AsyncIterable or Stream", "source"); }
        else if (isIterable(stream) || isReadableNodeStream(stream)) ret = stream;
        else throw argType("source", "of type Iterable, AsyncIterable or Stream", stream);
      } else if (typeof stream === "function") {
        ret = stream(ret, { signal });
        if (reading) { if (!isIterable(ret, true)) throw returnValue("AsyncIterable", `transform[${i - 1}]`); continue; }
        // The last stage is a function: what it returns (a promise, or an async iterable) ends the pipeline.
        const pt = new PassThrough({ objectMode: true });
        if (ret && typeof ret.then === "function") {
          finishCount++;
          ret.then((val) => { value = val; if (val != null) pt.write(val); if (end) pt.end(); tick(finish); }, (err) => { pt.destroy(err); tick(finish, err); });
        } else if (isIterable(ret, true)) { finishCount++; pumpToNode(ret, pt, finish, { end }); }
        else throw returnValue("AsyncIterable or Promise", "destination");
        ret = pt;
        addDestroyer(pt, false, true, isLastStream);
      } else if (isNodeStream(stream)) {
        if (isReadableNodeStream(ret)) {
          finishCount += 2;
          const cleanup = pipe(ret, stream, finish, { end });
          if (isReadable(stream) && isLastStream) lastStreamCleanup.push(cleanup);
        } else if (isIterable(ret)) { finishCount++; pumpToNode(ret, stream, finish, { end }); }
        else throw argType("val", "of type Readable, Iterable or AsyncIterable", ret);
        ret = stream;
      } else throw argType(`streams[${i}]`, "of type Stream or function", stream);
    }
    return ret;
  }

  // ---------------------------------------------------------------- Web streams bridges (Node's webstreams/adapters)
  const strategyOf = (objectMode, highWaterMark) => (objectMode ? new (web().CountQueuingStrategy)({ highWaterMark }) : { highWaterMark });
  const toAbortError = (error) => (error && error.code === "ERR_STREAM_PREMATURE_CLOSE" ? new AbortError(undefined, { cause: error }) : error);
  const deferred = () => { let resolve, reject; const promise = new Promise((a, b) => { resolve = a; reject = b; }); return { promise, resolve, reject }; };
  const settle = (callback, error) => () => { try { callback(error); } catch (e) { tick(() => { throw e; }); } };
  Readable.toWeb = function (streamReadable, options) {
    if (!isReadableNodeStream(streamReadable)) throw argType("streamReadable", "an instance of Readable", streamReadable);
    if (isDestroyed(streamReadable) || !isReadable(streamReadable)) { const rs = new (web().ReadableStream)(); rs.cancel(); return rs; }
    const objectMode = streamReadable.readableObjectMode;
    let controller;
    const onData = (chunk) => { controller.enqueue(Buffer.isBuffer(chunk) && !objectMode ? new Uint8Array(chunk) : chunk); if (controller.desiredSize <= 0) streamReadable.pause(); };
    const cleanup = eos(streamReadable, (error) => {
      cleanup();
      streamReadable.removeListener("data", onData);
      error = toAbortError(error);
      if (error) controller.error(error); else controller.close();
    });
    streamReadable.pause();
    streamReadable.on("data", onData);
    return new (web().ReadableStream)({ start(c) { controller = c; }, pull() { streamReadable.resume(); }, cancel(reason) { destroyer(streamReadable, reason); } },
      (options && options.strategy) || strategyOf(objectMode, streamReadable.readableHighWaterMark));
  };
  // The readable side over a Web reader (Readable.fromWeb and Duplex.fromWeb).
  const readFrom = (reader, stream) => () => { reader.read().then((chunk) => stream.push(chunk.done ? null : chunk.value), (error) => destroyer(stream, error)); };
  Readable.fromWeb = function (readableStream, options = {}) {
    if (!isWebReadable(readableStream)) throw argType("readableStream", "an instance of ReadableStream", readableStream);
    const { highWaterMark, encoding, objectMode = false, signal } = options, reader = readableStream.getReader();
    let closed = false;
    const readable = new Readable({
      objectMode, highWaterMark, encoding, signal, read() { read(); },
      destroy(error, callback) { const done = settle(callback, error); if (closed) done(); else reader.cancel(error).then(done, done); },
    });
    const read = readFrom(reader, readable);
    reader.closed.then(() => { closed = true; }, (error) => { closed = true; destroyer(readable, error); });
    return readable;
  };
  Writable.toWeb = function (streamWritable) {
    if (!isWritableNodeStream(streamWritable)) throw argType("streamWritable", "an instance of Writable", streamWritable);
    if (isDestroyed(streamWritable) || !isWritable(streamWritable)) { const s = new (web().WritableStream)(); s.close(); return s; }
    let controller, backpressure, closed;
    const onDrain = () => { if (backpressure !== undefined) backpressure.resolve(); };
    const cleanup = eos(streamWritable, (error) => {
      error = toAbortError(error);
      cleanup();
      streamWritable.removeListener("drain", onDrain);
      streamWritable.on("error", nop);
      if (error != null) {
        if (backpressure !== undefined) backpressure.reject(error);
        if (closed !== undefined) { closed.reject(error); closed = undefined; }
        controller.error(error);
      } else if (closed !== undefined) { closed.resolve(); closed = undefined; return; }
      else controller.error(new AbortError());
      controller = undefined;
    });
    streamWritable.on("drain", onDrain);
    return new (web().WritableStream)({
      start(c) { controller = c; },
      write(chunk) {
        if (!streamWritable.writableNeedDrain && streamWritable.write(chunk)) return;
        backpressure = deferred();
        return backpressure.promise.finally(() => { backpressure = undefined; });
      },
      abort(reason) { destroyer(streamWritable, reason); },
      close() {
        if (closed === undefined && !isWritableEnded(streamWritable)) { closed = deferred(); streamWritable.end(); return closed.promise; }
        controller = undefined;
      },
    }, strategyOf(streamWritable.writableObjectMode, streamWritable.writableHighWaterMark));
  };
  // The writable side over a Web writer (Writable.fromWeb and Duplex.fromWeb): writes go to the writer, end closes it.
  const writerHooks = (writer, isClosed, decodeStrings, objectMode) => ({
    write(chunk, encoding, callback) {
      if (typeof chunk === "string" && decodeStrings && !objectMode) chunk = new Uint8Array(Buffer.from(chunk, encoding));
      const done = (error) => { try { callback(error); } catch (e) { destroyer(this, e); } };
      writer.ready.then(() => writer.write(chunk).then(done, done), done);
    },
    final(callback) {
      const done = (error) => { try { callback(error); } catch (e) { tick(() => destroyer(this, e)); } };
      if (!isClosed()) writer.close().then(done, done);
    },
  });
  Writable.fromWeb = function (writableStream, options = {}) {
    if (!isWebWritable(writableStream)) throw argType("writableStream", "an instance of WritableStream", writableStream);
    const { highWaterMark, decodeStrings = true, objectMode = false, signal } = options, writer = writableStream.getWriter();
    let closed = false;
    const writable = new Writable({
      highWaterMark, objectMode, decodeStrings, signal, ...writerHooks(writer, () => closed, decodeStrings, objectMode),
      destroy(error, callback) { const done = settle(callback, error); if (closed) done(); else (error != null ? writer.abort(error) : writer.close()).then(done, done); },
    });
    writer.closed.then(() => { closed = true; }, (error) => { closed = true; destroyer(writable, error); });
    return writable;
  };
  Duplex.fromWeb = function (pair, options = {}) {
    if (!isWebPair(pair)) throw argType("pair", "an object with readable and writable Web streams", pair);
    const { allowHalfOpen = false, objectMode = false, encoding, decodeStrings = true, signal } = options;
    const writer = pair.writable.getWriter(), reader = pair.readable.getReader();
    let writableClosed = false, readableClosed = false;
    const duplex = new Duplex({
      allowHalfOpen, encoding, decodeStrings, signal, writableObjectMode: objectMode, readableObjectMode: objectMode, read() { read(); },
      ...writerHooks(writer, () => writableClosed, decodeStrings, objectMode),
      destroy(error, callback) {
        const w = writableClosed ? null : error != null ? writer.abort(error) : writer.close(), r = readableClosed ? null : reader.cancel(error), done = settle(callback, error);
        Promise.all([w && w.catch(nop), r && r.catch(nop)]).then(done, done);
      },
    });
    const read = readFrom(reader, duplex), failed = (error) => { writableClosed = readableClosed = true; destroyer(duplex, error); };
    writer.closed.then(() => { writableClosed = true; }, failed);
    reader.closed.then(() => { readableClosed = true; }, failed);
    return duplex;
  };
  Duplex.toWeb = (duplex) => ({ readable: Readable.toWeb(duplex), writable: Writable.toWeb(duplex) });

  // ---------------------------------------------------------------- exports
  const promises = {
    pipeline(...streams) {
      return new Promise((resolve, reject) => {
        const last = streams[streams.length - 1];
        const opts = last && typeof last === "object" && !isNodeStream(last) && !isIterable(last) && !isWebWritable(last) && !isWebPair(last) ? streams.pop() : undefined;
        pipelineImpl(streams, (err, value) => (err ? reject(err) : resolve(value)), opts);
      });
    },
    finished(stream, opts) { return new Promise((resolve, reject) => { eos(stream, opts, (err) => (err ? reject(err) : resolve())); }); },
  };
  const finished = eos;
  finished.finished = eos;
  Object.defineProperty(finished, Symbol.for("nodejs.util.promisify.custom"), { value: promises.finished });
  Object.defineProperty(pipeline, Symbol.for("nodejs.util.promisify.custom"), { value: promises.pipeline });
  const api = {
    Stream, Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, addAbortSignal, promises,
    destroy: destroyer, isDestroyed, isReadable, isWritable, isErrored, isDisturbed, getDefaultHighWaterMark, setDefaultHighWaterMark,
    _isArrayBufferView: ArrayBuffer.isView, _isUint8Array: (v) => v instanceof Uint8Array, _uint8ArrayToBuffer: toBuffer,
  };
  Object.assign(Stream, api);
  return { default: Stream, ...api };
})
