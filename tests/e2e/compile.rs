//! `compile`: the standalone wasi:http component with the worker baked into its snapshot.

use std::process::Command;

use wasm_sandbox::standalone::{compile, StandaloneComponent};
use wasm_sandbox::{Error, ModuleContent, WorkerCode};
use wasm_sandbox_tests::daemon::{binary, TempDir};
use wasm_sandbox_tests::{get, json, loader, text};

const AGENT: &str = r#"
import data from "./data.json";
console.log("evaluated at build time");
const builtAt = "snapshot";
let hits = 0;
export default {
  async fetch(request, env) {
    hits++;
    await new Promise((r) => setTimeout(r, 2));
    return Response.json({ hits, data, who: env.WHO, builtAt, r: Math.random(), path: new URL(request.url).pathname, body: await request.text() });
  },
};"#;

fn agent() -> WorkerCode {
    WorkerCode::js("agent.js", AGENT)
        .with_module("data.json", ModuleContent::Json(r#"{"answer": 42}"#.into()))
        .with_env("WHO", "agent-7")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compiled_component_answers_like_the_worker() {
    let wasm = compile(&agent()).await.unwrap();
    assert_eq!(&wasm[..4], b"\0asm");
    let component = StandaloneComponent::new(&wasm).unwrap();
    let req = http::Request::post("http://agent.test/hello?x=1")
        .body(bytes::Bytes::from("ping"))
        .unwrap();
    let first = json(&component.fetch(req).await.unwrap());
    assert_eq!(first["hits"], 1);
    assert_eq!(first["data"]["answer"], 42);
    assert_eq!(first["who"], "agent-7");
    assert_eq!(first["builtAt"], "snapshot");
    assert_eq!(first["path"], "/hello");
    assert_eq!(first["body"], "ping");
    // Every request is a fresh instance of the snapshot: state starts over, randomness does not repeat.
    let second = json(&component.fetch(get("http://agent.test/")).await.unwrap());
    assert_eq!(second["hits"], 1);
    assert_ne!(first["r"], second["r"]);

    // The same source through load() gives the same answer.
    let loader = loader().await;
    let via_load = json(
        &loader
            .load(agent())
            .unwrap()
            .entrypoint(None)
            .fetch(get("http://agent.test/hello"))
            .await
            .unwrap(),
    );
    assert_eq!(via_load["data"], first["data"]);
    assert_eq!(via_load["who"], first["who"]);
}

#[tokio::test]
async fn compile_reports_load_errors() {
    let err = compile(&WorkerCode::js(
        "bad.js",
        "export default { fetch() { return new Response(1 +); } };",
    ))
    .await
    .unwrap_err();
    let Error::InvalidCode(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(
        msg.contains("bad.js:1:") && msg.contains("SyntaxError"),
        "{msg}"
    );
    let err = compile(&WorkerCode::js(
        "t.js",
        "throw new Error('no config'); export default {};",
    ))
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no config"), "{err}");
    // Bindings need the host: refused, by name.
    let kv = wasm_sandbox::kv::KvNamespace::new(wasm_sandbox::kv::MemoryKv::new(), "ns").unwrap();
    let err = compile(
        &WorkerCode::js(
            "k.js",
            "export default { fetch() { return new Response(''); } };",
        )
        .with_binding("KV", wasm_sandbox::Binding::Kv(kv)),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("binding `KV`") && err.to_string().contains("cannot be compiled"),
        "{err}"
    );
}

#[tokio::test]
async fn handler_errors_become_500_in_the_component() {
    let wasm = compile(&WorkerCode::js(
        "e.js",
        "export default { fetch() { throw new TypeError('nope'); } };",
    ))
    .await
    .unwrap();
    let component = StandaloneComponent::new(&wasm).unwrap();
    let resp = component.fetch(get("http://x/")).await.unwrap();
    assert_eq!(resp.status(), 500);
    assert!(text(&resp).contains("TypeError: nope"));
}

#[test]
fn cli_compile_then_run() {
    let dir = TempDir::new("cli-compile");
    let src = dir.0.join("hello.js");
    std::fs::write(&src, r#"export default { fetch(r, env) { return new Response(`Hello from a compiled Worker! ${env.N}`); } };"#).unwrap();
    let out = dir.0.join("hello.wasm");
    let status = Command::new(binary())
        .args([
            "compile",
            src.to_str().unwrap(),
            "--env",
            "N=7",
            "-o",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let run = Command::new(binary())
        .args(["run", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "Hello from a compiled Worker! 7"
    );
    // And `run FILE.js` of the same source, for comparison.
    let run = Command::new(binary())
        .args(["run", src.to_str().unwrap(), "--env", "N=7", "-i"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.starts_with("HTTP/1.1 200 OK\n"), "{stdout}");
    assert!(
        stdout.ends_with("\n\nHello from a compiled Worker! 7"),
        "{stdout}"
    );
    // A failing script exits non-zero with the error on stderr.
    std::fs::write(
        &src,
        "export default { fetch() { throw new Error('kaput'); } };",
    )
    .unwrap();
    let run = Command::new(binary())
        .args(["run", src.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("Error: kaput"));
}

#[tokio::test]
async fn prewarm_surfaces_load_errors_before_any_request() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "w.js",
            "console.log('boot'); export default { fetch() { return new Response('x'); } };",
        ))
        .unwrap();
    let trace = worker.prewarm().await.unwrap();
    assert_eq!(trace.logs[0].message, "boot");
    assert_eq!(worker.warm_instances(), 1);
    let inv = worker
        .entrypoint(None)
        .fetch_traced(get("https://w/"))
        .await;
    assert!(!inv.trace.cold, "prewarmed instance is used");
    let bad = loader
        .load(WorkerCode::js("w.js", "export default { fetch( };"))
        .unwrap();
    assert!(matches!(bad.prewarm().await, Err(Error::Syntax { .. })));
}
