//! `docs/openapi.json` against the real daemon: every documented operation is exercised over
//! HTTP on 127.0.0.1 and every reply (success and error) validated against the schema its
//! status and media type document; the document's own examples are what is sent; the
//! document agrees with the daemon's field list; the validator refuses what it should.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};
use wasm_sandbox_tests::daemon::{client, TempDir, TestDaemon};
use wasm_sandbox_tests::openapi::OpenApi;

const TOKEN: &str = "openapi-check-token-7f3a9c2e";

/// Sends requests, checks each reply against the document, and notes which operations ran.
struct Checker {
    api: OpenApi,
    daemon: TestDaemon,
    covered: BTreeSet<(String, String)>,
}

/// A reply as checked.
struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Checker {
    /// `method` on `path` (a concrete path of the documented `template`), with the token unless
    /// `auth` is false; the reply is checked against the document.
    async fn call(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        body: Option<Value>,
        auth: bool,
    ) -> Reply {
        let m = http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut req = client().request(m, self.daemon.url(path));
        if auth {
            req = req.bearer_auth(TOKEN);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let reply = Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.bytes().await.unwrap().to_vec(),
        };
        self.api
            .check_reply(template, method, reply.status, &reply.headers, &reply.body)
            .unwrap_or_else(|e| panic!("{e}"));
        self.covered
            .insert((template.to_owned(), method.to_owned()));
        reply
    }

    /// The document's request example `name` of `method template`.
    fn example(&self, template: &str, method: &str, name: &str) -> Value {
        let op = self.api.operation(template, method);
        let body = self.api.resolve(&op["requestBody"]);
        body["content"]["application/json"]["examples"][name]["value"].clone()
    }
}

