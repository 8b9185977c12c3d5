// A small testharness in the style of WPT's testharness.js (written here): `test`,
// `promise_test` and the assert_* functions, and `run()`, which runs every registered test and
// returns [{ name, status: "PASS" | "FAIL", message }].
const tests = [];
export function test(fn, name) { tests.push({ fn, name }); }
export function promise_test(fn, name) { tests.push({ fn, name }); }

class AssertionFailure extends Error {}
const show = (v) => {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol") return v.toString();
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch { return String(v); }
};
const fail = (description, message) => { throw new AssertionFailure(description ? `${description}: ${message}` : message); };

export function assert_equals(actual, expected, description) {
  if (!Object.is(actual, expected)) fail(description, `expected ${show(expected)} but got ${show(actual)}`);
}
export function assert_not_equals(actual, expected, description) {
  if (Object.is(actual, expected)) fail(description, `got the disallowed value ${show(actual)}`);
}
export function assert_true(actual, description) { if (actual !== true) fail(description, `expected true, got ${show(actual)}`); }
export function assert_false(actual, description) { if (actual !== false) fail(description, `expected false, got ${show(actual)}`); }
export function assert_array_equals(actual, expected, description) {
  if (actual === null || typeof actual !== "object" || typeof actual.length !== "number") fail(description, `expected an array-like, got ${show(actual)}`);
  if (actual.length !== expected.length) fail(description, `lengths differ: expected ${expected.length} (${show(Array.from(expected))}) but got ${actual.length} (${show(Array.from(actual))})`);
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) fail(description, `index ${i}: expected ${show(expected[i])} but got ${show(actual[i])}`);
}
export function assert_deep_equals(actual, expected, description) {
  const a = show(actual), e = show(expected);
  if (a !== e) fail(description, `expected ${e} but got ${a}`);
}
export function assert_in_array(actual, expected, description) {
  if (!expected.some((v) => Object.is(v, actual))) fail(description, `${show(actual)} is not in ${show(expected)}`);
}
export function assert_regexp_match(actual, re, description) {
  if (!re.test(actual)) fail(description, `${show(actual)} does not match ${re}`);
}
export function assert_class_string(object, name, description) {
  assert_equals(Object.prototype.toString.call(object), `[object ${name}]`, description);
}
export function assert_unreached(description) { fail(description, "reached unreachable code"); }
export function assert_throws_js(ctor, fn, description) {
  try { fn(); } catch (e) {
    if (e instanceof AssertionFailure) throw e;
    if (!(e instanceof ctor) || (e.constructor !== ctor && ctor !== Error)) fail(description, `expected a ${ctor.name}, got ${show(e)}`);
    return e;
  }
  fail(description, `expected a ${ctor.name} to be thrown, nothing was`);
}
export function assert_throws_dom(name, fn, description) {
  try { fn(); } catch (e) {
    if (e instanceof AssertionFailure) throw e;
    if (!(e instanceof DOMException) || e.name !== name) fail(description, `expected a DOMException ${name}, got ${show(e)}`);
    return e;
  }
  fail(description, `expected a DOMException ${name} to be thrown, nothing was`);
}
export async function promise_rejects_js(ctor, promise, description) {
  try { await promise; } catch (e) {
    if (!(e instanceof ctor) || (e.constructor !== ctor && ctor !== Error)) fail(description, `expected a rejection with ${ctor.name}, got ${show(e)}`);
    return e;
  }
  fail(description, `expected a rejection with ${ctor.name}, the promise fulfilled`);
}
export async function promise_rejects_dom(name, promise, description) {
  try { await promise; } catch (e) {
    if (!(e instanceof DOMException) || e.name !== name) fail(description, `expected a rejection with DOMException ${name}, got ${show(e)}`);
    return e;
  }
  fail(description, `expected a rejection with DOMException ${name}, the promise fulfilled`);
}

const TIMEOUT_MS = 5000;

/** Run every test, in order, each isolated from the others' failures. */
export async function run() {
  const results = [];
  const seen = new Set();
  for (const { fn, name } of tests) {
    if (seen.has(name)) { results.push({ name, status: "FAIL", message: "duplicate test name" }); continue; }
    seen.add(name);
    let timer;
    // A test that never settles fails on its own instead of hanging the suite.
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS); });
    try { await Promise.race([fn(), timeout]); results.push({ name, status: "PASS" }); }
    catch (e) { results.push({ name, status: "FAIL", message: e instanceof Error ? `${e.name === "Error" ? "" : e.name + ": "}${e.message}` : String(e) }); }
    finally { clearTimeout(timer); }
  }
  return results;
}
