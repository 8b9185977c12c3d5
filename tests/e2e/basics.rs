use bytes::Bytes;
use wasm_sandbox::{StatusText, WorkerCode};
use wasm_sandbox_tests::{get, json, loader, run_js, text};

#[tokio::test]
async fn seed_example_returns_exactly_its_text() {
    let loader = loader().await;
    let resp = run_js(
        &loader,
        r#"export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };"#,
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(text(&resp), "Hello from a dynamic Worker!");
    assert_eq!(resp.headers()["content-type"], "text/plain;charset=UTF-8");
}

#[tokio::test]
async fn request_reaches_the_script_and_response_comes_back() {
    let loader = loader().await;
    let worker = loader
        .load(
            WorkerCode::js(
                "worker.js",
                r#"
            export default {
              async fetch(request, env, ctx) {
                const body = await request.text();
                const url = new URL(request.url);
                return new Response(JSON.stringify({
                  method: request.method,
                  url: request.url,
                  path: url.pathname,
                  q: url.searchParams.get("q"),
                  agent: request.headers.get("x-agent"),
                  multi: request.headers.get("x-multi"),
                  body,
                  env: env.GREETING,
                  hasWaitUntil: typeof ctx.waitUntil,
                }), {
                  status: 201,
                  statusText: "Made It",
                  headers: { "x-reply": "yes", "content-type": "application/json" },
                });
              },
            };"#,
            )
            .with_env("GREETING", "hi"),
        )
        .unwrap();
    let req = http::Request::post("https://example.test/a/b?q=42")
        .header("x-agent", "claude")
        .header("x-multi", "1")
        .header("x-multi", "2")
        .body(Bytes::from_static(b"payload \xF0\x9F\x98\x80"))
        .unwrap();
    let resp = worker.entrypoint(None).fetch(req).await.unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.extensions().get::<StatusText>().unwrap().0, "Made It");
    assert_eq!(resp.headers()["x-reply"], "yes");
    let v = json(&resp);
    assert_eq!(v["method"], "POST");
    assert_eq!(v["url"], "https://example.test/a/b?q=42");
    assert_eq!(v["path"], "/a/b");
    assert_eq!(v["q"], "42");
    assert_eq!(v["agent"], "claude");
    assert_eq!(v["multi"], "1, 2");
    assert_eq!(v["body"], "payload 😀");
    assert_eq!(v["env"], "hi");
    assert_eq!(v["hasWaitUntil"], "function");
}

#[tokio::test]
async fn relative_uri_is_made_absolute_from_the_host_header() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "worker.js",
            "export default { fetch(r) { return new Response(r.url); } }",
        ))
        .unwrap();
    let req = http::Request::get("/x?y=1")
        .header("host", "api.local:8080")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(
        text(&worker.entrypoint(None).fetch(req).await.unwrap()),
        "https://api.local:8080/x?y=1"
    );
    let req = http::Request::get("/x").body(Bytes::new()).unwrap();
    assert_eq!(
        text(&worker.entrypoint(None).fetch(req).await.unwrap()),
        "https://worker/x"
    );
}

#[tokio::test]
async fn binary_bodies_round_trip() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "worker.js",
            r#"export default { async fetch(r) {
                const b = new Uint8Array(await r.arrayBuffer());
                return new Response(b.map((x) => 255 - x), { headers: { "content-type": "application/octet-stream" } });
            } }"#,
        ))
        .unwrap();
    let input: Vec<u8> = (0..=255u8).collect();
    let req = http::Request::put("https://w/")
        .body(Bytes::from(input.clone()))
        .unwrap();
    let resp = worker.entrypoint(None).fetch(req).await.unwrap();
    let expected: Vec<u8> = input.iter().map(|x| 255 - x).collect();
    assert_eq!(resp.body().as_ref(), expected.as_slice());
}

