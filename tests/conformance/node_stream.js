// node:stream (Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, the Web
// bridges), node:stream/promises and node:stream/web. The expected values are Node's.
import { test, promise_test, assert_equals, assert_true, assert_false, assert_array_equals, assert_throws_js, promise_rejects_js } from "./harness.js";
import Stream, { Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, addAbortSignal, promises, isErrored, isReadable } from "node:stream";
import * as bare from "stream";
import { pipeline as pipelineP, finished as finishedP } from "node:stream/promises";
import * as streamWeb from "stream/web";
import { inherits } from "node:util";

const later = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));
const once = (emitter, event) => new Promise((resolve) => emitter.once(event, resolve));
// Record the given events of a stream: "data:chunk", "error:code-or-message", or the event's name.
const record = (stream, events, log = []) => {
  for (const e of events) stream.on(e, (arg) => log.push(e === "data" ? `data:${arg}` : e === "error" ? `error:${arg.code || arg.message}` : e));
  return log;
};
const collector = (options = {}) => {
  const chunks = [];
  const w = new Writable({ ...options, write(chunk, encoding, cb) { chunks.push(typeof chunk === "string" || options.objectMode ? chunk : chunk.toString()); cb(); } });
  w.chunks = chunks;
  return w;
};

test(() => {
  assert_equals(typeof Stream, "function");
  for (const [name, value] of Object.entries({ Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, promises })) assert_equals(Stream[name], value, `Stream.${name}`);
  assert_equals(bare.default, Stream);
  assert_equals(bare.Readable, Readable);
  assert_true(Readable.prototype instanceof Stream);
  assert_true(new Readable() instanceof Stream);
  assert_equals(typeof new Stream().pipe, "function");
}, "default export is Stream with the classes on it; named exports; the bare name");
test(() => {
  assert_equals(pipelineP, promises.pipeline);
  assert_equals(finishedP, promises.finished);
  for (const name of ["ReadableStream", "WritableStream", "TransformStream", "TextEncoderStream", "TextDecoderStream", "CompressionStream", "DecompressionStream", "ByteLengthQueuingStrategy", "CountQueuingStrategy"]) {
    assert_equals(streamWeb[name], globalThis[name], `stream/web ${name}`);
  }
}, "node:stream/promises and node:stream/web");

