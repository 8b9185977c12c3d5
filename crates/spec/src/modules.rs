//! A worker's module map: each module's content, and the checks made before any sandbox sees it.

use base64::Engine as _;
use serde_json::Value;

use crate::js::ModuleKind;

/// Largest total source a worker may have (all modules together, names included).
pub const MAX_CODE_BYTES: usize = 32 * 1024 * 1024;

/// Longest module name.
pub const MAX_MODULE_NAME: usize = 1024;

/// One module of a worker, typed as in Workers' module rules.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleContent {
    /// An ES module.
    Js(String),
    /// An ES module in TypeScript (or JSX): its types are stripped on the host before any
    /// sandbox sees it.
    Ts(String),
    /// Imported as a string: `import text from "./file.txt"`.
    Text(String),
    /// Imported as the parsed value: `import data from "./data.json"` (the source, as JSON text).
    Json(String),
    /// Imported as an `ArrayBuffer`: `import bytes from "./blob.bin"`.
    Data(Vec<u8>),
}

impl ModuleContent {
    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its kind.
    pub fn kind(&self) -> ModuleKind {
        match self {
            ModuleContent::Js(_) | ModuleContent::Ts(_) => ModuleKind::Js,
            ModuleContent::Text(_) => ModuleKind::Text,
            ModuleContent::Json(_) => ModuleKind::Json,
            ModuleContent::Data(_) => ModuleKind::Data,
        }
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            ModuleContent::Js(s)
            | ModuleContent::Ts(s)
            | ModuleContent::Text(s)
            | ModuleContent::Json(s) => s.as_bytes(),
            ModuleContent::Data(b) => b,
        }
    }

    /// A module given as JSON in the daemon's `modules` map: a string (its kind from the
    /// extension: .json → json, .txt/.html/.md/.csv/.svg/.css → text, .ts/.mts/.cts/.tsx/.jsx →
    /// TypeScript, anything else → js) or `{"js"|"esModule"|"ts"|"text": "..."}`,
    /// `{"json": <value>}`, `{"data": "<base64>"}`.
    pub fn from_json(name: &str, value: &Value) -> Result<ModuleContent, String> {
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match value {
            Value::String(s) => Ok(match ext {
                "json" => ModuleContent::Json(s.clone()),
                "txt" | "html" | "md" | "csv" | "svg" | "css" => ModuleContent::Text(s.clone()),
                "ts" | "mts" | "cts" | "tsx" | "jsx" => ModuleContent::Ts(s.clone()),
                _ => ModuleContent::Js(s.clone()),
            }),
            Value::Object(o) if o.len() == 1 => {
                let (kind, v) = o.iter().next().expect("one entry");
                match (kind.as_str(), v) {
                    ("js" | "esModule", Value::String(s)) => Ok(ModuleContent::Js(s.clone())),
                    ("ts", Value::String(s)) => Ok(ModuleContent::Ts(s.clone())),
                    ("text", Value::String(s)) => Ok(ModuleContent::Text(s.clone())),
                    ("json", v) => Ok(ModuleContent::Json(v.to_string())),
                    ("data", Value::String(b64)) => base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map(ModuleContent::Data)
                        .map_err(|e| format!("module `{name}`: `data` must be base64: {e}")),
                    _ => Err(format!(
                        "module `{name}`: expected {{\"js\"|\"ts\"|\"text\": string}}, {{\"json\": value}} or {{\"data\": base64 string}}"
                    )),
                }
            }
            _ => Err(format!(
                "module `{name}`: expected a string or an object like {{\"text\": \"...\"}}"
            )),
        }
    }
}

/// Total size of a module map in bytes (names included).
pub fn source_bytes(modules: &[(String, ModuleContent)]) -> usize {
    modules.iter().map(|(n, m)| n.len() + m.len()).sum()
}

