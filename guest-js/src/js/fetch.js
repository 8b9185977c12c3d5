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
    if (st.pending !== null && st.pending.locked) throw new TypeError("fetch: the request body stream is locked");
    let bytes = st.pending !== null ? await bodyBytes(st) : st.bytes;
    st.used = bytes !== null;
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
        native.httpCancel(raw.id); // the redirect's own body is not read
        url = next[0]; redirected = true;
        continue;
      }
      const nullBody = raw.status === 101 || raw.status === 204 || raw.status === 205 || raw.status === 304 || method === "HEAD";
      const response = new Response(null, { status: raw.status >= 200 && raw.status <= 599 ? raw.status : 200, headers: raw.headers });
      // The body stays in the host until read (and arrives as it is read).
      if (nullBody) native.httpCancel(raw.id);
      else bodyState.get(response).pending = new HostBody(raw.id, `fetch(${JSON.stringify(url)}) failed`);
      responseMeta(response, url, redirected, raw.status);
      return response;
    }
  });
  function fetchResolve(id, status, headers) {
    const p = inflight.get(id);
    if (p === undefined) return;
    inflight.delete(id);
    p.resolve({ id, status, headers });
  }
  function fetchReject(id, message) {
    const p = inflight.get(id);
    if (p === undefined) return;
    inflight.delete(id);
    p.reject(new TypeError(`fetch(${JSON.stringify(p.url)}) failed: ${message}`));
  }

