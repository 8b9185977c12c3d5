// WHATWG Streams, readable byte streams: `type: "bytes"` sources, ReadableByteStreamController,
// ReadableStreamBYOBReader and ReadableStreamBYOBRequest, autoAllocateChunkSize, tee() of a byte
// stream, and a byte stream as a body. Expected values follow the Streams Standard's algorithms
// (pull-into descriptors, buffer transfer); every test here also passes on Node 20's streams.
import { test, promise_test, assert_equals, assert_true, assert_false, assert_array_equals, assert_throws_js, promise_rejects_js, assert_class_string } from "./harness.js";

const tick = () => new Promise((r) => setTimeout(r, 0));
const u8 = (v) => Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
const isDetached = (buf) => buf.byteLength === 0;
// A byte stream whose pull() answers each read with up to `n` bytes counting up from `next`, and
// closes after `total` bytes: into the pending read's buffer when there is a byobRequest,
// otherwise as an enqueued chunk. `log` records which.
function counting(n, { next = 1, total = Infinity } = {}) {
  let pulls = 0, sent = 0;
  const log = [];
  const rs = new ReadableStream({
    type: "bytes",
    pull(c) {
      pulls++;
      const req = c.byobRequest;
      if (sent === total) { log.push("close"); c.close(); if (req) req.respond(0); return; }
      const k = Math.min(n, req ? req.view.byteLength : n, total - sent);
      const bytes = new Uint8Array(k);
      for (let i = 0; i < k; i++) bytes[i] = next++;
      sent += k;
      if (req) { log.push(`respond ${k}`); req.view.set(bytes); req.respond(k); }
      else { log.push(`enqueue ${k}`); c.enqueue(bytes); }
    },
  });
  return { rs, pulls: () => pulls, log };
}

test(() => {
  for (const name of ["ReadableByteStreamController", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest"]) {
    assert_equals(typeof globalThis[name], "function", name);
  }
  assert_throws_js(TypeError, () => new ReadableByteStreamController(), "the controller cannot be constructed");
  assert_throws_js(TypeError, () => new ReadableStreamBYOBRequest(), "the request cannot be constructed");
  assert_throws_js(TypeError, () => new ReadableStreamBYOBReader({}), "a BYOB reader needs a ReadableStream");
}, "the byte-stream classes are globals and not constructible by scripts");

promise_test(async () => {
  let controller = null, desired = null, request;
  const rs = new ReadableStream({ type: "bytes", start(c) { controller = c; desired = c.desiredSize; request = c.byobRequest; } });
  assert_class_string(controller, "ReadableByteStreamController");
  assert_true(controller instanceof ReadableByteStreamController);
  assert_equals(desired, 0, "the default high-water mark of a byte stream is 0");
  assert_equals(request, null, "no byobRequest without a pending read");
  const reader = rs.getReader({ mode: "byob" });
  assert_class_string(reader, "ReadableStreamBYOBReader");
  assert_true(reader instanceof ReadableStreamBYOBReader);
  assert_true(rs.locked);
  const rs2 = new ReadableStream({ type: "bytes", start(c) { desired = c.desiredSize; c.enqueue(new Uint8Array(4)); controller = c; } }, { highWaterMark: 10 });
  assert_equals(desired, 10);
  assert_equals(controller.desiredSize, 6, "desiredSize counts queued bytes");
  assert_false(rs2.locked);
}, "a type: \"bytes\" source gets a ReadableByteStreamController; desiredSize counts bytes");

test(() => {
  assert_throws_js(RangeError, () => new ReadableStream({ type: "bytes" }, { size: () => 1 }), "a byte stream's strategy cannot have a size");
  assert_throws_js(TypeError, () => new ReadableStream({ type: "bytes", autoAllocateChunkSize: 0 }), "autoAllocateChunkSize 0");
  assert_throws_js(TypeError, () => new ReadableStream({ type: "bites" }), "an unknown type");
  assert_throws_js(RangeError, () => new ReadableStream({ type: "bytes" }, { highWaterMark: -1 }), "a negative high-water mark");
}, "byte stream construction errors");

promise_test(async () => {
  const { rs, pulls } = counting(3);
  const reader = rs.getReader({ mode: "byob" });
  const view = new Uint8Array(8);
  const { value, done } = await reader.read(view);
  assert_false(done);
  assert_true(value instanceof Uint8Array);
  assert_array_equals(u8(value), [1, 2, 3], "the source's bytes, in the caller's memory");
  assert_equals(value.byteOffset, 0);
  assert_equals(value.buffer.byteLength, 8, "the view's whole buffer comes back");
  assert_true(isDetached(view.buffer), "the caller's buffer was transferred (detached)");
  assert_equals(pulls(), 1);
  const second = await reader.read(value.buffer.constructor === ArrayBuffer ? new Uint8Array(value.buffer, 3, 5) : null);
  assert_array_equals(u8(second.value), [4, 5, 6]);
  assert_equals(second.value.byteOffset, 3, "the view's offset is kept");
}, "a BYOB read fills the caller's view through byobRequest.respond()");

promise_test(async () => {
  const rs = new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1, 2, 3])); c.enqueue(new Uint8Array([4, 5])); c.close(); } });
  const reader = rs.getReader({ mode: "byob" });
  const a = await reader.read(new Uint8Array(4));
  assert_array_equals(u8(a.value), [1, 2, 3, 4], "one read takes bytes from several queued chunks");
  const b = await reader.read(new Uint8Array(4));
  assert_array_equals(u8(b.value), [5]);
  assert_false(b.done);
  const c = await reader.read(new Uint8Array(4));
  assert_true(c.done);
  assert_true(c.value instanceof Uint8Array, "a read after close resolves with an empty view of the caller's buffer");
  assert_equals(c.value.byteLength, 0);
  assert_equals(c.value.buffer.byteLength, 4);
  await reader.closed;
}, "BYOB reads from queued chunks, then close");

