//! Outbound HTTP: `fetch()` over the filtered wasi:http, against real servers on 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use wasm_sandbox::{Config, GlobalOutbound, OutboundLimits, WorkerCode};
use wasm_sandbox_tests::upstream::Upstream;
use wasm_sandbox_tests::{get, json, loader, loader_with, text};

/// (method, url, headers, body) of a request the gateway saw.
type SeenByGateway = (String, String, Vec<(String, String)>, Bytes);

/// Run `source` with `outbound`; return (response JSON, outbound records).
async fn run(
    loader: &wasm_sandbox::Loader,
    outbound: GlobalOutbound,
    source: &str,
) -> (serde_json::Value, Vec<wasm_sandbox::OutboundRecord>) {
    let worker = loader
        .load(WorkerCode::js("worker.js", source).with_outbound(outbound))
        .unwrap();
    let inv = worker
        .entrypoint(None)
        .fetch_traced(get("https://worker/"))
        .await;
    let resp = inv.result.unwrap();
    (json(&resp), inv.trace.outbound)
}

/// A script that fetches each URL and reports `ok STATUS BODY` or `err NAME: MESSAGE`.
fn probe_script(urls: &[String]) -> String {
    format!(
        r#"export default {{ async fetch() {{
            const out = [];
            for (const u of {urls}) {{
              try {{ const r = await fetch(u); out.push("ok " + r.status + " " + await r.text()); }}
              catch (e) {{ out.push("err " + e.name + ": " + e.message); }}
            }}
            return Response.json(out);
        }} }};"#,
        urls = serde_json::to_string(urls).unwrap()
    )
}

fn loopback_allowed(up: &Upstream) -> GlobalOutbound {
    GlobalOutbound::allow(&[up.base()], &["127.0.0.1/32"]).unwrap()
}

#[tokio::test]
async fn default_is_no_outbound_access() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let (v, records) = run(
        &loader,
        GlobalOutbound::Deny,
        &probe_script(&[format!("{}/hello", up.base())]),
    )
    .await;
    let line = v[0].as_str().unwrap();
    assert!(line.starts_with("err TypeError"), "{line}");
    assert!(line.contains("not permitted for this worker"), "{line}");
    assert!(up.seen().is_empty());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome.as_str(), "denied");
}

#[tokio::test]
async fn allowed_host_with_the_loopback_opt_in() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let (v, records) = run(
        &loader,
        loopback_allowed(&up),
        &format!(
            r#"export default {{ async fetch() {{
                const r = await fetch("{}/hello", {{ headers: {{ "x-from": "script" }} }});
                return Response.json({{ status: r.status, ok: r.ok, body: await r.text(), up: r.headers.get("x-upstream"), url: r.url, redirected: r.redirected }});
            }} }};"#,
            up.base()
        ),
    )
    .await;
    assert_eq!(v["status"], 200);
    assert_eq!(v["ok"], true);
    assert_eq!(v["body"], "hello from upstream");
    assert_eq!(v["up"], "yes");
    assert_eq!(v["url"], format!("{}/hello", up.base()));
    assert_eq!(v["redirected"], false);
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0]
        .headers
        .iter()
        .any(|(k, v)| k == "x-from" && v == "script"));
    assert_eq!(records[0].outcome.as_str(), "ok");
    assert_eq!(records[0].status, Some(200));
}

#[tokio::test]
async fn allowed_name_is_still_refused_on_a_private_address() {
    let up = Upstream::start().await;
    let loader = loader().await;
    // The rule allows the URL, but nothing opts in to loopback.
    let policy = GlobalOutbound::allow(&[up.base()], &[] as &[&str]).unwrap();
    let (v, records) = run(
        &loader,
        policy,
        &probe_script(&[format!("{}/hello", up.base())]),
    )
    .await;
    let line = v[0].as_str().unwrap();
    assert!(line.contains("loopback"), "{line}");
    assert!(line.contains("allowPrivate"), "{line}");
    assert!(up.seen().is_empty());
    assert_eq!(records[0].outcome.as_str(), "denied");
}

