  // ---------------------------------------------------------------- files (env.FILES)
  // Over the `files` natives (generated from the WIT `files` interface).
  // Files: a directory the supervisor lends.
  const FILE_TYPES = new Set(["text", "json", "arrayBuffer", "bytes"]);
  function filePath(path) {
    if (typeof path !== "string") throw new TypeError("FILES: a path must be a string");
    return path;
  }
  function makeFiles(name) {
    return Object.freeze({
      async read(path, options) {
        const type = typeof options === "string" ? options : (options && options.type) || "text";
        if (!FILE_TYPES.has(type)) throw new TypeError(`FILES.read(): unknown type "${type}"; use "text", "json", "arrayBuffer" or "bytes"`);
        const bytes = await hostCall(native.files.read(name, filePath(path)));
        if (bytes === null) return null;
        if (type === "bytes") return bytes;
        if (type === "arrayBuffer") return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        const text = native.utf8Decode(bytes);
        return type === "json" ? JSON.parse(text) : text;
      },
      async write(path, data) {
        const bytes = typeof data === "string" ? native.utf8Encode(data.toWellFormed())
          : data instanceof ArrayBuffer ? new Uint8Array(data)
          : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : null;
        if (bytes === null) throw new TypeError("FILES.write(): data must be a string, an ArrayBuffer or an ArrayBufferView");
        await hostCall(native.files.write(name, filePath(path), bytes));
      },
      async list(path) {
        return JSON.parse(await hostCall(native.files.listDir(name, path === undefined ? "" : filePath(path))));
      },
      async delete(path) {
        await hostCall(native.files.delete(name, filePath(path)));
      },
    });
  }
  bindingKinds.set("files", makeFiles);
