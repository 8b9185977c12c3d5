// node:path — the POSIX flavour (a worker has no Windows paths); `path.posix` is itself.
(function () {
  "use strict";
  const check = (p, name = "path") => { if (typeof p !== "string") { const e = new TypeError(`The "${name}" argument must be of type string. Received ${p === null ? "null" : typeof p}`); e.code = "ERR_INVALID_ARG_TYPE"; throw e; } };
  function normalizeParts(path, absolute) {
    const out = [];
    for (const seg of path.split("/")) {
      if (seg === "" || seg === ".") continue;
      if (seg === "..") { if (out.length && out[out.length - 1] !== "..") out.pop(); else if (!absolute) out.push(".."); }
      else out.push(seg);
    }
    return out;
  }
  const path = {
    sep: "/", delimiter: ":",
    cwd: () => "/",
    normalize(p) {
      check(p);
      if (p === "") return ".";
      const abs = p.startsWith("/"), trailing = p.endsWith("/");
      let out = normalizeParts(p, abs).join("/");
      if (out === "" && !abs) out = ".";
      if (out !== "" && trailing) out += "/";
      return (abs ? "/" : "") + out;
    },
    join(...parts) {
      for (const p of parts) check(p);
      const joined = parts.filter((p) => p !== "").join("/");
      return joined === "" ? "." : path.normalize(joined);
    },
    resolve(...parts) {
      let resolved = "", abs = false;
      for (let i = parts.length - 1; i >= -1 && !abs; i--) {
        const p = i >= 0 ? parts[i] : "/";
        check(p);
        if (p === "") continue;
        resolved = p + "/" + resolved;
        abs = p.startsWith("/");
      }
      const out = normalizeParts(resolved, true).join("/");
      return "/" + out;
    },
    isAbsolute(p) { check(p); return p.startsWith("/"); },
    relative(from, to) {
      check(from, "from"); check(to, "to");
      const f = normalizeParts(path.resolve(from), true), t = normalizeParts(path.resolve(to), true);
      let i = 0;
      while (i < f.length && i < t.length && f[i] === t[i]) i++;
      return [...Array(f.length - i).fill(".."), ...t.slice(i)].join("/");
    },
    dirname(p) {
      check(p);
      if (p === "") return ".";
      const abs = p.startsWith("/");
      let end = p.length;
      while (end > 1 && p[end - 1] === "/") end--;
      const i = p.lastIndexOf("/", end - 1);
      if (i < 0) return ".";
      if (i === 0) return "/";
      let d = p.slice(0, i);
      while (d.length > 1 && d.endsWith("/")) d = d.slice(0, -1);
      return d || (abs ? "/" : ".");
    },
    basename(p, ext) {
      check(p);
      if (ext !== undefined) check(ext, "ext");
      let end = p.length;
      while (end > 0 && p[end - 1] === "/") end--;
      if (end === 0) return "";
      let base = p.slice(p.lastIndexOf("/", end - 1) + 1, end);
      if (ext !== undefined && base.endsWith(ext) && base !== ext) base = base.slice(0, base.length - ext.length);
      return base;
    },
    extname(p) {
      check(p);
      const base = path.basename(p);
      const i = base.lastIndexOf(".");
      return i <= 0 ? "" : base.slice(i);
    },
    parse(p) {
      check(p);
      const root = p.startsWith("/") ? "/" : "";
      const base = path.basename(p), ext = path.extname(p);
      let dir = path.dirname(p);
      if (dir === "." && !p.includes("/")) dir = "";
      return { root, dir, base, ext, name: ext ? base.slice(0, base.length - ext.length) : base };
    },
    format(o) {
      if (o === null || typeof o !== "object") throw new TypeError('The "pathObject" argument must be of type object');
      const dir = o.dir || o.root || "";
      const base = o.base || `${o.name || ""}${o.ext ? (o.ext.startsWith(".") ? "" : ".") + o.ext : ""}`;
      return dir ? (dir === o.root ? dir + base : dir + "/" + base) : base;
    },
    toNamespacedPath: (p) => p,
    matchesGlob: undefined,
  };
  delete path.matchesGlob;
  path.posix = path;
  path.default = path;
  return path;
})
