// node:assert — assert(), the strict comparisons, deep equality (node:util's), throws/rejects,
// match, fail and AssertionError. `node:assert/strict` is the same module (legacy loose
// `equal`/`deepEqual` compare with == and loose deep equality).
(function (I) {
  "use strict";
  const util = I.builtin("node:util");
  class AssertionError extends Error {
    constructor(options) {
      const { message, actual, expected, operator } = options || {};
      super(message !== undefined ? String(message) : `${I.inspect(actual, 1, [])} ${operator} ${I.inspect(expected, 1, [])}`);
      this.name = "AssertionError";
      this.code = "ERR_ASSERTION";
      this.actual = actual; this.expected = expected; this.operator = operator;
      this.generatedMessage = message === undefined;
    }
  }
  function fail(actual, expected, message, operator) {
    if (message instanceof Error) throw message;
    throw new AssertionError({ actual, expected, message, operator });
  }
  function looseDeepEqual(a, b, memo) {
    if (a == b) return true; // eslint-disable-line eqeqeq
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
    if (a instanceof RegExp && b instanceof RegExp) return String(a) === String(b);
    memo = memo || new Map();
    if (memo.get(a) === b) return true;
    memo.set(a, b);
    if (a instanceof Map && b instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && looseDeepEqual(v, b.get(k), memo));
    if (a instanceof Set && b instanceof Set) return a.size === b.size && [...a].every((v) => b.has(v));
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && looseDeepEqual(a[k], b[k], memo));
  }
  function ok(value, message) { if (!value) fail(value, true, message === undefined ? (arguments.length === 0 ? "No value argument passed to `assert.ok()`" : "The expression evaluated to a falsy value") : message, "=="); }
  const assert = function assert(value, message) { if (!value) fail(value, true, message === undefined ? (arguments.length === 0 ? "No value argument passed to `assert.ok()`" : "The expression evaluated to a falsy value") : message, "=="); };
  function matches(err, expected, message, fnName) {
    if (expected === undefined) return;
    if (typeof expected === "function") {
      if (expected.prototype !== undefined && err instanceof expected) return;
      if (Error.isPrototypeOf(expected) || expected === Error) fail(err, expected, message || `The error is expected to be an instance of "${expected.name}". Received "${err && err.constructor && err.constructor.name}"`, fnName);
      if (expected.call({}, err) === true) return;
      fail(err, expected, message || "The validation function is expected to return \"true\"", fnName);
    }
    if (expected instanceof RegExp) { if (expected.test(String(err))) return; fail(err, expected, message || `The input did not match the regular expression ${expected}. Input:\n\n${I.inspect(String(err), 1, [])}\n`, fnName); }
    if (typeof expected === "object" && expected !== null) {
      for (const k of Object.keys(expected)) {
        const want = expected[k], got = err == null ? undefined : err[k];
        const same = want instanceof RegExp && typeof got === "string" ? want.test(got) : util.isDeepStrictEqual(got, want);
        if (!same) fail(err, expected, message || `Expected values to be strictly deep-equal: ${k}: ${I.inspect(got, 1, [])} !== ${I.inspect(want, 1, [])}`, fnName);
      }
    }
  }
  const NO_EXCEPTION = Symbol("no exception");
  Object.assign(assert, {
    ok, fail: (message = "Failed") => { if (message instanceof Error) throw message; throw new AssertionError({ message, operator: "fail" }); },
    AssertionError,
    equal: (a, b, m) => { if (!(a == b || (Number.isNaN(a) && Number.isNaN(b)))) fail(a, b, m, "=="); }, // eslint-disable-line eqeqeq
    notEqual: (a, b, m) => { if (a == b) fail(a, b, m, "!="); }, // eslint-disable-line eqeqeq
    strictEqual: (a, b, m) => { if (!Object.is(a, b)) fail(a, b, m === undefined ? `Expected values to be strictly equal:\n\n${I.inspect(a, 1, [])} !== ${I.inspect(b, 1, [])}\n` : m, "strictEqual"); },
    notStrictEqual: (a, b, m) => { if (Object.is(a, b)) fail(a, b, m === undefined ? `Expected "actual" to be strictly unequal to: ${I.inspect(b, 1, [])}` : m, "notStrictEqual"); },
    deepEqual: (a, b, m) => { if (!looseDeepEqual(a, b)) fail(a, b, m, "deepEqual"); },
    notDeepEqual: (a, b, m) => { if (looseDeepEqual(a, b)) fail(a, b, m, "notDeepEqual"); },
    deepStrictEqual: (a, b, m) => { if (!util.isDeepStrictEqual(a, b)) fail(a, b, m === undefined ? `Expected values to be strictly deep-equal:\n${I.inspect(a, 1, [])}\n\nshould equal\n\n${I.inspect(b, 1, [])}` : m, "deepStrictEqual"); },
    notDeepStrictEqual: (a, b, m) => { if (util.isDeepStrictEqual(a, b)) fail(a, b, m, "notDeepStrictEqual"); },
    throws(fn, expected, message) {
      if (typeof fn !== "function") throw new TypeError('The "fn" argument must be of type function');
      if (typeof expected === "string") { message = expected; expected = undefined; }
      let err = NO_EXCEPTION;
      try { fn(); } catch (e) { err = e; }
      if (err === NO_EXCEPTION) fail(undefined, expected, message || "Missing expected exception" + (expected && expected.name ? ` (${expected.name}).` : "."), "throws");
      matches(err, expected, message, "throws");
    },
    doesNotThrow(fn, expected, message) {
      try { fn(); } catch (e) { fail(e, expected, typeof expected === "string" ? expected : message || `Got unwanted exception.\nActual message: "${e && e.message}"`, "doesNotThrow"); }
    },
    async rejects(promiseOrFn, expected, message) {
      if (typeof expected === "string") { message = expected; expected = undefined; }
      let err = NO_EXCEPTION;
      try { await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn); } catch (e) { err = e; }
      if (err === NO_EXCEPTION) fail(undefined, expected, message || "Missing expected rejection" + (expected && expected.name ? ` (${expected.name}).` : "."), "rejects");
      matches(err, expected, message, "rejects");
    },
    async doesNotReject(promiseOrFn, expected, message) {
      try { await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn); } catch (e) { fail(e, expected, message || `Got unwanted rejection.\nActual message: "${e && e.message}"`, "doesNotReject"); }
    },
    match: (s, re, m) => { if (!(re instanceof RegExp)) throw new TypeError('The "regexp" argument must be an instance of RegExp'); if (typeof s !== "string" || !re.test(s)) fail(s, re, m === undefined ? `The input did not match the regular expression ${re}. Input:\n\n${I.inspect(s, 1, [])}\n` : m, "match"); },
    doesNotMatch: (s, re, m) => { if (typeof s === "string" && re.test(s)) fail(s, re, m === undefined ? `The input was expected to not match the regular expression ${re}. Input:\n\n${I.inspect(s, 1, [])}\n` : m, "doesNotMatch"); },
    ifError: (v) => { if (v !== null && v !== undefined) { if (v instanceof Error) throw v; fail(v, null, `ifError got unwanted exception: ${I.inspect(v, 1, [])}`, "ifError"); } },
  });
  // assert.strict: the strict variants under the loose names.
  const strict = Object.assign(function strict(value, message) { return assert(value, message); }, assert, {
    equal: assert.strictEqual, notEqual: assert.notStrictEqual, deepEqual: assert.deepStrictEqual, notDeepEqual: assert.notDeepStrictEqual,
  });
  strict.strict = strict;
  assert.strict = strict;
  const exports = Object.assign(Object.create(null), assert);
  exports.default = assert;
  return exports;
})
