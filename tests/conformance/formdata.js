// FormData, File and Blob; request.formData() for multipart and urlencoded bodies, and a
// FormData body serialized as multipart.
import { test, promise_test, assert_equals, assert_true, assert_array_equals, promise_rejects_js, assert_throws_js, assert_class_string } from "./harness.js";

test(() => {
  const f = new FormData();
  f.append("a", "1"); f.append("a", "2"); f.set("b", "x"); f.append("c", new Blob(["z"]));
  assert_array_equals(f.getAll("a"), ["1", "2"]);
  assert_equals(f.get("b"), "x");
  assert_true(f.get("c") instanceof File);
  assert_equals(f.get("c").name, "blob");
  f.set("a", "3");
  assert_array_equals([...f.keys()], ["a", "b", "c"]);
  f.delete("b");
  assert_equals(f.has("b"), false);
  assert_equals(f.get("nope"), null);
  assert_class_string(f, "FormData");
}, "FormData entries");
test(() => {
  const file = new File(["ab", new Uint8Array([99])], "x.txt", { type: "Text/Plain", lastModified: 42 });
  assert_equals(file.name, "x.txt"); assert_equals(file.size, 3); assert_equals(file.type, "text/plain"); assert_equals(file.lastModified, 42);
  assert_true(file instanceof Blob);
  assert_throws_js(TypeError, () => new File(["x"]));
}, "File");
promise_test(async () => {
  const b = new Blob(["hello ", "world"], { type: "text/plain" });
  assert_equals(await b.slice(6).text(), "world");
  assert_equals(await b.slice(-5, -2).text(), "wor");
  const chunks = [];
  for await (const c of b.stream()) chunks.push(...c);
  assert_equals(new TextDecoder().decode(new Uint8Array(chunks)), "hello world");
  assert_equals((await b.arrayBuffer()).byteLength, 11);
}, "Blob slice, stream, arrayBuffer");
promise_test(async () => {
  const body = "--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue one\r\n" +
    "--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a \\\"b\\\".bin\"\r\nContent-Type: application/x-thing\r\n\r\n\x00\x01\r\n\x02\r\n" +
    "--XyZ--\r\n";
  const bytes = Uint8Array.from(body, (c) => c.charCodeAt(0));
  const req = new Request("https://w/upload", { method: "POST", body: bytes, headers: { "content-type": "multipart/form-data; boundary=XyZ" } });
  const form = await req.formData();
  assert_equals(form.get("field"), "value one");
  const up = form.get("upload");
  assert_equals(up.name, 'a "b".bin');
  assert_equals(up.type, "application/x-thing");
  assert_array_equals(new Uint8Array(await up.arrayBuffer()), [0, 1, 13, 10, 2]);
}, "request.formData() parses multipart, binary parts and quoted names included");
promise_test(async () => {
  const req = new Request("https://w/", { method: "POST", body: "a=1&b=x+y&a=%F0%9F%98%80", headers: { "content-type": "application/x-www-form-urlencoded" } });
  const form = await req.formData();
  assert_array_equals(form.getAll("a"), ["1", "😀"]);
  assert_equals(form.get("b"), "x y");
}, "request.formData() parses urlencoded");
promise_test(async () => {
  const form = new FormData();
  form.append("name", "Ada");
  form.append("file", new File(["data"], "d.txt", { type: "text/plain" }));
  const res = new Response(form);
  assert_true(/^multipart\/form-data; boundary=/.test(res.headers.get("content-type")));
  const back = await res.formData();
  assert_equals(back.get("name"), "Ada");
  assert_equals(back.get("file").name, "d.txt");
  assert_equals(await back.get("file").text(), "data");
}, "new Response(formData) serializes multipart that parses back");
promise_test(async () => {
  await promise_rejects_js(TypeError, new Request("https://w/", { method: "POST", body: "x" }).formData());
  await promise_rejects_js(TypeError, new Request("https://w/", { method: "POST", body: "--a\r\nbroken", headers: { "content-type": "multipart/form-data; boundary=a" } }).formData());
  await promise_rejects_js(TypeError, new Request("https://w/", { method: "POST", body: "x", headers: { "content-type": "multipart/form-data" } }).formData());
}, "bad bodies are TypeErrors");
