// node:util — promisify/callbackify, format/inspect (the console's), types, isDeepStrictEqual,
// inherits, deprecate, TextEncoder/TextDecoder.
(function (I) {
  "use strict";
  const custom = Symbol.for("nodejs.util.promisify.custom");
  function promisify(fn) {
    if (typeof fn !== "function") { const e = new TypeError(`The "original" argument must be of type function`); e.code = "ERR_INVALID_ARG_TYPE"; throw e; }
    if (fn[custom]) return fn[custom];
    function promisified(...args) {
      return new Promise((resolve, reject) => {
        fn.call(this, ...args, (err, ...values) => (err ? reject(err) : resolve(values.length > 1 ? values : values[0])));
      });
    }
    Object.setPrototypeOf(promisified, Object.getPrototypeOf(fn));
    Object.defineProperty(promisified, custom, { value: promisified });
    return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(fn));
  }
  promisify.custom = custom;
  function callbackify(fn) {
    if (typeof fn !== "function") throw new TypeError(`The "original" argument must be of type function`);
    return function (...args) {
      const cb = args.pop();
      if (typeof cb !== "function") throw new TypeError(`The last argument must be of type function`);
      fn.apply(this, args).then((v) => queueMicrotask(() => cb(null, v)), (e) => queueMicrotask(() => cb(e || Object.assign(new Error("Promise was rejected with a falsy value"), { reason: e }))));
    };
  }
  const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);
  const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
  const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const types = {
    isPromise: (v) => v instanceof Promise,
    isDate: (v) => v instanceof Date,
    isRegExp: (v) => v instanceof RegExp,
    isMap: (v) => v instanceof Map,
    isSet: (v) => v instanceof Set,
    isWeakMap: (v) => v instanceof WeakMap,
    isWeakSet: (v) => v instanceof WeakSet,
    isArrayBuffer: (v) => v instanceof ArrayBuffer,
    isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer),
    isSharedArrayBuffer: (v) => typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer,
    isArrayBufferView: (v) => ArrayBuffer.isView(v),
    isTypedArray: (v) => v instanceof TypedArray,
    isUint8Array: (v) => v instanceof Uint8Array,
    isUint8ClampedArray: (v) => v instanceof Uint8ClampedArray,
    isUint16Array: (v) => v instanceof Uint16Array,
    isUint32Array: (v) => v instanceof Uint32Array,
    isInt8Array: (v) => v instanceof Int8Array,
    isInt16Array: (v) => v instanceof Int16Array,
    isInt32Array: (v) => v instanceof Int32Array,
    isFloat32Array: (v) => v instanceof Float32Array,
    isFloat64Array: (v) => v instanceof Float64Array,
    isBigInt64Array: (v) => v instanceof BigInt64Array,
    isBigUint64Array: (v) => v instanceof BigUint64Array,
    isDataView: (v) => v instanceof DataView,
    isNativeError: (v) => v instanceof Error,
    isAsyncFunction: (v) => v instanceof AsyncFunction,
    isGeneratorFunction: (v) => v instanceof GeneratorFunction,
    isGeneratorObject: (v) => tag(v) === "Generator",
    isBoxedPrimitive: (v) => v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt || v instanceof Symbol,
    isNumberObject: (v) => v instanceof Number,
    isStringObject: (v) => v instanceof String,
    isBooleanObject: (v) => v instanceof Boolean,
    isSymbolObject: (v) => tag(v) === "Symbol" && typeof v === "object",
    isProxy: () => false,
    isKeyObject: (v) => tag(v) === "KeyObject",
    isCryptoKey: (v) => tag(v) === "CryptoKey",
  };
  // Node's deep strict equality: same prototypes, own enumerable keys, SameValue for primitives,
  // Map/Set by content, Dates by time, RegExps by source and flags, boxed values by value.
  function isDeepStrictEqual(a, b, memo) {
    if (Object.is(a, b)) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    if (tag(a) !== tag(b)) return false;
    memo = memo || new Map();
    if (memo.get(a) === b) return true;
    memo.set(a, b);
    if (a instanceof Date) return Object.is(a.getTime(), b.getTime()) && keysEqual(a, b, memo);
    if (a instanceof RegExp) return a.source === b.source && a.flags === b.flags && a.lastIndex === b.lastIndex;
    if (types.isBoxedPrimitive(a)) return Object.is(a.valueOf(), b.valueOf());
    if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
    if (ArrayBuffer.isView(a)) {
      if (a.byteLength !== b.byteLength) return false;
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      if (a instanceof Float32Array || a instanceof Float64Array) { for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false; }
      else for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
      return keysEqual(a, b, memo, true);
    }
    if (a instanceof ArrayBuffer) {
      if (a.byteLength !== b.byteLength) return false;
      const x = new Uint8Array(a), y = new Uint8Array(b);
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
      return true;
    }
    if (a instanceof Map) {
      if (a.size !== b.size) return false;
      for (const [k, v] of a) {
        if (b.has(k)) { if (!isDeepStrictEqual(v, b.get(k), memo)) return false; continue; }
        if (typeof k !== "object" || k === null) return false;
        let found = false;
        for (const [k2, v2] of b) if (isDeepStrictEqual(k, k2, memo) && isDeepStrictEqual(v, v2, memo)) { found = true; break; }
        if (!found) return false;
      }
      return keysEqual(a, b, memo);
    }
    if (a instanceof Set) {
      if (a.size !== b.size) return false;
      for (const v of a) {
        if (b.has(v)) continue;
        if (typeof v !== "object" || v === null) return false;
        let found = false;
        for (const w of b) if (isDeepStrictEqual(v, w, memo)) { found = true; break; }
        if (!found) return false;
      }
      return keysEqual(a, b, memo);
    }
    if (Array.isArray(a) && a.length !== b.length) return false;
    return keysEqual(a, b, memo);
  }
  function keysEqual(a, b, memo, skipIndices) {
    const own = (o) => Reflect.ownKeys(o).filter((k) => Object.prototype.propertyIsEnumerable.call(o, k) && !(skipIndices && typeof k === "string" && /^\d+$/.test(k)));
    const ka = own(a), kb = own(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) {
      if (!Object.prototype.propertyIsEnumerable.call(b, k)) return false;
      if (!isDeepStrictEqual(a[k], b[k], memo)) return false;
    }
    return true;
  }
  // The console's formatter (strings quoted, as Node's inspect does; options are accepted and
  // not applied).
  function inspect(value) { return I.inspect(value, 1, []); }
  inspect.custom = Symbol.for("nodejs.util.inspect.custom");
  inspect.defaultOptions = { depth: 2, colors: false };
  const format = (...args) => I.format(args);
  function inherits(ctor, superCtor) {
    if (typeof ctor !== "function" || typeof superCtor !== "function" || superCtor.prototype === undefined) throw new TypeError('The "ctor" and "superCtor" arguments must be functions with a prototype');
    Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
    Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
  }
  const warned = new Set();
  function deprecate(fn, msg, code) {
    return function (...args) {
      const key = code || msg;
      if (!warned.has(key)) { warned.add(key); console.warn(`DeprecationWarning: ${msg}`); }
      return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
    };
  }
  const debuglog = () => { const f = () => {}; f.enabled = false; return f; };
  const util = {
    promisify, callbackify, types, isDeepStrictEqual: (a, b) => isDeepStrictEqual(a, b), inspect, format,
    formatWithOptions: (_o, ...args) => I.format(args), inherits, deprecate, debuglog, debug: debuglog,
    TextEncoder: globalThis.TextEncoder, TextDecoder: globalThis.TextDecoder,
    isArray: Array.isArray,
    stripVTControlCharacters: (s) => String(s).replace(/\u001b\[[0-9;]*[A-Za-z]/g, ""),
    toUSVString: (s) => String(s).toWellFormed(),
    aborted: (signal) => new Promise((resolve) => { if (signal.aborted) resolve(); else signal.addEventListener("abort", () => resolve(), { once: true }); }),
  };
  util.default = util;
  return util;
})
