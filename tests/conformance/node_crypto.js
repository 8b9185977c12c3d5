// node:crypto — hashes, HMACs, random values, timingSafeEqual, PBKDF2/HKDF, webcrypto.
import { test, promise_test, assert_equals, assert_true, assert_false, assert_throws_js } from "./harness.js";
import crypto, { createHash, createHmac, randomBytes, randomUUID, randomInt, timingSafeEqual, pbkdf2Sync, hkdfSync, webcrypto } from "node:crypto";
import * as bare from "crypto";
import { Buffer } from "node:buffer";

test(() => assert_equals(bare.createHash, createHash), "the bare name 'crypto' is node:crypto");
test(() => {
  assert_equals(createHash("sha256").update("abc").digest("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_equals(createHash("md5").update("abc").digest("hex"), "900150983cd24fb0d6963f7d28e17f72");
  assert_equals(createHash("sha1").update("a").update("bc").digest("base64"), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  assert_true(Buffer.isBuffer(createHash("sha512").update(Buffer.from("x")).digest()));
  assert_equals(createHash("SHA256").update("616263", "hex").digest("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}, "createHash: md5, sha1, sha256, sha512, incremental updates, encodings");
test(() => {
  const h = createHash("sha256").update("ab");
  const c = h.copy();
  assert_equals(h.update("c").digest("hex"), c.update("c").digest("hex"));
  assert_throws_js(Error, () => h.digest());
  assert_throws_js(Error, () => createHash("whirlpool"));
}, "copy, one digest per hash, unknown digests");
test(() => {
  // A webhook check as providers document it: HMAC-SHA256 of the raw body, hex, compared in constant time.
  const body = '{"event":"paid","amount":42}';
  const sig = createHmac("sha256", "whsec_test").update(body).digest("hex");
  const expected = createHmac("sha256", Buffer.from("whsec_test")).update(Buffer.from(body)).digest("hex");
  assert_true(timingSafeEqual(Buffer.from(sig, "hex"), Buffer.from(expected, "hex")));
  assert_false(timingSafeEqual(Buffer.from("aa", "hex"), Buffer.from("ab", "hex")));
  assert_throws_js(RangeError, () => timingSafeEqual(Buffer.from("a"), Buffer.from("ab")));
  assert_equals(createHmac("sha256", "key").update("The quick brown fox jumps over the lazy dog").digest("hex"), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}, "createHmac and timingSafeEqual (webhook verification)");
test(() => {
  const a = randomBytes(32), b = randomBytes(32);
  assert_equals(a.length, 32);
  assert_false(a.equals(b));
  assert_true(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(randomUUID()));
  for (let i = 0; i < 50; i++) { const n = randomInt(3, 7); assert_true(n >= 3 && n < 7 && Number.isInteger(n)); }
  assert_throws_js(RangeError, () => randomBytes(-1));
}, "randomBytes, randomUUID, randomInt");
test(() => {
  assert_equals(pbkdf2Sync("password", "salt", 1, 20, "sha1").toString("hex"), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  assert_equals(Buffer.from(hkdfSync("sha256", Buffer.alloc(22, 0x0b), Buffer.from("000102030405060708090a0b0c", "hex"), Buffer.from("f0f1f2f3f4f5f6f7f8f9", "hex"), 42)).toString("hex"), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}, "pbkdf2Sync and hkdfSync");
test(() => { assert_equals(webcrypto, globalThis.crypto); assert_equals(crypto.subtle, globalThis.crypto.subtle); }, "webcrypto is the global crypto");
test(() => assert_throws_js(Error, () => crypto.createCipheriv("aes-128-gcm", Buffer.alloc(16), Buffer.alloc(12))), "createCipheriv says to use crypto.subtle");
