  // ---------------------------------------------------------------- crypto
  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  const crypto = {
    getRandomValues(array) {
      if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView)
        throw new DOMException("getRandomValues: the argument must be an integer TypedArray", "TypeMismatchError");
      if (array.byteLength > 65536) throw new DOMException(`getRandomValues: ${array.byteLength} bytes requested, at most 65536 allowed`, "QuotaExceededError");
      native.randomFill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return array;
    },
    randomUUID() {
      const b = new Uint8Array(16);
      native.randomFill(b);
      b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => HEX[x]).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    // Web Crypto, compiled on first use (js/subtle.js).
    get subtle() { return builtin("web:subtle").subtle; },
    get [Symbol.toStringTag]() { return "Crypto"; },
  };
  define("crypto", crypto);

