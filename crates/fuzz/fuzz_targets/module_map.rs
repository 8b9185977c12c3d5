//! A worker's module map and the JS the engine guest builds from it, on arbitrary input:
//! nothing may panic; a map that passes the checks has a JS main module among unique, named
//! modules; a text module's string literal evaluates to exactly its text (nothing can end the
//! string early and run as code); a JSON module's source hands its exact text to JSON.parse,
//! and JSON text that does not parse never passes the check; a CommonJS module's wrapper
//! carries its source verbatim and its required specifiers as exact string literals.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wasm_sandbox_spec::cjs::{normalize, require_specifiers, to_es_module, Required};
use wasm_sandbox_spec::js::{module_source, string_literal, ModuleKind};
use wasm_sandbox_spec::modules::{check, ModuleContent};

#[derive(Arbitrary, Debug)]
struct Input {
    main: String,
    modules: Vec<(String, u8, Vec<u8>)>,
    /// A module given as JSON in the daemon's `modules` map.
    json_module: (String, String),
}

fuzz_target!(|input: Input| {
    let map: Vec<(String, ModuleContent)> = input
        .modules
        .iter()
        .map(|(name, kind, bytes)| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let content = match kind % 4 {
                0 => ModuleContent::Js(text),
                1 => ModuleContent::Text(text),
                2 => ModuleContent::Json(text),
                _ => ModuleContent::Data(bytes.clone()),
            };
            (name.clone(), content)
        })
        .collect();
    if check(&input.main, &map).is_ok() {
        let mut names: Vec<&str> = map.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), map.len(), "names are unique");
        assert!(names.iter().all(|n| !n.is_empty() && !n.contains('\0')));
        let main = map.iter().find(|(n, _)| *n == input.main).expect("main is a module");
        assert!(matches!(&main.1, ModuleContent::Js(s) if !s.contains('\0')));
    }
    for (name, content) in &map {
        let source = module_source(name, content.kind(), content.bytes());
        match content {
            ModuleContent::Js(s) | ModuleContent::Ts(s) => {
                assert_eq!(source.as_deref(), Ok(s.as_str()));
                // The same text as a CommonJS module: its source is carried verbatim, and each
                // specifier it requires becomes an import of exactly that string.
                let lookup = |_: &str| Some(Required::Namespace);
                let wrapped = to_es_module(name, s, &lookup);
                assert!(wrapped.contains(s.as_str()));
                for (i, spec) in require_specifiers(s).iter().enumerate().take(8) {
                    let _ = normalize(name, spec);
                    if let Some(at) = wrapped.find(&format!("import * as __cjs_dep{i} from ")) {
                        let rest = &wrapped[at + format!("import * as __cjs_dep{i} from ").len()..];
                        let literal = &rest[..rest.find("; ").expect("an import ends")];
                        let _ = decode_literal(literal);
                    }
                }
            }
            ModuleContent::Text(s) => {
                let source = source.expect("text is UTF-8");
                let literal = source
                    .strip_prefix("export default ")
                    .and_then(|s| s.strip_suffix(';'))
                    .expect("export default <literal>;");
                assert_eq!(&decode_literal(literal), s);
            }
            ModuleContent::Json(s) => {
                let source = source.expect("JSON text is UTF-8");
                let literal = source
                    .strip_prefix("export default JSON.parse(")
                    .and_then(|s| s.strip_suffix(");"))
                    .expect("export default JSON.parse(<literal>);");
                assert_eq!(&decode_literal(literal), s);
            }
            ModuleContent::Data(_) => {
                let source = source.expect("data modules need no UTF-8");
                let call = ".dataModule(";
                let start = source.find(call).expect("a call") + call.len();
                let literal = &source[start..source.len() - 2];
                assert_eq!(decode_literal(literal), *name);
            }
        }
    }
    let (name, text) = &input.json_module;
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        match ModuleContent::from_json(name, &value) {
            // `{"json": <value>}` is JSON by construction.
            Ok(ModuleContent::Json(s)) if value.get("json").is_some() => {
                serde_json::from_str::<Value>(&s).expect("a {json} module is JSON");
            }
            // A string typed `.json` by its name is sent as text: the map check must refuse
            // it before load unless it parses.
            Ok(content @ ModuleContent::Json(_)) => {
                let ModuleContent::Json(s) = &content else { unreachable!() };
                let parses = serde_json::from_str::<Value>(s).is_ok();
                let map = [(name.clone(), content.clone())];
                assert!(parses || check(name, &map).is_err(), "unparsed JSON passes the check");
            }
            _ => {}
        }
    }
    assert_eq!(decode_literal(&string_literal(name)), *name);
    let _ = ModuleKind::Js;
});

/// Evaluate a double-quoted JS string literal the way a JS parser does, refusing anything a
/// parser would refuse or read differently: an unescaped quote, backslash or line terminator
/// inside, or an escape the literal builder does not produce.
fn decode_literal(literal: &str) -> String {
    let body = literal
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .expect("a double-quoted literal");
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => panic!("an unescaped quote ends the string early: {literal:?}"),
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
                panic!("a raw line terminator in a string literal: {literal:?}")
            }
            '\\' => match chars.next().expect("an escape") {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let n = u32::from_str_radix(&hex, 16).expect("four hex digits");
                    out.push(char::from_u32(n).expect("a scalar value"));
                }
                other => panic!("an escape the builder never writes: \\{other}"),
            },
            c => out.push(c),
        }
    }
    out
}
