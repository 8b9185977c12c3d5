// node:events — EventEmitter (and once/on helpers), plus the Web EventTarget and Event.
(function (I) {
  "use strict";
  let defaultMaxListeners = 10;
  const fnCheck = (fn) => { if (typeof fn !== "function") { const e = new TypeError(`The "listener" argument must be of type function. Received ${fn === null ? "null" : typeof fn}`); e.code = "ERR_INVALID_ARG_TYPE"; throw e; } };
  // A plain function, not a class: old-style packages call `EventEmitter.call(this)` and
  // `util.inherits(Sub, EventEmitter)`.
  function EventEmitter(opts) { EventEmitter.init.call(this, opts); }
  EventEmitter.init = function () {
    if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) { this._events = Object.create(null); this._eventsCount = 0; }
    this._maxListeners = this._maxListeners || undefined;
  };
  Object.defineProperty(EventEmitter, "defaultMaxListeners", {
    enumerable: true,
    get() { return defaultMaxListeners; },
    set(n) { if (typeof n !== "number" || n < 0 || Number.isNaN(n)) throw new RangeError(`The value of "defaultMaxListeners" is out of range. It must be a non-negative number. Received ${n}`); defaultMaxListeners = n; },
  });
  EventEmitter.listenerCount = (emitter, type) => emitter.listenerCount(type);
  const eventsOf = (self) => { if (self._events === undefined) EventEmitter.init.call(self); return self._events; };
  function addListener(self, type, listener, prepend) {
    fnCheck(listener);
    const events = eventsOf(self);
    if (events.newListener !== undefined) self.emit("newListener", type, listener.listener ? listener.listener : listener);
    const list = events[type];
    if (list === undefined) { events[type] = listener; self._eventsCount++; }
    else if (typeof list === "function") events[type] = prepend ? [listener, list] : [list, listener];
    else if (prepend) list.unshift(listener); else list.push(listener);
    const count = self.listenerCount(type), max = self.getMaxListeners();
    if (max > 0 && count > max && Array.isArray(events[type]) && !events[type].warned) {
      events[type].warned = true;
      console.warn(`MaxListenersExceededWarning: Possible EventEmitter memory leak detected. ${count} ${String(type)} listeners added. Use emitter.setMaxListeners() to increase limit`);
    }
    return self;
  }
  function onceWrapper(self, type, listener) {
    fnCheck(listener);
    const state = { fired: false, target: self, type, listener };
    const wrapped = function (...args) {
      if (state.fired) return undefined;
      state.fired = true;
      state.target.removeListener(state.type, wrapped);
      return state.listener.apply(state.target, args);
    };
    wrapped.listener = listener;
    return wrapped;
  }
  const proto = EventEmitter.prototype;
  proto.setMaxListeners = function (n) { if (typeof n !== "number" || n < 0 || Number.isNaN(n)) throw new RangeError(`The value of "n" is out of range. It must be a non-negative number. Received ${n}`); this._maxListeners = n; return this; };
  proto.getMaxListeners = function () { return this._maxListeners === undefined ? defaultMaxListeners : this._maxListeners; };
  proto.addListener = function (type, listener) { return addListener(this, type, listener, false); };
  proto.on = proto.addListener;
  proto.prependListener = function (type, listener) { return addListener(this, type, listener, true); };
  proto.once = function (type, listener) { return this.on(type, onceWrapper(this, type, listener)); };
  proto.prependOnceListener = function (type, listener) { return this.prependListener(type, onceWrapper(this, type, listener)); };
  proto.removeListener = function (type, listener) {
    fnCheck(listener);
    const events = eventsOf(this);
    const list = events[type];
    if (list === undefined) return this;
    if (list === listener || list.listener === listener) {
      if (--this._eventsCount === 0) this._events = Object.create(null); else delete events[type];
      if (events.removeListener !== undefined) this.emit("removeListener", type, list.listener || listener);
    } else if (typeof list !== "function") {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i] === listener || list[i].listener === listener) {
          list.splice(i, 1);
          if (list.length === 1) events[type] = list[0];
          if (events.removeListener !== undefined) this.emit("removeListener", type, listener);
          break;
        }
      }
    }
    return this;
  };
  proto.off = proto.removeListener;
  proto.removeAllListeners = function (type) {
    const events = eventsOf(this);
    if (type === undefined) {
      if (events.removeListener !== undefined) {
        for (const key of Reflect.ownKeys(events)) if (key !== "removeListener") this.removeAllListeners(key);
        this.removeAllListeners("removeListener");
      }
      this._events = Object.create(null); this._eventsCount = 0;
      return this;
    }
    const list = events[type];
    if (typeof list === "function") this.removeListener(type, list);
    else if (list !== undefined) for (let i = list.length - 1; i >= 0; i--) this.removeListener(type, list[i]);
    return this;
  };
  proto.emit = function (type, ...args) {
    const events = eventsOf(this);
    const handler = events[type];
    if (type === "error" && handler === undefined) {
      const er = args[0];
      if (er instanceof Error) throw er;
      const err = new Error(`Unhandled error. (${I.inspect(er, 1, [])})`);
      err.code = "ERR_UNHANDLED_ERROR"; err.context = er;
      throw err;
    }
    if (handler === undefined) return false;
    if (typeof handler === "function") handler.apply(this, args);
    else for (const l of handler.slice()) l.apply(this, args);
    return true;
  };
  proto.listeners = function (type) { const l = eventsOf(this)[type]; return l === undefined ? [] : typeof l === "function" ? [l.listener || l] : l.map((x) => x.listener || x); };
  proto.rawListeners = function (type) { const l = eventsOf(this)[type]; return l === undefined ? [] : typeof l === "function" ? [l] : l.slice(); };
  proto.listenerCount = function (type, listener) {
    const l = eventsOf(this)[type];
    if (l === undefined) return 0;
    const all = typeof l === "function" ? [l] : l;
    return listener === undefined ? all.length : all.filter((x) => x === listener || x.listener === listener).length;
  };
  proto.eventNames = function () { return Reflect.ownKeys(eventsOf(this)); };
  EventEmitter.prototype._events = undefined;
  EventEmitter.prototype._eventsCount = 0;
  EventEmitter.prototype._maxListeners = undefined;
  EventEmitter.captureRejectionSymbol = Symbol.for("nodejs.rejection");
  EventEmitter.errorMonitor = Symbol("events.errorMonitor");

  // events.once(emitter, name): a promise of the arguments of the next event (rejects on "error").
  function once(emitter, name, options) {
    return new Promise((resolve, reject) => {
      const signal = options && options.signal;
      if (signal && signal.aborted) { reject(signal.reason); return; }
      if (typeof emitter.addEventListener === "function" && typeof emitter.on !== "function") {
        emitter.addEventListener(name, (ev) => resolve([ev]), { once: true });
        return;
      }
      const onError = (err) => { emitter.removeListener(name, onEvent); reject(err); };
      const onEvent = (...args) => { if (name !== "error") emitter.removeListener("error", onError); resolve(args); };
      emitter.once(name, onEvent);
      if (name !== "error") emitter.once("error", onError);
      if (signal) signal.addEventListener("abort", () => { emitter.removeListener(name, onEvent); emitter.removeListener("error", onError); reject(signal.reason); }, { once: true });
    });
  }
  // events.on(emitter, name): an async iterator of the event's arguments.
  function on(emitter, name) {
    const queue = [], waiting = [];
    let error = null;
    emitter.on(name, (...args) => { const w = waiting.shift(); if (w) w.resolve({ value: args, done: false }); else queue.push(args); });
    if (name !== "error") emitter.on("error", (e) => { error = e; const w = waiting.shift(); if (w) w.reject(e); });
    return {
      next() {
        if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
        if (error) return Promise.reject(error);
        return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
      },
      return() { return Promise.resolve({ value: undefined, done: true }); },
      [Symbol.asyncIterator]() { return this; },
    };
  }
  const getEventListeners = (emitter, name) => typeof emitter.listeners === "function" ? emitter.listeners(name) : [];
  EventEmitter.EventEmitter = EventEmitter;
  EventEmitter.once = once;
  EventEmitter.on = on;
  return {
    default: EventEmitter, EventEmitter, once, on, getEventListeners,
    errorMonitor: EventEmitter.errorMonitor, captureRejectionSymbol: EventEmitter.captureRejectionSymbol,
    get defaultMaxListeners() { return defaultMaxListeners; },
    setMaxListeners(n) { defaultMaxListeners = n; },
    get EventTarget() { return I.builtin("web:events").EventTarget; },
    get Event() { return I.builtin("web:events").Event; },
  };
})
