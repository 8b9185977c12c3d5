// node:events — EventEmitter.
import { test, promise_test, assert_equals, assert_true, assert_array_equals, assert_throws_js } from "./harness.js";
import EventEmitter, { once, EventEmitter as Named } from "node:events";
import * as bare from "events";

test(() => { assert_equals(Named, EventEmitter); assert_equals(bare.default, EventEmitter); }, "default and named export, bare name");
test(() => {
  const e = new EventEmitter();
  const seen = [];
  e.on("x", (a, b) => seen.push(a + b));
  e.prependListener("x", () => seen.push("first"));
  assert_true(e.emit("x", 1, 2));
  assert_equals(e.emit("nothing"), false);
  assert_array_equals(seen, ["first", 3]);
}, "on, prependListener, emit");
test(() => {
  const e = new EventEmitter();
  let n = 0;
  e.once("x", () => n++);
  e.emit("x"); e.emit("x");
  assert_equals(n, 1);
  assert_equals(e.listenerCount("x"), 0);
}, "once");
test(() => {
  const e = new EventEmitter();
  const f = () => {};
  e.on("x", f); e.on("x", f); e.on("y", f);
  e.off("x", f);
  assert_equals(e.listenerCount("x"), 1);
  e.removeAllListeners("x");
  assert_array_equals(e.eventNames(), ["y"]);
  e.removeAllListeners();
  assert_array_equals(e.eventNames(), []);
}, "removeListener and removeAllListeners");
test(() => {
  const e = new EventEmitter();
  assert_throws_js(Error, () => e.emit("error", new Error("boom")));
  const err = assert_throws_js(Error, () => e.emit("error", "text"));
  assert_equals(err.code, "ERR_UNHANDLED_ERROR");
}, "an unhandled error event throws");
test(() => {
  function Legacy() { EventEmitter.call(this); }
  Object.setPrototypeOf(Legacy.prototype, EventEmitter.prototype);
  const l = new Legacy();
  let got = null;
  l.on("ping", (v) => { got = v; });
  l.emit("ping", 7);
  assert_equals(got, 7);
}, "old-style subclassing with EventEmitter.call(this)");
test(() => {
  class Sub extends EventEmitter {}
  const s = new Sub();
  const names = [];
  s.on("newListener", (n) => names.push(n));
  s.on("a", () => {});
  assert_array_equals(names, ["a"]);
}, "class subclassing and newListener");
test(() => {
  const e = new EventEmitter();
  const f = () => {};
  e.once("x", f);
  assert_equals(e.listeners("x")[0], f);
  assert_true(e.rawListeners("x")[0] !== f);
}, "listeners unwraps once-wrappers, rawListeners does not");
promise_test(async () => {
  const e = new EventEmitter();
  setTimeout(() => e.emit("ready", 1, 2), 1);
  const args = await once(e, "ready");
  assert_array_equals(args, [1, 2]);
}, "events.once resolves with the arguments");
promise_test(async () => {
  const e = new EventEmitter();
  setTimeout(() => e.emit("error", new Error("bad")), 1);
  try { await once(e, "ready"); throw new Error("resolved"); } catch (err) { assert_equals(err.message, "bad"); }
}, "events.once rejects on error");
test(() => {
  const e = new EventEmitter();
  assert_equals(e.getMaxListeners(), 10);
  e.setMaxListeners(1);
  assert_equals(e.getMaxListeners(), 1);
  assert_throws_js(RangeError, () => e.setMaxListeners(-1));
}, "max listeners");
