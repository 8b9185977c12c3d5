// node:buffer — Buffer as a Uint8Array subclass (the API most packages use), plus Blob, atob and
// btoa. Encodings: utf8, hex, base64, base64url, latin1/binary, ascii, utf16le/ucs2.
(function (I) {
  "use strict";
  const ENCODINGS = new Map([
    ["utf8", "utf8"], ["utf-8", "utf8"], ["hex", "hex"], ["base64", "base64"], ["base64url", "base64url"],
    ["latin1", "latin1"], ["binary", "latin1"], ["ascii", "ascii"], ["utf16le", "utf16le"], ["utf-16le", "utf16le"],
    ["ucs2", "utf16le"], ["ucs-2", "utf16le"],
  ]);
  function encodingOf(enc) {
    if (enc === undefined || enc === null) return "utf8";
    const e = ENCODINGS.get(String(enc).toLowerCase());
    if (e === undefined) { const err = new TypeError(`Unknown encoding: ${enc}`); err.code = "ERR_UNKNOWN_ENCODING"; throw err; }
    return e;
  }
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const B64_VALUE = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) { B64_VALUE[B64.charCodeAt(i)] = i; B64_VALUE[B64URL.charCodeAt(i)] = i; }
  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

  function encode(string, enc) {
    string = String(string);
    switch (enc) {
      case "utf8": return I.utf8Encode(string);
      case "hex": {
        const n = string.length >>> 1, out = new Uint8Array(n);
        let i = 0;
        for (; i < n; i++) {
          const b = parseInt(string.substr(i * 2, 2), 16);
          if (Number.isNaN(b) || !/^[0-9a-fA-F]{2}$/.test(string.substr(i * 2, 2))) break; // Node stops at the first bad pair
          out[i] = b;
        }
        return i === n ? out : out.slice(0, i);
      }
      case "base64": case "base64url": {
        // Node is lenient: both alphabets, whitespace and missing padding are accepted.
        const out = new Uint8Array(Math.floor((string.length * 3) / 4) + 3);
        let acc = 0, bits = 0, n = 0;
        for (let i = 0; i < string.length; i++) {
          const c = string.charCodeAt(i);
          if (c === 61) break; // '='
          const v = c < 128 ? B64_VALUE[c] : -1;
          if (v < 0) continue;
          acc = (acc << 6) | v; bits += 6;
          if (bits >= 8) { bits -= 8; out[n++] = (acc >> bits) & 255; }
        }
        return out.slice(0, n);
      }
      case "latin1": case "ascii": {
        const out = new Uint8Array(string.length);
        for (let i = 0; i < string.length; i++) out[i] = string.charCodeAt(i) & 255;
        return out;
      }
      case "utf16le": {
        const out = new Uint8Array(string.length * 2);
        for (let i = 0; i < string.length; i++) { const c = string.charCodeAt(i); out[i * 2] = c & 255; out[i * 2 + 1] = c >> 8; }
        return out;
      }
    }
  }
  function decode(bytes, enc) {
    switch (enc) {
      case "utf8": return I.utf8Decode(bytes, false);
      case "hex": { let s = ""; for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]]; return s; }
      case "base64": case "base64url": {
        const A = enc === "base64" ? B64 : B64URL;
        let s = "";
        let i = 0;
        for (; i + 2 < bytes.length; i += 3) {
          const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
          s += A[n >> 18] + A[(n >> 12) & 63] + A[(n >> 6) & 63] + A[n & 63];
        }
        const rest = bytes.length - i;
        if (rest === 1) { const n = bytes[i] << 16; s += A[n >> 18] + A[(n >> 12) & 63] + (enc === "base64" ? "==" : ""); }
        else if (rest === 2) { const n = (bytes[i] << 16) | (bytes[i + 1] << 8); s += A[n >> 18] + A[(n >> 12) & 63] + A[(n >> 6) & 63] + (enc === "base64" ? "=" : ""); }
        return s;
      }
      case "latin1": { let s = ""; for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096)); return s; }
      case "ascii": { let s = ""; for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] & 127); return s; }
      case "utf16le": { let s = ""; for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8)); return s; }
    }
  }
  const rangeError = (name, value, range) => { const e = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${value}`); e.code = "ERR_OUT_OF_RANGE"; return e; };
  const argType = (name, what, value) => { const e = new TypeError(`The "${name}" argument must be ${what}. Received ${value === null ? "null" : typeof value}`); e.code = "ERR_INVALID_ARG_TYPE"; return e; };
  function checkOffset(buf, offset, size) {
    if (offset === undefined) offset = 0;
    if (typeof offset !== "number") throw argType("offset", "of type number", offset);
    if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length) throw rangeError("offset", offset, `>= 0 and <= ${buf.length - size}`);
    return offset;
  }
  const kMaxLength = 2 ** 32;

  class Buffer extends Uint8Array {
    // new Buffer(...) is deprecated in Node; it still works, as Buffer.from / Buffer.alloc.
    constructor(arg, encOrOffset, length) {
      if (typeof arg === "number") { super(arg); return; }
      if (arg instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && arg instanceof SharedArrayBuffer)) {
        super(arg, encOrOffset === undefined ? 0 : encOrOffset, length === undefined ? arg.byteLength - (encOrOffset || 0) : length);
        return;
      }
      const bytes = typeof arg === "string" ? encode(arg, encodingOf(encOrOffset)) : Uint8Array.from(arg);
      super(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    static get [Symbol.species]() { return Buffer; }
    static from(value, encOrOffset, length) {
      if (typeof value === "string") { const b = encode(value, encodingOf(encOrOffset)); return new Buffer(b.buffer, b.byteOffset, b.length); }
      if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)) {
        const off = encOrOffset === undefined ? 0 : Number(encOrOffset);
        const len = length === undefined ? value.byteLength - off : Number(length);
        if (off < 0 || off > value.byteLength) throw rangeError("offset", off, `>= 0 and <= ${value.byteLength}`);
        if (len < 0 || off + len > value.byteLength) throw rangeError("length", len, `>= 0 and <= ${value.byteLength - off}`);
        return new Buffer(value, off, len);
      }
      if (ArrayBuffer.isView(value)) {
        const copy = new Uint8Array(value.byteLength);
        if (value instanceof Uint8Array) copy.set(value);
        else if (value instanceof DataView) copy.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        else for (let i = 0; i < value.length; i++) copy[i] = value[i] & 255; // element-wise, as Node
        return new Buffer(copy.buffer, 0, copy.length);
      }
      if (value !== null && typeof value === "object") {
        if (value.type === "Buffer" && Array.isArray(value.data)) return Buffer.from(value.data);
        if (Array.isArray(value) || typeof value.length === "number") {
          const b = Buffer.alloc(value.length >>> 0);
          for (let i = 0; i < b.length; i++) b[i] = Number(value[i]) & 255;
          return b;
        }
        if (typeof value.valueOf === "function" && value.valueOf() !== value) return Buffer.from(value.valueOf(), encOrOffset, length);
        if (typeof value[Symbol.toPrimitive] === "function") return Buffer.from(value[Symbol.toPrimitive]("string"), encOrOffset, length);
      }
      throw argType("first", "of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object", value);
    }
    static alloc(size, fill, enc) {
      if (typeof size !== "number") throw argType("size", "of type number", size);
      if (!(size >= 0 && size <= kMaxLength)) throw rangeError("size", size, `>= 0 && <= ${kMaxLength}`);
      const b = new Buffer(size);
      if (fill !== undefined && fill !== 0) b.fill(fill, 0, b.length, enc);
      return b;
    }
    static allocUnsafe(size) { return Buffer.alloc(size); }
    static allocUnsafeSlow(size) { return Buffer.alloc(size); }
    static isBuffer(b) { return b instanceof Buffer; }
    static isEncoding(enc) { return typeof enc === "string" && ENCODINGS.has(enc.toLowerCase()); }
    static byteLength(value, enc) {
      if (typeof value !== "string") {
        if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
        throw argType("string", "of type string or an instance of Buffer or ArrayBuffer", value);
      }
      return encode(value, encodingOf(enc)).length;
    }
    static concat(list, totalLength) {
      if (!Array.isArray(list)) throw argType("list", "an instance of Array", list);
      if (totalLength === undefined) totalLength = list.reduce((n, b) => n + b.length, 0);
      const out = Buffer.alloc(totalLength);
      let off = 0;
      for (const b of list) {
        if (!(b instanceof Uint8Array)) throw argType("list[i]", "an instance of Buffer or Uint8Array", b);
        if (off >= totalLength) break;
        const part = b.length > totalLength - off ? b.subarray(0, totalLength - off) : b;
        out.set(part, off); off += part.length;
      }
      return out;
    }
    static compare(a, b) {
      if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) throw argType("buf1", "an instance of Buffer or Uint8Array", a);
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
    }
    get parent() { return this.buffer; }
    get offset() { return this.byteOffset; }
    toString(enc, start, end) {
      start = start === undefined ? 0 : Math.max(0, start | 0);
      end = end === undefined ? this.length : Math.min(this.length, end | 0);
      if (end <= start) return "";
      return decode(start === 0 && end === this.length ? this : this.subarray(start, end), encodingOf(enc));
    }
    toJSON() { return { type: "Buffer", data: Array.from(this) }; }
    toLocaleString(enc, start, end) { return this.toString(enc, start, end); }
    equals(other) {
      if (!(other instanceof Uint8Array)) throw argType("otherBuffer", "an instance of Buffer or Uint8Array", other);
      return Buffer.compare(this, other) === 0;
    }
    compare(target, tStart = 0, tEnd = target.length, sStart = 0, sEnd = this.length) {
      return Buffer.compare(this.subarray(sStart, sEnd), target.subarray(tStart, tEnd));
    }
    copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
      sourceEnd = Math.min(sourceEnd, this.length, sourceStart + (target.length - targetStart));
      if (sourceEnd <= sourceStart) return 0;
      target.set(this.subarray(sourceStart, sourceEnd), targetStart);
      return sourceEnd - sourceStart;
    }
    // Node's slice shares memory (as subarray), unlike Uint8Array's.
    slice(start, end) { return this.subarray(start, end); }
    write(string, offset, length, enc) {
      if (typeof offset === "string") { enc = offset; offset = 0; length = undefined; }
      else if (typeof length === "string") { enc = length; length = undefined; }
      offset = offset === undefined ? 0 : offset >>> 0;
      const bytes = encode(string, encodingOf(enc));
      let n = Math.min(bytes.length, this.length - offset, length === undefined ? Infinity : length >>> 0);
      if (encodingOf(enc) === "utf8") while (n > 0 && n < bytes.length && (bytes[n] & 0xc0) === 0x80) n--; // whole characters only
      this.set(bytes.subarray(0, n), offset);
      return n;
    }
    fill(value, offset = 0, end = this.length, enc) {
      if (typeof offset === "string") { enc = offset; offset = 0; end = this.length; }
      else if (typeof end === "string") { enc = end; end = this.length; }
      if (offset < 0 || end > this.length) throw rangeError("offset", offset, `>= 0 and <= ${this.length}`);
      if (typeof value === "number") { Uint8Array.prototype.fill.call(this, value & 255, offset, end); return this; }
      if (typeof value === "boolean") { Uint8Array.prototype.fill.call(this, +value, offset, end); return this; }
      const pattern = typeof value === "string" ? encode(value, encodingOf(enc)) : value instanceof Uint8Array ? value : Buffer.from(value);
      if (pattern.length === 0) { Uint8Array.prototype.fill.call(this, 0, offset, end); return this; }
      for (let i = offset, j = 0; i < end; i++, j = (j + 1) % pattern.length) this[i] = pattern[j];
      return this;
    }
    indexOf(value, byteOffset = 0, enc) {
      if (typeof byteOffset === "string") { enc = byteOffset; byteOffset = 0; }
      if (byteOffset < 0) byteOffset = Math.max(0, this.length + byteOffset);
      if (typeof value === "number") return Uint8Array.prototype.indexOf.call(this, value & 255, byteOffset);
      const needle = typeof value === "string" ? encode(value, encodingOf(enc)) : value;
      if (needle.length === 0) return Math.min(byteOffset, this.length);
      outer: for (let i = byteOffset; i <= this.length - needle.length; i++) {
        for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    }
    lastIndexOf(value, byteOffset = this.length, enc) {
      if (typeof byteOffset === "string") { enc = byteOffset; byteOffset = this.length; }
      if (byteOffset < 0) byteOffset = this.length + byteOffset;
      if (typeof value === "number") return Uint8Array.prototype.lastIndexOf.call(this, value & 255, byteOffset);
      const needle = typeof value === "string" ? encode(value, encodingOf(enc)) : value;
      outer: for (let i = Math.min(byteOffset, this.length - needle.length); i >= 0; i--) {
        for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    }
    includes(value, byteOffset, enc) { return this.indexOf(value, byteOffset, enc) !== -1; }
    #view() { return new DataView(this.buffer, this.byteOffset, this.byteLength); }
    readUInt8(o) { return this.#view().getUint8(checkOffset(this, o, 1)); }
    readUInt16LE(o) { return this.#view().getUint16(checkOffset(this, o, 2), true); }
    readUInt16BE(o) { return this.#view().getUint16(checkOffset(this, o, 2), false); }
    readUInt32LE(o) { return this.#view().getUint32(checkOffset(this, o, 4), true); }
    readUInt32BE(o) { return this.#view().getUint32(checkOffset(this, o, 4), false); }
    readInt8(o) { return this.#view().getInt8(checkOffset(this, o, 1)); }
    readInt16LE(o) { return this.#view().getInt16(checkOffset(this, o, 2), true); }
    readInt16BE(o) { return this.#view().getInt16(checkOffset(this, o, 2), false); }
    readInt32LE(o) { return this.#view().getInt32(checkOffset(this, o, 4), true); }
    readInt32BE(o) { return this.#view().getInt32(checkOffset(this, o, 4), false); }
    readBigUInt64LE(o) { return this.#view().getBigUint64(checkOffset(this, o, 8), true); }
    readBigUInt64BE(o) { return this.#view().getBigUint64(checkOffset(this, o, 8), false); }
    readBigInt64LE(o) { return this.#view().getBigInt64(checkOffset(this, o, 8), true); }
    readBigInt64BE(o) { return this.#view().getBigInt64(checkOffset(this, o, 8), false); }
    readFloatLE(o) { return this.#view().getFloat32(checkOffset(this, o, 4), true); }
    readFloatBE(o) { return this.#view().getFloat32(checkOffset(this, o, 4), false); }
    readDoubleLE(o) { return this.#view().getFloat64(checkOffset(this, o, 8), true); }
    readDoubleBE(o) { return this.#view().getFloat64(checkOffset(this, o, 8), false); }
    readUIntBE(o, n) { checkOffset(this, o, n); let v = 0; for (let i = 0; i < n; i++) v = v * 256 + this[o + i]; return v; }
    readUIntLE(o, n) { checkOffset(this, o, n); let v = 0; for (let i = n - 1; i >= 0; i--) v = v * 256 + this[o + i]; return v; }
    readIntBE(o, n) { const v = this.readUIntBE(o, n); return v >= 2 ** (8 * n - 1) ? v - 2 ** (8 * n) : v; }
    readIntLE(o, n) { const v = this.readUIntLE(o, n); return v >= 2 ** (8 * n - 1) ? v - 2 ** (8 * n) : v; }
    #write(value, o, size, min, max, set) {
      o = checkOffset(this, o, size);
      if (typeof value === "number" && (value < min || value > max)) throw rangeError("value", value, `>= ${min} and <= ${max}`);
      set(this.#view(), o, value);
      return o + size;
    }
    writeUInt8(v, o) { return this.#write(v, o, 1, 0, 255, (d, i, x) => d.setUint8(i, x)); }
    writeUInt16LE(v, o) { return this.#write(v, o, 2, 0, 65535, (d, i, x) => d.setUint16(i, x, true)); }
    writeUInt16BE(v, o) { return this.#write(v, o, 2, 0, 65535, (d, i, x) => d.setUint16(i, x, false)); }
    writeUInt32LE(v, o) { return this.#write(v, o, 4, 0, 4294967295, (d, i, x) => d.setUint32(i, x, true)); }
    writeUInt32BE(v, o) { return this.#write(v, o, 4, 0, 4294967295, (d, i, x) => d.setUint32(i, x, false)); }
    writeInt8(v, o) { return this.#write(v, o, 1, -128, 127, (d, i, x) => d.setInt8(i, x)); }
    writeInt16LE(v, o) { return this.#write(v, o, 2, -32768, 32767, (d, i, x) => d.setInt16(i, x, true)); }
    writeInt16BE(v, o) { return this.#write(v, o, 2, -32768, 32767, (d, i, x) => d.setInt16(i, x, false)); }
    writeInt32LE(v, o) { return this.#write(v, o, 4, -2147483648, 2147483647, (d, i, x) => d.setInt32(i, x, true)); }
    writeInt32BE(v, o) { return this.#write(v, o, 4, -2147483648, 2147483647, (d, i, x) => d.setInt32(i, x, false)); }
    writeBigUInt64LE(v, o) { return this.#write(v, o, 8, 0, Infinity, (d, i, x) => d.setBigUint64(i, x, true)); }
    writeBigUInt64BE(v, o) { return this.#write(v, o, 8, 0, Infinity, (d, i, x) => d.setBigUint64(i, x, false)); }
    writeBigInt64LE(v, o) { return this.#write(v, o, 8, -Infinity, Infinity, (d, i, x) => d.setBigInt64(i, x, true)); }
    writeBigInt64BE(v, o) { return this.#write(v, o, 8, -Infinity, Infinity, (d, i, x) => d.setBigInt64(i, x, false)); }
    writeFloatLE(v, o) { return this.#write(v, o, 4, -Infinity, Infinity, (d, i, x) => d.setFloat32(i, x, true)); }
    writeFloatBE(v, o) { return this.#write(v, o, 4, -Infinity, Infinity, (d, i, x) => d.setFloat32(i, x, false)); }
    writeDoubleLE(v, o) { return this.#write(v, o, 8, -Infinity, Infinity, (d, i, x) => d.setFloat64(i, x, true)); }
    writeDoubleBE(v, o) { return this.#write(v, o, 8, -Infinity, Infinity, (d, i, x) => d.setFloat64(i, x, false)); }
    #swap(size) {
      if (this.length % size !== 0) throw new RangeError(`Buffer size must be a multiple of ${size * 8}-bits`);
      for (let i = 0; i < this.length; i += size) for (let a = i, b = i + size - 1; a < b; a++, b--) { const t = this[a]; this[a] = this[b]; this[b] = t; }
      return this;
    }
    swap16() { return this.#swap(2); }
    swap32() { return this.#swap(4); }
    swap64() { return this.#swap(8); }
  }
  // The lower-case aliases Node also has.
  for (const n of ["UInt8", "UInt16LE", "UInt16BE", "UInt32LE", "UInt32BE", "BigUInt64LE", "BigUInt64BE", "UIntLE", "UIntBE"]) {
    Buffer.prototype["read" + n.replace("UInt", "Uint")] = Buffer.prototype["read" + n];
    if (Buffer.prototype["write" + n]) Buffer.prototype["write" + n.replace("UInt", "Uint")] = Buffer.prototype["write" + n];
  }
  Buffer.poolSize = 8192;
  const isUtf8 = (input) => { try { I.utf8Decode(input, true); return true; } catch { return false; } };
  const isAscii = (input) => { const b = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength); for (let i = 0; i < b.length; i++) if (b[i] > 127) return false; return true; };
  const exports = {
    Buffer, SlowBuffer: Buffer, Blob: I.Blob, atob: globalThis.atob, btoa: globalThis.btoa, isUtf8, isAscii,
    kMaxLength, kStringMaxLength: 2 ** 29 - 24, constants: { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: 2 ** 29 - 24 },
    INSPECT_MAX_BYTES: 50,
  };
  // Shared with node:string_decoder and node:crypto (not an export: non-enumerable).
  Object.defineProperty(exports, "_codec", { value: { encode, decode, encodingOf }, enumerable: false });
  return exports;
})
