// node:string_decoder — decode a byte stream chunk by chunk without splitting characters.
(function (I) {
  "use strict";
  const { encodingOf, decode } = I.builtin("node:buffer")._codec;
  class StringDecoder {
    #enc; #pending = new Uint8Array(0);
    constructor(encoding) { this.#enc = encodingOf(encoding); }
    get encoding() { return { utf8: "utf8", utf16le: "utf16le", latin1: "latin1", base64: "base64", base64url: "base64url", hex: "hex", ascii: "ascii" }[this.#enc]; }
    write(buf) {
      if (typeof buf === "string") return buf;
      const bytes = new Uint8Array(this.#pending.length + buf.length);
      bytes.set(this.#pending); bytes.set(buf, this.#pending.length);
      let keep = 0;
      if (this.#enc === "utf8") {
        // Hold back an incomplete character at the end.
        for (let i = bytes.length - 1, back = 0; i >= 0 && back < 4; i--, back++) {
          const b = bytes[i];
          if ((b & 0xc0) === 0x80) continue;
          const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
          if (need > back + 1) keep = back + 1;
          break;
        }
      } else if (this.#enc === "utf16le") keep = bytes.length % 2;
      else if (this.#enc === "base64" || this.#enc === "base64url") keep = bytes.length % 3;
      this.#pending = bytes.slice(bytes.length - keep);
      return decode(bytes.subarray(0, bytes.length - keep), this.#enc);
    }
    end(buf) {
      let out = buf === undefined ? "" : this.write(buf);
      if (this.#pending.length) { out += decode(this.#pending, this.#enc); this.#pending = new Uint8Array(0); }
      return out;
    }
  }
  return { StringDecoder, default: { StringDecoder } };
})