promise_test(async () => {
  const { rs, pulls } = counting(1, { next: 10 });
  const reader = rs.getReader({ mode: "byob" });
  const { value } = await reader.read(new Uint8Array(5), { min: 3 });
  assert_array_equals(u8(value), [10, 11, 12], "the read waits for min bytes, no more");
  assert_equals(pulls(), 3, "pull() is called until min is reached");
  await promise_rejects_js(RangeError, reader.read(new Uint8Array(2), { min: 3 }), "min larger than the view");
  await promise_rejects_js(TypeError, reader.read(new Uint8Array(2), { min: 0 }), "min 0");
  await promise_rejects_js(RangeError, reader.read(new Uint16Array(2), { min: 3 }), "min counts elements, not bytes");
}, "read(view, { min })");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const reader = rs.getReader({ mode: "byob" });
  const p = reader.read(new Uint16Array(2), { min: 2 });
  c.enqueue(new Uint8Array([1, 2, 3]));
  await tick();
  let settled = false;
  p.then(() => { settled = true; });
  await tick();
  assert_false(settled, "3 bytes are not two Uint16 elements");
  c.enqueue(new Uint8Array([4, 5]));
  const { value } = await p;
  assert_true(value instanceof Uint16Array);
  assert_equals(value.length, 2);
  assert_array_equals(u8(value), [1, 2, 3, 4]);
  const rest = await reader.read(new Uint8Array(4));
  assert_array_equals(u8(rest.value), [5], "the byte past the read stays queued");
}, "a Uint16Array read with min waits for whole elements");

promise_test(async () => {
  const rs = new ReadableStream({
    type: "bytes",
    pull(c) {
      const v = c.byobRequest.view;
      const nv = new Uint8Array(v.buffer, v.byteOffset, 2);
      nv.set([7, 8]);
      c.byobRequest.respondWithNewView(nv);
    },
  });
  const reader = rs.getReader({ mode: "byob" });
  const { value } = await reader.read(new Uint8Array(6));
  assert_array_equals(u8(value), [7, 8]);
  assert_equals(value.buffer.byteLength, 6);
}, "byobRequest.respondWithNewView()");

