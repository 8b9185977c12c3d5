// node:process — what a worker has of a process: `env` (the worker's plain-text env values, as
// Workers' nodejs_compat_populate_process_env), nextTick, hrtime, and fixed facts.
(function (I) {
  "use strict";
  const hrtime = (prev) => {
    const ns = BigInt(Math.round(performance.now() * 1e6));
    let s = Number(ns / 1000000000n), n = Number(ns % 1000000000n);
    if (prev) { s -= prev[0]; n -= prev[1]; if (n < 0) { s -= 1; n += 1e9; } }
    return [s, n];
  };
  hrtime.bigint = () => BigInt(Math.round(performance.now() * 1e6));
  // process.env reads the worker's plain-text env values when asked (the module may be imported
  // before the worker's env exists); what a script sets is kept beside them.
  const own = Object.create(null);
  const strings = () => { const env = I.env(), out = Object.create(null); for (const k of Object.keys(env)) if (typeof env[k] === "string") out[k] = env[k]; return out; };
  const envProxy = new Proxy(own, {
    get: (t, k) => (typeof k !== "string" ? undefined : k in t ? t[k] : strings()[k]),
    set: (t, k, v) => { t[k] = String(v); return true; },
    has: (t, k) => k in t || k in strings(),
    deleteProperty: (t, k) => { delete t[k]; return true; },
    ownKeys: (t) => [...new Set([...Object.keys(strings()), ...Object.keys(t)])],
    getOwnPropertyDescriptor: (t, k) => {
      const v = k in t ? t[k] : strings()[k];
      return v === undefined ? undefined : { value: v, writable: true, enumerable: true, configurable: true };
    },
  });
  const process = {
    env: envProxy,
    nextTick(fn, ...args) { if (typeof fn !== "function") throw new TypeError('The "callback" argument must be of type function'); queueMicrotask(() => fn(...args)); },
    hrtime,
    platform: "linux", arch: "wasm32", version: "v22.0.0", versions: { node: "22.0.0" }, release: { name: "node" },
    argv: [], execArgv: [], pid: 1, ppid: 0, title: "worker", exitCode: undefined,
    cwd: () => "/", chdir() { throw new Error("process.chdir() is not supported in a worker"); },
    uptime: () => performance.now() / 1000,
    memoryUsage: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
    emitWarning: (w) => console.warn(typeof w === "string" ? `Warning: ${w}` : String(w)),
    exit(code) { throw new Error(`process.exit(${code === undefined ? "" : code}) is not supported in a worker: return a Response instead`); },
    on() { return process; }, once() { return process; }, off() { return process; }, removeListener() { return process; }, emit() { return false; },
    listeners: () => [],
    features: {},
  };
  return { default: process, ...process };
})