promise_test(async () => {
  let n = 0;
  const r = new Readable({ read() { n++; this.push(n <= 3 ? `c${n}` : null); } });
  const log = record(r, ["data", "end", "close"]);
  assert_equals(r.readableFlowing, true, "a data listener starts the flow");
  await once(r, "close");
  assert_array_equals(log, ["data:c1", "data:c2", "data:c3", "end", "close"]);
  assert_true(r.readableEnded);
  assert_true(r.destroyed, "autoDestroy after end");
}, "Readable: flowing mode delivers the chunks in order, then end, then close");
test(() => {
  const r = new Readable({ highWaterMark: 4, read() {} });
  assert_true(r.push("abc"));
  assert_false(r.push("de"), "past the high water mark");
  assert_equals(r.readableLength, 5);
  assert_equals(r.readableHighWaterMark, 4);
  assert_false(r.push(null));
}, "Readable: push returns false once the buffer reaches the highWaterMark");
promise_test(async () => {
  const r = new Readable({ highWaterMark: 4, read() {} });
  r.push("abc"); r.push("defg"); r.push(null);
  const log = [];
  r.on("readable", () => { let c; while ((c = r.read(3)) !== null) log.push(c.toString()); log.push("|"); });
  r.on("end", () => log.push("end"));
  await once(r, "close");
  assert_equals(log.join(" "), "abc def g | | end", "a second 'readable' at the end");
}, "Readable: paused mode with 'readable' and read(n)");
promise_test(async () => {
  const r = new Readable({ read() {} });
  r.push(Buffer.from("hello ")); r.push(Buffer.from("world")); r.push(null);
  await later();
  const a = r.read(3), b = r.read(5);
  assert_true(Buffer.isBuffer(a));
  assert_equals(a.toString(), "hel");
  assert_equals(b.toString(), "lo wo", "across two chunks");
  assert_equals(r.read(100).toString(), "rld", "the rest, once ended");
  assert_equals(r.read(), null);
}, "Readable: read(n) splits and joins the buffered chunks");
promise_test(async () => {
  const r = new Readable({ read() {} });
  r.push("a"); r.push(null);
  const log = record(r, ["end"]);
  await later(5);
  assert_array_equals(log, [], "no 'end' while the data is unread");
  r.on("data", (d) => log.push(`data:${d}`));
  await once(r, "end");
  assert_array_equals(log, ["data:a", "end"]);
}, "Readable: 'end' comes only after the data is consumed");
promise_test(async () => {
  const r = new Readable({ read() {} });
  const log = record(r, ["pause", "resume"]);
  r.push("a");
  assert_false(r.isPaused());
  r.pause();
  assert_true(r.isPaused());
  assert_equals(r.readableFlowing, false);
  r.on("data", (d) => log.push(`data:${d}`));
  r.push("b");
  await later(5);
  assert_array_equals(log, ["pause"], "a data listener does not resume a paused stream");
  r.resume();
  assert_false(r.isPaused());
  await later();
  assert_array_equals(log, ["pause", "resume", "data:a", "data:b"]);
}, "Readable: pause, resume and isPaused");
promise_test(async () => {
  const r = new Readable({ read() {} });
  r.setEncoding("utf8");
  assert_equals(r.readableEncoding, "utf8");
  const bytes = Buffer.from("héllo €");
  r.push(bytes.subarray(0, 2)); r.push(bytes.subarray(2, 8)); r.push(bytes.subarray(8)); r.push(null);
  const parts = [];
  r.on("data", (d) => parts.push(d));
  await once(r, "end");
  assert_equals(typeof parts[0], "string");
  assert_equals(parts.join(""), "héllo €");
  assert_equals(parts[0], "h", "the split é waits for its second byte");
}, "Readable: setEncoding decodes characters split across chunks");
promise_test(async () => {
  const r = new Readable({ read() {} });
  r.push("world"); r.unshift("hello "); r.push(null);
  const out = [];
  r.on("data", (d) => out.push(String(d)));
  await once(r, "end");
  assert_equals(out.join(""), "hello world");
}, "Readable: unshift puts data back at the front");
promise_test(async () => {
  const r = new Readable({ read() {} });
  const log = record(r, ["error", "close"]);
  r.push(null);
  r.push("late");
  await later();
  assert_array_equals(log, ["error:ERR_STREAM_PUSH_AFTER_EOF", "close"]);
  assert_equals(r.errored.code, "ERR_STREAM_PUSH_AFTER_EOF");
  const r2 = new Readable({ read() {} });
  const log2 = record(r2, ["error"]);
  r2.push(42);
  await later();
  assert_array_equals(log2, ["error:ERR_INVALID_ARG_TYPE"]);
}, "Readable: push after EOF and a chunk of the wrong type are errors");
promise_test(async () => {
  const seen = [];
  const r = new Readable({ read() {}, destroy(err, cb) { seen.push(`_destroy:${err.message}`); cb(err); } });
  const log = record(r, ["error", "close", "end"], seen);
  r.destroy(new Error("boom"));
  assert_true(r.destroyed);
  assert_equals(r.errored.message, "boom");
  r.destroy(new Error("second"));
  await later();
  assert_array_equals(log, ["_destroy:boom", "error:boom", "close"]);
  assert_true(isErrored(r));
  assert_false(isReadable(r));
}, "Readable: destroy(err) calls _destroy, then emits error and close, once");
promise_test(async () => {
  const r = new Readable({ objectMode: true, read() {} });
  assert_equals(r.readableHighWaterMark, 16);
  let accepted = 0;
  while (r.push({ i: accepted })) accepted++;
  assert_equals(accepted, 15);
  assert_equals(r.readableLength, 16);
  assert_equals(r.read().i, 0);
  assert_equals(r.readableLength, 15);
}, "Readable: objectMode counts objects against a highWaterMark of 16");
promise_test(async () => {
  const log = [];
  let n = 0;
  const r = new Readable({ highWaterMark: 2, read(size) { log.push(`_read:${size}`); setTimeout(() => { n++; this.push(n <= 2 ? `x${n}` : null); }, 1); } });
  record(r, ["data", "end"], log);
  await once(r, "close");
  assert_array_equals(log, ["_read:2", "data:x1", "_read:2", "data:x2", "_read:2", "end"]);
}, "Readable: an asynchronous _read is called again after each push");
promise_test(async () => {
  const all = async (r) => { const out = []; for await (const c of r) out.push(c); return out; };
  assert_array_equals(await all(Readable.from([1, "two", 3])), [1, "two", 3]);
  assert_array_equals(await all(Readable.from("hello")), ["hello"], "a string is one chunk");
  const [buf] = await all(Readable.from(Buffer.from("buf")));
  assert_equals(buf.toString(), "buf");
  assert_array_equals(await all(Readable.from((async function* () { yield "a"; yield "b"; })())), ["a", "b"]);
  assert_true(Readable.from([]).readableObjectMode);
  const e = assert_throws_js(TypeError, () => Readable.from(5));
  assert_equals(e.code, "ERR_INVALID_ARG_TYPE");
}, "Readable.from: arrays, strings, Buffers and async generators");
promise_test(async () => {
  const r = new Readable({ objectMode: true, read() {} });
  setTimeout(() => { r.push(1); r.push(2); setTimeout(() => { r.push(3); r.push(null); }, 1); }, 1);
  const got = [];
  for await (const c of r) got.push(c);
  assert_array_equals(got, [1, 2, 3]);
  const r2 = Readable.from([1, 2, 3, 4]);
  const first = [];
  for await (const c of r2) { first.push(c); if (c === 2) break; }
  assert_array_equals(first, [1, 2]);
  await later();
  assert_true(r2.destroyed, "break destroys the stream");
}, "Readable: async iteration, and break destroys the stream");
promise_test(async () => {
  const r = new Readable({ read() { this.destroy(new Error("iteration failed")); } });
  const err = await promise_rejects_js(Error, (async () => { for await (const c of r) void c; })());
  assert_equals(err.message, "iteration failed");
}, "Readable: async iteration throws the stream's error");

