// FormData and File (XHR and File API specs), the multipart/form-data and
// application/x-www-form-urlencoded parsers behind `body.formData()`, and the multipart
// serializer behind `new Response(formData)` / `fetch(url, { body: formData })`.
(function (I) {
  "use strict";
  const { Blob } = I;
  class File extends Blob {
    #name; #lastModified;
    constructor(bits, name, options = {}) {
      if (arguments.length < 2) throw new TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
      super(bits, options);
      this.#name = String(name);
      this.#lastModified = options.lastModified === undefined ? Date.now() : Number(options.lastModified);
    }
    get name() { return this.#name; }
    get lastModified() { return this.#lastModified; }
    get webkitRelativePath() { return ""; }
    get [Symbol.toStringTag]() { return "File"; }
  }
  // A FormData entry's value: a string, or a File (a Blob is wrapped as a File named "blob").
  function entryValue(value, filename) {
    if (value instanceof Blob) {
      if (value instanceof File && filename === undefined) return value;
      return new File([value], filename === undefined ? (value instanceof File ? value.name : "blob") : String(filename), { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
    }
    return String(value).toWellFormed();
  }
  class FormData {
    #entries = [];
    constructor(form) { if (form !== undefined) throw new TypeError("Failed to construct 'FormData': there are no HTML forms in a worker"); }
    append(name, value, filename) {
      if (arguments.length < 2) throw new TypeError(`Failed to execute 'append' on 'FormData': 2 arguments required, but only ${arguments.length} present.`);
      this.#entries.push([String(name).toWellFormed(), entryValue(value, filename)]);
    }
    set(name, value, filename) {
      if (arguments.length < 2) throw new TypeError(`Failed to execute 'set' on 'FormData': 2 arguments required, but only ${arguments.length} present.`);
      name = String(name).toWellFormed();
      const entry = [name, entryValue(value, filename)];
      const i = this.#entries.findIndex(([n]) => n === name);
      if (i < 0) this.#entries.push(entry);
      else { this.#entries[i] = entry; this.#entries = this.#entries.filter(([n], j) => n !== name || j === i); }
    }
    delete(name) { name = String(name); this.#entries = this.#entries.filter(([n]) => n !== name); }
    get(name) { name = String(name); const e = this.#entries.find(([n]) => n === name); return e === undefined ? null : e[1]; }
    getAll(name) { name = String(name); return this.#entries.filter(([n]) => n === name).map(([, v]) => v); }
    has(name) { name = String(name); return this.#entries.some(([n]) => n === name); }
    forEach(fn, thisArg) { for (const [n, v] of this.#entries) fn.call(thisArg, v, n, this); }
    *entries() { for (const [n, v] of this.#entries) yield [n, v]; }
    *keys() { for (const [n] of this.#entries) yield n; }
    *values() { for (const [, v] of this.#entries) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return "FormData"; }
  }

  // ------------------------------------------------------------ serializing (multipart)
  const escapeHeaderName = (s) => s.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
  function serialize(form) {
    const rnd = new Uint8Array(12);
    I.native.randomFill(rnd);
    const boundary = "----formdata-sandbox-" + Array.from(rnd, (b) => b.toString(16).padStart(2, "0")).join("");
    const parts = [];
    for (const [name, value] of form) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeHeaderName(name.replace(/\r\n|\r|\n/g, "\r\n"))}"`;
      if (typeof value === "string") {
        parts.push(I.utf8Encode(`${head}\r\n\r\n${value.replace(/\r\n|\r|\n/g, "\r\n")}\r\n`));
      } else {
        head += `; filename="${escapeHeaderName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
        parts.push(I.utf8Encode(head), value._bytes(), I.utf8Encode("\r\n"));
      }
    }
    parts.push(I.utf8Encode(`--${boundary}--\r\n`));
    const total = parts.reduce((n, p) => n + p.length, 0), bytes = new Uint8Array(total);
    let o = 0; for (const p of parts) { bytes.set(p, o); o += p.length; }
    return { bytes, type: `multipart/form-data; boundary=${boundary}` };
  }

  // ------------------------------------------------------------ parsing
  // A parameter of a header value (`boundary=...`, `name="..."`), quoted or not.
  function param(header, key) {
    const re = new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
    const m = re.exec(header);
    if (m === null) return null;
    return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
  }
  const indexOf = (hay, needle, from) => {
    const first = needle[0], last = hay.length - needle.length;
    outer: for (let i = from; i <= last; i++) {
      if (hay[i] !== first) { const j = hay.indexOf(first, i + 1); if (j < 0) return -1; i = j - 1; continue; }
      for (let k = 1; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
      return i;
    }
    return -1;
  };
  const bad = (why) => new TypeError(`Failed to parse body as FormData: ${why}`);
  function parseMultipart(bytes, boundary) {
    if (!boundary || boundary.length > 70) throw bad("the multipart boundary is missing or longer than 70 characters");
    const delim = I.utf8Encode(`--${boundary}`);
    const form = new FormData();
    let pos = indexOf(bytes, delim, 0);
    if (pos < 0) throw bad("the body does not contain the boundary");
    for (;;) {
      pos += delim.length;
      if (bytes[pos] === 45 && bytes[pos + 1] === 45) return form; // "--": the closing delimiter
      if (bytes[pos] === 13 && bytes[pos + 1] === 10) pos += 2; else throw bad("a boundary is not followed by CRLF");
      const headEnd = indexOf(bytes, I.utf8Encode("\r\n\r\n"), pos);
      if (headEnd < 0) throw bad("a part has no end of headers");
      const head = I.utf8Decode(bytes.subarray(pos, headEnd), false);
      const next = indexOf(bytes, I.utf8Encode(`\r\n--${boundary}`), headEnd + 4);
      if (next < 0) throw bad("a part is not closed by the boundary");
      const body = bytes.subarray(headEnd + 4, next);
      let disposition = null, type = "";
      for (const line of head.split("\r\n")) {
        const i = line.indexOf(":");
        if (i < 0) continue;
        const k = line.slice(0, i).trim().toLowerCase(), v = line.slice(i + 1).trim();
        if (k === "content-disposition") disposition = v;
        else if (k === "content-type") type = v;
      }
      if (disposition === null || !/^form-data\b/i.test(disposition)) throw bad("a part has no Content-Disposition: form-data");
      const name = param(disposition, "name");
      if (name === null) throw bad("a part has no name");
      const filename = param(disposition, "filename");
      if (filename !== null) form.append(name, new File([body], filename, { type }));
      else form.append(name, I.utf8Decode(body, false));
      pos = next + 2;
    }
  }
  function parseUrlencoded(bytes) {
    const form = new FormData();
    for (const [k, v] of new URLSearchParams(I.utf8Decode(bytes, false))) form.append(k, v);
    return form;
  }
  function parseBody(bytes, contentType) {
    const type = (contentType || "").split(";")[0].trim().toLowerCase();
    if (type === "multipart/form-data") return parseMultipart(bytes, param(contentType, "boundary"));
    if (type === "application/x-www-form-urlencoded") return parseUrlencoded(bytes);
    throw bad(`the Content-Type is ${contentType === null ? "missing" : JSON.stringify(contentType)}, not multipart/form-data or application/x-www-form-urlencoded`);
  }
  return { FormData, File, parseBody, serialize };
})