#[tokio::test]
async fn unmatched_host_is_denied_naming_the_rule_that_would_allow_it() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let policy =
        GlobalOutbound::allow(&["https://api.example.com", &up.base()], &["127.0.0.1/32"]).unwrap();
    let port = up.addr.port();
    let other_port = if port == 65535 { port - 1 } else { port + 1 };
    let (v, _) = run(
        &loader,
        policy,
        &probe_script(&[
            "http://evil.example.net/steal".to_string(),
            format!("http://127.0.0.1:{other_port}/hello"),
            format!("{}/hello", up.base()),
        ]),
    )
    .await;
    let evil = v[0].as_str().unwrap();
    assert!(evil.starts_with("err TypeError"), "{evil}");
    assert!(evil.contains("evil.example.net"), "{evil}");
    assert!(evil.contains(r#"add "http://evil.example.net"#), "{evil}");
    let wrong_port = v[1].as_str().unwrap();
    assert!(
        wrong_port.contains(&format!("127.0.0.1:{other_port}")),
        "{wrong_port}"
    );
    assert_eq!(v[2], "ok 200 hello from upstream");
}

#[tokio::test]
async fn a_denied_fetch_and_a_failed_one_are_each_a_type_error_with_its_own_message() {
    // A loopback port nothing listens on, allowed by the policy: connecting to it fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let loader = loader().await;
    let policy = GlobalOutbound::allow(
        &[format!("http://127.0.0.1:{closed}")],
        &["127.0.0.1/32".to_string()],
    )
    .unwrap();
    // The host answers a denial with wasi-http's `http-request-denied` (no text); the guest asks
    // for the reason by the URL it sent, so each of two concurrent denials of one URL (and a URL
    // with a query) gets its own.
    let (v, records) = run(
        &loader,
        policy,
        &format!(
            r#"export default {{ async fetch() {{
                const probe = async (u) => {{
                  try {{ await fetch(u); return "no error"; }}
                  catch (e) {{ return [e instanceof TypeError, e.name, e.message]; }}
                }};
                const out = [await probe("http://denied.example.com/a?x=1&y=%20")];
                out.push(...await Promise.all([probe("http://denied.example.com/b"), probe("http://denied.example.com/b")]));
                out.push(await probe("http://127.0.0.1:{closed}/nothing-listens"));
                return Response.json(out);
            }} }};"#
        ),
    )
    .await;
    for (i, url) in [
        "http://denied.example.com/a?x=1&y=%20",
        "http://denied.example.com/b",
        "http://denied.example.com/b",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(v[i][0], true, "{v}");
        assert_eq!(v[i][1], "TypeError", "{v}");
        let message = v[i][2].as_str().unwrap();
        assert!(
            message.starts_with(&format!("fetch({url:?}) failed: ")),
            "{message}"
        );
        assert!(
            message.contains("no rule of this worker's globalOutbound allows it"),
            "{message}"
        );
        assert!(
            message.contains(r#"add "http://denied.example.com"#),
            "{message}"
        );
        assert!(!message.contains("denied by the host"), "{message}");
    }
    assert_eq!(v[3][0], true, "{v}");
    assert_eq!(v[3][1], "TypeError", "{v}");
    let failed = v[3][2].as_str().unwrap();
    assert!(
        failed.contains(&format!("connecting to 127.0.0.1:{closed}")),
        "{failed}"
    );
    assert!(!failed.contains("not permitted"), "{failed}");
    assert_eq!(
        records
            .iter()
            .map(|r| r.outcome.as_str())
            .collect::<Vec<_>>(),
        ["denied", "denied", "denied", "failed"]
    );
}