promise_test(async () => {
  const errors = [];
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const reader = rs.getReader({ mode: "byob" });
  const p = reader.read(new Uint8Array(4));
  const req = c.byobRequest;
  assert_class_string(req, "ReadableStreamBYOBRequest");
  assert_equals(req.view.byteLength, 4);
  for (const fn of [
    () => req.respond(5),
    () => req.respond(0),
    () => req.respondWithNewView(new Uint8Array(req.view.buffer, 1, 1)),
    () => req.respondWithNewView(new Uint8Array(new ArrayBuffer(8), 0, 2)),
    () => req.respondWithNewView(new Uint8Array(req.view.buffer, 0, 0)),
  ]) { try { fn(); errors.push("none"); } catch (e) { errors.push(e.constructor.name); } }
  assert_array_equals(errors, ["RangeError", "TypeError", "RangeError", "RangeError", "TypeError"]);
  req.view[0] = 42;
  req.respond(1);
  assert_array_equals(u8((await p).value), [42], "the request still works after the rejected calls");
  assert_equals(req.view, null, "a used request has no view");
  assert_throws_js(TypeError, () => req.respond(1), "a used request cannot respond again");
  assert_equals(c.byobRequest, null);
}, "respond() and respondWithNewView() argument errors");

promise_test(async () => {
  let viewLength = null, requestType = null;
  const rs = new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: 16,
    pull(c) {
      const req = c.byobRequest;
      requestType = Object.prototype.toString.call(req);
      viewLength = req.view.byteLength;
      req.view.set([1, 2, 3]);
      req.respond(3);
    },
  });
  const reader = rs.getReader();
  const { value, done } = await reader.read();
  assert_false(done);
  assert_equals(requestType, "[object ReadableStreamBYOBRequest]");
  assert_equals(viewLength, 16, "a default read gets an autoAllocateChunkSize buffer");
  assert_true(value instanceof Uint8Array);
  assert_array_equals(u8(value), [1, 2, 3]);
  assert_equals(value.buffer.byteLength, 16);
}, "autoAllocateChunkSize gives a default reader's reads a byobRequest");

promise_test(async () => {
  let request;
  const rs = new ReadableStream({ type: "bytes", pull(c) { request = c.byobRequest; c.enqueue(new Uint8Array([5, 6])); c.close(); } });
  const reader = rs.getReader();
  const { value } = await reader.read();
  assert_equals(request, null, "without autoAllocateChunkSize a default read has no byobRequest");
  assert_array_equals(u8(value), [5, 6]);
  assert_true((await reader.read()).done);
  await reader.closed;
}, "a default reader of a byte stream");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const reader = rs.getReader({ mode: "byob" });
  const p = reader.read(new Uint8Array(4));
  const chunk = new Uint8Array([9, 8, 7, 6, 5, 4]);
  c.enqueue(chunk);
  assert_true(isDetached(chunk.buffer), "enqueue() transfers the chunk's buffer");
  assert_equals(c.byobRequest, null, "the pending read's request is used up");
  const { value } = await p;
  assert_array_equals(u8(value), [9, 8, 7, 6], "the pending read is filled from the chunk");
  assert_equals(c.desiredSize, -2, "the rest of the chunk is queued");
  assert_array_equals(u8((await reader.read(new Uint8Array(4))).value), [5, 4]);
}, "enqueue() while a BYOB read is pending");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const reader = rs.getReader();
  const p = reader.read();
  const chunk = new Uint8Array([1, 2, 3, 4]);
  c.enqueue(chunk.subarray(1, 3));
  const { value } = await p;
  assert_array_equals(u8(value), [2, 3]);
  assert_equals(value.byteOffset, 1, "the chunk's view comes through as is");
  assert_equals(c.desiredSize, 0, "nothing was queued");
}, "enqueue() while a default read is pending");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const reader = rs.getReader({ mode: "byob" });
  const p = reader.read(new Uint16Array(2));
  c.enqueue(new Uint8Array([1]));
  await tick();
  const e = assert_throws_js(TypeError, () => c.close(), "closing with half an element pending");
  assert_equals(await p.then(() => null, (x) => x), e, "the read rejects with the same TypeError");
  await promise_rejects_js(TypeError, reader.closed);
  assert_equals(c.desiredSize, null, "the stream is errored");
}, "close() with a pending read holding a partial element is a TypeError");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const reader = rs.getReader({ mode: "byob" });
  let result = null;
  reader.read(new Uint8Array(4)).then((r) => { result = r; });
  await tick();
  c.close();
  await tick();
  assert_equals(result, null, "a pending BYOB read waits for respond(0) after close()");
  assert_throws_js(TypeError, () => c.byobRequest.respond(1), "respond() after close must be 0");
  c.byobRequest.respond(0);
  await tick();
  assert_true(result.done);
  assert_equals(result.value.byteLength, 0);
  assert_equals(result.value.buffer.byteLength, 4, "the caller's buffer comes back, empty");
}, "close() with a pending BYOB read, then respond(0)");

