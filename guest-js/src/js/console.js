  // ---------------------------------------------------------------- console
  function inspect(value, depth, seen) {
    if (typeof value === "string") return depth === 0 ? value : JSON.stringify(value);
    if (typeof value === "bigint") return `${value}n`;
    if (typeof value === "symbol") return value.toString();
    if (typeof value === "function") return `[Function: ${value.name || "(anonymous)"}]`;
    if (value === null || typeof value !== "object") return String(value);
    if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}`.trimEnd() : `${value.name}: ${value.message}`;
    if (seen.includes(value)) return "[Circular]";
    if (depth > 4) return Array.isArray(value) ? "[Array]" : "[Object]";
    seen = seen.concat([value]);
    if (value instanceof Date) return isNaN(value) ? "Invalid Date" : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (value instanceof Map) return `Map(${value.size}) {${[...value].map(([k, v]) => ` ${inspect(k, depth + 1, seen)} => ${inspect(v, depth + 1, seen)}`).join(",")}${value.size ? " " : ""}}`;
    if (value instanceof Set) return `Set(${value.size}) {${[...value].map((v) => ` ${inspect(v, depth + 1, seen)}`).join(",")}${value.size ? " " : ""}}`;
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return `${value.constructor.name}(${value.length}) [${Array.prototype.slice.call(value, 0, 50).join(", ")}${value.length > 50 ? ", ..." : ""}]`;
    if (value instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${value.byteLength} }`;
    if (value instanceof Promise) return "Promise { <pending> }";
    if (Array.isArray(value)) return `[ ${value.map((v) => inspect(v, depth + 1, seen)).join(", ")} ]`.replace("[  ]", "[]");
    const keys = Object.keys(value);
    const name = value.constructor && value.constructor !== Object && value.constructor.name ? `${value.constructor.name} ` : "";
    if (keys.length === 0) return `${name}{}`;
    const key = (k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
    return `${name}{ ${keys.map((k) => `${key(k)}: ${inspect(value[k], depth + 1, seen)}`).join(", ")} }`;
  }
  function format(args) {
    let first = args[0];
    let rest = Array.prototype.slice.call(args, 1);
    let out;
    if (typeof first === "string" && /%[sdifoOjc%]/.test(first)) {
      out = first.replace(/%[sdifoOjc%]/g, (m) => {
        if (m === "%%") return "%";
        if (rest.length === 0) return m;
        const v = rest.shift();
        switch (m) {
          case "%s": return typeof v === "string" ? v : inspect(v, 1, []);
          case "%d": case "%i": return String(parseInt(v, 10));
          case "%f": return String(parseFloat(v));
          case "%j": try { return JSON.stringify(v); } catch { return "[Circular]"; }
          case "%c": return "";
          default: return inspect(v, 1, []);
        }
      });
    } else {
      out = args.length ? inspect(first, 0, []) : "";
    }
    for (const v of rest) out += " " + inspect(v, 0, []);
    return out;
  }
  const counts = new Map();
  const timersByLabel = new Map();
  const emit = (level) => function (...args) { native.console(level, format(args)); };
  const console = {
    log: emit("log"), info: emit("info"), debug: emit("debug"), warn: emit("warn"), error: emit("error"),
    trace: emit("debug"),
    assert(cond, ...args) { if (!cond) native.console("error", "Assertion failed" + (args.length ? ": " + format(args) : "")); },
    dir(v) { native.console("log", inspect(v, 0, [])); },
    table(v) { native.console("log", inspect(v, 0, [])); },
    count(label = "default") { const n = (counts.get(label) || 0) + 1; counts.set(label, n); native.console("info", `${label}: ${n}`); },
    countReset(label = "default") { counts.delete(label); },
    time(label = "default") { timersByLabel.set(label, native.now()); },
    timeEnd(label = "default") { const t = timersByLabel.get(label); timersByLabel.delete(label); if (t !== undefined) native.console("info", `${label}: ${(native.now() - t).toFixed(3)}ms`); },
    timeLog(label = "default", ...args) { const t = timersByLabel.get(label); if (t !== undefined) native.console("info", `${label}: ${(native.now() - t).toFixed(3)}ms${args.length ? " " + format(args) : ""}`); },
    group() {}, groupEnd() {}, groupCollapsed() {},
  };
  define("console", console);

