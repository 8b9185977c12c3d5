// Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent, AbortController/Signal,
// DOMException, and the small globals (self, navigator, reportError, scheduler.wait).
import { test, promise_test, assert_equals, assert_true, assert_false, assert_array_equals, assert_throws_js, assert_throws_dom } from "./harness.js";

test(() => {
  const t = new EventTarget();
  const seen = [];
  const f = (e) => seen.push([e.type, e.target === t, e.currentTarget === t, e.eventPhase]);
  t.addEventListener("x", f); t.addEventListener("x", f);
  t.dispatchEvent(new Event("x"));
  assert_equals(seen.length, 1, "a listener is added once");
  assert_array_equals(seen[0], ["x", true, true, 2]);
}, "addEventListener and dispatchEvent");
test(() => {
  const t = new EventTarget();
  let n = 0;
  t.addEventListener("x", () => n++, { once: true });
  t.dispatchEvent(new Event("x")); t.dispatchEvent(new Event("x"));
  const ac = new AbortController();
  t.addEventListener("y", () => n++, { signal: ac.signal });
  ac.abort();
  t.dispatchEvent(new Event("y"));
  assert_equals(n, 1);
}, "once and signal options");
test(() => {
  const t = new EventTarget();
  const order = [];
  t.addEventListener("x", (e) => { order.push(1); e.stopImmediatePropagation(); });
  t.addEventListener("x", () => order.push(2));
  t.addEventListener("y", { handleEvent() { order.push("obj"); } });
  t.dispatchEvent(new Event("x")); t.dispatchEvent(new Event("y"));
  assert_array_equals(order, [1, "obj"]);
}, "stopImmediatePropagation and handleEvent objects");
test(() => {
  const t = new EventTarget();
  t.addEventListener("x", (e) => e.preventDefault());
  assert_false(t.dispatchEvent(new Event("x", { cancelable: true })));
  assert_true(t.dispatchEvent(new Event("x")));
  t.addEventListener("p", (e) => e.preventDefault(), { passive: true });
  assert_true(t.dispatchEvent(new Event("p", { cancelable: true })), "passive listeners cannot cancel");
}, "preventDefault, cancelable, passive");
test(() => {
  const e = new CustomEvent("c", { detail: { a: 1 } });
  assert_equals(e.detail.a, 1);
  assert_true(e instanceof Event);
  assert_equals(new ErrorEvent("error", { message: "m", error: 5 }).error, 5);
  const p = Promise.resolve();
  assert_equals(new PromiseRejectionEvent("unhandledrejection", { promise: p, reason: 1 }).promise, p);
  assert_throws_js(TypeError, () => new Event());
  assert_equals(Event.AT_TARGET, 2);
}, "CustomEvent, ErrorEvent, PromiseRejectionEvent");
test(() => {
  const t = new EventTarget();
  const e = new Event("x");
  t.addEventListener("x", () => { assert_throws_dom("InvalidStateError", () => t.dispatchEvent(e)); });
  t.dispatchEvent(e);
}, "an event being dispatched cannot be dispatched again");
promise_test(async () => {
  const ac = new AbortController();
  let fired = 0;
  ac.signal.onabort = () => fired++;
  ac.signal.addEventListener("abort", () => fired++);
  ac.abort("why");
  ac.abort("again");
  assert_equals(fired, 2);
  assert_equals(ac.signal.reason, "why");
  assert_throws_js(TypeError, () => new AbortSignal());
  assert_equals(AbortSignal.abort().reason.name, "AbortError");
  const s = AbortSignal.timeout(1);
  await new Promise((r) => setTimeout(r, 5));
  assert_equals(s.reason.name, "TimeoutError");
  const any = AbortSignal.any([new AbortController().signal, AbortSignal.abort(3)]);
  assert_equals(any.reason, 3);
}, "AbortController and AbortSignal");
test(() => {
  const e = new DOMException("m", "SyntaxError");
  assert_equals(e.code, 12); assert_equals(e.name, "SyntaxError"); assert_true(e instanceof Error);
  assert_equals(new DOMException("q", "QuotaExceededError").code, 22);
}, "DOMException names and codes");
promise_test(async () => {
  assert_equals(self, globalThis);
  assert_equals(navigator.userAgent, "Cloudflare-Workers");
  assert_true(performance.timeOrigin > 1.7e12 && performance.timeOrigin <= Date.now(), `timeOrigin ${performance.timeOrigin}`);
  const t0 = performance.now();
  await scheduler.wait(2);
  assert_true(performance.now() >= t0);
  let got = null;
  globalThis.onerror = (msg, _f, _l, _c, err) => { got = err; return true; };
  reportError(new Error("reported"));
  globalThis.onerror = null;
  assert_equals(got && got.message, "reported");
}, "self, navigator, scheduler.wait, reportError with onerror");
