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

