//! TypeScript and npm packages through the daemon, against a fake registry on 127.0.0.1
//! (tests/npm_registry.rs): how a package's module is found, the package cache across restarts
//! and offline, a registered worker's lock, a hostile registry, and errors a person can act on.
//! One registry and one daemon (with its own data dir) per test; nothing beyond 127.0.0.1.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wasm_sandbox_tests::daemon::{client, get_json, post_json, put_json, TempDir, TestDaemon};
use wasm_sandbox_tests::npm_registry::{
    tarball_claiming_size, tarball_with_entry, FixturePackage, Registry, Tamper,
};

const SEED: &str =
    r#"export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };"#;

/// Write an `[npm]` table pointing at `registry` (plus `extra` lines) to `dir/name`.
fn npm_config(dir: &TempDir, name: &str, registry: &str, extra: &str) -> PathBuf {
    let path = dir.0.join(name);
    std::fs::write(&path, format!("[npm]\nregistry = \"{registry}\"\n{extra}")).unwrap();
    path
}

/// A daemon on `dir` with the config file `config`.
fn start(dir: &TempDir, config: &Path) -> TestDaemon {
    TestDaemon::start(&dir.0, &["--config", config.to_str().unwrap()], &[])
}

/// SIGTERM, and wait (bounded) for the process to go.
fn stop(mut d: TestDaemon) {
    d.terminate();
    d.wait_exit(Duration::from_secs(20));
}

/// `http://127.0.0.1:PORT` where nothing listens.
fn dead_registry() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A `"files"` map: path → text.
fn files(list: &[(&str, &str)]) -> Value {
    Value::Object(
        list.iter()
            .map(|(path, text)| (path.to_string(), json!(text)))
            .collect(),
    )
}

/// `POST /api/run` with `{"files": files}`.
async fn run(d: &TestDaemon, files: &Value) -> (u16, Value) {
    post_json(d, "/api/run", &json!({ "files": files })).await
}

/// The error message of a failure reply.
fn error(v: &Value) -> &str {
    assert_eq!(v["ok"], false, "{v}");
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message: {v}"))
}

