// node:async_hooks — AsyncLocalStorage follows the logical flow of a program: through `await`,
// `then`, queueMicrotask and the timers, and never across to a concurrent flow.
import { test, promise_test, assert_equals, assert_true, assert_array_equals, assert_throws_js } from "./harness.js";
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import * as bare from "async_hooks";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test(() => {
  assert_equals(bare.AsyncLocalStorage, AsyncLocalStorage);
  const als = new AsyncLocalStorage();
  assert_equals(als.getStore(), undefined);
  assert_equals(als.run(7, () => als.getStore()), 7);
  assert_equals(als.getStore(), undefined, "left after run");
}, "run sets the store for its callback only; bare name");
test(() => {
  const als = new AsyncLocalStorage();
  assert_equals(als.run(1, (a, b) => a + b, 2, 3), 5, "arguments are passed");
  assert_throws_js(Error, () => als.run("s", () => { throw new Error("x"); }));
  assert_equals(als.getStore(), undefined, "restored after a throw");
  assert_throws_js(TypeError, () => als.run(1, "not a function"));
}, "run passes arguments, restores on throw, checks its callback");
promise_test(async () => {
  const als = new AsyncLocalStorage();
  const got = await als.run({ id: 1 }, async () => {
    await null;
    const a = als.getStore().id;
    await sleep(1);
    const b = als.getStore().id;
    await Promise.all([sleep(1), Promise.resolve()]);
    return [a, b, als.getStore().id];
  });
  assert_array_equals(got, [1, 1, 1]);
  assert_equals(als.getStore(), undefined, "outside after the awaits");
}, "the store survives await, timers and Promise.all");
promise_test(async () => {
  const als = new AsyncLocalStorage();
  const seen = [];
  const flow = (id, ms) => als.run(id, async () => {
    for (let i = 0; i < 3; i++) { await sleep(ms); seen.push(`${id}:${als.getStore()}`); }
  });
  await Promise.all([flow("a", 2), flow("b", 1), flow("c", 0)]);
  assert_equals(seen.length, 9);
  for (const s of seen) { const [want, got] = s.split(":"); assert_equals(got, want, s); }
}, "interleaved concurrent flows each see their own store");
promise_test(async () => {
  const als = new AsyncLocalStorage();
  let resolve;
  const p = new Promise((r) => { resolve = r; });
  const seen = als.run("registered", () => p.then(() => als.getStore()));
  als.run("resolver", () => resolve());
  assert_equals(await seen, "registered");
}, "a then callback runs in the context it was registered in, not the resolver's");
promise_test(async () => {
  const als = new AsyncLocalStorage();
  const got = await als.run("m", () => new Promise((resolve) => queueMicrotask(() => resolve(als.getStore()))));
  assert_equals(got, "m");
  const t = await als.run("t", () => new Promise((resolve) => setTimeout(() => resolve(als.getStore()), 1)));
  assert_equals(t, "t");
  let ticks = 0;
  const i = await als.run("i", () => new Promise((resolve) => {
    const id = setInterval(() => { if (++ticks === 2) { clearInterval(id); resolve(als.getStore()); } }, 1);
  }));
  assert_equals(i, "i");
  assert_equals(als.getStore(), undefined);
}, "queueMicrotask, setTimeout and setInterval callbacks keep the store");
promise_test(async () => {
  const als = new AsyncLocalStorage();
  async function* gen() { yield als.getStore(); await sleep(1); yield als.getStore(); }
  const got = await als.run("g", async () => { const out = []; for await (const v of gen()) out.push(v); return out; });
  assert_array_equals(got, ["g", "g"]);
}, "async generators and for await");
test(() => {
  const a = new AsyncLocalStorage(), b = new AsyncLocalStorage();
  a.run("A", () => {
    b.run("B", () => {
      assert_equals(a.getStore(), "A"); assert_equals(b.getStore(), "B");
      a.run("A2", () => { assert_equals(a.getStore(), "A2"); assert_equals(b.getStore(), "B"); });
      assert_equals(a.getStore(), "A");
    });
    assert_equals(b.getStore(), undefined);
    a.exit(() => assert_equals(a.getStore(), undefined, "exit"));
    assert_equals(a.getStore(), "A", "after exit");
  });
}, "two storages nest independently; exit leaves one");
promise_test(async () => {
  const als = new AsyncLocalStorage();
  const got = await als.run("outer", async () => {
    als.enterWith("entered");
    const now = als.getStore();
    await null;
    return [now, als.getStore()];
  });
  assert_array_equals(got, ["entered", "entered"]);
  assert_equals(als.getStore(), undefined, "enterWith inside run ends with the run");
  als.run("x", () => { als.disable(); assert_equals(als.getStore(), undefined, "disable"); });
}, "enterWith lasts for the rest of the flow; disable leaves the store");
promise_test(async () => {
  const als = new AsyncLocalStorage();
  const bound = als.run("b", () => AsyncLocalStorage.bind(() => als.getStore()));
  const snap = als.run("s", () => AsyncLocalStorage.snapshot());
  assert_equals(bound(), "b");
  assert_equals(snap(() => als.getStore()), "s");
  assert_equals(als.getStore(), undefined);
  const named = new AsyncLocalStorage({ name: "req", defaultValue: "dflt" });
  assert_equals(named.name, "req");
  assert_equals(named.getStore(), "dflt");
  assert_equals(named.run(undefined, () => named.getStore()), undefined, "an explicit undefined store is not the default");
}, "bind, snapshot, name and defaultValue");
test(() => {
  const als = new AsyncLocalStorage();
  const r = als.run("res", () => new AsyncResource("Job"));
  assert_equals(r.type, "Job");
  assert_true(r.asyncId() > 0);
  assert_equals(r.runInAsyncScope(function (x) { return [this.k, x, als.getStore()]; }, { k: 1 }, 2).join(), "1,2,res");
  const f = r.bind(() => als.getStore());
  assert_equals(f(), "res");
  assert_equals(f.asyncResource, r);
  const g = als.run("static", () => AsyncResource.bind(() => als.getStore()));
  assert_equals(g(), "static");
  assert_throws_js(TypeError, () => new AsyncResource(1));
}, "AsyncResource: runInAsyncScope and bind");
promise_test(async () => {
  const als = new AsyncLocalStorage();
  const got = await als.run("f", async () => {
    const r = new Response("body");
    await r.text();
    const s = new ReadableStream({ async pull(c) { await sleep(1); c.enqueue(1); c.close(); } });
    for await (const _ of s) { /* drain */ }
    return als.getStore();
  });
  assert_equals(got, "f");
}, "the store survives body reads and stream iteration");
