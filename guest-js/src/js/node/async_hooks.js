// node:async_hooks — AsyncLocalStorage and AsyncResource (what Workers' nodejs_compat offers).
//
// Built on the engine's async context (our QuickJS patch, quickjs-sys/PATCHES.md): one value
// that QuickJS carries from where a promise reaction (`then`, `await`) or a job is registered to
// where it runs; the timers carry it too. Here that value is a Map from each AsyncLocalStorage to
// its store, never changed once current (a `run` makes a new Map), so a continuation sees the
// stores of the moment it was registered, whatever ran in between.
(function (I) {
  "use strict";
  const { native } = I;
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
  // The current context with `key` set to `store` (or removed, for `undefined` + remove).
  function withStore(key, store, remove) {
    const outer = current();
    const next = outer instanceof Map ? new Map(outer) : new Map();
    if (remove) next.delete(key); else next.set(key, store);
    return next.size === 0 ? undefined : next;
  }

  class AsyncLocalStorage {
    #name;
    #defaultValue;
    constructor(options = {}) {
      if (options === null || typeof options !== "object") throw argType("options", "object", options);
      this.#name = options.name === undefined ? "" : String(options.name);
      this.#defaultValue = options.defaultValue;
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
    getStore() {
      const context = current();
      if (context instanceof Map && context.has(this)) return context.get(this);
      return this.#defaultValue;
    }
    run(store, fn, ...args) {
      if (typeof fn !== "function") throw argType("callback", "function", fn);
      return within(withStore(this, store, false), fn, undefined, args);
    }
    exit(fn, ...args) {
      if (typeof fn !== "function") throw argType("callback", "function", fn);
      return within(withStore(this, undefined, true), fn, undefined, args);
    }
    // Set the store for the rest of the current synchronous run and what it schedules.
    enterWith(store) { enter(withStore(this, store, false)); }
    // Leave the store: getStore() is undefined until the next run/enterWith.
    disable() { enter(withStore(this, undefined, true)); }
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