#[tokio::test]
async fn port_wildcards_and_cidr_rules() {
    let up = Upstream::start().await;
    let loader = loader().await;
    for rule in [
        "http://127.0.0.1:*",
        "http://127.0.0.0/8:*",
        "*://127.0.0.1:*",
    ] {
        let policy = GlobalOutbound::allow(&[rule], &["127.0.0.0/8"]).unwrap();
        let (v, _) = run(
            &loader,
            policy,
            &probe_script(&[format!("{}/hello", up.base())]),
        )
        .await;
        assert_eq!(v[0], "ok 200 hello from upstream", "{rule}");
    }
    let policy = GlobalOutbound::allow(&["https://127.0.0.1:*"], &["127.0.0.0/8"]).unwrap();
    let (v, _) = run(
        &loader,
        policy,
        &probe_script(&[format!("{}/hello", up.base())]),
    )
    .await;
    assert!(v[0].as_str().unwrap().starts_with("err TypeError"), "{v}");
}

#[tokio::test]
async fn ssrf_corpus_is_refused_even_when_every_host_is_allowed() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let port = up.addr.port();
    let urls: Vec<String> = [
        "localhost",
        "127.1",
        "0x7f000001",
        "2130706433",
        "0177.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",
        "169.254.169.254",
        "10.0.0.1",
        "192.168.1.1",
        "[fd00::1]",
    ]
    .iter()
    .map(|h| format!("http://{h}:{port}/hello"))
    .chain([format!(
        "{}/redirect?to=http://169.254.169.254/latest/meta-data/",
        up.base()
    )])
    .collect();
    // Everything is allowed by name, only 127.0.0.1:PORT's server is reachable by opt-in, and
    // only for the redirect case (the redirect source); the rest must be refused.
    let policy = GlobalOutbound::allow(&["*://*:*"], &[] as &[&str]).unwrap();
    let (v, records) = run(&loader, policy, &probe_script(&urls)).await;
    for (url, line) in urls.iter().zip(v.as_array().unwrap()) {
        let line = line.as_str().unwrap();
        assert!(line.starts_with("err TypeError"), "{url}: {line}");
    }
    assert!(up.seen().is_empty(), "{:?}", up.seen());
    assert!(
        records.iter().all(|r| r.outcome.as_str() == "denied"),
        "{records:?}"
    );

    // The redirect: from an allowed (opted-in) server to a private address.
    let policy = GlobalOutbound::allow(&["*://*:*"], &["127.0.0.1/32"]).unwrap();
    let (v, records) = run(
        &loader,
        policy,
        &probe_script(&[
            format!(
                "{}/redirect?to=http://169.254.169.254/latest/meta-data/",
                up.base()
            ),
            format!("{}/redirect?to=http://10.1.2.3/", up.base()),
        ]),
    )
    .await;
    for line in v.as_array().unwrap() {
        let line = line.as_str().unwrap();
        assert!(line.starts_with("err TypeError"), "{line}");
    }
    assert!(v[0].as_str().unwrap().contains("link-local"), "{v}");
    assert_eq!(up.seen().len(), 2, "the allowed first hops happen");
    assert_eq!(
        records
            .iter()
            .map(|r| r.outcome.as_str())
            .collect::<Vec<_>>(),
        ["ok", "denied", "ok", "denied"]
    );
}

#[tokio::test]
async fn script_cannot_set_host_or_other_forbidden_headers() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let (v, _) = run(
        &loader,
        loopback_allowed(&up),
        &format!(
            r#"export default {{ async fetch() {{
                const out = [];
                for (const h of [{{ host: "169.254.169.254" }}, {{ connection: "upgrade" }}, {{ "transfer-encoding": "chunked" }}]) {{
                  try {{ await fetch("{}/hello", {{ headers: h }}); out.push("sent"); }}
                  catch (e) {{ out.push(e.name + ": " + e.message); }}
                }}
                return Response.json(out);
            }} }};"#,
            up.base()
        ),
    )
    .await;
    for (line, name) in
        v.as_array()
            .unwrap()
            .iter()
            .zip(["host", "connection", "transfer-encoding"])
    {
        let line = line.as_str().unwrap();
        assert!(line.starts_with("TypeError"), "{line}");
        assert!(line.contains(name), "{line}");
    }
    assert!(up.seen().is_empty());
}

