// WHATWG Streams: ReadableStream (sources, strategies, readers, tee, pipeTo, pipeThrough, async
// iteration, from), WritableStream, TransformStream, the encoding and compression streams, and
// streams as bodies.
import { test, promise_test, assert_equals, assert_true, assert_false, assert_array_equals, assert_throws_js, promise_rejects_js, assert_class_string } from "./harness.js";

const read = async (stream) => { const out = []; for await (const c of stream) out.push(c); return out; };
const bytes = (s) => new TextEncoder().encode(s);
const text = (chunks) => new TextDecoder().decode(chunks.reduce((a, c) => { const o = new Uint8Array(a.length + c.length); o.set(a); o.set(c, a.length); return o; }, new Uint8Array(0)));
const tick = () => new Promise((r) => setTimeout(r, 0));

promise_test(async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue("a"); c.enqueue("b"); c.close(); } });
  assert_array_equals(await read(rs), ["a", "b"]);
}, "a synchronous start() source");
promise_test(async () => {
  let n = 0;
  const rs = new ReadableStream({ async pull(c) { await tick(); if (n === 3) c.close(); else c.enqueue(n++); } });
  assert_array_equals(await read(rs), [0, 1, 2]);
}, "an asynchronous pull() source");
promise_test(async () => {
  const rs = new ReadableStream({ async start(c) { await tick(); c.enqueue(1); await tick(); c.enqueue(2); c.close(); } });
  const reader = rs.getReader();
  assert_true(rs.locked);
  assert_equals((await reader.read()).value, 1);
  assert_equals((await reader.read()).value, 2);
  assert_true((await reader.read()).done);
  await reader.closed;
}, "an asynchronous start() source, read by a reader");
promise_test(async () => {
  let pulls = 0;
  const rs = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); } }, new CountQueuingStrategy({ highWaterMark: 3 }));
  await tick(); await tick();
  assert_equals(pulls, 3, "pulls until the queue holds the high-water mark");
  const reader = rs.getReader();
  await reader.read();
  await tick();
  assert_equals(pulls, 4, "one read, one more pull");
}, "backpressure: a source is pulled only up to the high-water mark");
promise_test(async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(10)); } }, new ByteLengthQueuingStrategy({ highWaterMark: 16 }));
  let desired = null;
  new ReadableStream({ start(c) { desired = c.desiredSize; } }, new ByteLengthQueuingStrategy({ highWaterMark: 16 }));
  assert_equals(desired, 16);
  assert_false(rs.locked);
}, "ByteLengthQueuingStrategy");
promise_test(async () => {
  let reason = null;
  const rs = new ReadableStream({ pull(c) { c.enqueue(1); }, cancel(r) { reason = r; } });
  const reader = rs.getReader();
  await reader.read();
  await reader.cancel("stop");
  assert_equals(reason, "stop");
  assert_true((await reader.read()).done);
}, "cancel() reaches the source");
promise_test(async () => {
  let cancelled = false;
  const rs = new ReadableStream({ pull(c) { c.enqueue("x"); }, cancel() { cancelled = true; } });
  for await (const chunk of rs) { assert_equals(chunk, "x"); break; }
  assert_true(cancelled, "breaking out of for await cancels");
}, "async iteration, and break cancels");
promise_test(async () => {
  const boom = new Error("boom");
  const rs = new ReadableStream({ start(c) { c.error(boom); } });
  await promise_rejects_js(Error, rs.getReader().read());
  const rs2 = new ReadableStream({ pull() { throw boom; } });
  await promise_rejects_js(Error, rs2.getReader().read());
}, "errors reach the reader");
promise_test(async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue(1); c.close(); } });
  rs.getReader();
  assert_throws_js(TypeError, () => rs.getReader());
  await promise_rejects_js(TypeError, rs.cancel());
  assert_throws_js(TypeError, () => rs.getReader({ mode: "byob" }));
}, "locking");
promise_test(async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue("a"); c.enqueue("b"); c.close(); } });
  const [x, y] = rs.tee();
  const [a, b] = await Promise.all([read(x), read(y)]);
  assert_array_equals(a, ["a", "b"]); assert_array_equals(b, ["a", "b"]);
}, "tee");
promise_test(async () => {
  assert_array_equals(await read(ReadableStream.from([1, 2, 3])), [1, 2, 3]);
  async function* gen() { yield "x"; await tick(); yield "y"; }
  assert_array_equals(await read(ReadableStream.from(gen())), ["x", "y"]);
}, "ReadableStream.from iterables and async generators");
promise_test(async () => {
  const written = [];
  let closed = false;
  const ws = new WritableStream({ async write(chunk) { await tick(); written.push(chunk); }, close() { closed = true; } });
  const writer = ws.getWriter();
  await writer.ready;
  writer.write(1); writer.write(2);
  await writer.close();
  assert_array_equals(written, [1, 2]);
  assert_true(closed);
  await writer.closed;
}, "WritableStream writes in order, then closes");
promise_test(async () => {
  const ws = new WritableStream({ write() { return new Promise(() => {}); } }, new CountQueuingStrategy({ highWaterMark: 2 }));
  const writer = ws.getWriter();
  assert_equals(writer.desiredSize, 2);
  writer.write("a"); writer.write("b");
  assert_equals(writer.desiredSize, 0);
  let ready = false;
  writer.ready.then(() => { ready = true; });
  await tick();
  assert_false(ready, "ready waits while the queue is full");
}, "WritableStream backpressure: desiredSize and ready");
promise_test(async () => {
  let aborted = null;
  const ws = new WritableStream({ abort(r) { aborted = r; } });
  const writer = ws.getWriter();
  await writer.abort("why");
  assert_equals(aborted, "why");
  await promise_rejects_js(TypeError, writer.write("x").catch(() => { throw new TypeError("rejected"); }));
}, "WritableStream abort");
promise_test(async () => {
  const upper = new TransformStream({ transform(chunk, c) { c.enqueue(String(chunk).toUpperCase()); }, flush(c) { c.enqueue("!"); } });
  const rs = ReadableStream.from(["a", "b"]).pipeThrough(upper);
  assert_array_equals(await read(rs), ["A", "B", "!"]);
}, "TransformStream with pipeThrough, transform and flush");
promise_test(async () => {
  const ts = new TransformStream();
  const writer = ts.writable.getWriter();
  writer.write("x"); writer.close();
  assert_array_equals(await read(ts.readable), ["x"]);
  assert_class_string(ts, "TransformStream");
}, "an identity TransformStream");
promise_test(async () => {
  const chunks = [];
  await ReadableStream.from(["1", "2", "3"]).pipeTo(new WritableStream({ write(c) { chunks.push(c); } }));
  assert_array_equals(chunks, ["1", "2", "3"]);
  const ac = new AbortController();
  const never = new ReadableStream({ pull() { return new Promise(() => {}); } });
  const p = never.pipeTo(new WritableStream(), { signal: ac.signal });
  ac.abort(new Error("stop"));
  await promise_rejects_js(Error, p);
}, "pipeTo, and its abort signal");
promise_test(async () => {
  const rs = ReadableStream.from(["h€", "llo"]).pipeThrough(new TextEncoderStream()).pipeThrough(new TextDecoderStream());
  assert_equals((await read(rs)).join(""), "h€llo");
  // A character split across chunks comes out whole.
  const euro = bytes("€");
  const split = ReadableStream.from([euro.subarray(0, 1), euro.subarray(1)]).pipeThrough(new TextDecoderStream());
  assert_array_equals(await read(split), ["€"]);
}, "TextEncoderStream and TextDecoderStream");
for (const format of ["gzip", "deflate", "deflate-raw"]) {
  promise_test(async () => {
    const input = bytes("hello hello hello hello ".repeat(100));
    const compressed = await read(ReadableStream.from([input.subarray(0, 7), input.subarray(7)]).pipeThrough(new CompressionStream(format)));
    const size = compressed.reduce((n, c) => n + c.length, 0);
    assert_true(size < input.length / 4, `compressed to ${size} bytes`);
    const back = await read(ReadableStream.from(compressed).pipeThrough(new DecompressionStream(format)));
    assert_equals(text(back), text([input]));
  }, `CompressionStream and DecompressionStream: ${format}`);
}
promise_test(async () => {
  // gzip of "hi\n" as the gzip tool writes it.
  const gz = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0xc8, 0xe4, 0x02, 0x00, 0x7a, 0x7a, 0x6f, 0xed, 0x03, 0x00, 0x00, 0x00]);
  assert_equals(text(await read(ReadableStream.from([gz]).pipeThrough(new DecompressionStream("gzip")))), "hi\n");
  const bad = gz.slice(); bad[bad.length - 5] ^= 1;
  await promise_rejects_js(TypeError, read(ReadableStream.from([bad]).pipeThrough(new DecompressionStream("gzip"))));
  assert_throws_js(TypeError, () => new CompressionStream("brotli"));
}, "gzip from the gzip tool, a bad checksum, an unknown format");
promise_test(async () => {
  let n = 0;
  const body = new ReadableStream({ async pull(c) { await tick(); if (n === 3) c.close(); else c.enqueue(bytes(`part${n++};`)); } });
  const res = new Response(body);
  assert_equals(await res.text(), "part0;part1;part2;");
  const res2 = new Response(ReadableStream.from([bytes("a"), bytes("b")]));
  const copy = res2.clone();
  assert_equals(await res2.text(), "ab");
  assert_equals(await copy.text(), "ab");
  const req = new Request("https://w/", { method: "POST", body: ReadableStream.from([bytes("{\"k\":1}")]), duplex: "half" });
  assert_equals((await req.json()).k, 1);
}, "a stream as a Response or Request body, clone() included");
promise_test(async () => {
  const res = new Response("hello");
  const reader = res.body.getReader();
  assert_true(res.bodyUsed || true);
  const { value } = await reader.read();
  assert_equals(new TextDecoder().decode(value), "hello");
  assert_true((await reader.read()).done);
  assert_true(res.bodyUsed);
  await promise_rejects_js(TypeError, res.text());
}, "a byte body read through .body");
promise_test(async () => {
  const res = new Response(new ReadableStream({ start(c) { c.enqueue("not bytes"); c.enqueue({}); c.close(); } }));
  await promise_rejects_js(TypeError, res.arrayBuffer());
  const locked = new ReadableStream();
  locked.getReader();
  assert_throws_js(TypeError, () => new Response(locked));
}, "a body stream of non-bytes, and a locked stream, are TypeErrors");
