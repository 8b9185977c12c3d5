// Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent, AbortController and
// AbortSignal (DOM Standard; no tree: an event is dispatched at its target only). A built-in
// compiled on first use (builtins.rs): most workers never create an event or a signal.
(function (I) {
  "use strict";
  // DOM Event and EventTarget (no tree: an event is dispatched at its target only).
  let eventStopped, eventDispatching;
  class Event {
    #type; #bubbles; #cancelable; #composed; #defaultPrevented = false; #target = null; #current = null;
    #phase = 0; #stop = false; #stopNow = false; #timeStamp; #passive = false;
    constructor(type, init = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
      this.#type = String(type);
      this.#bubbles = !!(init && init.bubbles); this.#cancelable = !!(init && init.cancelable); this.#composed = !!(init && init.composed);
      this.#timeStamp = I.native.now();
    }
    get type() { return this.#type; }
    get bubbles() { return this.#bubbles; }
    get cancelable() { return this.#cancelable; }
    get composed() { return this.#composed; }
    get defaultPrevented() { return this.#defaultPrevented; }
    get returnValue() { return !this.#defaultPrevented; }
    set returnValue(v) { if (!v) this.preventDefault(); }
    get target() { return this.#target; }
    get srcElement() { return this.#target; }
    get currentTarget() { return this.#current; }
    get eventPhase() { return this.#phase; }
    get isTrusted() { return false; }
    get timeStamp() { return this.#timeStamp; }
    get cancelBubble() { return this.#stop; }
    set cancelBubble(v) { if (v) this.#stop = true; }
    composedPath() { return this.#current === null ? [] : [this.#current]; }
    preventDefault() { if (this.#cancelable && !this.#passive) this.#defaultPrevented = true; }
    stopPropagation() { this.#stop = true; }
    stopImmediatePropagation() { this.#stop = true; this.#stopNow = true; }
    get [Symbol.toStringTag]() { return "Event"; }
    static {
      eventStopped = (e) => e.#stopNow;
      // (event, target | null, passive) -> whether it was already being dispatched
      eventDispatching = (e, target, passive) => {
        if (target === null) { e.#current = null; e.#phase = 0; e.#passive = false; return false; }
        if (e.#phase !== 0) return true;
        e.#target = target; e.#current = target; e.#phase = 2; e.#stop = false; e.#stopNow = false; e.#passive = passive;
        return false;
      };
    }
  }
  for (const [k, v] of [["NONE", 0], ["CAPTURING_PHASE", 1], ["AT_TARGET", 2], ["BUBBLING_PHASE", 3]]) {
    Object.defineProperty(Event, k, { value: v, enumerable: true });
    Object.defineProperty(Event.prototype, k, { value: v, enumerable: true });
  }
  class CustomEvent extends Event {
    #detail;
    constructor(type, init = undefined) { super(type, init); this.#detail = init && init.detail !== undefined ? init.detail : null; }
    get detail() { return this.#detail; }
    get [Symbol.toStringTag]() { return "CustomEvent"; }
  }
  class ErrorEvent extends Event {
    #init;
    constructor(type, init = {}) { super(type, init); this.#init = init || {}; }
    get message() { return this.#init.message === undefined ? "" : String(this.#init.message); }
    get filename() { return this.#init.filename === undefined ? "" : String(this.#init.filename); }
    get lineno() { return this.#init.lineno >>> 0; }
    get colno() { return this.#init.colno >>> 0; }
    get error() { return this.#init.error; }
    get [Symbol.toStringTag]() { return "ErrorEvent"; }
  }
  class PromiseRejectionEvent extends Event {
    #promise; #reason;
    constructor(type, init) {
      if (init === undefined || init === null || !("promise" in init)) throw new TypeError("Failed to construct 'PromiseRejectionEvent': the promise member is required.");
      super(type, init); this.#promise = init.promise; this.#reason = init.reason;
    }
    get promise() { return this.#promise; }
    get reason() { return this.#reason; }
    get [Symbol.toStringTag]() { return "PromiseRejectionEvent"; }
  }
  const listenerOptions = (opts) => typeof opts === "boolean" ? { capture: opts, once: false, passive: false, signal: null }
    : opts && typeof opts === "object" ? { capture: !!opts.capture, once: !!opts.once, passive: !!opts.passive, signal: opts.signal === undefined ? null : opts.signal }
    : { capture: false, once: false, passive: false, signal: null };
  class EventTarget {
    #listeners = new Map(); // type -> [{ fn, capture, once, passive, removed }]
    addEventListener(type, fn, opts) {
      if (fn === null || fn === undefined) return;
      if (typeof fn !== "function" && typeof fn !== "object") throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': parameter 2 is not of type 'Object'.");
      const o = listenerOptions(opts);
      if (o.signal !== null && o.signal.aborted) return;
      type = String(type);
      const list = this.#listeners.get(type) || [];
      if (list.some((x) => x.fn === fn && x.capture === o.capture)) return;
      const entry = { fn, capture: o.capture, once: o.once, passive: o.passive, removed: false };
      list.push(entry);
      this.#listeners.set(type, list);
      if (o.signal !== null) o.signal.addEventListener("abort", () => this.removeEventListener(type, fn, { capture: o.capture }));
    }
    removeEventListener(type, fn, opts) {
      type = String(type);
      const capture = listenerOptions(opts).capture;
      const list = this.#listeners.get(type);
      if (!list) return;
      const i = list.findIndex((x) => x.fn === fn && x.capture === capture);
      if (i < 0) return;
      list[i].removed = true;
      list.splice(i, 1);
    }
    dispatchEvent(ev) {
      if (!(ev instanceof Event)) throw new TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.");
      if (eventDispatching(ev, this, false)) throw new I.DOMException("Failed to execute 'dispatchEvent' on 'EventTarget': The event is already being dispatched.", "InvalidStateError");
      try {
        for (const l of [...(this.#listeners.get(ev.type) || [])]) {
          if (l.removed) continue;
          if (l.once) this.removeEventListener(ev.type, l.fn, { capture: l.capture });
          eventDispatching(ev, null, false); eventDispatching(ev, this, l.passive);
          try {
            if (typeof l.fn === "function") l.fn.call(this, ev);
            else if (typeof l.fn.handleEvent === "function") l.fn.handleEvent(ev);
          } catch (e) { I.reportError(e); }
          if (eventStopped(ev)) break;
        }
      } finally { eventDispatching(ev, null, false); }
      return !ev.defaultPrevented;
    }
    get [Symbol.toStringTag]() { return "EventTarget"; }
  }
  let abortSignal; // (signal, reason): abort it (for AbortController and the static helpers)
  const MAKE_SIGNAL = Symbol("make an AbortSignal");
  class AbortSignal extends EventTarget {
    constructor(token) { super(); if (token !== MAKE_SIGNAL) throw new TypeError("Illegal constructor"); }
    #aborted = false; #reason = undefined;
    onabort = null;
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    static { abortSignal = (s, reason) => s.#abort(reason); }
    #abort(reason) {
      if (this.#aborted) return;
      this.#aborted = true;
      this.#reason = reason === undefined ? new I.DOMException("This operation was aborted", "AbortError") : reason;
      const ev = new Event("abort");
      if (typeof this.onabort === "function") try { this.onabort(ev); } catch (e) { I.reportError(e); }
      this.dispatchEvent(ev);
    }
    static abort(reason) { const s = new AbortSignal(MAKE_SIGNAL); abortSignal(s, reason); return s; }
    static timeout(ms) { const s = new AbortSignal(MAKE_SIGNAL); I.addTimer(() => abortSignal(s, new I.DOMException("The operation timed out.", "TimeoutError")), ms, [], false); return s; }
    static any(signals) { const s = new AbortSignal(MAKE_SIGNAL); for (const x of signals) { if (x.aborted) { abortSignal(s, x.reason); break; } x.addEventListener("abort", () => abortSignal(s, x.reason)); } return s; }
    get [Symbol.toStringTag]() { return "AbortSignal"; }
  }
  class AbortController {
    #signal = new AbortSignal(MAKE_SIGNAL);
    get signal() { return this.#signal; }
    abort(reason) { abortSignal(this.#signal, reason); }
  }

  return { Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent, AbortSignal, AbortController };
})