#[tokio::test]
async fn async_handlers_with_awaited_timers() {
    let loader = loader().await;
    let started = std::time::Instant::now();
    let resp = run_js(
        &loader,
        r#"
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        export default {
          async fetch() {
            const order = [];
            setTimeout(() => order.push("t30"), 30);
            const cancelled = setTimeout(() => order.push("never"), 10);
            clearTimeout(cancelled);
            setTimeout((a, b) => order.push(`t0:${a}${b}`), 0, "x", "y");
            queueMicrotask(() => order.push("micro"));
            Promise.resolve().then(() => order.push("then"));
            order.push("sync");
            await sleep(50);
            let ticks = 0;
            await new Promise((resolve) => {
              const id = setInterval(() => { if (++ticks === 3) { clearInterval(id); resolve(); } }, 5);
            });
            return Response.json({ order, ticks });
          },
        };"#,
    )
    .await
    .unwrap();
    let v = json(&resp);
    assert_eq!(
        v["order"],
        serde_json::json!(["sync", "micro", "then", "t0:xy", "t30"])
    );
    assert_eq!(v["ticks"], 3);
    // The sleeps really happened (timers are not skipped), and did not take absurdly long.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= std::time::Duration::from_millis(60),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn sync_handler_and_non_method_export_shapes() {
    let loader = loader().await;
    // A plain function property, an arrow function, a class instance: all work as handlers.
    for src in [
        r#"export default { fetch: () => new Response("arrow") };"#,
        r#"class H { fetch() { return new Response("instance"); } } export default new H();"#,
        r#"export default { async fetch() { return new Response("async"); } };"#,
    ] {
        let resp = run_js(&loader, src).await.unwrap();
        assert!(!text(&resp).is_empty(), "{src}");
    }
}

#[tokio::test]
async fn console_output_is_captured_with_levels() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "worker.js",
            r#"console.log("at load");
            export default { fetch() {
              console.log("plain", 1, { a: [1, 2] });
              console.warn("careful");
              console.error(new Error("boom"));
              console.info("%s=%d", "x", 42);
              return new Response("ok");
            } };"#,
        ))
        .unwrap();
    let inv = worker
        .entrypoint(None)
        .fetch_traced(get("https://w/"))
        .await;
    inv.result.unwrap();
    let lines: Vec<(String, String)> = inv
        .trace
        .logs
        .iter()
        .map(|l| (format!("{:?}", l.level), l.message.clone()))
        .collect();
    assert_eq!(lines[0], ("Log".into(), "at load".into()));
    assert_eq!(lines[1], ("Log".into(), "plain 1 { a: [ 1, 2 ] }".into()));
    assert_eq!(lines[2], ("Warn".into(), "careful".into()));
    assert_eq!(lines[3].0, "Error");
    assert!(lines[3].1.starts_with("Error: boom"), "{}", lines[3].1);
    assert_eq!(lines[4], ("Info".into(), "x=42".into()));
    assert!(inv.trace.cold);
    assert_eq!(inv.trace.outcome, "ok");
    // Warm: the module is not evaluated again, so "at load" is not logged again.
    let inv = worker
        .entrypoint(None)
        .fetch_traced(get("https://w/"))
        .await;
    assert!(!inv.trace.cold);
    assert_eq!(inv.trace.logs[0].message, "plain 1 { a: [ 1, 2 ] }");
}

#[tokio::test]
async fn wait_until_work_finishes_before_the_invocation_ends() {
    let loader = loader().await;
    // Sync and async handlers, a thenable result, and an unbound `waitUntil`: the response is
    // what the handler returned, and the background work has run (and been reported) by the
    // time the invocation ends.
    for (handler, expect) in [
        ("fetch(request, env, ctx)", "sync"),
        ("async fetch(request, env, ctx)", "async"),
        ("fetch(request, env, ctx)", "thenable"),
    ] {
        let ret = match expect {
            "thenable" => r#"({ then(ok) { ok(new Response("thenable")); } })"#.to_string(),
            other => format!(r#"new Response("{other}")"#),
        };
        let src = format!(
            r#"export default {{ {handler} {{
                ctx.waitUntil(new Promise((r) => setTimeout(() => {{ console.log("after"); r(); }}, 20)));
                const {{ waitUntil }} = ctx;
                waitUntil(Promise.reject(new Error("background failed")));
                return {ret};
            }} }};"#
        );
        let worker = loader.load(WorkerCode::js("worker.js", &src)).unwrap();
        let inv = worker
            .entrypoint(None)
            .fetch_traced(get("https://w/"))
            .await;
        let resp = inv.result.unwrap();
        assert_eq!(text(&resp), expect);
        let logs: Vec<&str> = inv.trace.logs.iter().map(|l| l.message.as_str()).collect();
        assert!(logs.contains(&"after"), "{expect}: {logs:?}");
        assert!(
            logs.iter()
                .any(|l| l.starts_with("Uncaught Error: background failed")),
            "{expect}: {logs:?}"
        );
    }
}