/// Check a module map and its main module: at least one module, at most [`MAX_CODE_BYTES`],
/// names non-empty, unique, without NUL and at most [`MAX_MODULE_NAME`] bytes, JS without NUL
/// (QuickJS takes C strings; the error says where), JSON that parses, and a main module that
/// is among the modules and is JS.
pub fn check(main_module: &str, modules: &[(String, ModuleContent)]) -> Result<(), String> {
    if modules.is_empty() {
        return Err("the worker has no modules".into());
    }
    let total = source_bytes(modules);
    if total > MAX_CODE_BYTES {
        return Err(format!(
            "the modules total {total} bytes; at most {MAX_CODE_BYTES} are allowed"
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (name, content) in modules {
        if name.is_empty() || name.contains('\0') || name.len() > MAX_MODULE_NAME {
            return Err(format!(
                "bad module name {name:?}: use a non-empty path like `lib/util.js`"
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(format!("module `{name}` is defined twice"));
        }
        match content {
            ModuleContent::Js(src) | ModuleContent::Ts(src) => {
                if let Some(at) = src.find('\0') {
                    let line = src[..at].matches('\n').count() + 1;
                    let column = at - src[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
                    return Err(format!(
                        "module `{name}` contains a NUL byte at {name}:{line}:{column}; JavaScript sources may not (write \"\\0\" in a string instead)"
                    ));
                }
            }
            ModuleContent::Json(text) => {
                if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
                    return Err(format!("module `{name}` is not valid JSON: {e}"));
                }
            }
            ModuleContent::Text(_) | ModuleContent::Data(_) => {}
        }
    }
    match modules.iter().find(|(n, _)| n == main_module) {
        None => Err(format!(
            "the main module `{main_module}` is not among the modules ({})",
            modules
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some((_, ModuleContent::Js(_) | ModuleContent::Ts(_))) => Ok(()),
        Some(_) => Err(format!(
            "the main module `{main_module}` must be a JS module"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(name: &str, src: &str) -> (String, ModuleContent) {
        (name.into(), ModuleContent::Js(src.into()))
    }

    #[test]
    fn checks_name_the_problem() {
        assert!(check("w.js", &[js("w.js", "x")]).is_ok());
        let err = |main: &str, m: &[(String, ModuleContent)]| check(main, m).unwrap_err();
        assert!(err("w.js", &[js("w.js", "a"), js("w.js", "b")]).contains("defined twice"));
        assert!(err("w.js", &[js("w.js", "a"), js("", "b")]).contains("bad module name"));
        assert!(err("w.js", &[js("w.js", &"x".repeat(MAX_CODE_BYTES + 1))]).contains("at most"));
        assert!(err("w.js", &[js("w.js", "a\n b\0")]).contains("w.js:2:3"));
        assert!(err(
            "d.json",
            &[("d.json".into(), ModuleContent::Json("{".into()))]
        )
        .contains("not valid JSON"));
        assert!(err(
            "t.txt",
            &[("t.txt".into(), ModuleContent::Text("x".into()))]
        )
        .contains("must be a JS module"));
        assert!(err("m.js", &[js("w.js", "x")]).contains("not among"));
    }

    #[test]
    fn json_modules_by_extension_or_shape() {
        let v = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        assert_eq!(
            ModuleContent::from_json("a.txt", &v(r#""hi""#)).unwrap(),
            ModuleContent::Text("hi".into())
        );
        assert_eq!(
            ModuleContent::from_json("a", &v(r#"{"json": {"n": 1}}"#)).unwrap(),
            ModuleContent::Json(r#"{"n":1}"#.into())
        );
        assert_eq!(
            ModuleContent::from_json("b.bin", &v(r#"{"data": "AQI="}"#)).unwrap(),
            ModuleContent::Data(vec![1, 2])
        );
        assert!(ModuleContent::from_json("b", &v(r#"{"data": "!"}"#)).is_err());
        assert!(ModuleContent::from_json("b", &v("3")).is_err());
    }
}
