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
      let state = { bytes: null, used: false, pending: null };
      if (body !== null && body !== undefined) {
        if (NULL_BODY_STATUS.has(status)) throw new TypeError(`Response with null body status (${status}) cannot have body`);
        const b = extractBody(body);
        state = bodyOf(b);
        if (b.type) {
          if (headers === null) this.#contentType = b.type;
          else if (!headers.has("content-type")) headers.set("content-type", b.type);
        }
      }
      bodyState.set(this, state);
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
      bodyState.set(r, cloneBody(st));
      return r;
    }
  }
  mixinBody(Response);
  define("Response", Response);