#[tokio::test]
async fn methods_bodies_and_response_reads() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let (v, _) = run(
        &loader,
        loopback_allowed(&up),
        &format!(
            r#"const base = "{}";
            export default {{ async fetch() {{
                const echo = async (init) => (await fetch(base + "/echo?x=1", init)).json();
                const s = await echo({{ method: "POST", body: "plain text" }});
                const b = await echo({{ method: "PUT", body: new Uint8Array([104, 105]).buffer }});
                const f = await echo({{ method: "POST", body: new URLSearchParams({{ a: "1 2" }}) }});
                const j = await (await fetch(new Request(base + "/echo", {{ method: "PATCH", body: JSON.stringify({{ k: 1 }}), headers: {{ "content-type": "application/json" }} }}))).json();
                const ab = await (await fetch(base + "/hello")).arrayBuffer();
                const bytes = await (await fetch(base + "/hello")).bytes();
                const head = await fetch(base + "/hello", {{ method: "HEAD" }});
                const del = await echo({{ method: "DELETE" }});
                const h = (e, k) => (e.headers.find(([n]) => n === k) || [])[1];
                return Response.json({{
                  s: [s.method, s.body, h(s, "content-type"), s.query],
                  b: [b.method, b.body],
                  f: [f.body, h(f, "content-type")],
                  j: [j.method, j.body, h(j, "content-type")],
                  ab: ab.byteLength, bytes: bytes.length, head: [head.status, await head.text()],
                  del: del.method,
                }});
            }} }};"#,
            up.base()
        ),
    )
    .await;
    assert_eq!(
        v["s"],
        serde_json::json!(["POST", "plain text", "text/plain;charset=UTF-8", "x=1"])
    );
    assert_eq!(v["b"], serde_json::json!(["PUT", "hi"]));
    assert_eq!(
        v["f"],
        serde_json::json!(["a=1+2", "application/x-www-form-urlencoded;charset=UTF-8"])
    );
    assert_eq!(
        v["j"],
        serde_json::json!(["PATCH", r#"{"k":1}"#, "application/json"])
    );
    assert_eq!(v["ab"], 19);
    assert_eq!(v["bytes"], 19);
    assert_eq!(v["head"], serde_json::json!([200, ""]));
    assert_eq!(v["del"], "DELETE");
}

#[tokio::test]
async fn redirect_modes() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let (v, records) = run(
        &loader,
        loopback_allowed(&up),
        &format!(
            r#"const base = "{}";
            export default {{ async fetch() {{
                const follow = await fetch(base + "/redirect?to=/hello");
                const see = await fetch(base + "/redirect?to=/echo&status=303", {{ method: "POST", body: "x" }});
                const manual = await fetch(base + "/redirect?to=/hello", {{ redirect: "manual" }});
                let error;
                try {{ await fetch(base + "/redirect?to=/hello", {{ redirect: "error" }}); }} catch (e) {{ error = e.name; }}
                return Response.json({{
                  follow: [follow.status, follow.redirected, follow.url, await follow.text()],
                  see: (await see.json()).method,
                  manual: [manual.status, manual.headers.get("location")],
                  error,
                }});
            }} }};"#,
            up.base()
        ),
    )
    .await;
    assert_eq!(
        v["follow"],
        serde_json::json!([
            200,
            true,
            format!("{}/hello", up.base()),
            "hello from upstream"
        ])
    );
    assert_eq!(v["see"], "GET");
    assert_eq!(v["manual"], serde_json::json!([302, "/hello"]));
    assert_eq!(v["error"], "TypeError");
    // Every hop was a separate, checked request.
    assert_eq!(records.len(), 6);
}

