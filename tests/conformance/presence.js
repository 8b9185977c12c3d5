// The Minimum Common API, item by item (data/min-common-api.txt): each must resolve to a value.
import { test, assert_true } from "./harness.js";
import list from "./data/min-common-api.txt";

for (const item of list.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))) {
  test(() => {
    let v = globalThis;
    for (const part of item.split(".")) v = v === undefined || v === null ? undefined : v[part];
    assert_true(v !== undefined, `${item} is undefined`);
  }, `present: ${item}`);
}