promise_test(async () => {
  const rs = new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1, 2, 3])); c.close(); } });
  const reader = rs.getReader({ mode: "byob" });
  const a = await reader.read(new Uint16Array(4));
  assert_equals(a.value.length, 1, "one whole element");
  assert_array_equals(u8(a.value), [1, 2]);
  await promise_rejects_js(TypeError, reader.read(new Uint16Array(4)), "one byte left over after close");
  await promise_rejects_js(TypeError, reader.closed);
}, "a closed stream's leftover partial element errors the next read");

promise_test(async () => {
  let reason = null, c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; }, cancel(r) { reason = r; } });
  const reader = rs.getReader({ mode: "byob" });
  const p = reader.read(new Uint8Array(4));
  await reader.cancel("enough");
  assert_equals(reason, "enough");
  const r = await p;
  assert_true(r.done);
  assert_equals(r.value, undefined, "a read pending at cancel resolves with no view");
  await reader.closed;
  assert_equals(c.byobRequest, null);
  assert_true((await reader.read(new Uint8Array(2))).done);
}, "cancel() through a BYOB reader");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const r1 = rs.getReader({ mode: "byob" });
  const p = r1.read(new Uint8Array(4));
  r1.releaseLock();
  await promise_rejects_js(TypeError, p, "a pending read rejects on releaseLock()");
  await promise_rejects_js(TypeError, r1.closed);
  await promise_rejects_js(TypeError, r1.read(new Uint8Array(1)), "a released reader cannot read");
  assert_false(rs.locked);
  // The released read's buffer is still the source's to fill; its bytes go to the queue.
  c.byobRequest.view.set([3, 4]);
  c.byobRequest.respond(2);
  const { value } = await rs.getReader().read();
  assert_array_equals(u8(value), [3, 4]);
}, "releaseLock() rejects pending BYOB reads; a later reader gets the bytes");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const r1 = rs.getReader({ mode: "byob" });
  r1.read(new Uint8Array(4)).catch(() => {});
  r1.releaseLock();
  c.enqueue(new Uint8Array([1, 2]));
  assert_equals(c.byobRequest, null, "the released read's descriptor is dropped once a chunk arrives");
  const { value } = await rs.getReader({ mode: "byob" }).read(new Uint8Array(4));
  assert_array_equals(u8(value), [1, 2]);
}, "enqueue() after a BYOB reader with a pending read was released");

promise_test(async () => {
  let pulls = 0;
  const rs = new ReadableStream({
    type: "bytes",
    pull(c) { pulls++; c.byobRequest.view.set([1, 2, 3]); c.byobRequest.respond(3); },
  });
  const reader = rs.getReader({ mode: "byob" });
  const { value } = await reader.read(new Uint16Array(4));
  assert_equals(value.length, 1, "3 bytes written: one Uint16 element");
  assert_array_equals(u8(value), [1, 2]);
  const rest = await reader.read(new Uint8Array(4));
  assert_array_equals(u8(rest.value), [3], "the odd byte was queued for the next read");
  assert_equals(pulls, 1, "the next read was served from the queue");
}, "respond() with a partial element queues the remainder");

promise_test(async () => {
  const rs = new ReadableStream({ type: "bytes" });
  const reader = rs.getReader();
  const p = reader.read();
  reader.releaseLock();
  await promise_rejects_js(TypeError, p);
  const byob = rs.getReader({ mode: "byob" });
  byob.releaseLock();
  rs.getReader();
}, "releaseLock() of a default reader of a byte stream");

