//! Every error kind is named and carries what a person needs to fix it.

use wasm_sandbox::{Error, ModuleContent, WorkerCode};
use wasm_sandbox_tests::{get, loader, run_js};

#[tokio::test]
async fn syntax_errors_name_module_line_and_column() {
    let loader = loader().await;
    let code = WorkerCode::js(
        "worker.js",
        "import { f } from './lib/util.js';\nexport default { fetch() { return f(); } };",
    )
    .with_module(
        "lib/util.js",
        ModuleContent::Js("export function f() {\n  return new Response(1 +);\n}\n".into()),
    );
    let err = loader
        .load(code)
        .unwrap()
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap_err();
    let Error::Syntax { message } = &err else {
        panic!("expected Syntax, got {err:?}")
    };
    assert!(message.starts_with("lib/util.js:2:"), "{message}");
    assert!(message.contains("SyntaxError"), "{message}");
    assert_eq!(err.outcome().as_str(), "syntaxError");
}

#[tokio::test]
async fn uncaught_exceptions_carry_message_and_stack() {
    let loader = loader().await;
    let err = run_js(
        &loader,
        "function inner() {\n  null.x;\n}\nexport default { fetch() { inner(); } };",
    )
    .await
    .unwrap_err();
    let Error::Exception { message, stack } = &err else {
        panic!("expected Exception, got {err:?}")
    };
    assert!(message.starts_with("TypeError:"), "{message}");
    let stack = stack.as_deref().unwrap();
    assert!(stack.contains("at inner (worker.js:2"), "{stack}");
    assert!(stack.contains("at fetch (worker.js:4"), "{stack}");
    assert!(
        !stack.contains("eval_script"),
        "engine frames must not leak: {stack}"
    );
}

#[tokio::test]
async fn rejections_and_thrown_non_errors_are_exceptions() {
    let loader = loader().await;
    let err = run_js(
        &loader,
        "export default { async fetch() { throw new RangeError('nope'); } };",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Exception { message, .. } if message == "RangeError: nope"),
        "{err:?}"
    );
    let err = run_js(&loader, "export default { fetch() { throw 'a string'; } };")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Exception { message, .. } if message.contains("a string")),
        "{err:?}"
    );
    let err = run_js(
        &loader,
        "export default { fetch() { return Promise.reject({ code: 7 }); } };",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Exception { message, .. } if message.contains("object")),
        "{err:?}"
    );
    let err = run_js(
        &loader,
        "throw new Error('at load time'); export default {};",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Exception { message, .. } if message == "Error: at load time"),
        "{err:?}"
    );
}

#[tokio::test]
async fn missing_default_export_handler_or_response_are_named() {
    let loader = loader().await;
    let err = run_js(&loader, "export const x = 1;").await.unwrap_err();
    assert!(
        matches!(&err, Error::NoDefaultExport(m) if m.contains("no default export")),
        "{err:?}"
    );
    let err = run_js(&loader, "export default { other() {} };")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoHandler(m) if m.contains("no `fetch` handler")),
        "{err:?}"
    );
    let err = run_js(&loader, "export default 42;").await.unwrap_err();
    assert!(matches!(&err, Error::NoHandler(_)), "{err:?}");
    let err = run_js(
        &loader,
        "export default { fetch() { return { body: 'x' }; } };",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::BadReturn(m) if m.contains("instead of a Response")),
        "{err:?}"
    );
    let err = run_js(&loader, "export default { async fetch() {} };")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::BadReturn(m) if m.contains("undefined")),
        "{err:?}"
    );
    let worker = loader
        .load(WorkerCode::js(
            "w.js",
            "export default { fetch() { return new Response('x'); } };",
        ))
        .unwrap();
    let err = worker
        .entrypoint(Some("Missing"))
        .fetch(get("https://w/"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoHandler(m) if m.contains("Missing")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_promise_nothing_can_settle_is_reported_not_hung() {
    let loader = loader().await;
    let err = run_js(
        &loader,
        "export default { fetch() { return new Promise(() => {}); } };",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::NeverSettled(m) if m.contains("never settled")),
        "{err:?}"
    );
}

#[tokio::test]
async fn named_entrypoints_are_reachable() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "w.js",
            r#"export const Admin = { fetch() { return new Response("admin"); } };
            export default { fetch() { return new Response("main"); } };"#,
        ))
        .unwrap();
    let admin = worker
        .entrypoint(Some("Admin"))
        .fetch(get("https://w/"))
        .await
        .unwrap();
    assert_eq!(admin.body().as_ref(), b"admin");
    let main = worker
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap();
    assert_eq!(main.body().as_ref(), b"main");
}

#[tokio::test]
async fn script_errors_keep_the_warm_instance() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "w.js",
            "let n = 0; export default { fetch(r) { n++; if (r.url.endsWith('/throw')) throw new Error('x'); return new Response(String(n)); } };",
        ))
        .unwrap();
    assert_eq!(
        worker
            .entrypoint(None)
            .fetch(get("https://w/"))
            .await
            .unwrap()
            .body()
            .as_ref(),
        b"1"
    );
    assert!(worker
        .entrypoint(None)
        .fetch(get("https://w/throw"))
        .await
        .is_err());
    // An exception is the script's business: module state survives it (a trap would not).
    assert_eq!(
        worker
            .entrypoint(None)
            .fetch(get("https://w/"))
            .await
            .unwrap()
            .body()
            .as_ref(),
        b"3"
    );
}
