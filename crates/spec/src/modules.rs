//! A worker's module map: each module's content, and the checks made before any sandbox sees it.

use std::fmt;

use base64::Engine as _;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserializer, Serialize, Serializer};
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

    /// A module's source as its file extension (without the dot) types it: `json` → JSON,
    /// `txt html md csv svg css` → text, `ts mts cts tsx jsx` → TypeScript, `js mjs` → JS;
    /// `None` for any other extension (the daemon's `modules` map reads those as JS, the CLI's
    /// `--module` as bytes). The one table of these for the daemon and the CLI (the bundler
    /// types npm package files by its own, wider rules).
    pub fn from_extension(ext: &str, source: String) -> Option<ModuleContent> {
        Some(match ext {
            "js" | "mjs" => ModuleContent::Js(source),
            "json" => ModuleContent::Json(source),
            "txt" | "html" | "md" | "csv" | "svg" | "css" => ModuleContent::Text(source),
            "ts" | "mts" | "cts" | "tsx" | "jsx" => ModuleContent::Ts(source),
            _ => return None,
        })
    }

    /// A module given as JSON in the daemon's `modules` map: a string (its kind from the
    /// extension: .json → json, .txt/.html/.md/.csv/.svg/.css → text, .ts/.mts/.cts/.tsx/.jsx →
    /// TypeScript, anything else → js) or `{"js"|"esModule"|"ts"|"text": "..."}`,
    /// `{"json": <value>}`, `{"data": "<base64>"}`.
    pub fn from_json(name: &str, value: &Value) -> Result<ModuleContent, String> {
        Entry(name)
            .deserialize(value)
            .map_err(|e| e.to_string())?
            .content(name)
    }
}

/// One module of the daemon's `modules` map as sent: typed by its shape, not yet by its name
/// (see [`ModuleJson::content`]). It serializes back to the same JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleJson {
    /// A string: typed by the module's extension.
    Source(String),
    /// `{"js": "..."}` (or `"esModule"`, kept as sent).
    Js {
        /// The source.
        source: String,
        /// Sent as `esModule`.
        es_module: bool,
    },
    /// `{"ts": "..."}`.
    Ts(String),
    /// `{"cjs": "..."}`: CommonJS, run as an ES module whose default export is `module.exports`
    /// (see [`crate::cjs`]).
    Cjs(String),
    /// `{"text": "..."}`.
    Text(String),
    /// `{"json": <value>}`.
    Json(Value),
    /// `{"data": "<base64>"}` (decoded by [`ModuleJson::content`]).
    Data(String),
}

impl ModuleJson {
    /// The module `name` is: a string typed by its extension (.json → json,
    /// .txt/.html/.md/.csv/.svg/.css → text, .ts/.mts/.cts/.tsx/.jsx → TypeScript, anything else
    /// → js), `data` decoded from base64.
    /// A CommonJS module (`{cjs}`, or a string named `*.cjs`) is taken as if no other module of
    /// its worker were CommonJS: [`ModuleMap::contents`] knows better.
    pub fn content(&self, name: &str) -> Result<ModuleContent, String> {
        self.content_in(name, &|_: &str| None)
    }

    /// Whether it is CommonJS as module `name`.
    pub fn is_cjs(&self, name: &str) -> bool {
        match self {
            ModuleJson::Cjs(_) => true,
            ModuleJson::Source(_) => name.ends_with(".cjs"),
            _ => false,
        }
    }

    /// What a CommonJS module's `require` of it (as module `name`) returns.
    fn required(&self, name: &str) -> crate::cjs::Required {
        use crate::cjs::Required;
        match self {
            _ if self.is_cjs(name) => Required::Default,
            ModuleJson::Js { .. } | ModuleJson::Ts(_) => Required::Namespace,
            ModuleJson::Source(_) => {
                match ModuleContent::from_extension(extension(name), String::new()) {
                    Some(ModuleContent::Json(_) | ModuleContent::Text(_)) => Required::Default,
                    _ => Required::Namespace,
                }
            }
            _ => Required::Default,
        }
    }

    /// [`Self::content`], `lookup` saying which modules the worker has and which are CommonJS.
    fn content_in(
        &self,
        name: &str,
        lookup: &dyn Fn(&str) -> Option<crate::cjs::Required>,
    ) -> Result<ModuleContent, String> {
        Ok(match self {
            ModuleJson::Cjs(s) => ModuleContent::Js(crate::cjs::to_es_module(name, s, lookup)),
            ModuleJson::Source(s) if self.is_cjs(name) => {
                ModuleContent::Js(crate::cjs::to_es_module(name, s, lookup))
            }
            ModuleJson::Source(s) => ModuleContent::from_extension(extension(name), s.clone())
                .unwrap_or_else(|| ModuleContent::Js(s.clone())),
            ModuleJson::Js { source, .. } => ModuleContent::Js(source.clone()),
            ModuleJson::Ts(s) => ModuleContent::Ts(s.clone()),
            ModuleJson::Text(s) => ModuleContent::Text(s.clone()),
            ModuleJson::Json(v) => ModuleContent::Json(v.to_string()),
            ModuleJson::Data(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map(ModuleContent::Data)
                .map_err(|e| format!("module `{name}`: `data` must be base64: {e}"))?,
        })
    }
}

/// A module name's extension (after its last dot; empty without one).
fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, e)| e)
}

