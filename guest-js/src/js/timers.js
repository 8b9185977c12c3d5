  // ---------------------------------------------------------------- timers & microtasks
  let timerSeq = 0;
  const timers = new Map(); // id -> { due, fn, args, interval }
  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("The callback must be a function");
    ms = Math.max(0, Number(ms) || 0);
    const id = ++timerSeq;
    // A callback runs in the async context (AsyncLocalStorage) of the call that set it.
    timers.set(id, { due: native.now() + ms, fn, args, interval: repeat ? Math.max(ms, 1) : -1, seq: id, context: native.asyncContext() });
    return id;
  }
  define("setTimeout", (fn, ms, ...args) => addTimer(fn, ms, args, false));
  define("setInterval", (fn, ms, ...args) => addTimer(fn, ms, args, true));
  define("clearTimeout", (id) => { timers.delete(Number(id)); });
  define("clearInterval", (id) => { timers.delete(Number(id)); });
  const reportErrorToConsole = (e) => native.console("error", "Uncaught " + inspect(e, 0, []));
  // Errors nobody can catch (a throwing timer, listener or microtask): `onerror` may claim them
  // (by returning true), else they go to the console. Never throws.
  const reportError = (e) => {
    try {
      const handler = G.onerror;
      if (typeof handler === "function" && handler(e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e), "", 0, 0, e) === true) return;
    } catch (thrown) { e = thrown; }
    try { reportErrorToConsole(e); } catch { native.console("error", "Uncaught exception"); }
  };
  define("queueMicrotask", (fn) => {
    if (typeof fn !== "function") throw new TypeError("queueMicrotask: the callback must be a function");
    Promise.resolve().then(() => { try { fn(); } catch (e) { reportError(e); } });
  });
  function nextTimer() {
    let due = -1;
    for (const t of timers.values()) if (due < 0 || t.due < due) due = t.due;
    return due;
  }
  function runTimers() {
    const now = native.now();
    const ready = [...timers.entries()].filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due || a[1].seq - b[1].seq);
    for (const [id, t] of ready) {
      if (!timers.has(id)) continue; // cleared by an earlier callback
      if (t.interval >= 0) t.due = now + t.interval; else timers.delete(id);
      const outer = native.asyncContext();
      native.setAsyncContext(t.context);
      try { t.fn(...t.args); } catch (e) { reportError(e); } finally { native.setAsyncContext(outer); }
    }
  }

  // ---------------------------------------------------------------- performance
  // timeOrigin: when this instance's clock started, in Unix milliseconds (read once, after the
  // snapshot was restored: the snapshot holds no time).
  let timeOrigin = null;
  define("performance", {
    now: () => native.now(),
    get timeOrigin() { if (timeOrigin === null) timeOrigin = Date.now() - native.now(); return timeOrigin; },
    toJSON() { return { timeOrigin: this.timeOrigin }; },
  });

