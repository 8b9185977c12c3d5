//! The daemon's JSON bodies (`/api/run`, `/api/get/{id}`, `PUT /workers/{id}`), and the code a
//! worker hands its Worker Loader binding, on arbitrary
//! bytes: nothing may panic, and whatever parses must keep the promises the daemon relies on —
//! limits within the ceilings, ids and directory names that are path-safe, callback URLs under
//! their allowed prefix, and a spec that means the same after a round trip through JSON (the
//! registry stores it that way; `get(id)` compares specs by hash).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wasm_sandbox_spec::bindings::{self, callback_allowed, BindingSpec};
use wasm_sandbox_spec::ids::{check_id, MAX_TAILS};
use wasm_sandbox_spec::loader::{ChildSpec, MAX_CHILD_BINDINGS};
use wasm_sandbox_spec::modules::{self, ModuleContent};
use wasm_sandbox_spec::run::{LimitValues, OutboundSpec, RunBody, WorkerSpec};

const DEFAULTS: LimitValues = LimitValues {
    cpu_ms: 50,
    memory_mb: 128,
    wall_ms: 30_000,
};
const CEILINGS: LimitValues = LimitValues {
    cpu_ms: 1_000,
    memory_mb: 256,
    wall_ms: 60_000,
};
const CALLBACK_PREFIX: &str = "http://127.0.0.1:9/tools";

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = RunBody::parse(data) {
        check_spec(&body.worker);
        if let Some(Ok(request)) = body.request.as_ref().map(|r| r.to_request()) {
            assert!(request.uri().scheme().is_some() && request.uri().authority().is_some());
        }
    }
    if let Ok(spec) = WorkerSpec::parse(data) {
        check_spec(&spec);
    }
    // What a worker hands its Worker Loader binding (`env.LOADER.load(code)`).
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(child) = ChildSpec::parse(text) {
            assert!(child.modules.iter().any(|(n, _)| *n == child.main_module));
            modules::check(&child.main_module, &child.modules).expect("checked by parse");
            assert!(child.env_bindings.len() <= MAX_CHILD_BINDINGS);
            assert!(child.env_bindings.keys().all(|k| !child.env.contains_key(k)));
        }
    }
});

fn check_spec(spec: &WorkerSpec) {
    // The same spec after a round trip (floats aside: serde_json parses them best-effort).
    let json = serde_json::to_vec(spec).expect("a spec serializes");
    let again = WorkerSpec::parse(&json).expect("a serialized spec parses");
    if !has_float(&serde_json::to_value(spec).expect("a spec is JSON")) {
        assert_eq!(&again, spec);
        assert_eq!(again.hash(), spec.hash());
    }
    assert_eq!(spec.is_empty(), again.is_empty());

    if let Ok(l) = spec.limits(DEFAULTS, CEILINGS) {
        for (v, c) in [
            (l.cpu_ms, CEILINGS.cpu_ms),
            (l.memory_mb, CEILINGS.memory_mb),
            (l.wall_ms, CEILINGS.wall_ms),
        ] {
            assert!((1..=c).contains(&v), "{l:?}");
        }
    }
    if let Ok((main, map)) = spec.module_map() {
        // `"modules": {}` parses to an empty map; the check is what refuses it.
        if map.is_empty() {
            assert!(modules::check(&main, &map).is_err());
        }
        if modules::check(&main, &map).is_ok() {
            let (_, m) = map.iter().find(|(n, _)| *n == main).expect("main is a module");
            assert!(matches!(m, ModuleContent::Js(s) | ModuleContent::Ts(s) if !s.contains('\0')));
            assert!(modules::source_bytes(&map) <= modules::MAX_CODE_BYTES);
            for (name, content) in &map {
                assert!(!name.is_empty() && !name.contains('\0'));
                if let ModuleContent::Json(text) = content {
                    serde_json::from_str::<serde::de::IgnoredAny>(text)
                        .expect("a checked JSON module is JSON");
                }
            }
        }
    }
    if let Ok(OutboundSpec::Service(id)) = spec.outbound() {
        check_id(&id).expect("a service id is checked");
    }
    let _ = spec.on_denied();
    if let Ok(tails) = spec.tails() {
        assert!(tails.len() <= MAX_TAILS);
        tails.iter().for_each(|t| check_id(t).expect("tail ids are checked"));
    }
    // Bindings are checked as the spec is parsed: whatever parsed is checked.
    if let Some(list) = &spec.bindings {
        for (name, b) in list.iter() {
            assert!(!name.is_empty());
            match b {
                BindingSpec::Kv(_) | BindingSpec::Loader => {}
                BindingSpec::Service(id) => check_id(id).expect("service ids are checked"),
                BindingSpec::Files { dir, .. } => {
                    assert!(bindings::dir_name(dir));
                    assert!(!dir.contains('/') && dir != "." && dir != "..");
                }
                BindingSpec::Tools { url, tools } => {
                    assert!(!url.authority().expect("absolute").as_str().contains('@'));
                    for t in tools {
                        assert!(t.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
                    }
                    if callback_allowed(url, CALLBACK_PREFIX) {
                        let a = url.authority().expect("absolute");
                        assert_eq!((a.host(), a.port_u16()), ("127.0.0.1", Some(9)));
                        assert!(url.path() == "/tools" || url.path().starts_with("/tools/"));
                        assert!(!url.path().split('/').any(|s| s == ".."));
                    }
                }
            }
        }
    }
}

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(o) => o.values().any(has_float),
        _ => false,
    }
}
