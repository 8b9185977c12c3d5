// node:buffer — the commonly used Buffer API.
import { test, assert_equals, assert_true, assert_false, assert_array_equals, assert_throws_js } from "./harness.js";
import { Buffer, isUtf8, constants } from "node:buffer";
import * as bare from "buffer";

test(() => assert_equals(bare.Buffer, Buffer), "the bare name 'buffer' is node:buffer");
test(() => assert_equals(globalThis.Buffer, Buffer), "Buffer is a global (nodejs_compat)");
test(() => assert_true(Buffer.from("x") instanceof Uint8Array), "a Buffer is a Uint8Array");
test(() => {
  assert_equals(Buffer.from("héllo").toString("hex"), "68c3a96c6c6f");
  assert_equals(Buffer.from("68c3a96c6c6f", "hex").toString(), "héllo");
  assert_equals(Buffer.from("abcz", "hex").length, 1, "hex stops at the first bad pair");
}, "utf8 and hex");
test(() => {
  assert_equals(Buffer.from("hello world").toString("base64"), "aGVsbG8gd29ybGQ=");
  assert_equals(Buffer.from([0xfb, 0xff]).toString("base64url"), "-_8");
  assert_equals(Buffer.from("-_8", "base64url").toString("hex"), "fbff");
  assert_equals(Buffer.from("+/8=", "base64").toString("hex"), "fbff");
  assert_equals(Buffer.from("aGVs bG8\n", "base64").toString(), "hello", "whitespace ignored");
}, "base64 and base64url");
test(() => {
  assert_equals(Buffer.from("ÿA", "latin1").toString("hex"), "ff41");
  assert_equals(Buffer.from([0xff, 0x41]).toString("latin1"), "ÿA");
  assert_equals(Buffer.from("hi", "utf16le").toString("hex"), "68006900");
  assert_equals(Buffer.from("68006900", "hex").toString("ucs2"), "hi");
}, "latin1, binary, utf16le");
test(() => assert_throws_js(TypeError, () => Buffer.from("x", "klingon")), "an unknown encoding throws");
test(() => {
  const b = Buffer.alloc(4, "ab");
  assert_equals(b.toString(), "abab");
  assert_array_equals(Buffer.alloc(3), [0, 0, 0]);
  assert_throws_js(RangeError, () => Buffer.alloc(-1));
}, "alloc with fill");
test(() => {
  const c = Buffer.concat([Buffer.from("ab"), new Uint8Array([99]), Buffer.from("de")]);
  assert_equals(c.toString(), "abcde");
  assert_equals(Buffer.concat([Buffer.from("abc")], 2).toString(), "ab");
}, "concat");
test(() => {
  assert_equals(Buffer.byteLength("héllo"), 6);
  assert_equals(Buffer.byteLength("aGVsbG8=", "base64"), 5);
}, "byteLength");
test(() => {
  assert_equals(Buffer.compare(Buffer.from("a"), Buffer.from("b")), -1);
  assert_true(Buffer.from("abc").equals(Buffer.from("abc")));
  assert_false(Buffer.from("abc").equals(Buffer.from("abd")));
}, "compare and equals");
test(() => {
  const b = Buffer.from("hello");
  const s = b.slice(1, 3);
  s[0] = 0x45;
  assert_equals(b.toString(), "hEllo", "slice shares memory");
  assert_true(s instanceof Buffer);
}, "slice is a view");
test(() => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0xdeadbeef, 0);
  b.writeUInt16LE(0x1234, 4);
  b.writeInt8(-2, 6);
  b.writeDoubleLE(1.5, 8);
  assert_equals(b.readUInt32BE(0), 0xdeadbeef);
  assert_equals(b.readUInt32LE(0), 0xefbeadde);
  assert_equals(b.readUInt16LE(4), 0x1234);
  assert_equals(b.readInt8(6), -2);
  assert_equals(b.readDoubleLE(8), 1.5);
  assert_equals(b.readUint8(0), 0xde, "lower-case alias");
  assert_throws_js(RangeError, () => b.readUInt32BE(14));
  b.writeBigUInt64BE(2n ** 63n, 8);
  assert_equals(b.readBigUInt64BE(8), 2n ** 63n);
}, "read and write integers and floats");
test(() => {
  const b = Buffer.from("hello world");
  assert_equals(b.indexOf("o"), 4);
  assert_equals(b.lastIndexOf("o"), 7);
  assert_true(b.includes("wor"));
  assert_equals(b.indexOf(Buffer.from("xyz")), -1);
}, "indexOf, lastIndexOf, includes");
test(() => {
  const b = Buffer.alloc(5);
  assert_equals(b.write("hé", 1), 3);
  assert_equals(b.toString("hex"), "0068c3a900");
  const t = Buffer.alloc(3);
  assert_equals(Buffer.from("abcdef").copy(t, 1, 2), 2);
  assert_equals(t.toString("latin1"), "\0cd");
}, "write and copy");
test(() => {
  assert_equals(JSON.stringify(Buffer.from("hi")), '{"type":"Buffer","data":[104,105]}');
  assert_equals(Buffer.from(JSON.parse(JSON.stringify(Buffer.from("hi")))).toString(), "hi");
}, "toJSON round trip");
test(() => {
  assert_true(Buffer.isBuffer(Buffer.alloc(1)));
  assert_false(Buffer.isBuffer(new Uint8Array(1)));
  assert_true(Buffer.isEncoding("UTF-8"));
  assert_false(Buffer.isEncoding("nope"));
}, "isBuffer and isEncoding");
test(() => {
  assert_true(isUtf8(Buffer.from("é")));
  assert_false(isUtf8(new Uint8Array([0xc3])));
  assert_equals(constants.MAX_LENGTH, 2 ** 32);
}, "isUtf8 and constants");
test(() => assert_equals(Buffer.from("abc").toString("utf8", 1, 2), "b"), "toString with a range");
test(() => assert_equals(Buffer.from(new Uint16Array([1, 2]).buffer).length, 4), "from an ArrayBuffer shares it");
test(() => assert_equals(Buffer.from([1, 2, 3, 4]).swap16().toString("hex"), "02010403"), "swap16");
