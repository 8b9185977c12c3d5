// node:crypto — hashes and HMACs (createHash/createHmac, incremental), random bytes and UUIDs,
// timingSafeEqual, PBKDF2/HKDF, and the Web Crypto object (webcrypto, subtle). Ciphers
// (createCipheriv) and KeyObject are not here: use crypto.subtle.
(function (I) {
  "use strict";
  const N = I.native;
  const { Buffer, _codec } = I.builtin("node:buffer");
  const HASHES = new Map([
    ["md5", "MD5"], ["sha1", "SHA-1"], ["sha-1", "SHA-1"], ["sha256", "SHA-256"], ["sha-256", "SHA-256"],
    ["sha384", "SHA-384"], ["sha-384", "SHA-384"], ["sha512", "SHA-512"], ["sha-512", "SHA-512"],
    ["rsa-sha256", "SHA-256"], ["rsa-sha1", "SHA-1"],
  ]);
  function hashName(alg) {
    const h = HASHES.get(String(alg).toLowerCase());
    if (h === undefined) { const e = new Error(`Digest method not supported: ${alg}`); e.code = "ERR_CRYPTO_INVALID_DIGEST"; throw e; }
    return h;
  }
  function toBytes(data, enc, what) {
    if (typeof data === "string") return _codec.encode(data, _codec.encodingOf(enc));
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const e = new TypeError(`The "${what}" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${data === null ? "null" : typeof data}`);
    e.code = "ERR_INVALID_ARG_TYPE";
    throw e;
  }
  const output = (bytes, enc) => { const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length); return enc === undefined || enc === "buffer" ? b : b.toString(enc); };
  // The data is kept until digest(): the natives hash in one pass (fast in the guest).
  class Hash {
    #alg; #key; #chunks = []; #done = false;
    constructor(alg, key) { this.#alg = alg; this.#key = key; }
    update(data, enc) {
      if (this.#done) { const e = new Error("Digest already called"); e.code = "ERR_CRYPTO_HASH_FINALIZED"; throw e; }
      this.#chunks.push(toBytes(data, enc, "data").slice());
      return this;
    }
    digest(enc) {
      if (this.#done) { const e = new Error("Digest already called"); e.code = "ERR_CRYPTO_HASH_FINALIZED"; throw e; }
      this.#done = true;
      const total = this.#chunks.reduce((n, c) => n + c.length, 0), all = new Uint8Array(total);
      let o = 0; for (const c of this.#chunks) { all.set(c, o); o += c.length; }
      this.#chunks = [];
      return output(this.#key === null ? N.cryptoDigest(this.#alg, all) : N.cryptoHmac(this.#alg, this.#key, all), enc);
    }
    copy() {
      if (this.#done || this.#key !== null) throw new Error("Digest already called");
      const h = new Hash(this.#alg, null);
      for (const c of this.#chunks) h.update(c);
      return h;
    }
  }
  const createHash = (alg) => new Hash(hashName(alg), null);
  const createHmac = (alg, key, options) => new Hash(hashName(alg), toBytes(key, options && options.encoding, "key").slice());
  const hash = (alg, data, enc = "hex") => createHash(alg).update(data).digest(enc);
  function randomBytes(size, cb) {
    if (typeof size !== "number" || size < 0 || size > 2 ** 31 - 1 || !Number.isInteger(size)) { const e = new RangeError(`The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ${size}`); e.code = "ERR_OUT_OF_RANGE"; throw e; }
    const b = Buffer.alloc(size);
    for (let o = 0; o < size; o += 65536) N.randomFill(b.subarray(o, Math.min(size, o + 65536)));
    if (typeof cb === "function") { queueMicrotask(() => cb(null, b)); return undefined; }
    return b;
  }
  function randomInt(min, max, cb) {
    if (max === undefined || typeof max === "function") { cb = max; max = min; min = 0; }
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min) throw new RangeError(`The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`);
    const range = max - min;
    // Rejection sampling over 48 bits: no modulo bias.
    const limit = 2 ** 48 - (2 ** 48 % range);
    let x;
    do { const b = randomBytes(6); x = b.readUIntBE(0, 6); } while (x >= limit);
    const r = min + (x % range);
    if (typeof cb === "function") { queueMicrotask(() => cb(null, r)); return undefined; }
    return r;
  }
  function timingSafeEqual(a, b) {
    const x = toBytes(a, undefined, "buf1"), y = toBytes(b, undefined, "buf2");
    if (x.length !== y.length) { const e = new RangeError("Input buffers must have the same byte length"); e.code = "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH"; throw e; }
    let d = 0;
    for (let i = 0; i < x.length; i++) d |= x[i] ^ y[i];
    return d === 0;
  }
  function pbkdf2Sync(password, salt, iterations, keylen, digest) {
    if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`The value of "iterations" is out of range. It must be >= 1. Received ${iterations}`);
    const h = hashName(digest);
    if (h === "MD5") throw new Error("pbkdf2 with md5 is not supported here");
    return Buffer.from(N.cryptoPbkdf2(h, toBytes(password, undefined, "password"), toBytes(salt, undefined, "salt"), iterations, keylen).buffer);
  }
  function pbkdf2(password, salt, iterations, keylen, digest, cb) {
    let r, err = null;
    try { r = pbkdf2Sync(password, salt, iterations, keylen, digest); } catch (e) { err = e; }
    queueMicrotask(() => cb(err, r));
  }
  function hkdfSync(digest, ikm, salt, info, keylen) {
    const h = hashName(digest);
    return N.cryptoHkdf(h, toBytes(ikm, undefined, "ikm"), toBytes(salt, undefined, "salt"), toBytes(info, undefined, "info"), keylen).slice().buffer;
  }
  function hkdf(digest, ikm, salt, info, keylen, cb) {
    let r, err = null;
    try { r = hkdfSync(digest, ikm, salt, info, keylen); } catch (e) { err = e; }
    queueMicrotask(() => cb(err, r));
  }
  const unsupported = (name) => () => { throw new Error(`crypto.${name}() is not supported by this runtime; use crypto.subtle`); };
  const webcrypto = globalThis.crypto;
  const exports = {
    createHash, createHmac, hash, randomBytes, pseudoRandomBytes: randomBytes, randomFillSync: (b) => webcrypto.getRandomValues(b), randomInt,
    randomUUID: () => webcrypto.randomUUID(), getRandomValues: (b) => webcrypto.getRandomValues(b), timingSafeEqual,
    pbkdf2, pbkdf2Sync, hkdf, hkdfSync,
    getHashes: () => ["md5", "sha1", "sha256", "sha384", "sha512"],
    getCiphers: () => [], getCurves: () => ["prime256v1", "secp384r1"],
    webcrypto, get subtle() { return webcrypto.subtle; },
    createCipheriv: unsupported("createCipheriv"), createDecipheriv: unsupported("createDecipheriv"),
    createSign: unsupported("createSign"), createVerify: unsupported("createVerify"),
    createPrivateKey: unsupported("createPrivateKey"), createPublicKey: unsupported("createPublicKey"), createSecretKey: unsupported("createSecretKey"),
    generateKeyPairSync: unsupported("generateKeyPairSync"), scryptSync: unsupported("scryptSync"),
    constants: {},
  };
  exports.default = { ...exports };
  delete exports.default.default;
  return exports;
})
