//! A worker spec's `bindings` JSON, checked: what each binding asks for, before the daemon
//! resolves it against the tenant (its namespaces, directories, workers) and its config.
//!
//! - `{"kv": "<namespace>"}`
//! - `{"tools": {"url": "<callback>", "tools": [{"name", "description", "inputSchema"}]}}`
//! - `{"service": "<worker-id>"}`
//! - `{"files": {"dir": "<name>", "mode": "ro" | "rw", "quotaBytes": N}}`
//! - `{"loader": {}}`: a Worker Loader (`env.LOADER.load(code)`, `env.LOADER.get(id, getCode)`)

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};

/// Longest binding name.
pub const MAX_BINDING_NAME: usize = 128;

const SHAPES: &str = r#"expected {"kv": "<namespace>"}, {"tools": {"url": "<callback URL>", "tools": [{"name", "description", "inputSchema"}]}}, {"service": "<worker-id>"}, {"files": {"dir": "<name>", "mode": "ro"|"rw", "quotaBytes": N}} or {"loader": {}}"#;

/// What one binding asks for, checked: the typed form of one entry of `bindings` (it
/// serializes back to the same JSON shape).
#[derive(Debug, Clone, PartialEq)]
pub enum BindingSpec {
    /// A KV namespace of the tenant's, by name (checked by the store).
    Kv(String),
    /// Tools answered by `POST url`.
    Tools {
        /// The callback (`http://`, no user info).
        url: http::Uri,
        /// The tools it answers.
        tools: Vec<ToolSpec>,
    },
    /// A registered worker of the tenant's (a checked id).
    Service(String),
    /// A directory under the tenant's files root.
    Files {
        /// Its name (see [`dir_name`]).
        dir: String,
        /// `"mode": "rw"` (else `"ro"`).
        writable: bool,
        /// Its quota (0 when read-only and not given).
        quota_bytes: u64,
    },
    /// A Worker Loader: the worker loads children with what it holds, never more.
    Loader,
}

/// One tool of a tools binding.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// An identifier (letters, digits, `_`).
    pub name: String,
    /// What it does (for the model; `""` if not a string).
    pub description: String,
    /// JSON Schema of its input (`{"type": "object"}` if absent).
    pub input_schema: Value,
}

/// A spec's `bindings`, by name: each entry one object with one key naming its kind, checked as
/// it is deserialized (errors name the binding: `bindings.NAME: ...`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BindingMap(pub Vec<(String, BindingSpec)>);

impl BindingMap {
    /// The bindings, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &BindingSpec)> {
        self.0.iter().map(|(n, b)| (n.as_str(), b))
    }
}

impl<'de> Deserialize<'de> for BindingMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = BindingMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of bindings by name")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BindingMap, A::Error> {
                // A repeated name: the last one counts (as in a JSON object); kept sorted by name.
                let mut out: std::collections::BTreeMap<String, BindingSpec> = Default::default();
                while let Some(name) = map.next_key::<String>()? {
                    if name.is_empty() || name.len() > MAX_BINDING_NAME {
                        return Err(de::Error::custom(format!("bad binding name {name:?}")));
                    }
                    let binding = map.next_value_seed(Entry(&name))?;
                    out.insert(name, binding);
                }
                Ok(BindingMap(out.into_iter().collect()))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// One binding, knowing its name for its errors.
struct Entry<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for Entry<'_> {
    type Value = BindingSpec;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<BindingSpec, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_> {
    type Value = BindingSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bindings.{}: {SHAPES}", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BindingSpec, A::Error> {
        let name = self.0;
        let shapes = || de::Error::custom(format!("bindings.{name}: {SHAPES}"));
        let Some(kind) = map.next_key::<String>()? else {
            return Err(shapes());
        };
        let in_kind = |e: String| de::Error::custom(format!("bindings.{name}.{kind}: {e}"));
        let binding = match kind.as_str() {
            "kv" => BindingSpec::Kv(
                map.next_value::<Value>()?
                    .as_str()
                    .ok_or_else(|| in_kind("expected a namespace name".into()))?
                    .to_owned(),
            ),
            "service" => BindingSpec::Service(
                map.next_value::<Value>()?
                    .as_str()
                    .filter(|id| crate::ids::check_id(id).is_ok())
                    .ok_or_else(|| in_kind("expected a worker id".into()))?
                    .to_owned(),
            ),
            "tools" => tools(&map.next_value::<Value>()?).map_err(in_kind)?,
            "files" => files(&map.next_value::<Value>()?).map_err(in_kind)?,
            "loader" => match map.next_value::<Value>()? {
                Value::Object(o) if o.is_empty() => BindingSpec::Loader,
                _ => return Err(in_kind("expected {} (no options yet)".into())),
            },
            _ => return Err(shapes()),
        };
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(shapes());
        }
        Ok(binding)
    }
}