promise_test(async () => {
  const plain = new ReadableStream();
  assert_throws_js(TypeError, () => plain.getReader({ mode: "byob" }), "a default stream has no BYOB reader");
  assert_throws_js(TypeError, () => new ReadableStreamBYOBReader(plain));
  const bytes = new ReadableStream({ type: "bytes" });
  assert_throws_js(TypeError, () => bytes.getReader({ mode: "nope" }), "an unknown mode");
  bytes.getReader({ mode: "byob" });
  assert_throws_js(TypeError, () => bytes.getReader({ mode: "byob" }), "a locked stream");
  assert_throws_js(TypeError, () => bytes.getReader());
}, "reader modes and locking");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const reader = rs.getReader({ mode: "byob" });
  await promise_rejects_js(TypeError, reader.read(new Uint8Array(0)), "a zero-length view");
  await promise_rejects_js(TypeError, reader.read(new Uint8Array(new ArrayBuffer(8), 8)), "a zero-length view at the end of a buffer");
  await promise_rejects_js(TypeError, reader.read(new ArrayBuffer(4)), "not a view");
  await promise_rejects_js(TypeError, reader.read(), "no view");
  assert_throws_js(TypeError, () => c.enqueue(new Uint8Array(0)), "an empty chunk");
  assert_throws_js(TypeError, () => c.enqueue(new ArrayBuffer(4)), "a chunk that is not a view");
  const chunk = new Uint8Array([1]);
  c.enqueue(chunk);
  assert_throws_js(TypeError, () => c.enqueue(chunk), "a chunk whose buffer was transferred");
  await promise_rejects_js(TypeError, reader.read(chunk), "a view whose buffer was transferred");
}, "zero-length, detached and non-view arguments are TypeErrors");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  c.close();
  assert_throws_js(TypeError, () => c.close(), "close() twice");
  assert_throws_js(TypeError, () => c.enqueue(new Uint8Array(1)), "enqueue() after close()");
  const boom = new Error("boom");
  const rs2 = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const reader = rs2.getReader({ mode: "byob" });
  const p = reader.read(new Uint8Array(2));
  c.error(boom);
  assert_equals(await p.then(() => null, (e) => e), boom);
  assert_equals(await reader.closed.then(() => null, (e) => e), boom);
  assert_equals(c.desiredSize, null);
  assert_equals(c.byobRequest, null, "an error clears the pending reads");
  assert_throws_js(TypeError, () => c.enqueue(new Uint8Array(1)), "enqueue() on an errored stream");
  const rs3 = new ReadableStream({ type: "bytes", pull() { throw boom; } });
  assert_equals(await rs3.getReader({ mode: "byob" }).read(new Uint8Array(1)).then(() => null, (e) => e), boom, "a throwing pull() errors the stream");
  assert_true((await rs.getReader({ mode: "byob" }).read(new Uint8Array(1))).done);
}, "controller close(), error() and enqueue() state errors");

promise_test(async () => {
  const rs = new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])); c.close(); } });
  const reader = rs.getReader({ mode: "byob" });
  const dv = await reader.read(new DataView(new ArrayBuffer(8), 2, 3));
  assert_true(dv.value instanceof DataView);
  assert_equals(dv.value.byteOffset, 2);
  assert_array_equals(u8(dv.value), [1, 2, 3]);
  const i32 = await reader.read(new Int32Array(new ArrayBuffer(16), 4, 2));
  assert_true(i32.value instanceof Int32Array);
  assert_equals(i32.value.length, 1, "5 bytes left: one whole Int32, one byte kept");
  assert_equals(i32.value.byteOffset, 4);
  assert_array_equals(u8(i32.value), [4, 5, 6, 7]);
  assert_array_equals(u8((await reader.read(new Uint8Array(4))).value), [8]);
}, "BYOB reads into a DataView and an Int32Array keep the view's type and offset");

promise_test(async () => {
  let pulls = 0;
  const rs = new ReadableStream({ type: "bytes", pull(c) { pulls++; c.enqueue(new Uint8Array([pulls])); } }, { highWaterMark: 0 });
  await tick();
  assert_equals(pulls, 0, "a high-water mark of 0: no pull before a read");
  const reader = rs.getReader({ mode: "byob" });
  assert_array_equals(u8((await reader.read(new Uint8Array(4))).value), [1]);
  await tick();
  assert_equals(pulls, 1, "one read, one pull");
  const rs2 = new ReadableStream({ type: "bytes", pull(c) { pulls++; c.enqueue(new Uint8Array(3)); } }, { highWaterMark: 7 });
  pulls = 0;
  await tick(); await tick();
  assert_equals(pulls, 3, "pulled until 9 queued bytes reach the high-water mark of 7");
  assert_false(rs2.locked);
}, "byte stream backpressure counts bytes");

