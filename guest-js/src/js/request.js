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
        bodyState.set(this, { bytes: init.bytes, used: false, pending: null });
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
      let body = { bytes: null, used: false, pending: null };
      if (init.body !== undefined && init.body !== null) {
        if (method === "GET" || method === "HEAD") throw new TypeError("Request with GET/HEAD method cannot have body.");
        const b = extractBody(init.body);
        body = bodyOf(b);
        if (b.type && !this.#headers.has("content-type")) this.#headers.set("content-type", b.type);
      } else if (src && init.body === undefined) {
        const st = bodyState.get(src);
        if (st.used) throw new TypeError("Cannot construct a Request from one whose body has already been used.");
        body = { bytes: st.bytes, used: false, pending: st.pending };
        st.used = st.bytes !== null || body.pending !== null;
      }
      bodyState.set(this, body);
    }
    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() {
      if (this.#headers === null) { this.#headers = headersFromTrusted(this.#pairs); this.#pairs = null; }
      return this.#headers;
    }
    get signal() { if (this.#signal === null) this.#signal = new (builtin("web:events").AbortController)().signal; return this.#signal; }
    get redirect() { return this.#redirect; }
    get cf() { return this.#cf; }
    get [Symbol.toStringTag]() { return "Request"; }
    clone() {
      const st = bodyState.get(this);
      if (st.used) throw new TypeError("Cannot clone a Request whose body has already been used.");
      const r = new Request(this.#url, { method: this.#method, headers: this.headers, signal: this.#signal, redirect: this.#redirect, cf: this.#cf });
      bodyState.set(r, cloneBody(st));
      return r;
    }
  }
  mixinBody(Request);
  define("Request", Request);

