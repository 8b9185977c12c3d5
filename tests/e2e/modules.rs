use wasm_sandbox::{Error, ModuleContent, WorkerCode};
use wasm_sandbox_tests::{get, json, loader};

#[tokio::test]
async fn relative_imports_and_every_module_type() {
    let loader = loader().await;
    let code = WorkerCode {
        main_module: "src/main.js".into(),
        modules: vec![
            (
                "src/main.js".into(),
                ModuleContent::Js(
                    r#"
                    import { add } from "./lib/math.js";
                    import { VERSION } from "../shared/version.js";
                    import greeting from "./greeting.txt";
                    import config from "./config.json";
                    import blob from "./blob.bin";
                    export default {
                      fetch() {
                        return Response.json({
                          sum: add(2, 3),
                          version: VERSION,
                          greeting,
                          config,
                          blobIsArrayBuffer: blob instanceof ArrayBuffer,
                          blob: [...new Uint8Array(blob)],
                        });
                      },
                    };"#
                    .into(),
                ),
            ),
            (
                "src/lib/math.js".into(),
                ModuleContent::Js("import { twice } from './twice.js'; export const add = (a, b) => twice(a + b) / 2;".into()),
            ),
            ("src/lib/twice.js".into(), ModuleContent::Js("export const twice = (x) => x * 2;".into())),
            ("shared/version.js".into(), ModuleContent::Js("export const VERSION = '1.2.3';".into())),
            ("src/greeting.txt".into(), ModuleContent::Text("hello \"quoted\"\nline two \u{2028} é".into())),
            ("src/config.json".into(), ModuleContent::Json(r#"{"nested": {"list": [1, 2, 3]}, "flag": true}"#.into())),
            ("src/blob.bin".into(), ModuleContent::Data(vec![0, 1, 2, 254, 255])),
        ],
        ..Default::default()
    };
    let resp = loader
        .load(code)
        .unwrap()
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap();
    let v = json(&resp);
    assert_eq!(v["sum"], 5);
    assert_eq!(v["version"], "1.2.3");
    assert_eq!(v["greeting"], "hello \"quoted\"\nline two \u{2028} é");
    assert_eq!(
        v["config"],
        serde_json::json!({"nested": {"list": [1, 2, 3]}, "flag": true})
    );
    assert_eq!(v["blobIsArrayBuffer"], true);
    assert_eq!(v["blob"], serde_json::json!([0, 1, 2, 254, 255]));
}

#[tokio::test]
async fn top_level_await_in_the_main_module() {
    let loader = loader().await;
    let code = WorkerCode::js(
        "worker.js",
        r#"const value = await new Promise((r) => setTimeout(() => r("ready"), 5));
        export default { fetch() { return new Response(value); } };"#,
    );
    let resp = loader
        .load(code)
        .unwrap()
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap();
    assert_eq!(resp.body().as_ref(), b"ready");
}

#[tokio::test]
async fn missing_import_is_a_clear_error() {
    let loader = loader().await;
    let code = WorkerCode::js(
        "worker.js",
        r#"import { x } from "./nope.js"; export default { fetch() { return new Response(x); } };"#,
    );
    let err = loader
        .load(code)
        .unwrap()
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("nope.js"), "{msg}");
}

#[tokio::test]
async fn invalid_code_is_refused_before_any_sandbox() {
    let loader = loader().await;
    let cases = [
        (
            WorkerCode::js("worker.js", "export default {}")
                .with_module("bad.json", ModuleContent::Json("{nope".into())),
            "not valid JSON",
        ),
        (
            WorkerCode {
                main_module: "main.js".into(),
                ..WorkerCode::js("other.js", "")
            },
            "not among the modules",
        ),
        (
            WorkerCode {
                main_module: "t.txt".into(),
                ..WorkerCode::js("x.js", "").with_module("t.txt", ModuleContent::Text("".into()))
            },
            "must be a JS module",
        ),
        (
            WorkerCode {
                modules: vec![],
                ..Default::default()
            },
            "no modules",
        ),
    ];
    for (code, expected) in cases {
        match loader.load(code) {
            Err(Error::InvalidCode(m)) => {
                assert!(m.contains(expected), "{m} should mention {expected}")
            }
            other => panic!("expected InvalidCode({expected}), got {other:?}"),
        }
    }
}

#[tokio::test]
async fn json_modules_are_read_as_json_not_as_object_literals() {
    let loader = loader().await;
    // As a JS object literal, `"__proto__"` would set the prototype (and a repeated one is a
    // SyntaxError); JSON keeps it as an own key, and the last of repeated keys wins.
    let code = WorkerCode::js(
        "w.js",
        r#"import data from "./d.json";
        export default { fetch() { return Response.json({ keys: Object.keys(data), x: data.x ?? null, p: data.__proto__ }); } };"#,
    )
    .with_module(
        "d.json",
        ModuleContent::Json(r#"{"__proto__": {"x": 1}, "__proto__": {"x": 2}, "a": 3}"#.into()),
    );
    let worker = loader.load(code).unwrap();
    let r = worker
        .entrypoint(None)
        .fetch(get("https://w/"))
        .await
        .unwrap();
    let v = json(&r);
    assert_eq!(v["keys"], serde_json::json!(["__proto__", "a"]), "{v}");
    assert_eq!(v["x"], serde_json::Value::Null, "{v}");
    assert_eq!(v["p"], serde_json::json!({"x": 2}), "{v}");
}
