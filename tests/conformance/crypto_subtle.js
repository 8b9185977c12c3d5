// crypto.subtle: known-answer vectors (FIPS 180, RFC 4231/5869/6070/8032, NIST SP 800-38A and the
// GCM spec), round trips across formats, and the spec's errors.
import { test, promise_test, assert_equals, assert_true, assert_false, assert_array_equals, assert_class_string, promise_rejects_dom, promise_rejects_js, assert_throws_js } from "./harness.js";

const enc = (s) => new TextEncoder().encode(s);
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const { subtle } = crypto;

test(() => { assert_class_string(subtle, "SubtleCrypto"); assert_true(crypto instanceof Crypto); assert_throws_js(TypeError, () => new CryptoKey()); }, "interfaces");
promise_test(async () => {
  assert_equals(hex(await subtle.digest("SHA-1", enc("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert_equals(hex(await subtle.digest("SHA-256", enc("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_equals(hex(await subtle.digest({ name: "sha-384" }, enc("abc"))), "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  assert_equals(hex(await subtle.digest("SHA-512", enc("abc"))), "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  assert_true((await subtle.digest("SHA-256", new ArrayBuffer(0))) instanceof ArrayBuffer);
}, "digest SHA-1/256/384/512");
promise_test(() => promise_rejects_dom("NotSupportedError", subtle.digest("MD5", enc("x"))), "digest refuses an unknown algorithm");
promise_test(() => promise_rejects_js(TypeError, subtle.digest("SHA-256", "not a buffer")), "digest refuses a string");
promise_test(async () => {
  const key = await subtle.importKey("raw", enc("key"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const sig = await subtle.sign("HMAC", key, enc("The quick brown fox jumps over the lazy dog"));
  assert_equals(hex(sig), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  assert_true(await subtle.verify("HMAC", key, sig, enc("The quick brown fox jumps over the lazy dog")));
  assert_false(await subtle.verify("HMAC", key, sig, enc("tampered")));
  assert_equals(key.algorithm.length, 24);
  assert_false(key.extractable);
  await promise_rejects_dom("InvalidAccessError", subtle.exportKey("raw", key));
}, "HMAC-SHA256 sign and verify (RFC 4231 style vector)");
promise_test(async () => {
  // The JWT from jwt.io: HS256 with the secret "your-256-bit-secret".
  const token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  const [h, p, s] = token.split(".");
  const key = await subtle.importKey("raw", enc("your-256-bit-secret"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  assert_equals(b64url(await subtle.sign("HMAC", key, enc(`${h}.${p}`))), s);
}, "a JWT signed with HS256");
promise_test(async () => {
  const key = await subtle.generateKey({ name: "HMAC", hash: "SHA-512" }, true, ["sign"]);
  assert_equals(key.algorithm.length, 1024);
  const jwk = await subtle.exportKey("jwk", key);
  assert_equals(jwk.kty, "oct"); assert_equals(jwk.alg, "HS512");
  const again = await subtle.importKey("jwk", jwk, { name: "HMAC", hash: "SHA-512" }, true, ["sign"]);
  assert_equals(hex(await subtle.sign("HMAC", again, enc("m"))), hex(await subtle.sign("HMAC", key, enc("m"))));
}, "HMAC generateKey and a JWK round trip");
promise_test(async () => {
  const key = await subtle.importKey("raw", enc("k"), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  await promise_rejects_dom("InvalidAccessError", subtle.sign("HMAC", key, enc("m")));
  await promise_rejects_dom("SyntaxError", subtle.importKey("raw", enc("k"), { name: "HMAC", hash: "SHA-256" }, false, ["encrypt"]));
  await promise_rejects_dom("SyntaxError", subtle.importKey("raw", enc("k"), { name: "HMAC", hash: "SHA-256" }, false, []));
  await promise_rejects_js(TypeError, subtle.importKey("raw", enc("k"), { name: "HMAC", hash: "SHA-256" }, false, ["fly"]));
}, "usages are enforced");
for (const curve of ["P-256", "P-384"]) {
  promise_test(async () => {
    const hash = curve === "P-256" ? "SHA-256" : "SHA-384";
    const { publicKey, privateKey } = await subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"]);
    assert_array_equals(publicKey.usages, ["verify"]); assert_array_equals(privateKey.usages, ["sign"]);
    const sig = await subtle.sign({ name: "ECDSA", hash }, privateKey, enc("payload"));
    assert_equals(sig.byteLength, curve === "P-256" ? 64 : 96);
    assert_true(await subtle.verify({ name: "ECDSA", hash }, publicKey, sig, enc("payload")));
    assert_false(await subtle.verify({ name: "ECDSA", hash }, publicKey, sig, enc("other")));
    // Every format round-trips to a key that verifies.
    const spki = await subtle.importKey("spki", await subtle.exportKey("spki", publicKey), { name: "ECDSA", namedCurve: curve }, true, ["verify"]);
    const raw = await subtle.importKey("raw", await subtle.exportKey("raw", publicKey), { name: "ECDSA", namedCurve: curve }, true, ["verify"]);
    const jwk = await subtle.exportKey("jwk", privateKey);
    const fromJwk = await subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: curve }, false, ["sign"]);
    const fromPkcs8 = await subtle.importKey("pkcs8", await subtle.exportKey("pkcs8", privateKey), { name: "ECDSA", namedCurve: curve }, false, ["sign"]);
    for (const signer of [fromJwk, fromPkcs8]) {
      const s = await subtle.sign({ name: "ECDSA", hash }, signer, enc("x"));
      assert_true(await subtle.verify({ name: "ECDSA", hash }, spki, s, enc("x")));
      assert_true(await subtle.verify({ name: "ECDSA", hash }, raw, s, enc("x")));
    }
  }, `ECDSA ${curve}: sign, verify, raw/spki/jwk/pkcs8`);
}
promise_test(async () => {
  // An ES256 JWT: signed here, checked as a verifier holding only the public JWK would.
  const { publicKey, privateKey } = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const part = (o) => b64url(enc(JSON.stringify(o)));
  const input = `${part({ alg: "ES256", typ: "JWT" })}.${part({ sub: "agent-7" })}`;
  const token = `${input}.${b64url(await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, enc(input)))}`;
  const jwk = await subtle.exportKey("jwk", publicKey);
  const verifier = await subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const [h, p, s] = token.split(".");
  const sig = Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  assert_true(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, verifier, sig, enc(`${h}.${p}`)));
}, "a JWT signed and verified with ES256");
promise_test(async () => {
  const a = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const b = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const x = await subtle.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, 256);
  const y = await subtle.deriveBits({ name: "ECDH", public: a.publicKey }, b.privateKey, 256);
  assert_equals(hex(x), hex(y));
}, "ECDH agreement");
promise_test(async () => {
  const pub = await subtle.importKey("raw", unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"), "Ed25519", true, ["verify"]);
  const sig = unhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  assert_true(await subtle.verify("Ed25519", pub, sig, new Uint8Array(0)));
  assert_false(await subtle.verify("Ed25519", pub, sig, new Uint8Array(1)));
  const priv = await subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: b64url(unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")), d: b64url(unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")) }, "Ed25519", false, ["sign"]);
  assert_equals(hex(await subtle.sign("Ed25519", priv, new Uint8Array(0))), hex(sig));
}, "Ed25519 (RFC 8032 test 1)");
promise_test(async () => {
  const { publicKey, privateKey } = await subtle.generateKey("Ed25519", true, ["sign", "verify"]);
  const sig = await subtle.sign("Ed25519", privateKey, enc("m"));
  const spki = await subtle.importKey("spki", await subtle.exportKey("spki", publicKey), "Ed25519", true, ["verify"]);
  assert_true(await subtle.verify("Ed25519", spki, sig, enc("m")));
  const pk = await subtle.importKey("pkcs8", await subtle.exportKey("pkcs8", privateKey), "Ed25519", false, ["sign"]);
  assert_equals(hex(await subtle.sign("Ed25519", pk, enc("m"))), hex(sig));
}, "Ed25519 generateKey and spki/pkcs8");
promise_test(async () => {
  const key = await subtle.importKey("raw", unhex("feffe9928665731c6d6a8f9467308308"), "AES-GCM", false, ["encrypt", "decrypt"]);
  const iv = unhex("cafebabefacedbaddecaf888");
  const pt = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255");
  const ct = await subtle.encrypt({ name: "AES-GCM", iv }, key, pt);
  assert_equals(hex(ct), "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985" + "4d5c2af327cd64a62cf35abd2ba6fab4");
  assert_equals(hex(await subtle.decrypt({ name: "AES-GCM", iv }, key, ct)), hex(pt));
  const bad = new Uint8Array(ct); bad[0] ^= 1;
  await promise_rejects_dom("OperationError", subtle.decrypt({ name: "AES-GCM", iv }, key, bad));
}, "AES-GCM (GCM spec test case 3) and a tampered ciphertext");
promise_test(async () => {
  const key = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc("hdr") }, key, enc("secret"));
  assert_equals(new TextDecoder().decode(await subtle.decrypt({ name: "AES-GCM", iv, additionalData: enc("hdr") }, key, ct)), "secret");
  await promise_rejects_dom("OperationError", subtle.decrypt({ name: "AES-GCM", iv, additionalData: enc("other") }, key, ct));
  const jwk = await subtle.exportKey("jwk", key);
  assert_equals(jwk.alg, "A256GCM");
}, "AES-GCM with additional data");
promise_test(async () => {
  const key = await subtle.importKey("raw", unhex("2b7e151628aed2a6abf7158809cf4f3c"), "AES-CBC", false, ["encrypt", "decrypt"]);
  const iv = unhex("000102030405060708090a0b0c0d0e0f");
  const ct = await subtle.encrypt({ name: "AES-CBC", iv }, key, unhex("6bc1bee22e409f96e93d7e117393172a"));
  assert_equals(hex(ct).slice(0, 32), "7649abac8119b246cee98e9b12e9197d");
  assert_equals(ct.byteLength, 32, "PKCS#7 adds a block");
  assert_equals(hex(await subtle.decrypt({ name: "AES-CBC", iv }, key, ct)), "6bc1bee22e409f96e93d7e117393172a");
}, "AES-CBC (SP 800-38A F.2.1)");
promise_test(async () => {
  const key = await subtle.importKey("raw", unhex("2b7e151628aed2a6abf7158809cf4f3c"), "AES-CTR", false, ["encrypt", "decrypt"]);
  const counter = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const ct = await subtle.encrypt({ name: "AES-CTR", counter, length: 64 }, key, unhex("6bc1bee22e409f96e93d7e117393172a"));
  assert_equals(hex(ct), "874d6191b620e3261bef6864990db6ce");
}, "AES-CTR (SP 800-38A F.5.1)");
promise_test(async () => {
  const base = await subtle.importKey("raw", enc("password"), "PBKDF2", false, ["deriveBits", "deriveKey"]);
  const bits = await subtle.deriveBits({ name: "PBKDF2", salt: enc("salt"), iterations: 1, hash: "SHA-1" }, base, 160);
  assert_equals(hex(bits), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  const bits2 = await subtle.deriveBits({ name: "PBKDF2", salt: enc("salt"), iterations: 2, hash: "SHA-1" }, base, 160);
  assert_equals(hex(bits2), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  const aes = await subtle.deriveKey({ name: "PBKDF2", salt: enc("salt"), iterations: 10, hash: "SHA-256" }, base, { name: "AES-GCM", length: 128 }, true, ["encrypt"]);
  assert_equals((await subtle.exportKey("raw", aes)).byteLength, 16);
  await promise_rejects_dom("SyntaxError", subtle.importKey("raw", enc("p"), "PBKDF2", true, ["deriveBits"]));
}, "PBKDF2 (RFC 6070) and deriveKey");
promise_test(async () => {
  const ikm = await subtle.importKey("raw", new Uint8Array(22).fill(0x0b), "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: unhex("000102030405060708090a0b0c"), info: unhex("f0f1f2f3f4f5f6f7f8f9") }, ikm, 42 * 8);
  assert_equals(hex(bits), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}, "HKDF (RFC 5869 test 1)");
promise_test(async () => {
  const alg = { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
  const { publicKey, privateKey } = await subtle.generateKey(alg, true, ["sign", "verify"]);
  assert_equals(publicKey.algorithm.modulusLength, 1024);
  assert_equals(publicKey.algorithm.hash.name, "SHA-256");
  const sig = await subtle.sign("RSASSA-PKCS1-v1_5", privateKey, enc("m"));
  assert_equals(sig.byteLength, 128);
  assert_true(await subtle.verify("RSASSA-PKCS1-v1_5", publicKey, sig, enc("m")));
  assert_false(await subtle.verify("RSASSA-PKCS1-v1_5", publicKey, sig, enc("n")));
  const jwk = await subtle.exportKey("jwk", privateKey);
  assert_equals(jwk.alg, "RS256");
  const again = await subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
  const pub = await subtle.importKey("spki", await subtle.exportKey("spki", publicKey), { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
  assert_true(await subtle.verify("RSASSA-PKCS1-v1_5", pub, await subtle.sign("RSASSA-PKCS1-v1_5", again, enc("x")), enc("x")));
  const pss = await subtle.importKey("pkcs8", await subtle.exportKey("pkcs8", privateKey), { name: "RSA-PSS", hash: "SHA-256" }, false, ["sign"]);
  const pssPub = await subtle.importKey("jwk", await subtle.exportKey("jwk", publicKey), { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]).catch(() => null);
  const s2 = await subtle.sign({ name: "RSA-PSS", saltLength: 32 }, pss, enc("y"));
  const pssVerifier = pssPub || await subtle.importKey("spki", await subtle.exportKey("spki", publicKey), { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
  assert_true(await subtle.verify({ name: "RSA-PSS", saltLength: 32 }, pssVerifier, s2, enc("y")));
}, "RSASSA-PKCS1-v1_5 and RSA-PSS: generate, sign, verify, jwk/spki/pkcs8");
promise_test(async () => {
  const { publicKey, privateKey } = await subtle.generateKey({ name: "RSA-OAEP", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, false, ["encrypt", "decrypt"]);
  const ct = await subtle.encrypt({ name: "RSA-OAEP" }, publicKey, enc("hi"));
  assert_equals(new TextDecoder().decode(await subtle.decrypt({ name: "RSA-OAEP" }, privateKey, ct)), "hi");
  await promise_rejects_dom("InvalidAccessError", subtle.exportKey("pkcs8", privateKey));
}, "RSA-OAEP");
promise_test(async () => {
  const kek = await subtle.generateKey({ name: "AES-GCM", length: 128 }, false, ["wrapKey", "unwrapKey"]);
  const key = await subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
  const iv = new Uint8Array(12);
  const wrapped = await subtle.wrapKey("jwk", key, kek, { name: "AES-GCM", iv });
  const back = await subtle.unwrapKey("jwk", wrapped, kek, { name: "AES-GCM", iv }, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
  assert_equals(hex(await subtle.exportKey("raw", back)), hex(await subtle.exportKey("raw", key)));
}, "wrapKey and unwrapKey");
promise_test(() => promise_rejects_dom("NotSupportedError", subtle.generateKey({ name: "AES-KW", length: 128 }, true, ["wrapKey"])), "an unsupported algorithm is NotSupportedError");
