  // ---------------------------------------------------------------- bindings
  // The capabilities the host lends a worker (`env.KV`, `env.TOOLS`...): one file each (kv.js,
  // tools.js, service.js, files.js), over that capability's natives (`native.kv.get(binding,
  // key)`, ... see calls/ in the guest). Each file registers how to make its binding
  // (`bindingKinds`); what is shared is here: a native starts its call at once on the host and
  // returns the call's id, and the event loop settles it (callSettle).
  const calls = new Map(); // call id -> { resolve, reject }
  function hostCall(id) {
    return new Promise((resolve, reject) => { calls.set(id, { resolve, reject }); });
  }
  function callSettle(id, ok, value) {
    const c = calls.get(id);
    if (c === undefined) return;
    calls.delete(id);
    if (ok) c.resolve(value); else c.reject(new Error(value));
  }
  const bindingKinds = new Map(); // binding kind (the WIT binding-kind) -> (name, methods) => binding
  // Each binding object -> its name in env: how a Worker Loader passes one on (loader.js).
  const bindingNames = new WeakMap();
  function makeEnv(envJson, bindings) {
    const env = JSON.parse(envJson || "{}");
    for (const [name, kind, methods] of bindings || []) {
      const make = bindingKinds.get(kind);
      if (make === undefined) throw new TypeError(`unknown binding kind "${kind}"`);
      env[name] = make(name, methods);
      bindingNames.set(env[name], name);
    }
    return Object.freeze(env);
  }
