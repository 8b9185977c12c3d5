// URL against the WPT data files the url crate ships (urltestdata.json, setters_tests.json).
import { test, assert_equals, assert_throws_js } from "./harness.js";
import cases from "./data/urltestdata.json";
import setters from "./data/setters_tests.json";

let n = 0;
for (const c of cases) {
  if (typeof c === "string") continue;
  const name = `parse #${n++}: ${JSON.stringify(c.input)} against ${JSON.stringify(c.base)}`;
  test(() => {
    if (c.failure) { assert_throws_js(TypeError, () => (c.base === null ? new URL(c.input) : new URL(c.input, c.base))); return; }
    const u = c.base === null ? new URL(c.input) : new URL(c.input, c.base);
    for (const k of ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"]) assert_equals(u[k], c[k], k);
    if (c.origin !== undefined) assert_equals(u.origin, c.origin, "origin");
  }, name);
}
for (const [prop, list] of Object.entries(setters)) {
  if (prop === "comment") continue;
  list.forEach((c, i) => {
    test(() => {
      const u = new URL(c.href);
      u[prop] = c.new_value;
      for (const [k, v] of Object.entries(c.expected)) assert_equals(u[k], v, k);
    }, `set ${prop} #${i}: ${JSON.stringify(c.href)} <- ${JSON.stringify(c.new_value)}`);
  });
}
