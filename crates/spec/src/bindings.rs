//! A worker spec's `bindings` JSON, checked: what each binding asks for, before the daemon
//! resolves it against the tenant (its namespaces, directories, workers) and its config.
//!
//! - `{"kv": "<namespace>"}`
//! - `{"tools": {"url": "<callback>", "tools": [{"name", "description", "inputSchema"}]}}`
//! - `{"service": "<worker-id>"}`
//! - `{"files": {"dir": "<name>", "mode": "ro" | "rw", "quotaBytes": N}}`

use serde_json::{json, Map, Value};

/// Longest binding name.
pub const MAX_BINDING_NAME: usize = 128;

const SHAPES: &str = r#"expected {"kv": "<namespace>"}, {"tools": {"url": "<callback URL>", "tools": [{"name", "description", "inputSchema"}]}}, {"service": "<worker-id>"} or {"files": {"dir": "<name>", "mode": "ro"|"rw", "quotaBytes": N}}"#;

/// What one binding asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum BindingSpec {
    /// A KV namespace of the tenant's, by name (checked by the store).
    Kv(String),
    /// Tools answered by `POST url`.
    Tools {
        url: http::Uri,
        tools: Vec<ToolSpec>,
    },
    /// A registered worker of the tenant's.
    Service(String),
    /// A directory under the tenant's files root.
    Files {
        dir: String,
        writable: bool,
        quota_bytes: u64,
    },
}

/// One tool of a tools binding.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

/// Parse `bindings`: each entry one object with one key naming its kind.
pub fn parse(spec: &Map<String, Value>) -> Result<Vec<(String, BindingSpec)>, String> {
    let mut out = Vec::with_capacity(spec.len());
    for (name, value) in spec {
        if name.is_empty() || name.len() > MAX_BINDING_NAME {
            return Err(format!("bad binding name {name:?}"));
        }
        let obj = value
            .as_object()
            .filter(|o| o.len() == 1)
            .ok_or_else(|| format!("bindings.{name}: {SHAPES}"))?;
        let (kind, v) = obj.iter().next().expect("one entry");
        let binding = match kind.as_str() {
            "kv" => BindingSpec::Kv(
                v.as_str()
                    .ok_or_else(|| format!("bindings.{name}.kv: expected a namespace name"))?
                    .to_owned(),
            ),
            "tools" => tools(v).map_err(|e| format!("bindings.{name}.tools: {e}"))?,
            "service" => BindingSpec::Service(
                v.as_str()
                    .filter(|id| crate::ids::check_id(id).is_ok())
                    .ok_or_else(|| format!("bindings.{name}.service: expected a worker id"))?
                    .to_owned(),
            ),
            "files" => files(v).map_err(|e| format!("bindings.{name}.files: {e}"))?,
            _ => return Err(format!("bindings.{name}: {SHAPES}")),
        };
        out.push((name.clone(), binding));
    }
    Ok(out)
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
        let map = json!({ "B": v });
        parse(map.as_object().unwrap()).map(|mut l| l.remove(0).1)
    }

    #[test]
    fn binding_shapes() {
        assert_eq!(
            parse_one(json!({"kv": "ns"})),
            Ok(BindingSpec::Kv("ns".into()))
        );
        assert!(parse_one(json!({"kv": 1})).is_err());
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