/// The worker's output, parsed as JSON.
fn output_json(v: &Value) -> Value {
    let text = v["output"]
        .as_str()
        .unwrap_or_else(|| panic!("no output: {v}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("output is not JSON ({e}): {v}"))
}

/// A package whose `package.json` is `{"name", "version", <fields>}`, written as text: key order
/// matters in `exports`, so no JSON map reorders it.
fn package(name: &str, version: &str, fields: &str, files: &[(&str, &str)]) -> FixturePackage {
    let sep = if fields.is_empty() { "" } else { ", " };
    let manifest = format!(r#"{{"name": "{name}", "version": "{version}"{sep}{fields}}}"#);
    let mut all = vec![("package.json", manifest.as_str())];
    all.extend_from_slice(files);
    FixturePackage::new(name, version, &all)
}

/// A root `package.json` with these dependencies, in this order.
fn root_manifest(deps: &[(&str, &str)]) -> String {
    let deps: Vec<String> = deps
        .iter()
        .map(|(n, r)| format!("\"{n}\": \"{r}\""))
        .collect();
    format!("{{\"dependencies\": {{{}}}}}", deps.join(", "))
}

/// A worker importing the default export of `name` and answering with it.
fn importing(name: &str, range: &str) -> Value {
    let source = format!(
        "import x from \"{name}\";\nexport default {{ fetch(): Response {{ return new Response(String(x)); }} }};\n"
    );
    files(&[
        ("src/index.ts", &source),
        ("package.json", &root_manifest(&[(name, range)])),
    ])
}

/// CommonJS: `module.exports` is a function, with a property, and a `require` of a sibling.
fn cjs_lib() -> FixturePackage {
    package(
        "cjs-lib",
        "1.0.0",
        r#""main": "index.js""#,
        &[
            (
                "index.js",
                "const helper = require('./helper');\nmodule.exports = function greet(n) { return helper.prefix + n + '!'; };\nmodule.exports.VERSION = \"1\";\n",
            ),
            ("helper.js", "exports.prefix = 'hello, ';\n"),
        ],
    )
}

/// A scoped ES module package found through `main`.
fn scoped() -> FixturePackage {
    package(
        "@fx/scoped",
        "2.1.0",
        r#""type": "module", "main": "lib/index.js""#,
        &[(
            "lib/index.js",
            "export const scoped = '@fx/scoped 2.1.0';\nexport default 'scoped default';\n",
        )],
    )
}

/// `exports` with conditions: `node` comes first but is not one of the Workers conditions;
/// `workerd` must win over `import` and `default`, `browser` over `default`.
fn cond_pkg() -> FixturePackage {
    package(
        "cond-pkg",
        "1.0.0",
        r#""type": "module", "exports": {".": {"node": "./node.js", "workerd": "./workerd.js", "import": "./import.mjs", "require": "./require.cjs", "default": "./default.js"}, "./sub": {"browser": "./sub-browser.js", "default": "./sub.js"}}"#,
        &[
            ("node.js", "export default 'node';\n"),
            ("workerd.js", "export default 'workerd';\n"),
            ("import.mjs", "export default 'import';\n"),
            ("require.cjs", "module.exports = 'require';\n"),
            ("default.js", "export default 'default';\n"),
            ("sub-browser.js", "export default 'sub-browser';\n"),
            ("sub.js", "export default 'sub';\n"),
        ],
    )
}

fn dep1() -> FixturePackage {
    package(
        "dep",
        "1.0.0",
        r#""type": "module", "main": "index.js""#,
        &[(
            "index.js",
            "export const version = \"1\";\nexport default \"1\";\n",
        )],
    )
}

/// Version 2 is found through `module` (over `main`).
fn dep2() -> FixturePackage {
    package(
        "dep",
        "2.0.0",
        r#""type": "module", "module": "esm.js", "main": "main.js""#,
        &[
            (
                "esm.js",
                "export const version = \"2\";\nexport default \"2\";\n",
            ),
            (
                "main.js",
                "export const version = \"main chosen over module\";\nexport default version;\n",
            ),
        ],
    )
}

/// Depends on `dep@^2` while the worker itself uses `dep@^1`.
fn uses_dep2() -> FixturePackage {
    package(
        "uses-dep2",
        "1.0.0",
        r#""type": "module", "main": "index.js", "dependencies": {"dep": "^2.0.0"}"#,
        &[(
            "index.js",
            "export { version as depVersion } from \"dep\";\n",
        )],
    )
}

fn honest(packages: Vec<FixturePackage>) -> Vec<(FixturePackage, Tamper)> {
    packages.into_iter().map(|p| (p, Tamper::None)).collect()
}

const TS_WORKER: &str = r#"import type { Shape } from "./types.ts";

enum Color {
  Red,
  Green = "green",
}

function first<T>(items: T[]): T {
  return items[0];
}

class Greeter {
  constructor(private readonly prefix: string, public count: number = 2) {}
  greet(name: string): string {
    return `${this.prefix}, ${name}`;
  }
}

const settings = { retries: 3 } satisfies Record<string, number>;

export default {
  fetch(_req: Request): Response {
    const shape: Shape = { kind: "circle" };
    const g = new Greeter("hello");
    return Response.json({
      red: Color.Red,
      redName: Color[Color.Red],
      green: Color.Green,
      first: first<string>(["a", "b"]),
      greet: g.greet("ts"),
      count: g.count,
      retries: settings.retries,
      shape: shape.kind,
    });
  },
};
"#;

#[tokio::test]
async fn typescript_modules_run_through_the_daemon() {
    let dir = TempDir::new("npm-ts");
    let d = TestDaemon::start(&dir.0, &[], &[]);

    // A `.ts` module in a modules map: enum, generic, parameter property, `satisfies`, a
    // type-only import (of a module that is only types).
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({
            "mainModule": "worker.ts",
            "modules": {
                "worker.ts": TS_WORKER,
                "types.ts": "export interface Shape { kind: \"circle\" | \"square\"; }\nexport type Id = string;\n",
            }
        }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(
        output_json(&v),
        json!({ "red": 0, "redName": "Red", "green": "green", "first": "a", "greet": "hello, ts", "count": 2, "retries": 3, "shape": "circle" })
    );

    // `{"ts": ...}` marks TypeScript under any name.
    let ts = "const n: number = 40 + 2;\ntype Label = `answer ${number}`;\nexport default { fetch(): Response { const label: Label = `answer ${n}`; return new Response(label); } };\n";
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "mainModule": "w.js", "modules": { "w.js": { "ts": ts } } }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "answer 42", "{v}");

    // A syntax error names file:line:column.
    let broken = "const ok: number = 1;\n\nexport default {\n  fetch(): Response {\n    return new Response(String(ok +));\n  },\n};\n";
    let line = broken.lines().position(|l| l.contains("ok +)")).unwrap() + 1;
    assert_eq!(line, 5);
    let (status, v) = post_json(
        &d,
        "/api/run",
        &json!({ "mainModule": "worker.ts", "modules": { "worker.ts": broken } }),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    let message = error(&v);
    let at = format!("worker.ts:{line}:");
    let column = message
        .find(&at)
        .map(|i| &message[i + at.len()..])
        .unwrap_or_else(|| panic!("no {at} in {message}"));
    let column: usize = column
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no column after {at} in {message}"));
    let width = broken.lines().nth(line - 1).unwrap().len();
    assert!((1..=width + 1).contains(&column), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_with_packages_resolve_esm_cjs_scoped_and_conditions() {
    let packages = vec![cjs_lib(), scoped(), cond_pkg(), dep1(), dep2(), uses_dep2()];
    let reg = Registry::start(honest(packages.clone())).await;
    let dir = TempDir::new("npm-resolve");
    let cfg = npm_config(&dir, "sandbox.toml", &reg.url(), "");
    let d = start(&dir, &cfg);

    let index = r#"import greet, { VERSION } from "cjs-lib";
import { scoped } from "@fx/scoped";
import cond from "cond-pkg";
import sub from "cond-pkg/sub";
import { version as rootDep } from "dep";
import { depVersion } from "uses-dep2";

interface Summary {
  greet: string;
  VERSION: string;
  scoped: string;
  cond: string;
  sub: string;
  rootDep: string;
  viaUsesDep2: string;
}

export default {
  fetch(): Response {
    const summary: Summary = { greet: greet("npm"), VERSION, scoped, cond, sub, rootDep, viaUsesDep2: depVersion };
    return Response.json(summary);
  },
};
"#;
    let manifest = root_manifest(&[
        ("cjs-lib", "^1"),
        ("@fx/scoped", "^2"),
        ("cond-pkg", "*"),
        ("dep", "^1"),
        ("uses-dep2", "^1"),
    ]);
    let worker = files(&[("src/index.ts", index), ("package.json", &manifest)]);
    let want = json!({
        "greet": "hello, npm!",
        "VERSION": "1",
        "scoped": "@fx/scoped 2.1.0",
        "cond": "workerd",
        "sub": "sub-browser",
        "rootDep": "1",
        "viaUsesDep2": "2",
    });
    for round in 0..2 {
        let (status, v) = run(&d, &worker).await;
        assert_eq!(status, 200, "round {round}: {v}");
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(output_json(&v), want, "round {round}");
    }
    // The same files through /api/get: cached by id.
    let (status, v) = post_json(&d, "/api/get/npm-1", &json!({ "files": worker })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["fresh"].clone(), output_json(&v)),
        (json!(true), want.clone())
    );
    let (status, v) = post_json(&d, "/api/get/npm-1", &json!({ "files": worker })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["fresh"].clone(), output_json(&v)), (json!(false), want));

    // Every tarball was fetched once: the package cache served the rest (metadata may be asked
    // for again).
    let log = reg.requests();
    for p in &packages {
        assert_eq!(
            reg.count(&p.tarball_path()),
            1,
            "{}: {log:?}",
            p.tarball_path()
        );
    }
    let tarballs = log.iter().filter(|p| p.ends_with(".tgz")).count();
    assert_eq!(tarballs, packages.len(), "{log:?}");
    // The package cache lives under the data dir.
    assert!(dir.0.join("npm").is_dir());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_cache_survives_restart_and_offline_mode() {
    let used = vec![cjs_lib(), scoped(), dep1()];
    let mut published = used.clone();
    published.push(cond_pkg());
    let reg = Registry::start(honest(published)).await;
    let dir = TempDir::new("npm-offline");
    let index = r#"import greet from "cjs-lib";
import { scoped } from "@fx/scoped";
import { version } from "dep";
export default { fetch(): Response { return Response.json({ g: greet("cache"), scoped, version }); } };
"#;
    let manifest = root_manifest(&[
        ("cjs-lib", "^1.0.0"),
        ("@fx/scoped", "~2.1.0"),
        ("dep", "1.x"),
    ]);
    let worker = files(&[("src/index.ts", index), ("package.json", &manifest)]);
    let want = json!({ "g": "hello, cache!", "scoped": "@fx/scoped 2.1.0", "version": "1" });

    let online = npm_config(&dir, "online.toml", &reg.url(), "");
    let d = start(&dir, &online);
    let (status, v) = run(&d, &worker).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(output_json(&v), want);
    stop(d);
    for p in &used {
        assert_eq!(reg.count(&p.tarball_path()), 1, "{:?}", reg.requests());
    }
    let seen = reg.requests().len();

    // A new process, offline, its registry unreachable: the cache alone serves the same files.
    let offline = npm_config(&dir, "offline.toml", &dead_registry(), "offline = true\n");
    let d = start(&dir, &offline);
    let (status, v) = run(&d, &worker).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(output_json(&v), want);

    // A package never fetched is an error naming it.
    let (status, v) = run(&d, &importing("cond-pkg", "^1.0.0")).await;
    assert_eq!(status, 400, "{v}");
    let message = error(&v);
    assert!(message.contains("cond-pkg"), "{message}");
    assert!(message.contains("offline"), "{message}");
    // Offline means offline: not even the tarball URLs the cached metadata names were tried.
    assert_eq!(reg.requests().len(), seen, "{:?}", reg.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_worker_keeps_its_lock() {
    let (cjs, dep) = (cjs_lib(), dep1());
    let reg = Registry::start(honest(vec![cjs.clone(), dep.clone(), dep2()])).await;
    let dir = TempDir::new("npm-lock");
    let index = r#"import greet from "cjs-lib";
import { version } from "dep";
export default { fetch(req: Request): Response { return new Response(`${greet("w1")} dep ${version} ${new URL(req.url).pathname}`); } };
"#;
    let manifest = root_manifest(&[("cjs-lib", "^1"), ("dep", "^1")]);
    let worker = files(&[("src/index.ts", index), ("package.json", &manifest)]);
    let want = "hello, w1! dep 1 /";

    let online = npm_config(&dir, "online.toml", &reg.url(), "");
    let d = start(&dir, &online);
    let (status, v) = put_json(&d, "/workers/w1", &json!({ "files": worker })).await;
    assert_eq!(status, 201, "{v}");
    let (status, meta) = get_json(&d, "/workers/w1").await;
    assert_eq!(status, 200, "{meta}");
    let lock: Vec<String> = meta["lock"]
        .as_array()
        .unwrap_or_else(|| panic!("no lock: {meta}"))
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    for line in &lock {
        let (spec, integrity) = line.split_once('#').unwrap_or_else(|| panic!("{line}"));
        assert!(spec[1..].contains('@'), "{line}");
        assert!(integrity.starts_with("sha512-"), "{line}");
    }
    let mut want_lock = vec![cjs.lock_line(), dep.lock_line()];
    want_lock.sort();
    let mut got_lock = lock.clone();
    got_lock.sort();
    assert_eq!(got_lock, want_lock);
    let r = client().get(d.url("/workers/w1/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), want);
    stop(d);
    let seen = reg.requests().len();

    // Restarted offline with no registry: rebuilt from the lock and the cache.
    let offline = npm_config(&dir, "offline.toml", &dead_registry(), "offline = true\n");
    let d = start(&dir, &offline);
    let r = client().get(d.url("/workers/w1/")).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    assert_eq!(text, want);
    let (_, meta) = get_json(&d, "/workers/w1").await;
    assert_eq!(meta["lock"], json!(lock), "{meta}");
    assert_eq!(reg.requests().len(), seen, "{:?}", reg.requests());
}

/// Every file (not directory) below `root`; bounded.
fn files_below(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            assert!(
                out.len() + stack.len() < 10_000,
                "too many files below {}",
                root.display()
            );
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(_) => out.push(entry.path()),
                Err(_) => {}
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_registry_is_refused() {
    let manifest = |name: &str| format!(r#"{{"name": "{name}", "version": "1.0.0"}}"#);
    let bare = |name: &str| FixturePackage::new(name, "1.0.0", &[]);
    let regular = tar::EntryType::Regular;
    let evil = b"export default 'evil';";
    let bad_integrity = package(
        "bad-integrity",
        "1.0.0",
        "",
        &[("index.js", "export default 'unverified';")],
    );
    let reg = Registry::start(vec![
        (bad_integrity.clone(), Tamper::WrongIntegrity),
        (
            bare("evil-dotdot"),
            Tamper::Raw(tarball_with_entry(
                "package/../../evil.js",
                regular,
                None,
                evil,
                &manifest("evil-dotdot"),
            )),
        ),
        (
            bare("evil-symlink"),
            Tamper::Raw(tarball_with_entry(
                "package/index.js",
                tar::EntryType::Symlink,
                Some("/etc/passwd"),
                b"",
                &manifest("evil-symlink"),
            )),
        ),
        (
            bare("evil-hardlink"),
            Tamper::Raw(tarball_with_entry(
                "package/index.js",
                tar::EntryType::Link,
                Some("package/package.json"),
                b"",
                &manifest("evil-hardlink"),
            )),
        ),
        (
            bare("evil-bigfile"),
            Tamper::Raw(tarball_claiming_size(
                "package/index.js",
                100 << 20,
                &manifest("evil-bigfile"),
            )),
        ),
        (bare("hangs"), Tamper::Hang),
        (bare("endless"), Tamper::Huge),
        (dep1(), Tamper::None),
    ])
    .await;
    let dir = TempDir::new("npm-hostile");
    let cfg = npm_config(
        &dir,
        "sandbox.toml",
        &reg.url(),
        "fetch_timeout_ms = 1500\nmax_tarball_mb = 1\n",
    );
    let d = start(&dir, &cfg);

    // Bytes that do not match their advertised integrity.
    let (status, v) = run(&d, &importing("bad-integrity", "1.0.0")).await;
    assert_eq!(status, 502, "{v}");
    assert!(error(&v).contains("integrity"), "{v}");

    // Entries that would escape or alias: refused, the whole package.
    let (status, v) = run(&d, &importing("evil-dotdot", "1.0.0")).await;
    assert!(status == 400 || status == 502, "{status} {v}");
    let message = error(&v);
    assert!(
        message.contains("refuses") || message.contains(".."),
        "{message}"
    );
    for name in ["evil-symlink", "evil-hardlink"] {
        let (status, v) = run(&d, &importing(name, "1.0.0")).await;
        assert!(status == 400 || status == 502, "{name}: {status} {v}");
        assert!(error(&v).contains("refuses"), "{name}: {v}");
    }
    // A header claiming a 100 MiB file (the per-file cap is 16 MiB).
    let (status, v) = run(&d, &importing("evil-bigfile", "1.0.0")).await;
    assert!(status == 400 || status == 502, "{status} {v}");
    assert!(!error(&v).is_empty(), "{v}");

    // A tarball that never comes: cut off by fetch_timeout_ms.
    let started = Instant::now();
    let (status, v) = run(&d, &importing("hangs", "1.0.0")).await;
    let took = started.elapsed();
    assert_ne!(status, 200, "{v}");
    assert!(!error(&v).is_empty(), "{v}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // A tarball that never ends: cut off by max_tarball_mb.
    let (status, v) = run(&d, &importing("endless", "1.0.0")).await;
    assert_ne!(status, 200, "{v}");
    assert!(!error(&v).is_empty(), "{v}");

    // The daemon carried on: packages and plain code still run.
    let (status, v) = run(&d, &importing("dep", "^1.0.0")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "1", "{v}");
    let (status, v) = post_json(&d, "/api/run", &json!({ "code": SEED })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "Hello from a dynamic Worker!");

    // Nothing hostile reached the disk: no evil.js anywhere, no links, and the bytes that failed
    // their integrity check were not kept.
    let unverified = bad_integrity.tarball();
    for path in files_below(&dir.0) {
        assert_ne!(path.file_name().unwrap(), "evil.js", "{}", path.display());
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(!meta.file_type().is_symlink(), "{}", path.display());
        if meta.len() == unverified.len() as u64 {
            assert_ne!(
                std::fs::read(&path).unwrap(),
                unverified,
                "{}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_a_person_can_act_on() {
    let reg = Registry::start(honest(vec![dep1(), dep2(), cjs_lib(), scoped()])).await;
    {
        let dir = TempDir::new("npm-errors");
        let cfg = npm_config(&dir, "sandbox.toml", &reg.url(), "");
        let d = start(&dir, &cfg);

        // A package the registry does not have.
        let (status, v) = run(&d, &importing("no-such-package", "^1.0.0")).await;
        assert_eq!(status, 400, "{v}");
        assert!(error(&v).contains("no-such-package"), "{v}");

        // A range no published version meets.
        let (status, v) = run(&d, &importing("dep", "^9.0.0")).await;
        assert_eq!(status, 400, "{v}");
        let message = error(&v);
        assert!(message.contains("dep"), "{message}");
        assert!(message.contains("no version"), "{message}");

        // A relative import of a file that is not there: where, and what.
        let worker = files(&[(
            "src/index.ts",
            "import { helper } from './utils';\nexport default { fetch(): Response { return new Response(helper()); } };\n",
        )]);
        let (status, v) = run(&d, &worker).await;
        assert_eq!(status, 400, "{v}");
        let message = error(&v);
        assert!(message.contains("./utils"), "{message}");
        assert!(message.contains("src/index.ts"), "{message}");

        // A Node built-in the runtime lacks: the ones it has are listed.
        let worker = files(&[(
            "src/index.ts",
            "import fs from 'node:fs';\nexport default { fetch(): Response { return new Response(fs.readFileSync('/etc/passwd', 'utf8')); } };\n",
        )]);
        let (status, v) = run(&d, &worker).await;
        assert_eq!(status, 400, "{v}");
        let message = error(&v);
        assert!(message.contains("fs"), "{message}");
        assert!(message.contains("node:buffer"), "{message}");

        // A syntax error in the files names file:line.
        let worker = files(&[(
            "src/index.ts",
            "const a: number = 1;\nexport default { fetch(): Response { return new Response(String(a +)); } };\n",
        )]);
        let (status, v) = run(&d, &worker).await;
        assert_eq!(status, 400, "{v}");
        assert!(error(&v).contains("src/index.ts:2:"), "{v}");
    }

    // The operator's allow list: names and scopes.
    let dir = TempDir::new("npm-allow");
    let cfg = npm_config(
        &dir,
        "sandbox.toml",
        &reg.url(),
        "allow = [\"dep\", \"@fx/*\"]\n",
    );
    let d = start(&dir, &cfg);
    let (status, v) = run(&d, &importing("cjs-lib", "^1")).await;
    assert_eq!(status, 403, "{v}");
    assert!(error(&v).contains("cjs-lib"), "{v}");
    assert_eq!(reg.count("/cjs-lib"), 0, "{:?}", reg.requests());
    let index = "import { version } from 'dep';\nimport { scoped } from '@fx/scoped';\nexport default { fetch(): Response { return new Response(version + ' ' + scoped); } };\n";
    let manifest = root_manifest(&[("dep", "^1"), ("@fx/scoped", "^2")]);
    let worker = files(&[("src/index.ts", index), ("package.json", &manifest)]);
    let (status, v) = run(&d, &worker).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["output"], "1 @fx/scoped 2.1.0", "{v}");
}

/// The red team's findings against the bundle step, each once a crash or a hang of the whole
/// daemon (or a dropped connection), now a clear error while everything else carries on:
/// directories whose package.json `main` point at each other, an `imports` entry that maps to
/// itself, source nested 20,000 deep, a package.json with 150,000 keys, lock lines that are not
/// lock lines, and a lock line that passes one cached package's tarball off as another's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_team_inputs_get_errors_and_the_daemon_carries_on() {
    let reg = Registry::start(honest(vec![dep1(), cjs_lib()])).await;
    let dir = TempDir::new("npm-redteam");
    let cfg = npm_config(&dir, "sandbox.toml", &reg.url(), "");
    let d = start(&dir, &cfg);
    let handler = "export default { fetch() { return new Response('x'); } };";

    let cycle = files(&[
        ("src/index.js", &format!("import x from './a';\n{handler}")),
        ("src/a/package.json", r#"{"main": "../b"}"#),
        ("src/b/package.json", r#"{"main": "../a"}"#),
    ]);
    let (status, v) = run(&d, &cycle).await;
    assert_eq!(status, 400, "{v}");
    assert!(error(&v).contains("./a"), "{v}");

    let self_import = files(&[
        (
            "package.json",
            r##"{"imports": {"#a": "#a", "#b/*": "#b/*/x"}}"##,
        ),
        ("src/index.js", &format!("import x from '#a';\n{handler}")),
    ]);
    let (status, v) = run(&d, &self_import).await;
    assert_eq!(status, 400, "{v}");
    assert!(error(&v).contains("#a"), "{v}");

    let deep = format!(
        "{handler}\nconst x = {}0{};",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    for name in ["src/index.js", "src/index.ts"] {
        let (status, v) = run(&d, &files(&[(name, &deep)])).await;
        assert_eq!(status, 400, "{name}");
        assert!(error(&v).contains("nested more than"), "{name}");
    }
    let deep_module = json!({ "modules": { "w.ts": deep }, "mainModule": "w.ts" });
    let (status, v) = post_json(&d, "/api/run", &deep_module).await;
    assert_eq!(
        status,
        400,
        "{}",
        &v.to_string()[..200.min(v.to_string().len())]
    );

    let keys = (0..150_000)
        .map(|i| format!("\"k{i}\": {i}"))
        .collect::<Vec<_>>()
        .join(",");
    let big = files(&[
        ("package.json", &format!("{{\"x\": {{{keys}}}}}")),
        ("src/index.js", handler),
    ]);
    let started = Instant::now();
    let (status, v) = run(&d, &big).await;
    assert_eq!(status, 200, "{v}");
    // (Quadratic, this held a connection thread for minutes; no timing is asserted here.)
    let _ = started.elapsed();

    for lock in [
        json!(["#x"]),
        json!(["é@1.0.0#x"]),
        json!(["@"]),
        json!([""]),
    ] {
        let body = json!({ "files": importing("dep", "^1.0.0"), "lock": lock });
        let (status, v) = post_json(&d, "/api/run", &body).await;
        assert_eq!(status, 400, "{lock}: {v}");
        assert!(error(&v).contains("lock entry"), "{v}");
    }

    // Cache cjs-lib's tarball, then claim it is dep@1.0.0's: refused, by what it holds.
    let (status, v) = run(&d, &importing("cjs-lib", "^1.0.0")).await;
    assert_eq!(status, 200, "{v}");
    let body = json!({
        "files": importing("dep", "1.0.0"),
        "lock": [format!("dep@1.0.0#{}", cjs_lib().integrity())],
    });
    let (status, v) = post_json(&d, "/api/run", &body).await;
    assert_eq!(status, 502, "{v}");
    assert!(error(&v).contains("holds cjs-lib@1.0.0"), "{v}");

    // Everything else carried on.
    let (status, v) = run(&d, &importing("dep", "^1.0.0")).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = post_json(&d, "/api/run", &json!({ "code": SEED })).await;
    assert_eq!(status, 200, "{v}");
}
