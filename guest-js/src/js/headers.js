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

