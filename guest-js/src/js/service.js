  // ---------------------------------------------------------------- service bindings (env.OTHER)
  // Over the `services` natives (generated from the WIT `services` interface).
  // Service bindings: fetch() on another worker (or a host handler).
  // A request to another worker, as the host takes it (its body read whole), and the response
  // back: shared with the Worker Loader's stubs (loader.js).
  async function serviceRequest(request) {
    const st = bodyState.get(request);
    const bytes = st.pending !== null ? await bodyBytes(st) : st.bytes;
    st.used = bytes !== null;
    return { method: request.method, url: request.url, headers: headerPairs(request.headers), body: bytes };
  }
  function serviceResponse(request, r) {
    const nullBody = r[0] === 101 || r[0] === 204 || r[0] === 205 || r[0] === 304 || request.method === "HEAD";
    const response = new Response(nullBody ? null : r[3], { status: r[0] >= 200 && r[0] <= 599 ? r[0] : 200, statusText: r[1], headers: r[2] });
    responseMeta(response, request.url, false, r[0]);
    return response;
  }
  function makeService(name) {
    return Object.freeze({
      async fetch(input, init) {
        const request = new Request(input, init);
        const r = await hostCall(native.services.fetch(name, await serviceRequest(request)));
        return serviceResponse(request, r);
      },
    });
  }
  bindingKinds.set("service", makeService);