promise_test(async () => {
  const rs = new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1, 2])); c.enqueue(new Uint8Array([3])); c.close(); } });
  const [a, b] = rs.tee();
  assert_true(rs.locked);
  const ra = a.getReader({ mode: "byob" });
  const rb = b.getReader();
  const x = await rb.read();
  assert_array_equals(u8(x.value), [1, 2]);
  x.value[0] = 99; // the branches do not share memory
  const y = await ra.read(new Uint8Array(8));
  assert_array_equals(u8(y.value), [1, 2]);
  assert_array_equals(u8((await ra.read(new Uint8Array(8))).value), [3]);
  assert_array_equals(u8((await rb.read()).value), [3]);
  assert_true((await ra.read(new Uint8Array(8))).done);
  assert_true((await rb.read()).done);
}, "tee() of a byte stream gives two byte streams with their own copies");

promise_test(async () => {
  const { rs, log } = counting(2, { total: 7 });
  const [a, b] = rs.tee();
  const all = async (stream, byob) => {
    const out = [];
    if (byob) {
      const reader = stream.getReader({ mode: "byob" });
      for (let buf = new ArrayBuffer(3); ;) {
        const { value, done } = await reader.read(new Uint8Array(buf));
        if (done) break;
        out.push(...u8(value));
        buf = value.buffer;
      }
    } else {
      for await (const chunk of stream) out.push(...u8(chunk));
    }
    return out;
  };
  const [x, y] = await Promise.all([all(a, true), all(b, false)]);
  assert_array_equals(x, [1, 2, 3, 4, 5, 6, 7]);
  assert_array_equals(y, [1, 2, 3, 4, 5, 6, 7]);
  // How the source's pulls interleave between the branches' readers is timing, not asserted; the
  // source gave each byte once and was closed once.
  assert_equals(log.reduce((n, entry) => n + (Number(entry.split(" ")[1]) || 0), 0), 7);
  assert_equals(log.filter((entry) => entry === "close").length, 1);
  assert_equals(log[log.length - 1], "close");
}, "tee() of a pull-into source, one branch read with BYOB reads and one with a default reader");

promise_test(async () => {
  let c;
  const rs = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const [a, b] = rs.tee();
  const pb = b.getReader().read(); // the tee reads the source with a default reader
  await tick();
  const pa = a.getReader({ mode: "byob" }).read(new Uint8Array(4));
  await tick();
  c.close();
  const [ra, rb] = await Promise.all([pa, pb]);
  assert_true(rb.done);
  assert_true(ra.done, "a branch's pending BYOB read ends when the source closes");
  assert_equals(ra.value.byteLength, 0);
  assert_equals(ra.value.buffer.byteLength, 4);
}, "tee() of a byte stream: the source closes while a branch has a pending BYOB read");

promise_test(async () => {
  let reason = null;
  const rs = new ReadableStream({ type: "bytes", cancel(r) { reason = r; } });
  const [a, b] = rs.tee();
  const p = a.cancel("a");
  await tick();
  assert_equals(reason, null, "one branch's cancel does not cancel the source");
  await Promise.all([p, b.cancel("b")]);
  assert_array_equals(reason, ["a", "b"]);
  const boom = new Error("boom");
  let c;
  const rs2 = new ReadableStream({ type: "bytes", start(ctl) { c = ctl; } });
  const [d, e] = rs2.tee();
  const pd = d.getReader({ mode: "byob" }).read(new Uint8Array(2));
  const pe = e.getReader().read();
  c.error(boom);
  assert_equals(await pd.then(() => null, (x) => x), boom);
  assert_equals(await pe.then(() => null, (x) => x), boom);
}, "tee() of a byte stream: cancel both branches, and errors reach both");

promise_test(async () => {
  const { rs } = counting(4, { total: 10, next: 65 });
  assert_equals(await new Response(rs).text(), "ABCDEFGHIJ");
  const auto = new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: 4,
    start(c) { c.enqueue(new TextEncoder().encode("hello, ")); },
    pull(c) { const v = c.byobRequest.view; v.set(new TextEncoder().encode("you!")); c.byobRequest.respond(4); c.close(); },
  });
  assert_equals(await new Response(auto).text(), "hello, you!");
  const chunks = [];
  for await (const chunk of new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1])); c.enqueue(new Uint8Array([2, 3])); c.close(); } })) chunks.push(u8(chunk));
  assert_equals(JSON.stringify(chunks), "[[1],[2,3]]");
}, "a byte stream as a Response body, and async iteration of a byte stream");
