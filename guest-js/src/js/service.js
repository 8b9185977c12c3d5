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
  // Property names a stub never answers with an RPC method: what JS asks of any object it is
  // handed (awaiting it, JSON.stringify, string conversion) must not become a call.
  const NOT_METHODS = new Set(["then", "toJSON", "constructor", "valueOf", "toString", "fetch"]);
  const rpcName = (prop) => typeof prop === "string" && !NOT_METHODS.has(prop) && !(prop in Object.prototype);
  // A service binding: fetch(), and any other property is an RPC method of the service's
  // entrypoint (JSON arguments and result).
  function makeService(name) {
    const target = Object.freeze({
      async fetch(input, init) {
        const request = new Request(input, init);
        const r = await hostCall(native.services.fetch(name, await serviceRequest(request)));
        return serviceResponse(request, r);
      },
    });
    return new Proxy(target, {
      get(t, prop) {
        if (prop in t) return t[prop];
        if (!rpcName(prop)) return undefined;
        return async (...args) => JSON.parse(await hostCall(native.services.call(name, prop, JSON.stringify(args))));
      },
    });
  }
  bindingKinds.set("service", makeService);

  // ctx.exports: stubs of this worker's own entrypoints (loopback), each run in another instance
  // of this worker. `ctx.exports.Name` is a stub; `ctx.exports.Name({ props })` one whose calls
  // see `ctx.props`. A stub can be handed to a child (its env, globalOutbound, tails): it is
  // passed by reference (its entrypoint and props), never as code.
  const loopbackRefs = new WeakMap(); // stub -> { exports, propsJson }
  function loopback(entrypoint, propsJson) {
    if (native.services === undefined) throw new TypeError("ctx.exports is not available here");
    const fetchFn = async (input, init) => {
      const request = new Request(input, init);
      const r = await hostCall(native.services.loopbackFetch(entrypoint, propsJson, await serviceRequest(request)));
      return serviceResponse(request, r);
    };
    const stub = new Proxy(() => {}, {
      apply(_t, _self, args) {
        const options = args[0];
        if (options === undefined || options === null) return loopback(entrypoint, null);
        if (typeof options !== "object") throw new TypeError("ctx.exports entrypoints take an options object: { props }");
        if (options.props === undefined) return loopback(entrypoint, null);
        const json = JSON.stringify(options.props);
        if (typeof json !== "string") throw new TypeError("props must be JSON-serialisable");
        return loopback(entrypoint, json);
      },
      get(_t, prop) {
        if (prop === "fetch") return fetchFn;
        if (!rpcName(prop)) return undefined;
        return async (...args) => JSON.parse(await hostCall(native.services.loopbackCall(entrypoint, propsJson, prop, JSON.stringify(args))));
      },
    });
    loopbackRefs.set(stub, propsJson === null ? { exports: entrypoint } : { exports: entrypoint, propsJson });
    return stub;
  }
