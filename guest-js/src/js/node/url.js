// node:url — the WHATWG URL and URLSearchParams, file-URL helpers, and the legacy `format`.
(function () {
  "use strict";
  function fileURLToPath(url) {
    const u = typeof url === "string" ? new URL(url) : url;
    if (u.protocol !== "file:") { const e = new TypeError("The URL must be of scheme file"); e.code = "ERR_INVALID_URL_SCHEME"; throw e; }
    if (/%2f/i.test(u.pathname)) throw new TypeError("File URL path must not include encoded / characters");
    return decodeURIComponent(u.pathname);
  }
  function pathToFileURL(path) {
    const u = new URL("file://");
    u.pathname = String(path).split("/").map((s) => encodeURIComponent(s)).join("/");
    return u;
  }
  function format(u) {
    if (typeof u === "string") return u;
    if (u instanceof URL) return u.href;
    const auth = u.auth ? `${u.auth}@` : "";
    const host = u.host || (u.hostname ? u.hostname + (u.port ? `:${u.port}` : "") : "");
    const protocol = u.protocol ? (u.protocol.endsWith(":") ? u.protocol : u.protocol + ":") : "";
    const slashes = u.slashes || /^(https?|ftp|file|wss?):?$/.test(u.protocol || "") ? "//" : "";
    let search = u.search || (u.query && typeof u.query === "object" ? "?" + new URLSearchParams(u.query).toString() : u.query ? "?" + u.query : "");
    if (search && !search.startsWith("?")) search = "?" + search;
    const hash = u.hash ? (u.hash.startsWith("#") ? u.hash : "#" + u.hash) : "";
    return `${protocol}${slashes}${auth}${host}${u.pathname || ""}${search}${hash}`;
  }
  const url = { URL, URLSearchParams, fileURLToPath, pathToFileURL, format, domainToASCII: (d) => { try { return new URL(`http://${d}`).hostname; } catch { return ""; } } };
  url.default = url;
  return url;
})