impl Serialize for BindingSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (kind, value) = match self {
            BindingSpec::Kv(ns) => ("kv", json!(ns)),
            BindingSpec::Service(id) => ("service", json!(id)),
            BindingSpec::Tools { url, tools } => (
                "tools",
                json!({
                    "url": url.to_string(),
                    "tools": tools.iter().map(|t| json!({
                        "name": t.name,
                        "description": t.description,
                        "inputSchema": t.input_schema,
                    })).collect::<Vec<_>>(),
                }),
            ),
            BindingSpec::Loader => ("loader", json!({})),
            BindingSpec::Files {
                dir,
                writable,
                quota_bytes,
            } => (
                "files",
                json!({
                    "dir": dir,
                    "mode": if *writable { "rw" } else { "ro" },
                    "quotaBytes": quota_bytes,
                }),
            ),
        };
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(kind, &value)?;
        map.end()
    }
}

impl Serialize for BindingMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, b) in &self.0 {
            map.serialize_entry(name, b)?;
        }
        map.end()
    }
}

fn files(spec: &Value) -> Result<BindingSpec, String> {
    let obj = spec
        .as_object()
        .ok_or(r#"expected {"dir": "<name>", "mode": "ro"|"rw", "quotaBytes": N}"#)?;
    if let Some(k) = obj
        .keys()
        .find(|k| !["dir", "mode", "quotaBytes"].contains(&k.as_str()))
    {
        return Err(format!("unknown field {k:?}"));
    }
    let dir = obj
        .get("dir")
        .and_then(Value::as_str)
        .filter(|d| dir_name(d))
        .ok_or(r#""dir" must be a name (1-64 characters of A-Z a-z 0-9 _ - .), a folder under the data dir's files/"#)?;
    let writable = match obj.get("mode").and_then(Value::as_str).unwrap_or("ro") {
        "ro" => false,
        "rw" => true,
        other => return Err(format!(r#""mode" must be "ro" or "rw", not {other:?}"#)),
    };
    let quota_bytes = match obj.get("quotaBytes") {
        None if writable => return Err(r#"a read-write directory needs "quotaBytes""#.into()),
        None => 0,
        Some(q) => q
            .as_u64()
            .ok_or(r#""quotaBytes" must be a non-negative integer"#)?,
    };
    Ok(BindingSpec::Files {
        dir: dir.to_owned(),
        writable,
        quota_bytes,
    })
}

/// A files directory name: 1-64 of `A-Z a-z 0-9 _ - .`, not `.` or `..`.
pub fn dir_name(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 64
        && d != "."
        && d != ".."
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn tools(spec: &Value) -> Result<BindingSpec, String> {
    let url = spec
        .get("url")
        .and_then(Value::as_str)
        .ok_or("expected \"url\": the callback URL")?;
    let uri: http::Uri = url.parse().map_err(|e| format!("bad url {url:?}: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(format!("url {url:?}: only http:// callbacks are supported"));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(format!(
            "url {url:?}: user info (`user@host`) is not allowed in a callback URL"
        ));
    }
    let list = spec
        .get("tools")
        .and_then(Value::as_array)
        .ok_or("expected \"tools\": [{\"name\", \"description\", \"inputSchema\"}]")?;
    let mut tools = Vec::with_capacity(list.len());
    for t in list {
        let name = t
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| crate::boundary::tool_name(n) && !n.contains('$'))
            .ok_or("each tool needs a \"name\" that is an identifier (letters, digits, _)")?;
        tools.push(ToolSpec {
            name: name.to_owned(),
            description: t
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            input_schema: t
                .get("inputSchema")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"})),
        });
    }
    Ok(BindingSpec::Tools { url: uri, tools })
}

/// Whether the callback URL `uri` is under the allowed prefix `prefix`, compared as URLs, not
/// strings: same scheme, host and port, and a path under the prefix's path at a segment
/// boundary. (`http://127.0.0.1:19180@127.0.0.2/` starts with the string
/// `http://127.0.0.1:19180` but its host is 127.0.0.2.)
pub fn callback_allowed(uri: &http::Uri, prefix: &str) -> bool {
    let Ok(p) = prefix.parse::<http::Uri>() else {
        return false;
    };
    let (Some(a), Some(b)) = (uri.authority(), p.authority()) else {
        return false;
    };
    if a.as_str().contains('@') || b.as_str().contains('@') {
        return false;
    }
    let port = |u: &http::Uri, a: &http::uri::Authority| {
        a.port_u16().or(match u.scheme_str() {
            Some("http") => Some(80),
            Some("https") => Some(443),
            _ => None,
        })
    };
    if uri.scheme_str() != p.scheme_str()
        || !a.host().eq_ignore_ascii_case(b.host())
        || port(uri, a) != port(&p, b)
    {
        return false;
    }
    let (path, base) = (uri.path(), p.path());
    // Dot segments (plain or percent-encoded) and encoded slashes would let a path under the
    // prefix name one outside it once a server normalizes it.
    let lower = path.to_ascii_lowercase();
    if path.split('/').any(|seg| seg == "." || seg == "..")
        || path.contains('\\')
        || lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
    {
        return false;
    }
    if base.is_empty() || base == "/" {
        return true;
    }
    path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| base.ends_with('/') || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(v: Value) -> Result<BindingSpec, String> {
        let map: BindingMap =
            serde_json::from_value(json!({ "B": v })).map_err(|e| e.to_string())?;
        let b = map.0[0].1.clone();
        // What it serializes to reads back the same.
        let again: BindingMap =
            serde_json::from_value(serde_json::to_value(&map).unwrap()).unwrap();
        assert_eq!(again, map);
        Ok(b)
    }

    #[test]
    fn binding_shapes() {
        assert_eq!(
            parse_one(json!({"kv": "ns"})),
            Ok(BindingSpec::Kv("ns".into()))
        );
        assert!(parse_one(json!({"kv": 1}))
            .unwrap_err()
            .contains("bindings.B.kv: expected a namespace name"));
        assert!(parse_one(json!(1))
            .unwrap_err()
            .contains("expected {\"kv\""));
        assert!(parse_one(json!({"durableObject": {}}))
            .unwrap_err()
            .contains("bindings.B: expected {\"kv\""));
        assert!(parse_one(json!({})).is_err());
        assert!(parse_one(json!({"files": []})).is_err());
        assert!(parse_one(json!({"kv": "a", "files": {}})).is_err());
        assert!(parse_one(json!({"service": "../x"})).is_err());
        assert_eq!(
            parse_one(json!({"files": {"dir": "d", "mode": "rw", "quotaBytes": 5}})),
            Ok(BindingSpec::Files {
                dir: "d".into(),
                writable: true,
                quota_bytes: 5
            })
        );
        assert!(parse_one(json!({"files": {"dir": "d", "mode": "rw"}})).is_err());
        assert!(parse_one(json!({"files": {"dir": ".."}})).is_err());
        assert!(parse_one(json!({"files": {"dir": "d", "x": 1}})).is_err());
        assert!(parse_one(json!({"tools": {"url": "http://u@h/", "tools": []}})).is_err());
        assert!(
            parse_one(json!({"tools": {"url": "http://h/", "tools": [{"name": "1"}]}})).is_err()
        );
        let t = parse_one(json!({"tools": {"url": "http://h/t", "tools": [{"name": "a"}]}}));
        assert!(matches!(t, Ok(BindingSpec::Tools { tools, .. }) if tools[0].name == "a"));
    }

    #[test]
    fn callback_prefixes_are_compared_as_urls() {
        let ok = |url: &str, prefix: &str| callback_allowed(&url.parse().unwrap(), prefix);
        assert!(ok("http://127.0.0.1:19180/tools", "http://127.0.0.1:19180"));
        assert!(ok(
            "http://127.0.0.1:19180/tools/x",
            "http://127.0.0.1:19180/tools"
        ));
        assert!(ok(
            "http://127.0.0.1:19180/tools/x",
            "http://127.0.0.1:19180/tools/"
        ));
        assert!(ok("http://localhost/t", "http://LOCALHOST:80/"));
        // The finding: a string prefix that is user info, not the host.
        assert!(!ok(
            "http://127.0.0.1:19180@127.0.0.2:19181/tools",
            "http://127.0.0.1:19180"
        ));
        assert!(!ok(
            "http://127.0.0.1:191800/tools",
            "http://127.0.0.1:19180"
        ));
        assert!(!ok(
            "http://127.0.0.1:19180/toolsx",
            "http://127.0.0.1:19180/tools"
        ));
        assert!(!ok(
            "http://127.0.0.10:19180/tools",
            "http://127.0.0.1:19180"
        ));
        assert!(!ok(
            "http://127.0.0.1:19181/tools",
            "http://127.0.0.1:19180"
        ));
        assert!(!ok("http://127.0.0.1:19180/tools", ""));
        // Dot segments climb out of the prefix once a server normalizes the path.
        assert!(!ok("http://h:9000/tools/../admin", "http://h:9000/tools/"));
        assert!(!ok(
            "http://h:9000/tools/%2e%2e/admin",
            "http://h:9000/tools"
        ));
        assert!(!ok("http://h:9000/tools/a%2Fb", "http://h:9000/tools"));
        // Some servers read `\` as `/`.
        assert!(!ok("http://h:9000/acme/..\\other", "http://h:9000/acme/"));
    }
}