promise_test(async () => {
  const log = [];
  const w = new Writable({ highWaterMark: 3, write(chunk, enc, cb) { log.push(`write:${chunk}`); setTimeout(cb, 1); } });
  record(w, ["drain", "finish", "close"], log);
  assert_true(w.write("ab"));
  assert_false(w.write("c"), "3 bytes reach the highWaterMark");
  assert_true(w.writableNeedDrain);
  assert_equals(w.writableLength, 3);
  assert_false(w.write("d"));
  await once(w, "drain");
  assert_equals(w.writableLength, 0);
  w.end("e");
  await once(w, "close");
  assert_array_equals(log, ["write:ab", "write:c", "write:d", "drain", "write:e", "finish", "close"]);
}, "Writable: write() returns false past the highWaterMark, then 'drain'");
promise_test(async () => {
  const log = [];
  const w = new Writable({ write(chunk, enc, cb) { log.push(`write:${chunk}`); cb(); } });
  record(w, ["finish", "close"], log);
  w.write("a", () => log.push("cb a"));
  w.write("b", () => log.push("cb b"));
  w.end(() => log.push("end cb"));
  assert_true(w.writableEnded);
  assert_false(w.writableFinished);
  log.push("sync");
  await once(w, "close");
  assert_array_equals(log, ["write:a", "write:b", "sync", "cb a", "cb b", "end cb", "finish", "close"]);
  assert_true(w.writableFinished);
}, "Writable: write callbacks, end(cb), then finish and close");
promise_test(async () => {
  const seen = [];
  const w = new Writable({ write(chunk, enc, cb) { seen.push(`${Buffer.isBuffer(chunk)}/${enc}/${chunk.toString()}`); cb(); } });
  w.write("hi"); w.write("6869", "hex"); w.write(new Uint8Array([65]));
  const w2 = new Writable({ decodeStrings: false, write(chunk, enc, cb) { seen.push(`${typeof chunk}/${enc}`); cb(); } });
  w2.write("x"); w2.write("6869", "hex");
  await later();
  assert_array_equals(seen, ["true/buffer/hi", "true/buffer/hi", "true/buffer/A", "string/utf8", "string/hex"]);
}, "Writable: strings become Buffers (decodeStrings), or stay strings with their encoding");
promise_test(async () => {
  const log = [];
  const w = new Writable({
    write(chunk, enc, cb) { log.push(`write:${chunk}`); cb(); },
    writev(chunks, cb) { log.push(`writev:${chunks.map((c) => c.chunk).join(",")}`); cb(); },
  });
  w.cork(); w.write("a"); w.write("b");
  assert_equals(w.writableCorked, 1);
  assert_equals(w.writableLength, 2);
  assert_array_equals(log, [], "nothing is written while corked");
  w.uncork();
  w.write("c");
  w.cork(); w.write("d"); w.write("e"); w.end("f");
  await once(w, "finish");
  assert_array_equals(log, ["writev:a,b", "write:c", "writev:d,e,f"]);
}, "Writable: cork and uncork; buffered writes go to writev together");
promise_test(async () => {
  const w = collector();
  const log = record(w, ["error", "close"]);
  w.end();
  let cbErr = null;
  assert_false(w.write("x", (err) => { cbErr = err; }));
  await later();
  assert_equals(cbErr.code, "ERR_STREAM_WRITE_AFTER_END");
  assert_equals(cbErr.message, "write after end");
  assert_array_equals(log, ["error:ERR_STREAM_WRITE_AFTER_END", "close"]);
  const e = assert_throws_js(TypeError, () => collector().write(null));
  assert_equals(e.code, "ERR_STREAM_NULL_VALUES");
}, "Writable: write after end, and write(null)");
promise_test(async () => {
  const log = [];
  const w = new Writable({ write(c, e, cb) { log.push("write"); cb(); }, final(cb) { log.push("final"); setTimeout(() => { log.push("final done"); cb(); }, 1); } });
  record(w, ["prefinish", "finish", "close"], log);
  w.end("x");
  await once(w, "close");
  assert_array_equals(log, ["write", "final", "final done", "prefinish", "finish", "close"]);
}, "Writable: final() runs before 'finish'");
promise_test(async () => {
  const w = new Writable({ write(c, e, cb) { setTimeout(() => cb(new Error("disk full")), 1); } });
  const log = record(w, ["error", "close", "finish"]);
  w.write("a", (err) => log.push(`cb a:${err.message}`));
  await once(w, "close");
  assert_array_equals(log, ["cb a:disk full", "error:disk full", "close"]);
  assert_equals(w.errored.message, "disk full");
  assert_false(w.writable);
}, "Writable: a write that fails destroys the stream with its error");

