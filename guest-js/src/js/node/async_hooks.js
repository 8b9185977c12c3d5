// node:async_hooks — AsyncLocalStorage and AsyncResource (what Workers' nodejs_compat offers).
//
// Built on the engine's async context (our QuickJS patch, quickjs-sys/PATCHES.md): one value
// that QuickJS carries from where a promise reaction (`then`, `await`) or a job is registered to
// where it runs; the timers carry it too. Here that value is a null-prototype object holding each
// AsyncLocalStorage's store under the storage's own private symbol, never changed once current
// (a `run` makes a new one). It is only ever read with `in` and `[]` and copied with spread:
// no method a script could replace (Map.prototype.get, Object.keys...) ever sees it.
(function (I) {
  "use strict";
  const { native } = I;
  const makeKey = Symbol;
  const current = () => native.asyncContext();
  const enter = (context) => native.setAsyncContext(context);
  const argType = (name, want, v) => {
    const e = new TypeError(`The "${name}" argument must be of type ${want}. Received ${v === null ? "null" : typeof v}`);
    e.code = "ERR_INVALID_ARG_TYPE";
    return e;
  };
  // Run fn in `context`, then put back the context it was called in.
  function within(context, fn, thisArg, args) {
    const outer = current();
    enter(context);
    try { return Reflect.apply(fn, thisArg, args); } finally { enter(outer); }
  }
  // The current context with `key` set to `store` (or removed).
  function withStore(key, store, remove) {
    const outer = current();
    const next = outer === undefined ? { __proto__: null } : { __proto__: null, ...outer };
    if (remove) delete next[key]; else next[key] = store;
    return next;
  }
  const storeOf = (key, otherwise) => {
    const context = current();
    return context !== undefined && key in context ? context[key] : otherwise;
  };

  class AsyncLocalStorage {
    #name;
    #defaultValue;
    #key;
    constructor(options = {}) {
      if (options === null || typeof options !== "object") throw argType("options", "object", options);
      this.#name = options.name === undefined ? "" : String(options.name);
      this.#defaultValue = options.defaultValue;
      this.#key = makeKey(this.#name);
    }
    get name() { return this.#name; }
    // A function that runs its argument in the context current now.
    static snapshot() {
      const context = current();
      return function runInSnapshot(fn, ...args) { return within(context, fn, this, args); };
    }
    // fn bound to the context current now.
    static bind(fn) {
      if (typeof fn !== "function") throw argType("fn", "function", fn);
      const context = current();
      return function bound(...args) { return within(context, fn, this, args); };
    }
    getStore() { return storeOf(this.#key, this.#defaultValue); }
    run(store, fn, ...args) {
      if (typeof fn !== "function") throw argType("callback", "function", fn);
      return within(withStore(this.#key, store, false), fn, undefined, args);
    }
    exit(fn, ...args) {
      if (typeof fn !== "function") throw argType("callback", "function", fn);
      return within(withStore(this.#key, undefined, true), fn, undefined, args);
    }
    // Set the store for the rest of the current synchronous run and what it schedules.
    enterWith(store) { enter(withStore(this.#key, store, false)); }
    // Leave the store: getStore() is undefined until the next run/enterWith.
    disable() { enter(withStore(this.#key, undefined, true)); }
  }

  let nextAsyncId = 1;
  class AsyncResource {
    #context;
    #asyncId;
    #type;
    #triggerAsyncId;
    constructor(type, options) {
      if (typeof type !== "string") throw argType("type", "string", type);
      this.#type = type;
      this.#context = current();
      this.#asyncId = nextAsyncId++;
      this.#triggerAsyncId = typeof options === "number" ? options : (options && options.triggerAsyncId) || 0;
    }
    get type() { return this.#type; }
    runInAsyncScope(fn, thisArg, ...args) {
      if (typeof fn !== "function") throw argType("fn", "function", fn);
      return within(this.#context, fn, thisArg, args);
    }
    bind(fn, thisArg) {
      if (typeof fn !== "function") throw argType("fn", "function", fn);
      const self = this;
      const bound = function (...args) { return self.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args); };
      Object.defineProperty(bound, "length", { value: fn.length });
      Object.defineProperty(bound, "asyncResource", { value: this, enumerable: true });
      return bound;
    }
    static bind(fn, type, thisArg) {
      return new AsyncResource(typeof type === "string" ? type : fn.name || "bound-anonymous-fn").bind(fn, thisArg);
    }
    emitDestroy() { return this; }
    asyncId() { return this.#asyncId; }
    triggerAsyncId() { return this.#triggerAsyncId; }
  }

  return { AsyncLocalStorage, AsyncResource };
})
