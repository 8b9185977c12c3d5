// The Workers Web API prelude. Evaluated once, at snapshot time; its value is a setup function
// that receives the native helpers and returns the engine's internal object (dispatch, timers,
// module data). Nothing here is reachable by scripts except the globals it defines.
(function setup(native) {
  "use strict";
  const G = globalThis;
  const define = (name, value) =>
    Object.defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false });

  // ---------------------------------------------------------------- helpers
  const toWellFormed = (s) => (typeof s.toWellFormed === "function" ? s.toWellFormed() : s);
  const utf8Encode = (s) => native.utf8Encode(toWellFormed(String(s)));
  const utf8Decode = (bytes, fatal) => native.utf8Decode(bytes, !!fatal);
  const isBufferSource = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  const copyBytes = (v) => {
    if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0));
    return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  };

  // ---------------------------------------------------------------- console
  function inspect(value, depth, seen) {
    if (typeof value === "string") return depth === 0 ? value : JSON.stringify(value);
    if (typeof value === "bigint") return `${value}n`;
    if (typeof value === "symbol") return value.toString();
    if (typeof value === "function") return `[Function: ${value.name || "(anonymous)"}]`;
    if (value === null || typeof value !== "object") return String(value);
    if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}`.trimEnd() : `${value.name}: ${value.message}`;
    if (seen.includes(value)) return "[Circular]";
    if (depth > 4) return Array.isArray(value) ? "[Array]" : "[Object]";
    seen = seen.concat([value]);
    if (value instanceof Date) return isNaN(value) ? "Invalid Date" : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (value instanceof Map) return `Map(${value.size}) {${[...value].map(([k, v]) => ` ${inspect(k, depth + 1, seen)} => ${inspect(v, depth + 1, seen)}`).join(",")}${value.size ? " " : ""}}`;
    if (value instanceof Set) return `Set(${value.size}) {${[...value].map((v) => ` ${inspect(v, depth + 1, seen)}`).join(",")}${value.size ? " " : ""}}`;
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return `${value.constructor.name}(${value.length}) [${Array.prototype.slice.call(value, 0, 50).join(", ")}${value.length > 50 ? ", ..." : ""}]`;
    if (value instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${value.byteLength} }`;
    if (value instanceof Promise) return "Promise { <pending> }";
    if (Array.isArray(value)) return `[ ${value.map((v) => inspect(v, depth + 1, seen)).join(", ")} ]`.replace("[  ]", "[]");
    const keys = Object.keys(value);
    const name = value.constructor && value.constructor !== Object && value.constructor.name ? `${value.constructor.name} ` : "";
    if (keys.length === 0) return `${name}{}`;
    const key = (k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
    return `${name}{ ${keys.map((k) => `${key(k)}: ${inspect(value[k], depth + 1, seen)}`).join(", ")} }`;
  }
  function format(args) {
    let first = args[0];
    let rest = Array.prototype.slice.call(args, 1);
    let out;
    if (typeof first === "string" && /%[sdifoOjc%]/.test(first)) {
      out = first.replace(/%[sdifoOjc%]/g, (m) => {
        if (m === "%%") return "%";
        if (rest.length === 0) return m;
        const v = rest.shift();
        switch (m) {
          case "%s": return typeof v === "string" ? v : inspect(v, 1, []);
          case "%d": case "%i": return String(parseInt(v, 10));
          case "%f": return String(parseFloat(v));
          case "%j": try { return JSON.stringify(v); } catch { return "[Circular]"; }
          case "%c": return "";
          default: return inspect(v, 1, []);
        }
      });
    } else {
      out = args.length ? inspect(first, 0, []) : "";
    }
    for (const v of rest) out += " " + inspect(v, 0, []);
    return out;
  }
  const counts = new Map();
  const timersByLabel = new Map();
  const emit = (level) => function (...args) { native.console(level, format(args)); };
  const console = {
    log: emit("log"), info: emit("info"), debug: emit("debug"), warn: emit("warn"), error: emit("error"),
    trace: emit("debug"),
    assert(cond, ...args) { if (!cond) native.console("error", "Assertion failed" + (args.length ? ": " + format(args) : "")); },
    dir(v) { native.console("log", inspect(v, 0, [])); },
    table(v) { native.console("log", inspect(v, 0, [])); },
    count(label = "default") { const n = (counts.get(label) || 0) + 1; counts.set(label, n); native.console("info", `${label}: ${n}`); },
    countReset(label = "default") { counts.delete(label); },
    time(label = "default") { timersByLabel.set(label, native.now()); },
    timeEnd(label = "default") { const t = timersByLabel.get(label); timersByLabel.delete(label); if (t !== undefined) native.console("info", `${label}: ${(native.now() - t).toFixed(3)}ms`); },
    timeLog(label = "default", ...args) { const t = timersByLabel.get(label); if (t !== undefined) native.console("info", `${label}: ${(native.now() - t).toFixed(3)}ms${args.length ? " " + format(args) : ""}`); },
    group() {}, groupEnd() {}, groupCollapsed() {},
  };
  define("console", console);

  // ---------------------------------------------------------------- timers & microtasks
  let timerSeq = 0;
  const timers = new Map(); // id -> { due, fn, args, interval }
  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("The callback must be a function");
    ms = Math.max(0, Number(ms) || 0);
    const id = ++timerSeq;
    timers.set(id, { due: native.now() + ms, fn, args, interval: repeat ? Math.max(ms, 1) : -1, seq: id });
    return id;
  }
  define("setTimeout", (fn, ms, ...args) => addTimer(fn, ms, args, false));
  define("setInterval", (fn, ms, ...args) => addTimer(fn, ms, args, true));
  define("clearTimeout", (id) => { timers.delete(Number(id)); });
  define("clearInterval", (id) => { timers.delete(Number(id)); });
  const reportError = (e) => native.console("error", "Uncaught " + inspect(e, 0, []));
  define("queueMicrotask", (fn) => {
    if (typeof fn !== "function") throw new TypeError("queueMicrotask: the callback must be a function");
    Promise.resolve().then(() => { try { fn(); } catch (e) { reportError(e); } });
  });
  function nextTimer() {
    let due = -1;
    for (const t of timers.values()) if (due < 0 || t.due < due) due = t.due;
    return due;
  }
  function runTimers() {
    const now = native.now();
    const ready = [...timers.entries()].filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due || a[1].seq - b[1].seq);
    for (const [id, t] of ready) {
      if (!timers.has(id)) continue; // cleared by an earlier callback
      if (t.interval >= 0) t.due = now + t.interval; else timers.delete(id);
      try { t.fn(...t.args); } catch (e) { reportError(e); }
    }
  }

  // ---------------------------------------------------------------- performance
  define("performance", { now: () => native.now(), timeOrigin: 0 });

  // ---------------------------------------------------------------- base64
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));
  define("btoa", function btoa(data) {
    if (arguments.length === 0) throw new TypeError("btoa: 1 argument required");
    const s = String(data);
    let out = "";
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) throw new DOMException("Invalid character", "InvalidCharacterError");
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < s.length ? B64[(n >> 6) & 63] : "=") + (i + 2 < s.length ? B64[n & 63] : "=");
    }
    return out;
  });
  define("atob", function atob(data) {
    if (arguments.length === 0) throw new TypeError("atob: 1 argument required");
    let s = String(data).replace(/[\t\n\f\r ]/g, "");
    if (s.length % 4 === 0) s = s.replace(/==?$/, "");
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
    let out = "", bits = 0, acc = 0;
    for (const ch of s) {
      acc = (acc << 6) | B64_INDEX.get(ch); bits += 6;
      if (bits >= 8) { bits -= 8; out += String.fromCharCode((acc >> bits) & 255); }
    }
    return out;
  });

  // ---------------------------------------------------------------- DOMException, events, abort
  class DOMException extends Error {
    constructor(message = "", name = "Error") { super(message); Object.defineProperty(this, "name", { value: name, configurable: true, writable: true }); }
    get code() { return { AbortError: 20, TimeoutError: 23, InvalidCharacterError: 5, DataCloneError: 25, NotSupportedError: 9 }[this.name] || 0; }
  }
  define("DOMException", DOMException);
  class Event {
    constructor(type, init = {}) { this.type = String(type); this.bubbles = !!init.bubbles; this.cancelable = !!init.cancelable; this.defaultPrevented = false; this.timeStamp = native.now(); this.target = null; }
    preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
    stopPropagation() {} stopImmediatePropagation() { this._stop = true; }
  }
  class EventTarget {
    #listeners = new Map();
    addEventListener(type, fn, opts) { if (!fn) return; const l = this.#listeners.get(type) || []; if (!l.some((x) => x.fn === fn)) l.push({ fn, once: !!(opts && opts.once) }); this.#listeners.set(type, l); }
    removeEventListener(type, fn) { const l = this.#listeners.get(type); if (l) this.#listeners.set(type, l.filter((x) => x.fn !== fn)); }
    dispatchEvent(ev) {
      ev.target = this;
      for (const l of [...(this.#listeners.get(ev.type) || [])]) {
        if (l.once) this.removeEventListener(ev.type, l.fn);
        try { typeof l.fn === "function" ? l.fn.call(this, ev) : l.fn.handleEvent(ev); } catch (e) { reportError(e); }
        if (ev._stop) break;
      }
      return !ev.defaultPrevented;
    }
  }
  define("Event", Event);
  define("EventTarget", EventTarget);
  class AbortSignal extends EventTarget {
    #aborted = false; #reason = undefined;
    onabort = null;
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    _abort(reason) {
      if (this.#aborted) return;
      this.#aborted = true;
      this.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
      const ev = new Event("abort");
      if (typeof this.onabort === "function") try { this.onabort(ev); } catch (e) { reportError(e); }
      this.dispatchEvent(ev);
    }
    static abort(reason) { const s = new AbortSignal(); s._abort(reason); return s; }
    static timeout(ms) { const s = new AbortSignal(); setTimeout(() => s._abort(new DOMException("The operation timed out.", "TimeoutError")), ms); return s; }
    static any(signals) { const s = new AbortSignal(); for (const x of signals) { if (x.aborted) { s._abort(x.reason); break; } x.addEventListener("abort", () => s._abort(x.reason)); } return s; }
  }
  class AbortController {
    #signal = new AbortSignal();
    get signal() { return this.#signal; }
    abort(reason) { this.#signal._abort(reason); }
  }
  define("AbortSignal", AbortSignal);
  define("AbortController", AbortController);

  // ---------------------------------------------------------------- TextEncoder / TextDecoder
  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") { return utf8Encode(input); }
    encodeInto(input, dest) {
      const bytes = utf8Encode(input);
      // Only whole code points are written.
      let n = Math.min(bytes.length, dest.length);
      while (n > 0 && n < bytes.length && (bytes[n] & 0xc0) === 0x80) n--;
      dest.set(bytes.subarray(0, n));
      let read = 0;
      const s = String(input);
      for (let i = 0, written = 0; i < s.length && written < n; ) {
        const cp = s.codePointAt(i);
        written += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        const units = cp > 0xffff ? 2 : 1;
        i += units; read += units;
      }
      return { read, written: n };
    }
  }
  class TextDecoder {
    #fatal; #ignoreBOM;
    constructor(label = "utf-8", options = {}) {
      const l = String(label).trim().toLowerCase();
      if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") throw new RangeError(`TextDecoder: the encoding "${label}" is not supported (only utf-8)`);
      this.#fatal = !!options.fatal; this.#ignoreBOM = !!options.ignoreBOM;
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input) { return input === undefined ? "" : utf8Decode(input, this.#fatal); }
  }
  define("TextEncoder", TextEncoder);
  define("TextDecoder", TextDecoder);

  // ---------------------------------------------------------------- crypto
  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  const crypto = {
    getRandomValues(array) {
      if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView)
        throw new DOMException("getRandomValues: the argument must be an integer TypedArray", "TypeMismatchError");
      if (array.byteLength > 65536) throw new DOMException(`getRandomValues: ${array.byteLength} bytes requested, at most 65536 allowed`, "QuotaExceededError");
      native.randomFill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return array;
    },
    randomUUID() {
      const b = new Uint8Array(16);
      native.randomFill(b);
      b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => HEX[x]).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
  define("crypto", crypto);

  // ---------------------------------------------------------------- structuredClone
  define("structuredClone", function structuredClone(value, options) {
    const seen = new Map();
    const clone = (v) => {
      if (v === null || (typeof v !== "object" && typeof v !== "function")) {
        if (typeof v === "symbol") throw new DOMException(`${String(v)} could not be cloned.`, "DataCloneError");
        return v;
      }
      if (typeof v === "function") throw new DOMException(`${v.name || "function"} could not be cloned.`, "DataCloneError");
      if (seen.has(v)) return seen.get(v);
      let out;
      if (v instanceof Date) out = new Date(v.getTime());
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (v instanceof ArrayBuffer) out = v.slice(0);
      else if (v instanceof DataView) out = new DataView(v.buffer.slice(0), v.byteOffset, v.byteLength);
      else if (ArrayBuffer.isView(v)) out = new v.constructor(v);
      else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
      else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
      else if (v instanceof Error) { out = new (G[v.name] || Error)(v.message); if (v.stack) out.stack = v.stack; }
      else if (v instanceof Boolean || v instanceof Number || v instanceof String) out = Object(v.valueOf());
      else if (Array.isArray(v)) { out = new Array(v.length); seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
      else if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet) throw new DOMException(`${Object.prototype.toString.call(v)} could not be cloned.`, "DataCloneError");
      else { out = {}; seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
      seen.set(v, out);
      return out;
    };
    if (arguments.length === 0) throw new TypeError("structuredClone: 1 argument required");
    return clone(value);
  });

  // ---------------------------------------------------------------- URLSearchParams
  const formEncode = (s) => encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  const formDecode = (s) => { try { return decodeURIComponent(s.replace(/\+/g, " ")); } catch { return s.replace(/\+/g, " "); } };
  class URLSearchParams {
    #list = [];
    #url = null;
    constructor(init = "") {
      if (init instanceof URLSearchParams) this.#list = init.#list.map(([k, v]) => [k, v]);
      else if (init && typeof init === "object") {
        if (typeof init[Symbol.iterator] === "function") {
          for (const pair of init) {
            const p = [...pair];
            if (p.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items");
            this.#list.push([String(p[0]), String(p[1])]);
          }
        } else for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
      } else this._parse(String(init));
    }
    _parse(s) {
      this.#list = [];
      if (s.startsWith("?")) s = s.slice(1);
      for (const part of s.split("&")) {
        if (!part) continue;
        const i = part.indexOf("=");
        this.#list.push(i < 0 ? [formDecode(part), ""] : [formDecode(part.slice(0, i)), formDecode(part.slice(i + 1))]);
      }
    }
    _attach(url) { this.#url = url; }
    #update() { if (this.#url) this.#url._setSearchFromParams(this.toString()); }
    get size() { return this.#list.length; }
    append(k, v) { this.#list.push([String(k), String(v)]); this.#update(); }
    delete(k, v) { k = String(k); this.#list = this.#list.filter(([a, b]) => !(a === k && (v === undefined || b === String(v)))); this.#update(); }
    get(k) { k = String(k); const e = this.#list.find(([a]) => a === k); return e ? e[1] : null; }
    getAll(k) { k = String(k); return this.#list.filter(([a]) => a === k).map(([, b]) => b); }
    has(k, v) { k = String(k); return this.#list.some(([a, b]) => a === k && (v === undefined || b === String(v))); }
    set(k, v) {
      k = String(k); v = String(v);
      const i = this.#list.findIndex(([a]) => a === k);
      if (i < 0) this.#list.push([k, v]);
      else { this.#list[i][1] = v; this.#list = this.#list.filter(([a], j) => a !== k || j === i); }
      this.#update();
    }
    sort() { this.#list = this.#list.map((e, i) => [e, i]).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([e]) => e); this.#update(); }
    forEach(fn, thisArg) { for (const [k, v] of this.#list) fn.call(thisArg, v, k, this); }
    *entries() { for (const [k, v] of this.#list) yield [k, v]; }
    *keys() { for (const [k] of this.#list) yield k; }
    *values() { for (const [, v] of this.#list) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&"); }
    get [Symbol.toStringTag]() { return "URLSearchParams"; }
  }
  define("URLSearchParams", URLSearchParams);

  // ---------------------------------------------------------------- URL
  class URL {
    #parts; #params;
    constructor(url, base) {
      if (arguments.length === 0) throw new TypeError("URL: 1 argument required");
      const parts = base === undefined ? native.urlParse(String(url)) : native.urlParse(String(url), String(base));
      if (parts === null) throw new TypeError(`Invalid URL: ${String(url)}${base === undefined ? "" : ` (base: ${String(base)})`}`);
      this.#parts = parts;
      this.#params = new URLSearchParams(parts[8]);
      this.#params._attach(this);
    }
    static canParse(url, base) { return (base === undefined ? native.urlParse(String(url)) : native.urlParse(String(url), String(base))) !== null; }
    static parse(url, base) { try { return new URL(url, base); } catch { return null; } }
    #set(part, value) {
      const parts = native.urlSet(this.#parts[0], part, String(value));
      if (parts !== null) { this.#parts = parts; if (part === "search" || part === "href") this.#params._parse(parts[8]); }
    }
    _setSearchFromParams(s) { const parts = native.urlSet(this.#parts[0], "search", s); if (parts !== null) this.#parts = parts; }
    get href() { return this.#parts[0]; }
    set href(v) { this.#set("href", v); }
    get protocol() { return this.#parts[1]; }
    set protocol(v) { this.#set("protocol", v); }
    get username() { return this.#parts[2]; }
    set username(v) { this.#set("username", v); }
    get password() { return this.#parts[3]; }
    set password(v) { this.#set("password", v); }
    get host() { return this.#parts[4]; }
    set host(v) { this.#set("host", v); }
    get hostname() { return this.#parts[5]; }
    set hostname(v) { this.#set("hostname", v); }
    get port() { return this.#parts[6]; }
    set port(v) { this.#set("port", v); }
    get pathname() { return this.#parts[7]; }
    set pathname(v) { this.#set("pathname", v); }
    get search() { return this.#parts[8]; }
    set search(v) { this.#set("search", v); }
    get hash() { return this.#parts[9]; }
    set hash(v) { this.#set("hash", v); }
    get origin() { return this.#parts[10]; }
    get searchParams() { return this.#params; }
    toString() { return this.#parts[0]; }
    toJSON() { return this.#parts[0]; }
    get [Symbol.toStringTag]() { return "URL"; }
  }
  define("URL", URL);

  // ---------------------------------------------------------------- Headers
  const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  // Names already validated -> their lower-case form. Header names repeat (the same few dozen
  // in nearly every request), and a regex test costs far more than a Map lookup in QuickJS.
  const NAME_CACHE = new Map();
  function headerName(name) {
    if (typeof name !== "string") name = String(name);
    let k = NAME_CACHE.get(name);
    if (k !== undefined) return k;
    if (!HEADER_NAME.test(name)) throw new TypeError(`Invalid header name: "${name}"`);
    k = name.toLowerCase();
    if (NAME_CACHE.size < 512) NAME_CACHE.set(name, k);
    return k;
  }
  for (const n of ["accept", "accept-encoding", "accept-language", "authorization", "cache-control", "content-length", "content-type", "cookie", "etag", "host", "location", "set-cookie", "user-agent", "Content-Type", "Content-Length", "Authorization", "Accept"]) headerName(n);
  const isHttpWs = (c) => c === 32 || c === 9 || c === 10 || c === 13;
  function headerValue(v) {
    if (typeof v !== "string") v = String(v);
    let start = 0, end = v.length;
    while (start < end && isHttpWs(v.charCodeAt(start))) start++;
    while (end > start && isHttpWs(v.charCodeAt(end - 1))) end--;
    if (start !== 0 || end !== v.length) v = v.slice(start, end);
    if (v.includes("\n") || v.includes("\r") || v.includes("\0")) throw new TypeError(`Invalid header value: ${JSON.stringify(v)}`);
    return v;
  }
  // Internal access to a Headers' entries, for the dispatch path (set in the class's static block).
  let headersFromTrusted, headerPairs;
  class Headers {
    #map = new Map(); // lower-case name -> [values]
    constructor(init) {
      if (init === undefined || init === null) return;
      if (init instanceof Headers) { for (const [k, v] of init.#map) this.#map.set(k, v.slice()); return; }
      if (typeof init !== "object") throw new TypeError("Headers: init must be an object, an array of pairs or a Headers");
      if (Array.isArray(init)) {
        for (let i = 0; i < init.length; i++) {
          const pair = init[i];
          if (Array.isArray(pair) && pair.length === 2) { this.append(pair[0], pair[1]); continue; }
          const p = [...pair];
          if (p.length !== 2) throw new TypeError("Headers: each header pair must have exactly two items");
          this.append(p[0], p[1]);
        }
      } else if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = [...pair];
          if (p.length !== 2) throw new TypeError("Headers: each header pair must have exactly two items");
          this.append(p[0], p[1]);
        }
      } else for (const k of Object.keys(init)) this.append(k, init[k]);
    }
    append(name, value) { const k = headerName(name), v = headerValue(value); const l = this.#map.get(k); if (l) l.push(v); else this.#map.set(k, [v]); }
    set(name, value) { this.#map.set(headerName(name), [headerValue(value)]); }
    delete(name) { this.#map.delete(headerName(name)); }
    get(name) { const l = this.#map.get(headerName(name)); return l ? l.join(", ") : null; }
    getAll(name) { return (this.#map.get(headerName(name)) || []).slice(); }
    getSetCookie() { return (this.#map.get("set-cookie") || []).slice(); }
    has(name) { return this.#map.has(headerName(name)); }
    forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
    *entries() {
      for (const k of [...this.#map.keys()].sort()) {
        if (k === "set-cookie") for (const v of this.#map.get(k)) yield [k, v];
        else yield [k, this.#map.get(k).join(", ")];
      }
    }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return "Headers"; }
    static {
      // From the host's request: names are valid and lower-case, values valid (the host's HTTP
      // types guarantee both).
      headersFromTrusted = (pairs) => {
        const h = new Headers();
        for (let i = 0; i < pairs.length; i++) {
          const [k, v] = pairs[i];
          const l = h.#map.get(k);
          if (l) l.push(v); else h.#map.set(k, [v]);
        }
        return h;
      };
      // What entries() yields, as one array, without the generator.
      headerPairs = (h) => {
        const out = [];
        const keys = [...h.#map.keys()];
        if (keys.length > 1) keys.sort();
        for (const k of keys) {
          const l = h.#map.get(k);
          if (k === "set-cookie") for (const v of l) out.push([k, v]);
          else out.push([k, l.length === 1 ? l[0] : l.join(", ")]);
        }
        return out;
      };
    }
  }
  define("Headers", Headers);

  // ---------------------------------------------------------------- Body, Request, Response
  // ---------------------------------------------------------------- ReadableStream (buffered)
  // Bodies are held whole. `body` is a ReadableStream over those bytes (one chunk); a stream the
  // script builds must enqueue everything and close synchronously in `start` (pull-based and
  // async sources are not supported yet and say so).
  const STREAM_FROM_BYTES = Symbol("stream from bytes");
  let streamFromBytes, streamBytes;
  class ReadableStream {
    #chunks = []; #error = undefined; #locked = false; #onRead = null;
    constructor(source = {}, strategy = undefined) {
      if (source === STREAM_FROM_BYTES) return;
      let closed = false;
      const controller = {
        enqueue: (chunk) => { this.#chunks.push(typeof chunk === "string" ? utf8Encode(chunk) : copyBytes(chunk)); },
        close: () => { closed = true; },
        error: (e) => { this.#error = e; closed = true; },
        get desiredSize() { return closed ? 0 : 1; },
      };
      if (source && typeof source.start === "function") {
        const started = source.start(controller);
        if (started && typeof started.then === "function" && !closed) throw new TypeError("ReadableStream: an asynchronous start() is not supported by this runtime yet; enqueue every chunk and close() synchronously");
      }
      if (!closed) throw new TypeError("ReadableStream: only sources that enqueue every chunk and close() synchronously in start() are supported by this runtime yet");
    }
    static {
      streamFromBytes = (bytes, onRead) => { const s = new ReadableStream(STREAM_FROM_BYTES); s.#chunks = bytes && bytes.length ? [bytes] : []; s.#onRead = onRead; return s; };
      streamBytes = (s) => {
        if (s.#locked) throw new TypeError("ReadableStream is locked");
        if (s.#error !== undefined) throw s.#error;
        s.#locked = true;
        if (s.#onRead) s.#onRead();
        const total = s.#chunks.reduce((n, c) => n + c.length, 0);
        const out = new Uint8Array(total);
        let off = 0; for (const c of s.#chunks) { out.set(c, off); off += c.length; }
        return out;
      };
    }
    get locked() { return this.#locked; }
    getReader() {
      if (this.#locked) throw new TypeError("ReadableStream is locked to a reader");
      this.#locked = true;
      if (this.#onRead) this.#onRead();
      const chunks = this.#chunks, error = this.#error;
      let i = 0;
      return {
        read: () => error !== undefined ? Promise.reject(error) : Promise.resolve(i < chunks.length ? { value: chunks[i++].slice(), done: false } : { value: undefined, done: true }),
        releaseLock: () => { this.#locked = false; },
        cancel: () => { i = chunks.length; return Promise.resolve(); },
        closed: Promise.resolve(undefined),
      };
    }
    cancel() { this.#chunks = []; return Promise.resolve(); }
    async *[Symbol.asyncIterator]() {
      const reader = this.getReader();
      for (;;) { const { value, done } = await reader.read(); if (done) return; yield value; }
    }
    get [Symbol.toStringTag]() { return "ReadableStream"; }
  }
  define("ReadableStream", ReadableStream);

  // A body is held as bytes (Uint8Array) or null.
  function extractBody(body) {
    if (body === undefined || body === null) return { bytes: null, type: null };
    if (typeof body === "string") return { bytes: utf8Encode(body), type: "text/plain;charset=UTF-8" };
    if (body instanceof URLSearchParams) return { bytes: utf8Encode(body.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
    if (isBufferSource(body)) return { bytes: copyBytes(body), type: null };
    if (body instanceof Blob) return { bytes: body._bytes(), type: body.type || null };
    if (body instanceof ReadableStream) return { bytes: streamBytes(body), type: null };
    if (typeof body === "object" && typeof body.getReader === "function") throw new TypeError("only this runtime's own ReadableStream can be a body; pass a string, ArrayBuffer or typed array");
    return { bytes: utf8Encode(String(body)), type: "text/plain;charset=UTF-8" };
  }
  class Blob {
    #bytes; #type;
    constructor(parts = [], options = {}) {
      const chunks = [...parts].map((p) => (p instanceof Blob ? p.#bytes : isBufferSource(p) ? copyBytes(p) : utf8Encode(p)));
      const total = chunks.reduce((n, c) => n + c.length, 0);
      this.#bytes = new Uint8Array(total);
      let off = 0; for (const c of chunks) { this.#bytes.set(c, off); off += c.length; }
      this.#type = options.type ? String(options.type).toLowerCase() : "";
    }
    _bytes() { return this.#bytes.slice(); }
    get size() { return this.#bytes.length; }
    get type() { return this.#type; }
    async text() { return utf8Decode(this.#bytes); }
    async arrayBuffer() { return this.#bytes.slice().buffer; }
    async bytes() { return this.#bytes.slice(); }
    slice(start, end, type) { const b = new Blob([this.#bytes.slice(start, end)], { type }); return b; }
  }
  define("Blob", Blob);

  const bodyState = new WeakMap(); // Request|Response -> { bytes, used }
  const mixinBody = (cls) => {
    Object.defineProperties(cls.prototype, {
      bodyUsed: { get() { return bodyState.get(this).used; }, configurable: true },
      body: {
        get() {
          const st = bodyState.get(this);
          if (st.bytes === null) return null;
          if (st.stream === undefined) st.stream = streamFromBytes(st.bytes, () => { st.used = true; });
          return st.stream;
        },
        configurable: true,
      },
    });
    const take = (self) => {
      const st = bodyState.get(self);
      if (st.used) return Promise.reject(new TypeError("Body has already been used. It can only be used once; use clone() first to read it twice."));
      st.used = true;
      return Promise.resolve(st.bytes || new Uint8Array(0));
    };
    cls.prototype.arrayBuffer = function () { return take(this).then((b) => b.slice().buffer); };
    cls.prototype.bytes = function () { return take(this).then((b) => b.slice()); };
    cls.prototype.text = function () { return take(this).then((b) => utf8Decode(b)); };
    cls.prototype.json = function () { return take(this).then((b) => JSON.parse(utf8Decode(b))); };
    cls.prototype.blob = function () { return take(this).then((b) => new Blob([b], { type: this.headers.get("content-type") || "" })); };
    cls.prototype.formData = function () { return Promise.reject(new TypeError("formData() is not supported by this runtime yet")); };
  };

  const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"]);
  // Passed as `input` by the dispatch path only (user code cannot reach this symbol): `init`
  // then holds the already-checked parts of the host's request.
  const FROM_HOST = Symbol("request from the host");
  class Request {
    // From the host, #headers stays null until first read and #pairs holds the host's pairs.
    #url; #method; #headers; #pairs; #signal; #redirect; #cf;
    constructor(input, init = {}) {
      if (input === FROM_HOST) {
        this.#url = init.url; this.#method = init.method; this.#headers = null; this.#pairs = init.pairs;
        this.#signal = null; this.#redirect = "follow"; this.#cf = undefined;
        bodyState.set(this, { bytes: init.bytes, used: false });
        return;
      }
      let src = null;
      if (input instanceof Request) src = input;
      const url = src ? src.url : input instanceof URL ? input.href : String(input);
      const href = native.urlHref(url);
      if (href === null) throw new TypeError(`Invalid URL: ${url} (a Request needs an absolute URL)`);
      this.#url = href;
      let method = init.method !== undefined ? String(init.method) : src ? src.method : "GET";
      const upper = method.toUpperCase();
      if (METHODS.has(upper)) method = upper;
      else if (!HEADER_NAME.test(method)) throw new TypeError(`Invalid method: ${method}`);
      this.#method = method;
      this.#headers = new Headers(init.headers !== undefined ? init.headers : src ? src.headers : undefined);
      this.#signal = init.signal || (src ? src.signal : null); // created on first use
      this.#redirect = init.redirect || (src ? src.redirect : "follow");
      this.#cf = init.cf || (src ? src.cf : undefined);
      let bytes = null;
      if (init.body !== undefined && init.body !== null) {
        if (method === "GET" || method === "HEAD") throw new TypeError("Request with GET/HEAD method cannot have body.");
        const b = extractBody(init.body);
        bytes = b.bytes;
        if (b.type && !this.#headers.has("content-type")) this.#headers.set("content-type", b.type);
      } else if (src && init.body === undefined) {
        const st = bodyState.get(src);
        if (st.used) throw new TypeError("Cannot construct a Request from one whose body has already been used.");
        bytes = st.bytes;
        st.used = st.bytes !== null;
      }
      bodyState.set(this, { bytes, used: false });
    }
    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() {
      if (this.#headers === null) { this.#headers = headersFromTrusted(this.#pairs); this.#pairs = null; }
      return this.#headers;
    }
    get signal() { if (this.#signal === null) this.#signal = new AbortSignal(); return this.#signal; }
    get redirect() { return this.#redirect; }
    get cf() { return this.#cf; }
    get [Symbol.toStringTag]() { return "Request"; }
    clone() {
      const st = bodyState.get(this);
      if (st.used) throw new TypeError("Cannot clone a Request whose body has already been used.");
      const r = new Request(this.#url, { method: this.#method, headers: this.headers, signal: this.#signal, redirect: this.#redirect, cf: this.#cf });
      bodyState.set(r, { bytes: st.bytes && st.bytes.slice(), used: false });
      return r;
    }
  }
  mixinBody(Request);
  define("Request", Request);

  const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
  let responseMeta; // (response, url, redirected, status): what fetch() knows about a response
  let responsePairs; // (response) -> [[name, value]...]
  const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
  class Response {
    // #headers stays null until first read when the constructor had no headers to take: then
    // #contentType is the one header the body implies (the common `new Response(text)` case).
    #status; #statusText; #headers; #contentType; #type; #url; #redirected;
    constructor(body = null, init = undefined) {
      let status = 200, statusText = "", headers = null;
      if (init !== undefined && init !== null) {
        status = init.status === undefined ? 200 : Number(init.status);
        if (!Number.isInteger(status) || status < 200 || status > 599) {
          throw new RangeError(`Response status must be an integer in the range 200 to 599, got ${init.status}`);
        }
        if (init.statusText !== undefined) {
          statusText = String(init.statusText);
          if (statusText.includes("\n") || statusText.includes("\r")) throw new TypeError("Invalid statusText");
        }
        if (init.headers !== undefined && init.headers !== null) headers = new Headers(init.headers);
      }
      this.#status = status;
      this.#statusText = statusText;
      this.#headers = headers;
      this.#contentType = null;
      this.#type = "default";
      this.#url = "";
      this.#redirected = false;
      let bytes = null;
      if (body !== null && body !== undefined) {
        if (NULL_BODY_STATUS.has(status)) throw new TypeError(`Response with null body status (${status}) cannot have body`);
        const b = extractBody(body);
        bytes = b.bytes;
        if (b.type) {
          if (headers === null) this.#contentType = b.type;
          else if (!headers.has("content-type")) headers.set("content-type", b.type);
        }
      }
      bodyState.set(this, { bytes, used: false });
    }
    static json(data, init = {}) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError("Response.json: the value cannot be serialized to JSON");
      const headers = new Headers(init && init.headers);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      return new Response(text, { ...init, headers });
    }
    static redirect(url, status = 302) {
      if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Invalid redirect status: ${status} (use 301, 302, 303, 307 or 308)`);
      const parsed = native.urlParse(String(url));
      if (parsed === null) throw new TypeError(`Invalid URL: ${url}`);
      return new Response(null, { status, headers: { location: parsed[0] } });
    }
    static error() { const r = new Response(null, { status: 200 }); r.#type = "error"; r.#status = 0; return r; }
    static {
      // The header pairs to send, without materialising a Headers the script never asked for.
      responsePairs = (r) => r.#headers !== null ? headerPairs(r.#headers) : r.#contentType !== null ? [["content-type", r.#contentType]] : [];
    }
    static { responseMeta = (r, url, redirected, status) => { r.#url = url; r.#redirected = redirected; r.#status = status; r.#type = "basic"; }; }
    get status() { return this.#status; }
    get statusText() { return this.#statusText; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get headers() {
      if (this.#headers === null) {
        this.#headers = new Headers();
        if (this.#contentType !== null) this.#headers.set("content-type", this.#contentType);
      }
      return this.#headers;
    }
    get type() { return this.#type; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get webSocket() { return null; }
    get [Symbol.toStringTag]() { return "Response"; }
    clone() {
      const st = bodyState.get(this);
      if (st.used) throw new TypeError("Cannot clone a Response whose body has already been used.");
      const r = new Response(null, { status: this.#status === 0 ? 200 : this.#status, statusText: this.#statusText, headers: this.headers });
      r.#type = this.#type; r.#status = this.#status; r.#url = this.#url; r.#redirected = this.#redirected;
      bodyState.set(r, { bytes: st.bytes && st.bytes.slice(), used: false });
      return r;
    }
  }
  mixinBody(Response);
  define("Response", Response);

  // ---------------------------------------------------------------- fetch (outbound)
  // Over wasi:http (natives httpSend / httpCancel). The host applies the worker's globalOutbound
  // policy, SSRF checks and limits; a refusal arrives here as a message and becomes a TypeError.
  const inflight = new Map(); // request id -> { resolve, reject }
  function sendOnce(method, url, headers, bytes, signal) {
    return new Promise((resolve, reject) => {
      let id;
      try { id = native.httpSend(method, url, headerPairs(headers), bytes); }
      catch (e) { reject(new TypeError(`fetch(${JSON.stringify(url)}) failed: ${e && e.message}`)); return; }
      inflight.set(id, { resolve, reject, url });
      if (signal) signal.addEventListener("abort", () => {
        if (!inflight.delete(id)) return;
        native.httpCancel(id);
        reject(signal.reason);
      });
    });
  }
  const REDIRECTS = new Set([301, 302, 303, 307, 308]);
  define("fetch", async function fetch(input, init) {
    const request = new Request(input, init);
    const signal = (init && init.signal) || (input instanceof Request ? input.signal : null);
    if (signal && signal.aborted) throw signal.reason;
    const st = bodyState.get(request);
    let bytes = st.bytes;
    st.used = st.bytes !== null;
    let url = request.url, method = request.method, headers = request.headers, redirected = false;
    for (let hop = 0; ; hop++) {
      const raw = await sendOnce(method, url, headers, bytes, signal);
      const location = REDIRECTS.has(raw.status) ? raw.headers.find(([k]) => k === "location") : undefined;
      if (location && request.redirect !== "manual") {
        if (request.redirect === "error") throw new TypeError(`fetch(${JSON.stringify(url)}) failed: redirected (${raw.status}) to ${location[1]} and redirect is "error"`);
        if (hop >= 20) throw new TypeError(`fetch(${JSON.stringify(request.url)}) failed: more than 20 redirects`);
        const next = native.urlParse(location[1], url);
        if (next === null) throw new TypeError(`fetch(${JSON.stringify(url)}) failed: invalid redirect location ${JSON.stringify(location[1])}`);
        if ((raw.status === 303 && method !== "HEAD") || ((raw.status === 301 || raw.status === 302) && method === "POST")) {
          method = "GET"; bytes = null;
          headers = new Headers(headers);
          for (const h of ["content-type", "content-length", "content-encoding", "content-language", "content-location"]) headers.delete(h);
        }
        // Credentials do not follow a redirect to another origin.
        if (native.urlParse(url)[10] !== next[10]) { headers = new Headers(headers); headers.delete("authorization"); headers.delete("cookie"); }
        url = next[0]; redirected = true;
        continue;
      }
      const nullBody = raw.status === 101 || raw.status === 204 || raw.status === 205 || raw.status === 304 || method === "HEAD";
      const response = new Response(nullBody ? null : raw.body, { status: raw.status >= 200 && raw.status <= 599 ? raw.status : 200, headers: raw.headers });
      responseMeta(response, url, redirected, raw.status);
      return response;
    }
  });
  function fetchResolve(id, status, headers, body) {
    const p = inflight.get(id);
    if (p === undefined) return;
    inflight.delete(id);
    p.resolve({ status, headers, body });
  }
  function fetchReject(id, message) {
    const p = inflight.get(id);
    if (p === undefined) return;
    inflight.delete(id);
    p.reject(new TypeError(`fetch(${JSON.stringify(p.url)}) failed: ${message}`));
  }

  // ---------------------------------------------------------------- module data, dispatch
  const dataModules = new Map();
  // `cloudflare:workers` (see loader.rs): the base class of named entrypoints, and RpcTarget.
  class WorkerEntrypoint {
    constructor(ctx, env) { this.ctx = ctx; this.env = env; }
  }
  class RpcTarget {}
  Object.defineProperty(G, Symbol.for("sandbox.internals"), {
    value: Object.freeze({ dataModule: (name) => { const b = dataModules.get(name); return b; }, WorkerEntrypoint, RpcTarget }),
    enumerable: false, configurable: false, writable: false,
  });

  // ---------------------------------------------------------------- bindings
  // Every call starts at once on the host and settles from the event loop (callSettle).
  const calls = new Map(); // call id -> { resolve, reject }
  function hostCall(kind, binding, method, args) {
    return new Promise((resolve, reject) => {
      const id = native.bindingCall(kind, binding, method, args);
      calls.set(id, { resolve, reject });
    });
  }
  function callSettle(id, ok, value) {
    const c = calls.get(id);
    if (c === undefined) return;
    calls.delete(id);
    if (ok) c.resolve(value); else c.reject(new Error(value));
  }
  const KV_TYPES = new Set(["text", "json", "arrayBuffer", "stream"]);
  function kvType(options) {
    const type = typeof options === "string" ? options : (options !== null && typeof options === "object" && options.type !== undefined) ? options.type : "text";
    if (!KV_TYPES.has(type)) throw new TypeError(`Unknown response type "${type}". Possible types are "text", "arrayBuffer", "json", and "stream".`);
    return type;
  }
  function kvDecode(bytes, type) {
    switch (type) {
      case "text": return native.utf8Decode(bytes);
      case "json": return JSON.parse(native.utf8Decode(bytes));
      case "arrayBuffer": return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      default: return new Response(bytes).body;
    }
  }
  function kvKey(key) {
    if (typeof key !== "string") key = String(key);
    return key;
  }
  function kvValue(value) {
    if (typeof value === "string") return native.utf8Encode(value.toWellFormed());
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    throw new TypeError("KV put() accepts a string, an ArrayBuffer or an ArrayBufferView as the value");
  }
  function kvSeconds(v, what) {
    if (v === undefined || v === null) return null;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new TypeError(`KV put(): ${what} must be a non-negative number of seconds`);
    return Math.floor(n);
  }
  class KVNamespace {
    #name;
    constructor(name) { this.#name = name; }
    async get(key, options) {
      const type = kvType(options);
      const e = await hostCall("kv", this.#name, "get", [kvKey(key)]);
      return e === null ? null : kvDecode(e[0], type);
    }
    async getWithMetadata(key, options) {
      const type = kvType(options);
      const e = await hostCall("kv", this.#name, "get", [kvKey(key)]);
      if (e === null) return { value: null, metadata: null };
      return { value: kvDecode(e[0], type), metadata: e[1] === null ? null : JSON.parse(e[1]) };
    }
    async put(key, value, options) {
      const o = options === undefined || options === null ? {} : options;
      let metadata = null;
      if (o.metadata !== undefined && o.metadata !== null) {
        metadata = JSON.stringify(o.metadata);
        if (metadata === undefined) throw new TypeError("KV put(): metadata must be JSON-serialisable");
      }
      await hostCall("kv", this.#name, "put", [kvKey(key), kvValue(value), kvSeconds(o.expirationTtl, "expirationTtl"), kvSeconds(o.expiration, "expiration"), metadata]);
    }
    async delete(key) {
      await hostCall("kv", this.#name, "delete", [kvKey(key)]);
    }
    async list(options) {
      const o = options === undefined || options === null ? {} : options;
      const limit = o.limit === undefined || o.limit === null ? null : Number(o.limit);
      if (limit !== null && !(Number.isInteger(limit) && limit > 0)) throw new TypeError("KV list(): limit must be a positive integer");
      const json = await hostCall("kv", this.#name, "list", [o.prefix === undefined ? null : o.prefix, limit, o.cursor === undefined || o.cursor === "" ? null : o.cursor]);
      return JSON.parse(json);
    }
  }
  // Code Mode tools: one async method per registered tool; input and result are JSON.
  function makeTools(name, tools) {
    const obj = Object.create(null);
    for (const tool of tools) {
      obj[tool] = async function (input) {
        const json = input === undefined ? "{}" : JSON.stringify(input);
        if (json === undefined) throw new TypeError(`${name}.${tool}(): the input must be JSON-serialisable`);
        return JSON.parse(await hostCall("tools", name, "call", [tool, json]));
      };
    }
    return Object.freeze(obj);
  }
  // Service bindings: fetch() on another worker (or a host handler).
  function makeService(name) {
    return Object.freeze({
      async fetch(input, init) {
        const request = new Request(input, init);
        const st = bodyState.get(request);
        const bytes = st.bytes;
        st.used = st.bytes !== null;
        const r = await hostCall("service", name, "fetch", [request.method, request.url, headerPairs(request.headers), bytes]);
        const nullBody = r[0] === 101 || r[0] === 204 || r[0] === 205 || r[0] === 304 || request.method === "HEAD";
        const response = new Response(nullBody ? null : r[3], { status: r[0] >= 200 && r[0] <= 599 ? r[0] : 200, statusText: r[1], headers: r[2] });
        responseMeta(response, request.url, false, r[0]);
        return response;
      },
    });
  }
  // Files: a directory the supervisor lends.
  const FILE_TYPES = new Set(["text", "json", "arrayBuffer", "bytes"]);
  function filePath(path) {
    if (typeof path !== "string") throw new TypeError("FILES: a path must be a string");
    return path;
  }
  function makeFiles(name) {
    return Object.freeze({
      async read(path, options) {
        const type = typeof options === "string" ? options : (options && options.type) || "text";
        if (!FILE_TYPES.has(type)) throw new TypeError(`FILES.read(): unknown type "${type}"; use "text", "json", "arrayBuffer" or "bytes"`);
        const bytes = await hostCall("files", name, "read", [filePath(path)]);
        if (bytes === null) return null;
        if (type === "bytes") return bytes;
        if (type === "arrayBuffer") return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        const text = native.utf8Decode(bytes);
        return type === "json" ? JSON.parse(text) : text;
      },
      async write(path, data) {
        const bytes = typeof data === "string" ? native.utf8Encode(data.toWellFormed())
          : data instanceof ArrayBuffer ? new Uint8Array(data)
          : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : null;
        if (bytes === null) throw new TypeError("FILES.write(): data must be a string, an ArrayBuffer or an ArrayBufferView");
        await hostCall("files", name, "write", [filePath(path), bytes]);
      },
      async list(path) {
        return JSON.parse(await hostCall("files", name, "list", [path === undefined ? "" : filePath(path)]));
      },
      async delete(path) {
        await hostCall("files", name, "delete", [filePath(path)]);
      },
    });
  }
  function makeEnv(envJson, bindings) {
    const env = JSON.parse(envJson || "{}");
    for (const [name, kind, methods] of bindings || []) {
      env[name] = kind === "kv" ? new KVNamespace(name)
        : kind === "tools" ? makeTools(name, methods)
        : kind === "service" ? makeService(name)
        : makeFiles(name);
    }
    return Object.freeze(env);
  }

  class SandboxError extends Error {
    constructor(kind, message) { super(message); this.__sandboxKind = kind; }
  }
  let worker = null; // { namespace, env }

  function handlerTarget(entrypoint) {
    const ns = worker.namespace;
    const name = entrypoint == null ? "default" : entrypoint;
    if (!(name in ns)) {
      if (name === "default") throw new SandboxError("no-default-export", "the main module has no default export: add `export default { async fetch(request, env, ctx) { ... } }`");
      throw new SandboxError("no-handler", `the main module has no export named \`${name}\``);
    }
    const exported = ns[name];
    if (typeof exported === "function" && exported.prototype && typeof exported.prototype.fetch === "function") {
      // A class entrypoint (WorkerEntrypoint style): instantiate per call with (ctx, env).
      const ctx = makeCtx();
      const obj = new exported(ctx, worker.env);
      if (obj.env === undefined) obj.env = worker.env;
      if (obj.ctx === undefined) obj.ctx = ctx;
      return { fn: obj.fetch, self: obj, ctx, isClass: true };
    }
    if (exported === null || (typeof exported !== "object" && typeof exported !== "function") || typeof exported.fetch !== "function") {
      throw new SandboxError("no-handler", name === "default"
        ? "the default export has no `fetch` handler: export default { async fetch(request, env, ctx) { ... } }"
        : `the export \`${name}\` has no \`fetch\` handler`);
    }
    return { fn: exported.fetch, self: exported, ctx: makeCtx(), isClass: false };
  }
  let waitUntil = [];
  class ExecutionContext {
    constructor() { this.props = {}; }
    waitUntil(p) { waitUntil.push(Promise.resolve(p).catch(reportError)); }
    passThroughOnException() {}
  }
  function makeCtx() { return new ExecutionContext(); }

  // Call the handler with the host's request. Returns the response as
  // [status, statusText, [[name, value]...], Uint8Array], or a promise of it when the handler
  // (or a ctx.waitUntil) is asynchronous; throws what the handler throws.
  function dispatchFetch(entrypoint, method, url, headers, body) {
    if (worker === null) throw new SandboxError("invalid-worker", "no worker is loaded");
    inflight.clear(); // anything still in flight belonged to an earlier call
    calls.clear();
    const target = handlerTarget(entrypoint);
    const href = native.urlHref(url);
    if (href === null) throw new TypeError(`Invalid URL: ${url}`);
    const upper = method.toUpperCase();
    if (METHODS.has(upper)) method = upper;
    const bytes = body === null || body === undefined || method === "GET" || method === "HEAD" ? null : body;
    const request = new Request(FROM_HOST, { url: href, method, pairs: headers, bytes });
    const result = target.isClass ? target.fn.call(target.self, request) : target.fn.call(target.self, request, worker.env, target.ctx);
    if (result !== null && typeof result === "object" && typeof result.then === "function") return Promise.resolve(result).then(finishDispatch);
    return finishDispatch(result);
  }
  function finishDispatch(response) {
    if (!(response instanceof Response)) {
      const what = response === undefined ? "undefined" : response === null ? "null" : typeof response === "object" ? (response.constructor && response.constructor.name) || "an object" : typeof response;
      throw new SandboxError("bad-return", `the fetch handler returned ${what} instead of a Response: return new Response(body, { status, headers })`);
    }
    const st = bodyState.get(response);
    if (st.used) throw new TypeError("Body has already been used. It can only be used once; use clone() first to read it twice.");
    st.used = true;
    const out = [response.status, response.statusText, responsePairs(response), st.bytes || new Uint8Array(0)];
    const pending = waitUntil; waitUntil = [];
    if (pending.length) return Promise.all(pending).then(() => out);
    return out;
  }

  // RPC: call `method` on an entrypoint with JSON arguments; the result as JSON text, or a
  // promise of it.
  const NOT_RPC = new Set(["constructor", "fetch", "then"]);
  function dispatchCall(entrypoint, method, argsJson) {
    if (worker === null) throw new SandboxError("invalid-worker", "no worker is loaded");
    inflight.clear();
    calls.clear();
    const ns = worker.namespace;
    const name = entrypoint == null ? "default" : entrypoint;
    if (!(name in ns)) {
      if (name === "default") throw new SandboxError("no-default-export", "the main module has no default export");
      throw new SandboxError("no-handler", `the main module has no export named \`${name}\``);
    }
    const exported = ns[name];
    let self;
    if (typeof exported === "function" && exported.prototype) {
      const ctx = makeCtx();
      self = new exported(ctx, worker.env);
      if (self.env === undefined) self.env = worker.env;
      if (self.ctx === undefined) self.ctx = ctx;
    } else if (exported !== null && typeof exported === "object") {
      self = exported;
    } else {
      throw new SandboxError("no-handler", `the export \`${name}\` is not an entrypoint (a class or an object)`);
    }
    const fn = NOT_RPC.has(method) || method in Object.prototype ? undefined : self[method];
    if (typeof fn !== "function") throw new SandboxError("no-handler", `the entrypoint \`${name}\` has no method \`${method}\``);
    const args = JSON.parse(argsJson);
    if (!Array.isArray(args)) throw new TypeError("RPC arguments must be a JSON array");
    const finish = (value) => {
      const out = value === undefined ? "null" : JSON.stringify(value);
      if (typeof out !== "string") throw new TypeError(`the result of ${method}() is not JSON-serialisable`);
      const pending = waitUntil; waitUntil = [];
      if (pending.length) return Promise.all(pending).then(() => out);
      return out;
    };
    // An object export's `tail(events, env, ctx)` handler gets env and ctx as on Cloudflare.
    if (method === "tail" && self === exported) args.push(worker.env, makeCtx());
    const result = fn.apply(self, args);
    if (result !== null && typeof result === "object" && typeof result.then === "function") return Promise.resolve(result).then(finish);
    return finish(result);
  }

  return {
    setDataModule(name, buffer) { dataModules.set(name, buffer); },
    setWorker(namespace, envJson, bindings) { worker = { namespace, env: makeEnv(envJson, bindings) }; },
    dispatchFetch,
    dispatchCall,
    callSettle,
    fetchResolve,
    fetchReject,
    nextTimer,
    runTimers,
  };
})