/// Read a streaming reply until `done` says the text so far is enough (bounded: 15 s).
async fn read_stream(r: &mut reqwest::Response, buf: &mut String, done: impl Fn(&str) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !done(buf) {
        let chunk = tokio::time::timeout_at(deadline, r.chunk())
            .await
            .unwrap_or_else(|_| panic!("the tail gave nothing more within 15 s; got {buf}"))
            .unwrap()
            .unwrap_or_else(|| panic!("the tail ended; got {buf}"));
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[test]
fn the_document_is_consistent() {
    let api = OpenApi::load();
    assert_eq!(api.doc["openapi"], "3.1.1");
    for r in api.references() {
        let _ = api.pointer(&r);
    }
    // Operation ids are unique; every operation documents its replies.
    let mut ids = BTreeSet::new();
    for (path, method) in api.operations() {
        let op = api.operation(&path, &method);
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} twice");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}: no responses"
        );
        // Each request example fits its schema.
        if let Some(body) = op.get("requestBody") {
            let body = api.resolve(body);
            for media in body["content"].as_object().unwrap().values() {
                for (name, ex) in media
                    .get("examples")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    api.validate(&media["schema"], &ex["value"])
                        .unwrap_or_else(|e| panic!("{method} {path} example {name}: {e:?}"));
                }
            }
        }
    }
    // The body fields are the daemon's: a field added to one and not the other fails here.
    let fields = |schema: &str| -> BTreeSet<String> {
        api.doc["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let run: BTreeSet<String> = wasm_sandbox_spec::run::RUN_FIELDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(fields("RunBody"), run);
    let mut spec = run.clone();
    spec.remove("request");
    assert_eq!(fields("WorkerSpec"), spec);
    // The spec examples parse as the daemon parses them.
    let put = api.operation("/workers/{id}", "put");
    for ex in put["requestBody"]["content"]["application/json"]["examples"]
        .as_object()
        .unwrap()
        .values()
    {
        wasm_sandbox_spec::run::WorkerSpec::parse(ex["value"].to_string().as_bytes()).unwrap();
    }
    for ex in api.operation("/api/run", "post")["requestBody"]["content"]["application/json"]
        ["examples"]
        .as_object()
        .unwrap()
        .values()
    {
        wasm_sandbox_spec::run::RunBody::parse(ex["value"].to_string().as_bytes()).unwrap();
    }
}

#[test]
fn the_validator_refuses_what_does_not_fit() {
    let api = OpenApi::load();
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let fits = |s: &Value, v: Value| api.validate(s, &v).is_ok();
    let error = schema("Error");
    assert!(fits(&error, json!({"ok": false, "error": "x"})));
    assert!(!fits(&error, json!({"ok": true, "error": "x"})), "const");
    assert!(!fits(&error, json!({"ok": false})), "required");
    assert!(!fits(&error, json!({"ok": false, "error": 1})), "type");
    assert!(
        !fits(&error, json!({"ok": false, "error": "x", "extra": 1})),
        "additionalProperties"
    );
    let id = schema("WorkerId");
    assert!(fits(&id, json!("a.b-c_d")));
    assert!(!fits(&id, json!(".hidden")), "pattern");
    assert!(!fits(&id, json!("")), "minLength");
    assert!(!fits(&id, json!("x".repeat(129))), "maxLength");
    // oneOf: none, or more than one branch, is an error.
    let headers = schema("HeadersInit");
    assert!(fits(&headers, json!({"x-k": "v"})));
    assert!(fits(&headers, json!([["x-k", "v"], ["x-k", "w"]])));
    assert!(!fits(&headers, json!([["x-k"]])), "minItems");
    assert!(!fits(&headers, json!({"x-k": 1})));
    assert!(
        !fits(
            &json!({"oneOf": [{"type": "string"}, {"minLength": 1}]}),
            json!("ab")
        ),
        "two branches fit"
    );
    let limits = schema("Limits");
    assert!(!fits(&limits, json!({"cpuMs": 0})), "minimum");
    assert!(!fits(&limits, json!({"cpuMs": 1.5})), "integer");
    assert!(
        !fits(&schema("Tails"), json!(["a", "b", "c", "d", "e"])),
        "maxItems"
    );
    assert!(!fits(&schema("Level"), json!("trace")), "enum");
    assert!(
        !fits(&schema("Binding"), json!({"loader": {"x": 1}})),
        "maxProperties"
    );
    // A tail line: a note, or an event whose fields fit its type.
    let line = schema("TailLine");
    assert!(fits(&line, json!({"type": "attached", "message": "m"})));
    let start = json!({"type": "start", "invocation": 1, "worker": "w", "timestamp": 1,
        "event": {"type": "fetch", "method": "GET", "url": "http://w/", "entrypoint": null}});
    assert!(fits(&line, start.clone()));
    let mut bad = start;
    bad["event"]["type"] = json!("queue");
    assert!(!fits(&line, bad));
    assert!(!fits(
        &line,
        json!({"type": "finish", "invocation": 1, "worker": null, "timestamp": 1})
    ));
    // Numbers compare by value; a malformed bound or type name is the document's error.
    assert!(fits(&json!({"const": 1}), json!(1.0)));
    assert!(fits(&json!({"enum": [2]}), json!(2.0)));
    for bad in [
        json!({"minItems": "2"}),
        json!({"minimum": "1"}),
        json!({"type": ["integer", "int"]}),
    ] {
        let v = if bad.get("minimum").is_some() || bad.get("type").is_some() {
            json!(3)
        } else {
            json!([1])
        };
        let refused = std::panic::catch_unwind(|| api.validate(&bad, &v));
        assert!(refused.is_err(), "{bad}");
    }
    // Nulls are taken as absent by the daemon, and the document says so.
    assert!(fits(
        &schema("RunBody"),
        json!({"code": null, "env": null, "request": {"headers": null}})
    ));
    // A keyword the check does not implement is refused, not skipped.
    let unknown =
        std::panic::catch_unwind(|| api.validate(&json!({"dependentRequired": {}}), &json!({})));
    assert!(unknown.is_err());
}

#[tokio::test]
async fn every_documented_operation_against_the_real_daemon() {
    let dir = TempDir::new("openapi");
    let daemon = TestDaemon::start(&dir.0, &[], &[("WASM_SANDBOX_TOKEN", TOKEN)]);
    let mut c = Checker {
        api: OpenApi::load(),
        daemon,
        covered: BTreeSet::new(),
    };

    // Observability without a token.
    let r = c.call("get", "/healthz", "/healthz", None, false).await;
    assert_eq!(r.status, 200);
    let r = c.call("get", "/metrics", "/metrics", None, false).await;
    assert_eq!(r.status, 200);

    // /api/run: the document's examples, then what a hostile or careless caller sends.
    let r = c.call("post", "/api/run", "/api/run", None, false).await;
    assert_eq!(r.status, 401);
    let basic = c.example("/api/run", "post", "basic");
    let r = c
        .call("post", "/api/run", "/api/run", Some(basic), true)
        .await;
    assert_eq!(
        r.text(),
        r#"{"ok":true,"status":200,"output":"Hello from a dynamic Worker!"}"#
    );
    let extended = c.example("/api/run", "post", "extended");
    let r = c
        .call("post", "/api/run", "/api/run", Some(extended), true)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        serde_json::from_str::<Value>(v["output"].as_str().unwrap()).unwrap(),
        json!({"hi": "hello agent", "h": "v"})
    );
    assert_eq!(v["logs"][0]["message"], "POST");
    // `null` is taken as absent (the default worker).
    let nulls =
        json!({"code": null, "env": null, "limits": {"cpuMs": null}, "request": {"headers": null}});
    let r = c
        .call("post", "/api/run", "/api/run", Some(nulls), true)
        .await;
    assert_eq!(
        r.json()["output"],
        "Hello from a dynamic Worker!",
        "{}",
        r.text()
    );
    for bad in [
        json!({"cod": "x"}),
        json!({"limits": {"cpuMs": 0}}),
        json!({"request": {"headers": 5}}),
    ] {
        let r = c
            .call("post", "/api/run", "/api/run", Some(bad.clone()), true)
            .await;
        assert_eq!(r.status, 400, "{bad}");
    }
    // A worker that spins gets its CPU limit, as a documented 400.
    let spin = json!({"code": "export default { fetch() { for(;;){} } }", "limits": {"cpuMs": 20}});
    let r = c
        .call("post", "/api/run", "/api/run", Some(spin), true)
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("cpu time limit"), "{}", r.text());
    // A worker that fetched something (denied: no outbound granted) reports it.
    let fetches = json!({"code": "export default { async fetch() { try { await fetch('https://example.com/'); } catch (e) { return new Response(e.name); } } }", "env": {}});
    let r = c
        .call("post", "/api/run", "/api/run", Some(fetches), true)
        .await;
    assert_eq!(r.json()["outbound"][0]["rule"], "globalOutbound-null");

    // /api/get/{id}: warm reuse, the binding of an id to its code, forgetting it.
    let counter = c.example("/api/get/{id}", "post", "counter");
    let reuse = c.example("/api/get/{id}", "post", "reuse");
    let r = c
        .call(
            "post",
            "/api/get/{id}",
            "/api/get/counter",
            Some(counter),
            true,
        )
        .await;
    assert_eq!(
        (r.json()["output"].clone(), r.json()["fresh"].clone()),
        (json!("1"), json!(true))
    );
    let r = c
        .call(
            "post",
            "/api/get/{id}",
            "/api/get/counter",
            Some(reuse),
            true,
        )
        .await;
    assert_eq!(
        (r.json()["output"].clone(), r.json()["fresh"].clone()),
        (json!("2"), json!(false))
    );
    let other = json!({"code": "export default { fetch() { return new Response('takeover'); } }"});
    let r = c
        .call(
            "post",
            "/api/get/{id}",
            "/api/get/counter",
            Some(other),
            true,
        )
        .await;
    assert_eq!(r.status, 409);
    let r = c
        .call(
            "post",
            "/api/get/{id}",
            "/api/get/bad%20id",
            Some(json!({})),
            true,
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .call("delete", "/api/get/{id}", "/api/get/counter", None, true)
        .await;
    assert_eq!(r.json()["forgotten"], true);
    let r = c
        .call("delete", "/api/get/{id}", "/api/get/counter", None, false)
        .await;
    assert_eq!(r.status, 401);

    // The registry.
    let api_worker = c.example("/workers/{id}", "put", "api");
    let r = c
        .call(
            "put",
            "/workers/{id}",
            "/workers/api",
            Some(api_worker.clone()),
            true,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = c
        .call(
            "put",
            "/workers/{id}",
            "/workers/api",
            Some(api_worker),
            true,
        )
        .await;
    assert_eq!((r.status, r.json()["version"].clone()), (200, json!(2)));
    let files = c.example("/workers/{id}", "put", "files");
    let r = c
        .call("put", "/workers/{id}", "/workers/ts", Some(files), true)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["files"], json!(["src/index.ts", "src/lib.ts"]));
    let throws = json!({"code": "throw new Error('at load')"});
    let r = c
        .call(
            "put",
            "/workers/{id}",
            "/workers/broken",
            Some(throws),
            true,
        )
        .await;
    assert_eq!(r.status, 400);
    let boom = json!({"code": "export default { fetch() { throw new TypeError('boom'); } }"});
    let r = c
        .call("put", "/workers/{id}", "/workers/boom", Some(boom), true)
        .await;
    assert_eq!(r.status, 201);
    let r = c
        .call("get", "/workers/{id}", "/workers/api", None, true)
        .await;
    assert_eq!(r.json()["modules"], json!(["worker.js"]));
    let r = c
        .call("get", "/workers/{id}", "/workers/nobody", None, true)
        .await;
    assert_eq!(r.status, 404);
    let r = c
        .call("get", "/workers/{id}", "/workers/api", None, false)
        .await;
    assert_eq!(r.status, 401);

    // RPC.
    let add = c.example("/workers/{id}/rpc", "post", "add");
    let r = c
        .call(
            "post",
            "/workers/{id}/rpc",
            "/workers/api/rpc",
            Some(add.clone()),
            true,
        )
        .await;
    assert_eq!(r.json()["result"], 5);
    let r = c
        .call(
            "post",
            "/workers/{id}/rpc",
            "/workers/nobody/rpc",
            Some(add),
            true,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = c
        .call(
            "post",
            "/workers/{id}/rpc",
            "/workers/api/rpc",
            Some(json!({"method": 1})),
            true,
        )
        .await;
    assert_eq!(r.status, 400);

    // The tail, both formats: every line fits the documented item schema.
    let item = c.api.operation("/workers/{id}/tail", "get")["responses"]["200"]["content"]
        ["application/x-ndjson"]["x-item-schema"]
        .clone();
    let mut ndjson = client()
        .get(c.daemon.url("/workers/api/tail?format=ndjson"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let mut sse = client()
        .get(c.daemon.url("/workers/api/tail"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    for (r, ct) in [
        (&ndjson, "application/x-ndjson"),
        (&sse, "text/event-stream"),
    ] {
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], ct);
        // The status, headers and media type are as documented (the body is checked by line).
        c.api
            .check_reply("/workers/{id}/tail", "get", 200, r.headers(), b"")
            .unwrap();
    }
    c.covered
        .insert(("/workers/{id}/tail".into(), "get".into()));
    let (mut nd_buf, mut sse_buf) = (String::new(), String::new());
    read_stream(&mut ndjson, &mut nd_buf, |b| b.contains("attached")).await;
    read_stream(&mut sse, &mut sse_buf, |b| b.contains("attached")).await;

    // The worker's own routes, every documented method; the tail sees them.
    let methods = ["get", "post", "put", "patch", "delete", "head", "options"];
    for m in methods {
        let r = c
            .call(
                m,
                "/workers/{id}/{path}",
                "/workers/api/some/path?q=1",
                None,
                true,
            )
            .await;
        assert_eq!(r.status, 200, "{m}");
        if m != "head" {
            assert_eq!(
                r.json(),
                json!({"path": "/some/path", "method": m.to_uppercase()})
            );
        }
    }
    let rpc_call = json!({"entrypoint": "Math", "method": "add", "args": [1, 1]});
    c.call(
        "post",
        "/workers/{id}/rpc",
        "/workers/api/rpc",
        Some(rpc_call),
        true,
    )
    .await;
    let finishes = methods.len() + 1;
    let enough = |b: &str| b.matches("\"finish\"").count() >= finishes;
    read_stream(&mut ndjson, &mut nd_buf, enough).await;
    read_stream(&mut sse, &mut sse_buf, enough).await;
    let mut types = BTreeSet::new();
    for line in nd_buf.lines().filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        c.api
            .validate(&item, &v)
            .unwrap_or_else(|e| panic!("tail line {line}: {e:?}"));
        types.insert(v["type"].as_str().unwrap().to_owned());
    }
    for t in ["attached", "start", "log", "finish"] {
        assert!(types.contains(t), "no {t} line in {nd_buf}");
    }
    let mut sse_events = 0;
    for block in sse_buf.split("\n\n").filter(|b| !b.trim().is_empty()) {
        if block.starts_with(": ") {
            continue; // a note, as an SSE comment
        }
        let data = block
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap();
        let v: Value = serde_json::from_str(data).unwrap();
        c.api
            .validate(&item, &v)
            .unwrap_or_else(|e| panic!("SSE event {data}: {e:?}"));
        let event = block
            .lines()
            .find_map(|l| l.strip_prefix("event: "))
            .unwrap();
        assert_eq!(event, v["type"].as_str().unwrap());
        sse_events += 1;
    }
    // start, log, finish for each fetch; start, finish for the RPC call.
    assert!(sse_events >= 3 * methods.len() + 2, "{sse_buf}");
    drop((ndjson, sse));

    // The worker's errors, in the text form this route uses.
    let r = c
        .call("get", "/workers/{id}/{path}", "/workers/boom/x", None, true)
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.headers["x-wasm-sandbox-outcome"], "exception");
    let r = c
        .call(
            "get",
            "/workers/{id}/{path}",
            "/workers/nobody/x",
            None,
            true,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = c
        .call(
            "post",
            "/workers/{id}/{path}",
            "/workers/api/x",
            None,
            false,
        )
        .await;
    assert_eq!(r.status, 401);

    // Metering.
    let r = c.call("get", "/usage", "/usage", None, true).await;
    assert!(r.json()["workers"]["api"]["requests"].as_u64().unwrap() >= finishes as u64);
    let r = c.call("get", "/usage/{id}", "/usage/api", None, true).await;
    assert!(r.json()["coldStarts"].as_u64().unwrap() >= 1);
    let r = c
        .call("get", "/usage/{id}", "/usage/never-ran", None, true)
        .await;
    assert_eq!(r.json()["requests"], 0);
    let r = c.call("get", "/usage", "/usage", None, false).await;
    assert_eq!(r.status, 401);

    // Deleting.
    let r = c
        .call("delete", "/workers/{id}", "/workers/ts", None, true)
        .await;
    assert_eq!(r.json()["deleted"], "ts");
    let r = c
        .call("delete", "/workers/{id}", "/workers/ts", None, true)
        .await;
    assert_eq!(r.status, 404);

    // Every documented operation ran, and nothing ran that is not documented.
    assert_eq!(
        c.covered,
        c.api.operations(),
        "operations documented but not exercised (or the reverse)"
    );
}