#[tokio::test]
async fn fetches_in_flight_overlap() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let (v, _) = run(
        &loader,
        loopback_allowed(&up),
        &format!(
            r#"const base = "{}";
            export default {{ async fetch() {{
                const rs = await Promise.all([1, 2, 3].map(() => fetch(base + "/slow?ms=2000").then((r) => r.text())));
                return Response.json(rs);
            }} }};"#,
            up.base()
        ),
    )
    .await;
    assert_eq!(
        v,
        serde_json::json!(["slept 2000", "slept 2000", "slept 2000"])
    );
    // The server saw all three in progress at once (2 s each: long enough that a loaded
    // machine still starts the third before the first ends).
    assert_eq!(up.max_concurrent(), 3);
}

#[tokio::test]
async fn abort_signals_cancel_a_fetch() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let (v, _) = run(
        &loader,
        loopback_allowed(&up),
        &format!(
            r#"const base = "{}";
            export default {{ async fetch() {{
                const out = [];
                try {{ await fetch(base + "/slow?ms=5000", {{ signal: AbortSignal.timeout(50) }}); out.push("done"); }}
                catch (e) {{ out.push(e.name); }}
                const c = new AbortController();
                const p = fetch(base + "/slow?ms=5000", {{ signal: c.signal }});
                c.abort();
                try {{ await p; out.push("done"); }} catch (e) {{ out.push(e.name); }}
                c.signal.aborted && out.push("aborted");
                try {{ await fetch(base + "/hello", {{ signal: c.signal }}); }} catch (e) {{ out.push(e.name); }}
                return Response.json(out);
            }} }};"#,
            up.base()
        ),
    )
    .await;
    assert_eq!(
        v,
        serde_json::json!(["TimeoutError", "AbortError", "aborted", "AbortError"])
    );
}

#[tokio::test]
async fn each_limit_trips_with_its_error() {
    let up = Upstream::start().await;
    let loader = loader_with(Config {
        outbound_limits: OutboundLimits {
            max_subrequests: 4,
            timeout: Duration::from_millis(300),
            max_response_bytes: 1000,
            max_total_bytes: 1500,
        },
        ..Config::default()
    })
    .await;
    let b = up.base();
    let (v, records) = run(
        &loader,
        loopback_allowed(&up),
        &probe_script(&[
            format!("{b}/slow?ms=3000"),
            format!("{b}/big?n=5000"),
            format!("{b}/big?n=900"),
            format!("{b}/big?n=900"),
            format!("{b}/hello"),
        ]),
    )
    .await;
    let lines: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(lines[0].contains("timeout of 300 ms"), "{}", lines[0]);
    assert!(lines[1].contains("limit of 1000 bytes"), "{}", lines[1]);
    assert!(lines[2].starts_with("ok 200"), "{}", lines[2]);
    assert!(lines[3].contains("limit of 1500 bytes"), "{}", lines[3]);
    assert!(lines[4].contains("too many subrequests"), "{}", lines[4]);
    assert!(lines
        .iter()
        .all(|l| l.starts_with("ok") || l.starts_with("err TypeError")));
    assert_eq!(
        records
            .iter()
            .map(|r| r.outcome.as_str())
            .collect::<Vec<_>>(),
        ["failed", "failed", "ok", "failed", "denied"]
    );
    assert!(records[1].reason.as_deref().unwrap().contains("1000 bytes"));
}

