// crypto.subtle, CryptoKey and SubtleCrypto (W3C Web Cryptography API). The primitives are
// natives over RustCrypto (crypto.rs); here are the spec's bookkeeping: algorithm normalization,
// key types, usages and extractability, key formats (raw, jwk, pkcs8, spki), and the errors.
(function (I) {
  "use strict";
  const N = I.native;
  const DOMException = I.DOMException;
  const fail = (name, message) => new DOMException(message, name);
  // Natives throw "[Name] message"; the spec wants DOMExceptions of that name.
  function call(fn, ...args) {
    try { return fn(...args); } catch (e) {
      const m = e && typeof e.message === "string" ? /^\[(\w+)\] ([\s\S]*)$/.exec(e.message) : null;
      if (m) throw fail(m[1], m[2]);
      throw e;
    }
  }
  function bufferSource(data, what) {
    if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    throw new TypeError(`${what} is not an ArrayBuffer or an ArrayBufferView`);
  }
  const toBuffer = (u8) => u8.buffer.byteLength === u8.byteLength ? u8.buffer : u8.slice().buffer;
  const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  function b64url(bytes) {
    let s = "", i = 0;
    for (; i + 2 < bytes.length; i += 3) { const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]; s += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63]; }
    if (bytes.length - i === 1) { const n = bytes[i] << 16; s += B64URL[n >> 18] + B64URL[(n >> 12) & 63]; }
    else if (bytes.length - i === 2) { const n = (bytes[i] << 16) | (bytes[i + 1] << 8); s += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63]; }
    return s;
  }
  function unb64url(s, what) {
    if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw fail("DataError", `JWK member ${what} is not base64url`);
    const out = new Uint8Array(Math.floor((s.length * 3) / 4));
    let acc = 0, bits = 0, n = 0;
    for (let i = 0; i < s.length; i++) { acc = (acc << 6) | B64URL.indexOf(s[i]); bits += 6; if (bits >= 8) { bits -= 8; out[n++] = (acc >> bits) & 255; } }
    return out.subarray(0, n);
  }
  const concat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };

  // ------------------------------------------------------------ algorithm names
  const NAMES = ["SHA-1", "SHA-256", "SHA-384", "SHA-512", "HMAC", "ECDSA", "ECDH", "Ed25519", "RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP", "AES-GCM", "AES-CBC", "AES-CTR", "PBKDF2", "HKDF"];
  const BY_UPPER = new Map(NAMES.map((n) => [n.toUpperCase(), n]));
  const KNOWN_UNSUPPORTED = new Set(["AES-KW", "X25519", "ED448", "X448"]);
  function normalize(alg, op) {
    if (typeof alg === "string") alg = { name: alg };
    if (alg === null || typeof alg !== "object" || alg.name === undefined) throw new TypeError(`${op}: the algorithm must be a string or an object with a name`);
    const upper = String(alg.name).toUpperCase();
    const name = BY_UPPER.get(upper);
    if (name === undefined) throw fail("NotSupportedError", KNOWN_UNSUPPORTED.has(upper) ? `${alg.name} is not supported by this runtime` : `Unrecognized algorithm name: ${alg.name}`);
    const out = { ...alg, name };
    if (alg.hash !== undefined) out.hash = normalizeHash(alg.hash, op);
    return out;
  }
  function normalizeHash(hash, op) {
    const h = normalize(hash, op);
    if (!h.name.startsWith("SHA-")) throw fail("NotSupportedError", `${h.name} is not a hash`);
    return { name: h.name };
  }
  const needHash = (alg, op) => { if (alg.hash === undefined) throw new TypeError(`${op}: ${alg.name} needs a hash`); return alg.hash.name; };
  const HASH_BLOCK_BITS = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
  const CURVE_BYTES = { "P-256": 32, "P-384": 48 };

  // ------------------------------------------------------------ CryptoKey
  const MAKE = Symbol("make a CryptoKey");
  let materialOf;
  class CryptoKey {
    #type; #extractable; #algorithm; #usages; #material;
    constructor(token, type, extractable, algorithm, usages, material) {
      if (token !== MAKE) throw new TypeError("Illegal constructor");
      this.#type = type; this.#extractable = extractable; this.#algorithm = Object.freeze(algorithm);
      this.#usages = Object.freeze(usages.slice()); this.#material = material;
    }
    get type() { return this.#type; }
    get extractable() { return this.#extractable; }
    get algorithm() { return this.#algorithm; }
    get usages() { return this.#usages; }
    get [Symbol.toStringTag]() { return "CryptoKey"; }
    static { materialOf = (k) => k.#material; }
  }
  const USAGES = ["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"];
  // What each kind of key may be used for.
  function allowedUsages(name, type) {
    switch (name) {
      case "HMAC": return ["sign", "verify"];
      case "AES-GCM": case "AES-CBC": case "AES-CTR": return ["encrypt", "decrypt", "wrapKey", "unwrapKey"];
      case "ECDSA": case "Ed25519": case "RSASSA-PKCS1-v1_5": case "RSA-PSS": return type === "private" ? ["sign"] : ["verify"];
      case "ECDH": return type === "private" ? ["deriveKey", "deriveBits"] : [];
      case "RSA-OAEP": return type === "private" ? ["decrypt", "unwrapKey"] : ["encrypt", "wrapKey"];
      case "PBKDF2": case "HKDF": return ["deriveKey", "deriveBits"];
    }
    return [];
  }
  function checkUsages(usages, name, type) {
    if (!Array.isArray(usages) && !(usages && typeof usages[Symbol.iterator] === "function")) throw new TypeError("key usages must be a sequence");
    const list = [...new Set([...usages].map(String))];
    for (const u of list) if (!USAGES.includes(u)) throw new TypeError(`'${u}' is not a valid key usage`);
    const allowed = allowedUsages(name, type);
    for (const u of list) if (!allowed.includes(u)) throw fail("SyntaxError", `Cannot create a ${name} ${type} key with usage '${u}'`);
    return list;
  }
  function makeKey(type, extractable, algorithm, usages, material) {
    const list = checkUsages(usages, algorithm.name, type);
    if ((type === "secret" || type === "private") && list.length === 0) throw fail("SyntaxError", `Usages cannot be empty when creating a ${type} key.`);
    return new CryptoKey(MAKE, type, !!extractable, algorithm, list, material);
  }
  function useKey(key, alg, usage) {
    if (!(key instanceof CryptoKey)) throw new TypeError("the key is not a CryptoKey");
    if (key.algorithm.name !== alg.name) throw fail("InvalidAccessError", `The requested operation is not valid for the provided key (a ${key.algorithm.name} key used for ${alg.name})`);
    if (!key.usages.includes(usage)) throw fail("InvalidAccessError", `The requested operation is not valid for the provided key (it lacks the usage '${usage}')`);
    return materialOf(key);
  }
  const pairFor = (name, extractable, usages, alg, d, p, extra) => {
    const publicUsages = [...usages].filter((u) => allowedUsages(name, "public").includes(u));
    const privateUsages = [...usages].filter((u) => allowedUsages(name, "private").includes(u));
    for (const u of usages) if (!publicUsages.includes(u) && !privateUsages.includes(u)) throw fail("SyntaxError", `Cannot create a ${name} key with usage '${u}'`);
    if (privateUsages.length === 0) throw fail("SyntaxError", "Usages cannot be empty when creating a key.");
    return {
      publicKey: new CryptoKey(MAKE, "public", true, { ...alg, ...extra }, publicUsages, { d: null, p }),
      privateKey: new CryptoKey(MAKE, "private", !!extractable, { ...alg, ...extra }, privateUsages, { d, p }),
    };
  };
  const random = (n) => { const b = new Uint8Array(n); N.randomFill(b); return b; };
  const rsaAlgorithm = (alg, spki, hash) => ({ name: alg.name, modulusLength: N.cryptoRsaBits(spki), publicExponent: new Uint8Array(N.cryptoRsaComponents(null, spki)[1]), hash: { name: hash } });

  // ------------------------------------------------------------ generateKey
  function generateKey(alg, extractable, usages) {
    alg = normalize(alg, "generateKey");
    switch (alg.name) {
      case "HMAC": {
        const hash = needHash(alg, "generateKey");
        const length = alg.length === undefined ? HASH_BLOCK_BITS[hash] : Number(alg.length);
        if (!(length > 0) || length % 8) throw fail("OperationError", "HMAC key length must be a positive multiple of 8");
        return makeKey("secret", extractable, { name: "HMAC", hash: { name: hash }, length }, usages, { raw: random(length / 8) });
      }
      case "AES-GCM": case "AES-CBC": case "AES-CTR": {
        const length = Number(alg.length);
        if (![128, 192, 256].includes(length)) throw fail("OperationError", "AES key length must be 128, 192 or 256 bits");
        return makeKey("secret", extractable, { name: alg.name, length }, usages, { raw: random(length / 8) });
      }
      case "ECDSA": case "ECDH": {
        const curve = alg.namedCurve;
        if (!(curve in CURVE_BYTES)) throw fail("NotSupportedError", `the curve ${curve} is not supported (P-256, P-384)`);
        const [d, p] = call(N.cryptoEcGenerate, curve);
        return pairFor(alg.name, extractable, usages, { name: alg.name }, d, p, { namedCurve: curve });
      }
      case "Ed25519": {
        const [d, p] = call(N.cryptoEdGenerate);
        return pairFor("Ed25519", extractable, usages, { name: "Ed25519" }, d, p, {});
      }
      case "RSASSA-PKCS1-v1_5": case "RSA-PSS": case "RSA-OAEP": {
        const hash = needHash(alg, "generateKey");
        const exponent = alg.publicExponent instanceof Uint8Array ? alg.publicExponent : new Uint8Array([1, 0, 1]);
        const [d, p] = call(N.cryptoRsaGenerate, Number(alg.modulusLength) >>> 0, exponent);
        return pairFor(alg.name, extractable, usages, rsaAlgorithm(alg, p, hash), d, p, {});
      }
    }
    throw fail("NotSupportedError", `generateKey does not support ${alg.name}`);
  }

  // ------------------------------------------------------------ importKey / exportKey
  function importKey(format, keyData, alg, extractable, usages) {
    alg = normalize(alg, "importKey");
    format = String(format);
    if (!["raw", "jwk", "pkcs8", "spki"].includes(format)) throw new TypeError(`'${format}' is not a valid key format`);
    let jwk = null, data = null;
    if (format === "jwk") {
      if (keyData === null || typeof keyData !== "object" || isBuffer(keyData)) throw new TypeError("a jwk key must be an object");
      jwk = keyData;
      if (jwk.ext === false && extractable) throw fail("DataError", "the JWK is not extractable (ext: false)");
      if (jwk.key_ops !== undefined) for (const u of usages) if (!jwk.key_ops.includes(u)) throw fail("DataError", `the JWK's key_ops do not allow '${u}'`);
    } else data = bufferSource(keyData, "the key data");
    switch (alg.name) {
      case "HMAC": case "AES-GCM": case "AES-CBC": case "AES-CTR": case "PBKDF2": case "HKDF": {
        let raw;
        if (format === "raw") raw = data;
        else if (format === "jwk") { if (jwk.kty !== "oct") throw fail("DataError", "the JWK kty must be 'oct'"); raw = unb64url(jwk.k, "k"); }
        else throw fail("NotSupportedError", `${alg.name} keys cannot be imported as ${format}`);
        if (alg.name === "HMAC") {
          const hash = needHash(alg, "importKey");
          if (raw.length === 0) throw fail("DataError", "an HMAC key cannot be empty");
          return makeKey("secret", extractable, { name: "HMAC", hash: { name: hash }, length: raw.length * 8 }, usages, { raw });
        }
        if (alg.name === "PBKDF2" || alg.name === "HKDF") {
          if (extractable) throw fail("SyntaxError", `${alg.name} keys cannot be extractable`);
          return makeKey("secret", false, { name: alg.name }, usages, { raw });
        }
        if (![16, 24, 32].includes(raw.length)) throw fail("DataError", "an AES key is 128, 192 or 256 bits");
        return makeKey("secret", extractable, { name: alg.name, length: raw.length * 8 }, usages, { raw });
      }
      case "ECDSA": case "ECDH": {
        const curve = alg.namedCurve;
        if (!(curve in CURVE_BYTES)) throw fail("NotSupportedError", `the curve ${curve} is not supported (P-256, P-384)`);
        let d, p;
        if (format === "jwk") {
          if (jwk.kty !== "EC" || jwk.crv !== curve) throw fail("DataError", `the JWK must have kty 'EC' and crv '${curve}'`);
          const x = unb64url(jwk.x, "x"), y = unb64url(jwk.y, "y");
          if (x.length !== CURVE_BYTES[curve] || y.length !== CURVE_BYTES[curve]) throw fail("DataError", "the JWK's x and y do not fit the curve");
          const point = concat(new Uint8Array([4]), x, y);
          if (jwk.d !== undefined) {
            [d, p] = call(N.cryptoEcImport, curve, "d", unb64url(jwk.d, "d"));
            if (b64url(p) !== b64url(point)) throw fail("DataError", "the JWK's d does not match its x and y");
          } else [d, p] = call(N.cryptoEcImport, curve, "raw", point);
        } else [d, p] = call(N.cryptoEcImport, curve, format, data);
        if (format === "raw" && d !== null) throw fail("DataError", "raw EC keys are public");
        return makeKey(d === null ? "public" : "private", d === null ? true : extractable, { name: alg.name, namedCurve: curve }, usages, { d, p });
      }
      case "Ed25519": {
        let d, p;
        if (format === "jwk") {
          if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") throw fail("DataError", "the JWK must have kty 'OKP' and crv 'Ed25519'");
          const x = unb64url(jwk.x, "x");
          if (jwk.d !== undefined) {
            [d, p] = call(N.cryptoEdImport, "d", unb64url(jwk.d, "d"));
            if (b64url(p) !== b64url(x)) throw fail("DataError", "the JWK's d does not match its x");
          } else [d, p] = call(N.cryptoEdImport, "raw", x);
        } else [d, p] = call(N.cryptoEdImport, format, data);
        return makeKey(d === null ? "public" : "private", d === null ? true : extractable, { name: "Ed25519" }, usages, { d, p });
      }
      case "RSASSA-PKCS1-v1_5": case "RSA-PSS": case "RSA-OAEP": {
        const hash = needHash(alg, "importKey");
        let d, p;
        if (format === "jwk") {
          if (jwk.kty !== "RSA") throw fail("DataError", "the JWK kty must be 'RSA'");
          const names = jwk.d === undefined ? ["n", "e"] : ["n", "e", "d", "p", "q"];
          [d, p] = call(N.cryptoRsaFromComponents, names.map((k) => unb64url(jwk[k], k)));
        } else if (format === "raw") throw fail("NotSupportedError", "RSA keys cannot be imported as raw");
        else [d, p] = call(N.cryptoRsaImport, format, data);
        return makeKey(d === null ? "public" : "private", d === null ? true : extractable, rsaAlgorithm(alg, p, hash), usages, { d, p });
      }
    }
    throw fail("NotSupportedError", `importKey does not support ${alg.name}`);
  }
  const isBuffer = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  const JWK_ALG = {
    HMAC: (k) => ({ "SHA-1": "HS1", "SHA-256": "HS256", "SHA-384": "HS384", "SHA-512": "HS512" })[k.algorithm.hash.name],
    "AES-GCM": (k) => `A${k.algorithm.length}GCM`, "AES-CBC": (k) => `A${k.algorithm.length}CBC`, "AES-CTR": (k) => `A${k.algorithm.length}CTR`,
    "RSASSA-PKCS1-v1_5": (k) => "RS" + k.algorithm.hash.name.slice(4).replace(/^1$/, "1"),
    "RSA-PSS": (k) => "PS" + k.algorithm.hash.name.slice(4),
    "RSA-OAEP": (k) => (k.algorithm.hash.name === "SHA-1" ? "RSA-OAEP" : "RSA-OAEP-" + k.algorithm.hash.name.slice(4)),
    Ed25519: () => "Ed25519",
  };
  function exportKey(format, key) {
    if (!(key instanceof CryptoKey)) throw new TypeError("the key is not a CryptoKey");
    if (!key.extractable) throw fail("InvalidAccessError", "key is not extractable");
    const m = materialOf(key), name = key.algorithm.name;
    format = String(format);
    if (m.raw !== undefined) {
      if (format === "raw") return toBuffer(m.raw.slice());
      if (format === "jwk") return { kty: "oct", k: b64url(m.raw), alg: JWK_ALG[name] && JWK_ALG[name](key), key_ops: key.usages.slice(), ext: true };
      throw fail("NotSupportedError", `${name} keys cannot be exported as ${format}`);
    }
    if (name === "ECDSA" || name === "ECDH") {
      const curve = key.algorithm.namedCurve;
      if (format === "raw") { if (key.type !== "public") throw fail("InvalidAccessError", "only public EC keys export as raw"); return toBuffer(m.p.slice()); }
      if (format === "jwk") {
        const n = CURVE_BYTES[curve];
        const jwk = { kty: "EC", crv: curve, x: b64url(m.p.subarray(1, 1 + n)), y: b64url(m.p.subarray(1 + n)), key_ops: key.usages.slice(), ext: true };
        if (m.d !== null) jwk.d = b64url(m.d);
        return jwk;
      }
      if (format === "pkcs8" && key.type !== "private") throw fail("InvalidAccessError", "only private keys export as pkcs8");
      if (format === "spki" && key.type !== "public") throw fail("InvalidAccessError", "only public keys export as spki");
      return toBuffer(call(N.cryptoEcExport, curve, format, m.d, m.p));
    }
    if (name === "Ed25519") {
      if (format === "raw") { if (key.type !== "public") throw fail("InvalidAccessError", "only public Ed25519 keys export as raw"); return toBuffer(m.p.slice()); }
      if (format === "jwk") { const jwk = { kty: "OKP", crv: "Ed25519", x: b64url(m.p), key_ops: key.usages.slice(), ext: true }; if (m.d !== null) jwk.d = b64url(m.d); return jwk; }
      if (format === "pkcs8" && key.type !== "private") throw fail("InvalidAccessError", "only private keys export as pkcs8");
      if (format === "spki" && key.type !== "public") throw fail("InvalidAccessError", "only public keys export as spki");
      return toBuffer(call(N.cryptoEdExport, format, m.d, m.p));
    }
    // RSA
    if (format === "spki") { if (key.type !== "public") throw fail("InvalidAccessError", "only public keys export as spki"); return toBuffer(m.p.slice()); }
    if (format === "pkcs8") { if (key.type !== "private") throw fail("InvalidAccessError", "only private keys export as pkcs8"); return toBuffer(m.d.slice()); }
    if (format === "jwk") {
      const parts = call(N.cryptoRsaComponents, m.d, m.p);
      const names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
      const jwk = { kty: "RSA", alg: JWK_ALG[name](key), key_ops: key.usages.slice(), ext: true };
      parts.forEach((v, i) => { jwk[names[i]] = b64url(v); });
      return jwk;
    }
    throw fail("NotSupportedError", `RSA keys cannot be exported as ${format}`);
  }

  // ------------------------------------------------------------ sign / verify
  function constantTimeEqual(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }
  function sign(alg, key, data) {
    alg = normalize(alg, "sign");
    const m = useKey(key, alg, "sign");
    data = bufferSource(data, "the data");
    switch (alg.name) {
      case "HMAC": return toBuffer(call(N.cryptoHmac, key.algorithm.hash.name, m.raw, data));
      case "ECDSA": return toBuffer(call(N.cryptoEcSign, key.algorithm.namedCurve, needHash(alg, "sign"), m.d, data));
      case "Ed25519": return toBuffer(call(N.cryptoEdSign, m.d, data));
      case "RSASSA-PKCS1-v1_5": return toBuffer(call(N.cryptoRsaSign, key.algorithm.hash.name, null, m.d, data));
      case "RSA-PSS": return toBuffer(call(N.cryptoRsaSign, key.algorithm.hash.name, saltLength(alg), m.d, data));
    }
    throw fail("NotSupportedError", `sign does not support ${alg.name}`);
  }
  function saltLength(alg) {
    const s = Number(alg.saltLength);
    if (!Number.isInteger(s) || s < 0) throw new TypeError("RSA-PSS needs a saltLength (bytes)");
    return s;
  }
  function verify(alg, key, signature, data) {
    alg = normalize(alg, "verify");
    const m = useKey(key, alg, "verify");
    signature = bufferSource(signature, "the signature");
    data = bufferSource(data, "the data");
    switch (alg.name) {
      case "HMAC": return constantTimeEqual(call(N.cryptoHmac, key.algorithm.hash.name, m.raw, data), signature);
      case "ECDSA": return call(N.cryptoEcVerify, key.algorithm.namedCurve, needHash(alg, "verify"), m.p, signature, data);
      case "Ed25519": return call(N.cryptoEdVerify, m.p, signature, data);
      case "RSASSA-PKCS1-v1_5": return call(N.cryptoRsaVerify, key.algorithm.hash.name, null, m.p, signature, data);
      case "RSA-PSS": return call(N.cryptoRsaVerify, key.algorithm.hash.name, saltLength(alg), m.p, signature, data);
    }
    throw fail("NotSupportedError", `verify does not support ${alg.name}`);
  }

  // ------------------------------------------------------------ encrypt / decrypt
  function cipher(encrypt, alg, key, data) {
    const op = encrypt ? "encrypt" : "decrypt";
    alg = normalize(alg, op);
    const m = useKey(key, alg, op);
    data = bufferSource(data, "the data");
    switch (alg.name) {
      case "AES-GCM": {
        const iv = bufferSource(alg.iv, "iv");
        const tag = alg.tagLength === undefined ? 128 : Number(alg.tagLength);
        if (tag !== 128) throw fail(tag === 32 || tag === 64 || (tag >= 96 && tag <= 120 && tag % 8 === 0) ? "NotSupportedError" : "OperationError", `AES-GCM: a tagLength of ${tag} is not supported (128 is)`);
        const aad = alg.additionalData === undefined ? new Uint8Array(0) : bufferSource(alg.additionalData, "additionalData");
        if (!encrypt && data.length < 16) throw fail("OperationError", "AES-GCM: the data is shorter than the tag");
        return toBuffer(call(N.cryptoAesGcm, encrypt, m.raw, iv, aad, data));
      }
      case "AES-CBC": return toBuffer(call(N.cryptoAesCbc, encrypt, m.raw, bufferSource(alg.iv, "iv"), data));
      case "AES-CTR": {
        const length = Number(alg.length);
        if (!(length >= 1 && length <= 128)) throw fail("OperationError", "AES-CTR: length must be from 1 to 128");
        return toBuffer(call(N.cryptoAesCtr, m.raw, bufferSource(alg.counter, "counter"), length, data));
      }
      case "RSA-OAEP": {
        const label = alg.label === undefined ? new Uint8Array(0) : bufferSource(alg.label, "label");
        return toBuffer(call(N.cryptoRsaOaep, encrypt, key.algorithm.hash.name, encrypt ? m.p : m.d, label, data));
      }
    }
    throw fail("NotSupportedError", `${op} does not support ${alg.name}`);
  }

  // ------------------------------------------------------------ deriveBits / deriveKey
  function deriveBits(alg, baseKey, length, usage = "deriveBits") {
    alg = normalize(alg, "deriveBits");
    const m = useKey(baseKey, alg, usage);
    switch (alg.name) {
      case "PBKDF2": case "HKDF": {
        if (length === null || length === undefined) throw fail("OperationError", `${alg.name}: a length is required`);
        length = Number(length);
        if (!Number.isInteger(length) || length < 0 || length % 8) throw fail("OperationError", `${alg.name}: the length must be a multiple of 8`);
        const hash = needHash(alg, "deriveBits");
        if (alg.name === "PBKDF2") {
          const iterations = Number(alg.iterations);
          if (!Number.isInteger(iterations) || iterations < 1 || iterations > 0xffffffff) throw fail("OperationError", "PBKDF2: iterations must be a positive integer");
          return toBuffer(call(N.cryptoPbkdf2, hash, m.raw, bufferSource(alg.salt, "salt"), iterations, length / 8));
        }
        return toBuffer(call(N.cryptoHkdf, hash, m.raw, bufferSource(alg.salt, "salt"), bufferSource(alg.info, "info"), length / 8));
      }
      case "ECDH": {
        const peer = alg.public;
        if (!(peer instanceof CryptoKey) || peer.type !== "public" || peer.algorithm.name !== "ECDH") throw fail("InvalidAccessError", "ECDH: `public` must be a public ECDH CryptoKey");
        if (peer.algorithm.namedCurve !== baseKey.algorithm.namedCurve) throw fail("InvalidAccessError", "ECDH: the keys are on different curves");
        const secret = call(N.cryptoEcdh, baseKey.algorithm.namedCurve, m.d, materialOf(peer).p);
        if (length === null || length === undefined) return toBuffer(secret);
        length = Number(length);
        if (length > secret.length * 8) throw fail("OperationError", "ECDH: the length is longer than the shared secret");
        const out = secret.slice(0, Math.ceil(length / 8));
        if (length % 8) out[out.length - 1] &= 0xff << (8 - (length % 8));
        return toBuffer(out);
      }
    }
    throw fail("NotSupportedError", `deriveBits does not support ${alg.name}`);
  }
  function derivedKeyLength(alg) {
    switch (alg.name) {
      case "AES-GCM": case "AES-CBC": case "AES-CTR": {
        const l = Number(alg.length);
        if (![128, 192, 256].includes(l)) throw fail("OperationError", "AES key length must be 128, 192 or 256 bits");
        return l;
      }
      case "HMAC": return alg.length === undefined ? HASH_BLOCK_BITS[needHash(alg, "deriveKey")] : Number(alg.length);
      case "HKDF": case "PBKDF2": return null;
    }
    throw fail("NotSupportedError", `deriveKey cannot make a ${alg.name} key`);
  }
  function deriveKey(alg, baseKey, derivedAlg, extractable, usages) {
    derivedAlg = normalize(derivedAlg, "deriveKey");
    const bits = deriveBits(alg, baseKey, derivedKeyLength(derivedAlg), "deriveKey");
    return importKey("raw", bits, derivedAlg, extractable, usages);
  }

  // ------------------------------------------------------------ wrapKey / unwrapKey
  function wrapKey(format, key, wrappingKey, wrapAlg) {
    wrapAlg = normalize(wrapAlg, "wrapKey");
    useKey(wrappingKey, wrapAlg, "wrapKey");
    const exported = exportKey(format, key);
    const bytes = format === "jwk" ? I.utf8Encode(JSON.stringify(exported)) : new Uint8Array(exported);
    const tmp = new CryptoKey(MAKE, wrappingKey.type, false, wrappingKey.algorithm, ["encrypt"], materialOf(wrappingKey));
    return cipher(true, wrapAlg, tmp, bytes);
  }
  function unwrapKey(format, wrapped, unwrappingKey, unwrapAlg, keyAlg, extractable, usages) {
    unwrapAlg = normalize(unwrapAlg, "unwrapKey");
    useKey(unwrappingKey, unwrapAlg, "unwrapKey");
    const tmp = new CryptoKey(MAKE, unwrappingKey.type, false, unwrappingKey.algorithm, ["decrypt"], materialOf(unwrappingKey));
    const bytes = new Uint8Array(cipher(false, unwrapAlg, tmp, wrapped));
    const data = format === "jwk" ? JSON.parse(I.utf8Decode(bytes, true)) : bytes;
    return importKey(format, data, keyAlg, extractable, usages);
  }

  function digest(alg, data) {
    alg = normalize(alg, "digest");
    if (!alg.name.startsWith("SHA-")) throw fail("NotSupportedError", `${alg.name} is not a digest`);
    return toBuffer(call(N.cryptoDigest, alg.name, bufferSource(data, "the data")));
  }

  // Every method returns a promise and reports errors through it, as the spec requires.
  const async = (fn) => function (...args) { try { return Promise.resolve(fn(...args)); } catch (e) { return Promise.reject(e); } };
  class SubtleCrypto {
    constructor(token) { if (token !== MAKE) throw new TypeError("Illegal constructor"); }
    get [Symbol.toStringTag]() { return "SubtleCrypto"; }
  }
  const methods = { digest, generateKey, importKey, exportKey, sign, verify, deriveBits: (a, k, l) => deriveBits(a, k, l), deriveKey, wrapKey, unwrapKey,
    encrypt: (a, k, d) => cipher(true, a, k, d), decrypt: (a, k, d) => cipher(false, a, k, d) };
  for (const [name, fn] of Object.entries(methods)) {
    const m = async(fn);
    Object.defineProperty(m, "name", { value: name });
    Object.defineProperty(SubtleCrypto.prototype, name, { value: m, writable: true, configurable: true, enumerable: true });
  }
  const subtle = new SubtleCrypto(MAKE);
  return { subtle, SubtleCrypto, CryptoKey };
})