/// The daemon's `modules` map: modules by name, their shapes checked as it is deserialized
/// (errors name the module).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleMap(pub Vec<(String, ModuleJson)>);

impl ModuleMap {
    /// The module names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// Each module's content (CommonJS modules turned into ES modules that import the modules
    /// they `require`); errors name the module.
    pub fn contents(&self) -> Result<Vec<(String, ModuleContent)>, String> {
        let kinds: std::collections::HashMap<&str, crate::cjs::Required> = self
            .0
            .iter()
            .map(|(n, m)| (n.as_str(), m.required(n)))
            .collect();
        let lookup = |resolved: &str| kinds.get(resolved).copied();
        self.0
            .iter()
            .map(|(name, m)| Ok((name.clone(), m.content_in(name, &lookup)?)))
            .collect()
    }
}

impl<'de> serde::Deserialize<'de> for ModuleMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = ModuleMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of modules by name")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ModuleMap, A::Error> {
                // A repeated name: the last one counts (as in a JSON object); kept sorted by name.
                let mut out: std::collections::BTreeMap<String, ModuleJson> = Default::default();
                while let Some(name) = map.next_key::<String>()? {
                    let module = map.next_value_seed(Entry(&name))?;
                    out.insert(name, module);
                }
                Ok(ModuleMap(out.into_iter().collect()))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// One module, knowing its name for its errors.
struct Entry<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for Entry<'_> {
    type Value = ModuleJson;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ModuleJson, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_> {
    type Value = ModuleJson;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "module `{}`: expected a string or an object like {{\"text\": \"...\"}}",
            self.0
        )
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<ModuleJson, E> {
        Ok(ModuleJson::Source(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<ModuleJson, E> {
        Ok(ModuleJson::Source(s))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ModuleJson, A::Error> {
        let name = self.0;
        let shapes = || {
            de::Error::custom(format!(
                "module `{name}`: expected {{\"js\"|\"cjs\"|\"ts\"|\"text\": string}}, {{\"json\": value}} or {{\"data\": base64 string}}"
            ))
        };
        let not_one = || {
            de::Error::custom(format!(
                "module `{name}`: expected a string or an object like {{\"text\": \"...\"}}"
            ))
        };
        let Some(kind) = map.next_key::<String>()? else {
            return Err(not_one());
        };
        let value: Value = map.next_value()?;
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            // Drain nothing more: two keys is the wrong shape.
            return Err(not_one());
        }
        let string = |v: Value| match v {
            Value::String(s) => Ok(s),
            _ => Err(shapes()),
        };
        Ok(match kind.as_str() {
            "js" => ModuleJson::Js {
                source: string(value)?,
                es_module: false,
            },
            "esModule" => ModuleJson::Js {
                source: string(value)?,
                es_module: true,
            },
            "ts" => ModuleJson::Ts(string(value)?),
            "cjs" => ModuleJson::Cjs(string(value)?),
            "text" => ModuleJson::Text(string(value)?),
            "json" => ModuleJson::Json(value),
            "data" => ModuleJson::Data(string(value)?),
            _ => return Err(shapes()),
        })
    }
}

impl Serialize for ModuleJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The value under the module's one key.
        enum Inner<'a> {
            Str(&'a str),
            Json(&'a Value),
        }
        impl Serialize for Inner<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    Inner::Str(v) => s.serialize_str(v),
                    Inner::Json(v) => v.serialize(s),
                }
            }
        }
        let (kind, value) = match self {
            ModuleJson::Source(src) => return s.serialize_str(src),
            ModuleJson::Js { source, es_module } => (
                if *es_module { "esModule" } else { "js" },
                Inner::Str(source),
            ),
            ModuleJson::Ts(src) => ("ts", Inner::Str(src)),
            ModuleJson::Cjs(src) => ("cjs", Inner::Str(src)),
            ModuleJson::Text(src) => ("text", Inner::Str(src)),
            ModuleJson::Json(v) => ("json", Inner::Json(v)),
            ModuleJson::Data(b64) => ("data", Inner::Str(b64)),
        };
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(kind, &value)?;
        map.end()
    }
}

impl Serialize for ModuleMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, m) in &self.0 {
            map.serialize_entry(name, m)?;
        }
        map.end()
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
