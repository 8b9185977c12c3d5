  // ---------------------------------------------------------------- the remaining globals
  // `self`, `navigator`, `reportError`, the `onerror`/`onunhandledrejection` slots, the `Crypto`
  // interface of `crypto`, and Workers' `scheduler.wait`.
  define("self", G);
  class Navigator {
    constructor(token) { if (token !== G) throw new TypeError("Illegal constructor"); }
    // What Workers answers: libraries (Hono's getRuntimeKey, ...) detect the Workers runtime by it.
    get userAgent() { return "Cloudflare-Workers"; }
    get hardwareConcurrency() { return 1; }
    get language() { return "en-US"; }
    get languages() { return ["en-US"]; }
    get [Symbol.toStringTag]() { return "Navigator"; }
  }
  define("Navigator", Navigator);
  define("navigator", new Navigator(G));
  define("reportError", function (error) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'reportError': 1 argument required, but only 0 present.");
    reportError(error);
  });
  define("onerror", null);
  define("onunhandledrejection", null);
  class Crypto {
    constructor(token) { if (token !== G) throw new TypeError("Illegal constructor"); }
    get [Symbol.toStringTag]() { return "Crypto"; }
  }
  define("Crypto", Crypto);
  // The crypto object keeps its own methods and getters; its prototype says what it is.
  Object.setPrototypeOf(crypto, Crypto.prototype);
  define("scheduler", Object.freeze({ wait: (ms) => new Promise((resolve) => addTimer(resolve, ms, [], false)) }));