#[tokio::test]
async fn interception_sees_the_request_and_its_answer_is_what_the_script_gets() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let seen: Arc<Mutex<Vec<SeenByGateway>>> = Arc::default();
    let log = seen.clone();
    let upstream = up.base();
    // The gateway: records the request, calls the real upstream with a credential the sandbox
    // never sees, and answers with the upstream's body plus its own header.
    let gateway = GlobalOutbound::intercept(move |req: http::Request<Bytes>| {
        let log = log.clone();
        let upstream = upstream.clone();
        Box::pin(async move {
            let headers = req
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            log.lock().unwrap().push((
                req.method().to_string(),
                req.uri().to_string(),
                headers,
                req.body().clone(),
            ));
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            let r = client
                .get(format!("{upstream}/hello"))
                .header("authorization", "Bearer SECRET-TOKEN")
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = r.status().as_u16();
            let body = r.bytes().await.map_err(|e| e.to_string())?;
            Ok(http::Response::builder()
                .status(status)
                .header("x-gateway", "1")
                .body(body)
                .unwrap())
        }) as wasm_sandbox::ServiceFuture
    });
    let worker = loader
        .load(
            WorkerCode::js(
                "worker.js",
                r#"export default { async fetch(req, env) {
                    const r = await fetch("https://api.example.com/v1/items?q=1", { method: "POST", body: "payload", headers: { "x-agent": "a1" } });
                    return new Response(JSON.stringify({ status: r.status, gw: r.headers.get("x-gateway"), body: await r.text(), env, headers: [...r.headers] }));
                } };"#,
            )
            .with_outbound(gateway),
        )
        .unwrap();
    let resp = worker
        .entrypoint(None)
        .fetch(get("https://worker/"))
        .await
        .unwrap();
    let body = text(&resp);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["gw"], "1");
    assert_eq!(v["body"], "hello from upstream");
    assert!(!body.contains("SECRET"), "{body}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "POST");
    assert_eq!(seen[0].1, "https://api.example.com/v1/items?q=1");
    assert!(seen[0].2.iter().any(|(k, v)| k == "x-agent" && v == "a1"));
    assert_eq!(seen[0].3, Bytes::from_static(b"payload"));
    // The credential reached the upstream, from the gateway.
    assert!(up.seen().iter().any(|s| s
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v.contains("SECRET"))));
}

#[tokio::test]
async fn a_worker_reuses_its_connections_and_workers_do_not_share_them() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let script = probe_script(&[
        format!("{}/hello", up.base()),
        format!("{}/big?n=100000", up.base()),
        format!("{}/hello", up.base()),
    ]);
    let (v, _) = run(&loader, loopback_allowed(&up), &script).await;
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|l| l.as_str().unwrap().starts_with("ok 200")),
        "{v}"
    );
    assert_eq!(
        up.connections(),
        1,
        "sequential fetches of one worker share a connection"
    );
    // Another worker (same policy, same target) opens its own.
    let (v, _) = run(&loader, loopback_allowed(&up), &script).await;
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|l| l.as_str().unwrap().starts_with("ok 200")),
        "{v}"
    );
    assert_eq!(up.connections(), 2);
    assert_eq!(up.seen().len(), 6);
}

#[tokio::test]
async fn a_fetch_never_awaited_ends_with_its_invocation() {
    let loader = loader().await;
    let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (s, f) = (started.clone(), finished.clone());
    // An interceptor that stands for another worker: it works for 300 ms per request.
    let slow = GlobalOutbound::intercept(move |_req: http::Request<Bytes>| {
        let (s, f) = (s.clone(), f.clone());
        Box::pin(async move {
            s.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            f.fetch_add(1, Ordering::SeqCst);
            Ok(http::Response::new(Bytes::from_static(b"late")))
        }) as wasm_sandbox::ServiceFuture
    });
    let worker = loader
        .load(
            WorkerCode::js(
                "w.js",
                r#"export default { async fetch() {
                    fetch("https://svc/a"); fetch("https://svc/b");
                    await new Promise(r => setTimeout(r, 50));
                    return new Response("answered");
                } };"#,
            )
            .with_outbound(slow),
        )
        .unwrap();
    let r = worker
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap();
    assert_eq!(text(&r), "answered");
    assert_eq!(
        started.load(Ordering::SeqCst),
        2,
        "both fetches reached the interceptor"
    );
    // The red-team gap: they used to run on, after the response, until the instance's next call.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "un-awaited fetches outlived their invocation"
    );
}
