  // ---------------------------------------------------------------- helpers
  const toWellFormed = (s) => (typeof s.toWellFormed === "function" ? s.toWellFormed() : s);
  const utf8Encode = (s) => native.utf8Encode(toWellFormed(String(s)));
  const utf8Decode = (bytes, fatal) => native.utf8Decode(bytes, !!fatal);
  const isBufferSource = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  const copyBytes = (v) => {
    if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0));
    return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  };