#[tokio::test]
async fn the_request_a_handler_gets_behaves_like_a_constructed_one() {
    let loader = loader().await;
    let resp = run_js(
        &loader,
        r#"export default { async fetch(request) {
            const copy = new Request(request);
            const clone = request.clone();
            return Response.json({
              signal: request.signal instanceof AbortSignal && !request.signal.aborted,
              redirect: request.redirect,
              isRequest: request instanceof Request,
              headers: [...request.headers],
              copyUrl: copy.url, cloneMethod: clone.method,
              body: await request.text(), used: request.bodyUsed,
            });
        } };"#,
    )
    .await
    .unwrap();
    let v = json(&resp);
    assert_eq!(v["signal"], true);
    assert_eq!(v["redirect"], "follow");
    assert_eq!(v["isRequest"], true);
    assert_eq!(v["body"], "");
    assert_eq!(v["used"], true);
    assert_eq!(v["cloneMethod"], "GET");
}

/// Headers are built only when a script reads them; what goes out must not depend on whether it
/// did: a default content-type survives a later `headers.set`, and a script that replaces it wins.
#[tokio::test]
async fn response_headers_read_late_or_never_go_out_the_same() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "worker.js",
            r#"
            export default {
              async fetch(request) {
                const path = new URL(request.url).pathname;
                if (path === "/never") return new Response("a");
                if (path === "/added") { const r = new Response("b"); r.headers.set("x-late", "1"); return r; }
                if (path === "/replaced") { const r = new Response("c"); r.headers.set("content-type", "text/x-mine"); return r; }
                if (path === "/clone") { const r = new Response("d"); return r.clone(); }
                if (path === "/empty") return new Response(null, { status: 204 });
                // The request's headers, read after the body.
                const body = await request.text();
                return new Response(body + " " + request.headers.get("x-in") + " " + [...request.headers.keys()].join(","));
              },
            };"#,
        ))
        .unwrap();
    let call = |path: &'static str| {
        let worker = worker.clone();
        async move {
            worker
                .entrypoint(None)
                .fetch(get(&format!("https://w{path}")))
                .await
                .unwrap()
        }
    };
    let r = call("/never").await;
    assert_eq!(r.headers()["content-type"], "text/plain;charset=UTF-8");
    assert_eq!(r.headers().len(), 1, "{:?}", r.headers());
    let r = call("/added").await;
    assert_eq!(r.headers()["content-type"], "text/plain;charset=UTF-8");
    assert_eq!(r.headers()["x-late"], "1");
    let r = call("/replaced").await;
    assert_eq!(r.headers()["content-type"], "text/x-mine");
    assert_eq!(r.headers().get_all("content-type").iter().count(), 1);
    let r = call("/clone").await;
    assert_eq!(r.headers()["content-type"], "text/plain;charset=UTF-8");
    assert_eq!(text(&r), "d");
    let r = call("/empty").await;
    assert_eq!(r.status(), 204);
    assert!(r.headers().get("content-type").is_none());
    let req = http::Request::post("https://w/echo")
        .header("x-in", "v")
        .header("x-b", "2")
        .body(Bytes::from_static(b"sent"))
        .unwrap();
    let r = worker.entrypoint(None).fetch(req).await.unwrap();
    assert_eq!(text(&r), "sent v x-b,x-in");
}
