// The TypeErrors of property access on undefined and null, worded as V8 words them: scripts (and
// their tests) compare these messages.
import { test, assert_equals } from "./harness.js";

const message = (fn) => { try { fn(); } catch (e) { return `${e.constructor.name}: ${e.message}`; } return "no error"; };

test(() => {
  let u;
  assert_equals(message(() => u.x), "TypeError: Cannot read properties of undefined (reading 'x')");
  const n = null;
  assert_equals(message(() => n.name), "TypeError: Cannot read properties of null (reading 'name')");
}, "reading a named property");
test(() => {
  let u, key = "dyn";
  assert_equals(message(() => u[key]), "TypeError: Cannot read properties of undefined (reading 'dyn')");
  assert_equals(message(() => u[0]), "TypeError: Cannot read properties of undefined (reading '0')");
  const o = {};
  assert_equals(message(() => o.a.b), "TypeError: Cannot read properties of undefined (reading 'b')");
}, "reading a computed or nested property");
test(() => {
  let u;
  const n = null;
  assert_equals(message(() => { u.x = 1; }), "TypeError: Cannot set properties of undefined (setting 'x')");
  assert_equals(message(() => { n.y = 1; }), "TypeError: Cannot set properties of null (setting 'y')");
}, "setting a property");
test(() => {
  let u;
  assert_equals(message(() => u?.x), "no error", "optional chaining still short-circuits");
  const { a } = {}; void a;
  assert_equals(message(() => { const { b } = null; return b; }).startsWith("TypeError: "), true, "destructuring null is a TypeError");
}, "what does not throw still does not");
