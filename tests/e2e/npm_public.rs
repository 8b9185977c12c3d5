//! The acceptance set against the real npm registry, through the daemon: Cloudflare's
//! worker-bundler Hono example unchanged, and a small script for each of ms, zod, hono,
//! itty-router, nanoid, date-fns and jose. Ignored by `cargo test` (it needs the registry);
//! `make npm-acceptance` (part of `make test`) runs it.

use std::time::Duration;

use serde_json::{json, Value};
use wasm_sandbox_tests::daemon::{client, post_json, put_json, TempDir, TestDaemon};

fn files(package_json: &str, index_ts: &str) -> Value {
    json!({ "package.json": package_json, "src/index.ts": index_ts })
}

/// Cloudflare's example, unchanged: `src/index.ts` + `package.json` with `hono ^4.0.0`.
const HONO_INDEX: &str = "import { Hono } from 'hono';
const app = new Hono();
app.get('/', (c) => c.text('Hello from Dynamic Worker!'));
export default app;
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the public npm registry: make npm-acceptance"]
async fn hono_example_and_the_acceptance_set_run_from_the_public_registry() {
    let dir = TempDir::new("npm-public");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let hono = files(r#"{"dependencies": {"hono": "^4.0.0"}}"#, HONO_INDEX);

    // Through /api/run, then registered and served under /workers/{id}/.
    let (status, v) = post_json(&d, "/api/run", &json!({ "files": hono })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "Hello from Dynamic Worker!");
    let (status, v) = put_json(&d, "/workers/hono-example", &json!({ "files": hono })).await;
    assert_eq!(status, 201, "{v}");
    assert!(v["lock"][0].as_str().unwrap().starts_with("hono@4."), "{v}");
    let body = client()
        .get(d.url("/workers/hono-example/"))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "Hello from Dynamic Worker!");

    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "ms",
            r#"{"dependencies": {"ms": "^2.1.3"}}"#,
            "import ms from 'ms';
export default { fetch(): Response { return new Response(`${ms('2 days')} ${ms(60000)}`); } };",
            "172800000 1m",
        ),
        (
            "zod",
            r#"{"dependencies": {"zod": "^3.23.0"}}"#,
            "import { z } from 'zod';
const User = z.object({ name: z.string(), age: z.number().int().positive() });
export default { fetch(): Response {
  const ok = User.safeParse({ name: 'a', age: 3 });
  const bad = User.safeParse({ name: 1 });
  return new Response(`${ok.success} ${bad.success} ${bad.success ? 0 : bad.error.issues.length}`);
} };",
            "true false 2",
        ),
        (
            "itty-router",
            r#"{"dependencies": {"itty-router": "^5.0.0"}}"#,
            "import { AutoRouter } from 'itty-router';
const router = AutoRouter();
router.get('/', () => new Response('itty ok'));
export default router;",
            "itty ok",
        ),
        (
            "nanoid",
            r#"{"dependencies": {"nanoid": "^5.0.0"}}"#,
            "import { nanoid, customAlphabet } from 'nanoid';
export default { fetch(): Response { return new Response(`${nanoid().length} ${customAlphabet('ab', 8)().length}`); } };",
            "21 8",
        ),
        (
            "date-fns",
            r#"{"dependencies": {"date-fns": "^4.0.0"}}"#,
            "import { format, addDays } from 'date-fns';
export default { fetch(): Response { return new Response(format(addDays(new Date(2024, 0, 30), 3), 'yyyy-MM-dd')); } };",
            "2024-02-02",
        ),
        (
            "jose",
            r#"{"dependencies": {"jose": "^6.0.0"}}"#,
            "import { SignJWT, jwtVerify } from 'jose';
export default { async fetch(): Promise<Response> {
  const key = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
  const jwt = await new SignJWT({ sub: 'agent' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(1700000000).sign(key);
  const { payload } = await jwtVerify(jwt, key);
  return new Response(`${payload.sub} ${jwt.split('.').length}`);
} };",
            "agent 3",
        ),
    ];
    for (name, package_json, index, expected) in cases {
        let (status, v) = post_json(
            &d,
            "/api/run",
            &json!({ "files": files(package_json, index) }),
        )
        .await;
        assert_eq!(status, 200, "{name}: {v}");
        assert_eq!(v["output"], *expected, "{name}: {v}");
    }

    // zod 4 evaluates ~880 KiB of modules on a cold start: more than the default 50 ms of CPU,
    // so it asks for more (within the daemon's ceilings).
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({
            "files": files(r#"{"dependencies": {"zod": "^4.0.0"}}"#,
                "import * as z from 'zod';
const User = z.object({ name: z.string(), age: z.number().int().positive() });
export default { fetch(): Response { return new Response(`${User.safeParse({ name: 'a', age: 3 }).success} ${User.safeParse({}).success}`); } };"),
            "limits": { "cpuMs": 1000 },
        }),
    )
    .await;
    assert_eq!(status, 200, "zod 4: {v}");
    assert_eq!(v["output"], "true false", "zod 4: {v}");
}
