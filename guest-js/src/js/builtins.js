  // ---------------------------------------------------------------- built-ins compiled on first use
  // The `node:` modules and the larger Web APIs live outside the snapshot (see builtins.rs): the
  // first import, or the first read of their global, compiles the factory and runs it once.
  const builtinExports = new Map();
  let builtinShared = null;
  function builtin(name) {
    name = String(name);
    let m = builtinExports.get(name);
    if (m !== undefined) return m;
    const factory = native.builtin(name);
    if (factory === null) throw new TypeError(`there is no built-in named ${JSON.stringify(name)}`);
    if (builtinShared === null) {
      // A plain object, made without calling anything a script could have replaced (an
      // `Object.freeze` replaced before the first import would be handed `native`); only the
      // built-ins' factories ever see it.
      builtinShared = {
        native, builtin, define, DOMException, inspect, format, reportError, addTimer,
        utf8Encode, utf8Decode, copyBytes, isBufferSource, extractBody, bodyState, Blob, Headers,
        Request, Response, formEncode, formDecode,
        env: () => (worker === null ? {} : worker.env),
      };
    }
    m = factory(builtinShared);
    builtinExports.set(name, m);
    return m;
  }
  // The ES module the loader compiles for `import ... from "node:x"`: every export of the factory,
  // by name, and its `default` (the exports object itself when it names none).
  const EXPORT_NAME = /^[A-Za-z_$][\w$]*$/;
  function moduleSource(name) {
    const m = builtin(name);
    const out = [`const m = globalThis[Symbol.for("sandbox.internals")].builtin(${JSON.stringify(name)});`];
    for (const k of Object.keys(m)) if (k !== "default" && EXPORT_NAME.test(k)) out.push(`export const ${k} = m.${k};`);
    out.push(Object.prototype.hasOwnProperty.call(m, "default") ? "export default m.default;" : "export default m;");
    return out.join("\n");
  }
  // A global whose value comes from a built-in: defined on first read (or replaced on write).
  function lazyGlobal(name, module, key = name) {
    Object.defineProperty(G, name, {
      configurable: true, enumerable: false,
      get() { const v = builtin(module)[key]; define(name, v); return v; },
      set(v) { define(name, v); },
    });
  }
  for (const name of ["ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamDefaultController", "WritableStream",
    "WritableStreamDefaultWriter", "WritableStreamDefaultController", "TransformStream", "TransformStreamDefaultController",
    "CountQueuingStrategy", "ByteLengthQueuingStrategy", "TextEncoderStream", "TextDecoderStream", "CompressionStream",
    "DecompressionStream", "ReadableByteStreamController", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest"]) lazyGlobal(name, "web:streams");
  for (const name of ["Event", "EventTarget", "CustomEvent", "ErrorEvent", "PromiseRejectionEvent", "AbortController", "AbortSignal"]) lazyGlobal(name, "web:events");
  lazyGlobal("CryptoKey", "web:subtle");
  lazyGlobal("SubtleCrypto", "web:subtle");
  lazyGlobal("FormData", "web:formdata");
  lazyGlobal("File", "web:formdata");
  lazyGlobal("URLPattern", "web:urlpattern");
  lazyGlobal("Buffer", "node:buffer");
  lazyGlobal("process", "node:process", "default");
