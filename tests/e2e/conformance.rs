//! The conformance suite: testharness-style JS tests (tests/conformance/*.js, written here), one
//! file per API, each run as a worker in a real sandbox. Known failures are listed, each with a
//! reason, in tests/conformance/expected-failures.txt; an unexpected failure, an unexpected pass
//! or a stale entry fails the suite. The pass counts per API are printed (README, "The JS surface").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use wasm_sandbox::{Limits, ModuleContent, WorkerCode};
use wasm_sandbox_tests::{get, json, loader};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// `suite | test name | reason` lines: (suite, name) -> reason.
fn expected_failures() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(dir().join("expected-failures.txt"))
        .expect("expected-failures.txt");
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.splitn(3, " | ").collect();
        assert!(
            parts.len() == 3 && !parts[2].trim().is_empty(),
            "expected-failures.txt:{}: want `suite | test name | reason`",
            n + 1
        );
        out.insert(
            (parts[0].to_owned(), parts[1].to_owned()),
            parts[2].to_owned(),
        );
    }
    out
}

fn suites() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".js") && n != "harness.js")
        .map(|n| n.trim_end_matches(".js").to_owned())
        .collect();
    names.sort();
    names
}

/// Run one suite: `[{ name, status, message }]`.
async fn run_suite(loader: &wasm_sandbox::Loader, suite: &str) -> Vec<serde_json::Value> {
    let read = |f: &str| std::fs::read_to_string(dir().join(f)).unwrap();
    let main = format!(
        "import {{ run }} from \"./harness.js\";\nimport \"./{suite}.js\";\n\
         export default {{ async fetch() {{ return Response.json(await run()); }} }};\n"
    );
    let mut code = WorkerCode::js("main.js", main)
        .with_module("harness.js", ModuleContent::Js(read("harness.js")))
        .with_module(
            format!("{suite}.js"),
            ModuleContent::Js(read(&format!("{suite}.js"))),
        )
        .with_limits(Limits {
            cpu_time: Duration::from_secs(30),
            memory_bytes: 256 << 20,
            wall_time: Duration::from_secs(120),
        })
        .with_env("SUITE_ENV", "from-env");
    for data in ["urltestdata.json", "setters_tests.json"] {
        code = code.with_module(
            format!("data/{data}"),
            ModuleContent::Json(read(&format!("data/{data}"))),
        );
    }
    code = code.with_module(
        "data/min-common-api.txt",
        ModuleContent::Text(read("data/min-common-api.txt")),
    );
    let worker = loader.load(code).unwrap_or_else(|e| panic!("{suite}: {e}"));
    let response = worker
        .entrypoint(None)
        .fetch(get("https://conformance/"))
        .await
        .unwrap_or_else(|e| panic!("{suite}: {e}"));
    assert_eq!(
        response.status(),
        200,
        "{suite}: {:?}",
        String::from_utf8_lossy(response.body())
    );
    json(&response).as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite() {
    let loader = loader().await;
    let mut expected = expected_failures();
    let mut problems = Vec::new();
    let mut table = Vec::new();
    for suite in suites() {
        let results = run_suite(&loader, &suite).await;
        let mut names = BTreeSet::new();
        let (mut pass, mut known) = (0, 0);
        for r in &results {
            let name = r["name"].as_str().unwrap().to_owned();
            names.insert(name.clone());
            let failed = r["status"] != "PASS";
            match (failed, expected.remove(&(suite.clone(), name.clone()))) {
                (false, None) => pass += 1,
                (true, Some(_)) => known += 1,
                (true, None) => problems.push(format!("{suite} | {name}: unexpected failure: {}", r["message"])),
                (false, Some(reason)) => problems.push(format!(
                    "{suite} | {name}: unexpected pass (listed as failing: {reason}); remove it from expected-failures.txt"
                )),
            }
        }
        table.push(format!(
            "| {suite} | {pass} / {} | {known} |",
            results.len()
        ));
    }
    for ((suite, name), _) in expected {
        problems.push(format!(
            "{suite} | {name}: listed in expected-failures.txt but there is no such test"
        ));
    }
    println!(
        "| API | passed | known failures |\n|---|---|---|\n{}",
        table.join("\n")
    );
    assert!(problems.is_empty(), "conformance:\n{}", problems.join("\n"));
}