promise_test(async () => {
  const log = [];
  const d = new Duplex({ allowHalfOpen: false, read() {}, write(c, e, cb) { log.push(`write:${c}`); cb(); } });
  record(d, ["data", "end", "finish", "close"], log);
  d.write("in");
  d.push("out"); d.push(null);
  await once(d, "close");
  assert_array_equals(log, ["write:in", "data:out", "end", "finish", "close"]);
  assert_true(d instanceof Writable, "a Duplex is a Writable");
  assert_true(d instanceof Readable);
  assert_false({} instanceof Writable);
}, "Duplex: both sides; allowHalfOpen: false ends the writable side after 'end'");
promise_test(async () => {
  const log = [];
  const t = new Transform({
    transform(chunk, enc, cb) { cb(null, chunk.toString().toUpperCase()); },
    flush(cb) { log.push("flush"); cb(null, "!"); },
  });
  record(t, ["data", "end", "finish"], log);
  t.write("ab"); t.end("cd");
  await once(t, "close");
  assert_array_equals(log, ["data:AB", "data:CD", "flush", "data:!", "end", "finish"]);
}, "Transform: transform and flush");
promise_test(async () => {
  const t = new Transform({ objectMode: true, transform(c, e, cb) { if (c === 2) cb(new Error("bad 2")); else cb(null, c * 10); } });
  const log = record(t, ["data", "error", "close"]);
  t.write(1); t.write(2); t.write(3);
  await once(t, "close");
  assert_array_equals(log, ["data:10", "error:bad 2", "close"]);
}, "Transform: an error in transform destroys the stream");
promise_test(async () => {
  const pt = new PassThrough();
  const w = collector();
  const log = record(w, ["pipe", "unpipe", "finish"]);
  assert_equals(pt.pipe(w), w);
  pt.write("x"); pt.end("y");
  await once(w, "close");
  assert_array_equals(w.chunks, ["x", "y"]);
  assert_array_equals(log, ["pipe", "finish", "unpipe"]);
}, "PassThrough and pipe: the destination ends with the source");
promise_test(async () => {
  let i = 0;
  const r = new Readable({ highWaterMark: 4, read() { i++; this.push(i > 6 ? null : `n${i}`); } });
  const got = [];
  const w = new Writable({ highWaterMark: 2, write(c, e, cb) { got.push(String(c)); setTimeout(cb, 1); } });
  let drains = 0, pauses = 0;
  w.on("drain", () => drains++);
  r.on("pause", () => pauses++);
  r.pipe(w);
  await once(w, "finish");
  assert_array_equals(got, ["n1", "n2", "n3", "n4", "n5", "n6"]);
  assert_true(pauses > 0, "the source paused");
  assert_true(drains > 0, "and resumed on drain");
}, "pipe: backpressure pauses the source until 'drain'");
promise_test(async () => {
  const src = Readable.from(["a", "b", "c"]);
  const t = new Transform({ objectMode: true, transform(c, e, cb) { cb(null, c + c); } });
  const w = collector({ objectMode: true });
  let args;
  const ret = pipeline(src, t, w, (...a) => { args = a; });
  assert_equals(ret, w, "pipeline returns the last stream");
  await once(w, "close");
  await later();
  assert_equals(args[0], undefined, "no error");
  assert_array_equals(w.chunks, ["aa", "bb", "cc"]);
  assert_true(src.destroyed && t.destroyed && w.destroyed);
}, "pipeline: Readable.from → Transform → Writable");
promise_test(async () => {
  const src = new Readable({ read() {} });
  const t = new Transform({ transform(c, e, cb) { cb(new Error("transform failed")); } });
  const w = collector();
  const done = new Promise((resolve) => pipeline(src, t, w, resolve));
  src.push("x");
  const err = await done;
  assert_equals(err.message, "transform failed");
  await later();
  assert_true(src.destroyed, "the source is destroyed");
  assert_true(w.destroyed, "the destination is destroyed");
  const src2 = new Readable({ read() {} });
  const done2 = new Promise((resolve) => pipeline(src2, collector(), resolve));
  src2.destroy();
  assert_equals((await done2).code, "ERR_STREAM_PREMATURE_CLOSE");
}, "pipeline: an error destroys every stream and reaches the callback");
promise_test(async () => {
  const w = collector({ objectMode: true });
  await new Promise((resolve, reject) => pipeline(
    async function* () { yield "a"; yield "b"; },
    async function* (source) { for await (const c of source) yield c.toUpperCase(); },
    w,
    (err) => (err ? reject(err) : resolve()),
  ));
  assert_array_equals(w.chunks, ["A", "B"]);
  const value = await new Promise((resolve, reject) => pipeline(Readable.from(["x", "y"]), async (source) => { let s = ""; for await (const c of source) s += c; return s; }, (err, v) => (err ? reject(err) : resolve(v))));
  assert_equals(value, "xy", "the last function's result is the callback's value");
}, "pipeline: async generator functions as source, transform and destination");
promise_test(async () => {
  const log = [];
  const r = Readable.from(["a"]);
  finished(r, (err) => log.push(`r:${err}`));
  r.resume();
  const w = collector();
  assert_equals(typeof finished(w, (err) => log.push(`w:${err}`)), "function", "finished returns a cleanup function");
  w.end("x");
  await later(5);
  const r2 = new Readable({ read() {} });
  finished(r2, (err) => log.push(`r2:${err.code}`));
  r2.destroy();
  await later(5);
  assert_array_equals(log.sort(), ["r2:ERR_STREAM_PREMATURE_CLOSE", "r:undefined", "w:undefined"]);
}, "finished: end, finish, and a premature close");
promise_test(async () => {
  const w = collector({ objectMode: true });
  await pipelineP(Readable.from(["a", "b"]), w);
  assert_array_equals(w.chunks, ["a", "b"]);
  const err = await promise_rejects_js(Error, pipelineP(Readable.from(["a"]), async function* (s) { for await (const c of s) throw new Error(`no ${c}`); }, new PassThrough({ objectMode: true })));
  assert_equals(err.message, "no a");
  const w2 = collector();
  setTimeout(() => w2.end("z"), 1);
  await finishedP(w2);
  assert_true(w2.writableFinished);
  const ac = new AbortController();
  const p = pipelineP(new Readable({ read() {} }), collector(), { signal: ac.signal });
  ac.abort();
  assert_equals((await promise_rejects_js(Error, p)).name, "AbortError");
}, "stream/promises: pipeline and finished");
promise_test(async () => {
  const web = Readable.toWeb(Readable.from(["a", "b"], { objectMode: false }));
  assert_true(web instanceof ReadableStream);
  const reader = web.getReader();
  const chunks = [];
  for (;;) { const { value, done } = await reader.read(); if (done) break; chunks.push(value); }
  assert_true(chunks[0] instanceof Uint8Array, "bytes arrive as Uint8Arrays");
  assert_equals(chunks.map((c) => new TextDecoder().decode(c)).join(""), "ab");
  const rs = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("x")); c.enqueue(new TextEncoder().encode("y")); c.close(); } });
  const node = Readable.fromWeb(rs);
  const got = [];
  for await (const c of node) got.push(Buffer.isBuffer(c) ? c.toString() : "not a Buffer");
  assert_equals(got.join(""), "xy");
  const round = Readable.fromWeb(Readable.toWeb(Readable.from([1, 2, 3])), { objectMode: true });
  const values = [];
  for await (const c of round) values.push(c);
  assert_array_equals(values, [1, 2, 3]);
}, "Readable.toWeb and Readable.fromWeb, and a round trip");
promise_test(async () => {
  const w = collector();
  const ws = Writable.toWeb(w);
  assert_true(ws instanceof WritableStream);
  const writer = ws.getWriter();
  await writer.write(new Uint8Array([104, 105]));
  await writer.close();
  assert_array_equals(w.chunks, ["hi"]);
  assert_true(w.writableFinished);
  const sink = [];
  const nw = Writable.fromWeb(new WritableStream({ write(c) { sink.push(new TextDecoder().decode(c)); } }));
  nw.write("abc");
  nw.end(Buffer.from("def"));
  await once(nw, "finish");
  assert_array_equals(sink, ["abc", "def"]);
}, "Writable.toWeb and Writable.fromWeb");
promise_test(async () => {
  const out = [];
  const rs = new ReadableStream({ start(c) { c.enqueue("a"); c.enqueue("b"); c.close(); } });
  const ts = new TransformStream({ transform(chunk, c) { c.enqueue(chunk + "!"); } });
  await pipelineP(rs, ts, new WritableStream({ write(c) { out.push(c); } }));
  assert_array_equals(out, ["a!", "b!"]);
}, "pipeline accepts Web streams");
promise_test(async () => {
  const ac = new AbortController();
  const r = addAbortSignal(ac.signal, new Readable({ read() {} }));
  const log = record(r, ["error", "close"]);
  ac.abort();
  await later();
  assert_array_equals(log, ["error:ABORT_ERR", "close"]);
  assert_equals(r.errored.name, "AbortError");
  const w = new Writable({ write(c, e, cb) { cb(); }, signal: AbortSignal.abort() });
  w.on("error", () => {});
  assert_true(w.destroyed, "an aborted signal destroys at once");
}, "addAbortSignal and the signal option");
promise_test(async () => {
  const s = new Stream();
  s.readable = true;
  const w = collector();
  s.pipe(w);
  s.emit("data", "a"); s.emit("data", "b"); s.emit("end");
  await once(w, "finish");
  assert_array_equals(w.chunks, ["a", "b"]);
}, "legacy Stream: an EventEmitter with pipe()");
promise_test(async () => {
  function Counter(options) { Readable.call(this, options); this.n = 0; }
  inherits(Counter, Readable);
  Counter.prototype._read = function () { this.n++; this.push(this.n > 2 ? null : String(this.n)); };
  const out = [];
  for await (const c of new Counter()) out.push(String(c));
  assert_array_equals(out, ["1", "2"]);
  class Upper extends Transform { _transform(c, e, cb) { cb(null, String(c).toUpperCase()); } }
  const u = new Upper();
  u.end("abc");
  assert_equals(String((await u.toArray())[0]), "ABC");
  assert_true(Readable() instanceof Readable, "callable without new");
}, "subclassing: Readable.call(this) with util.inherits, and class extends");
