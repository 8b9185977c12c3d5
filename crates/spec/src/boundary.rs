//! The values a script hands the host across the WIT boundary (binding calls, its response,
//! its requests to services), checked before the host acts on them. The script is untrusted:
//! everything here answers a message the script sees, never a panic or a host error.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

/// Longest KV key.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest KV value.
pub const MAX_VALUE_BYTES: usize = 25 * 1024 * 1024;
/// Largest KV metadata (JSON text).
pub const MAX_METADATA_BYTES: usize = 1024;
/// Most keys one KV `list()` returns.
pub const MAX_LIST_LIMIT: usize = 1000;
/// Longest files-binding path.
pub const MAX_PATH_BYTES: usize = 4096;
/// Deepest tool input a schema is checked into (the JSON parser stops at 128 anyway).
pub const MAX_SCHEMA_DEPTH: usize = 64;
/// Most headers a request or response head may have (`http`'s map panics past 24,576 names).
pub const MAX_HEADERS: usize = 1000;

/// A KV key: 1-512 bytes, not `.` or `..` (Workers KV's rule).
pub fn kv_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key == "." || key == ".." {
        return Err(format!(
            "KV key {key:?} is not allowed (empty, \".\" or \"..\")"
        ));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "KV key is {} bytes; the limit is {MAX_KEY_BYTES}",
            key.len()
        ));
    }
    Ok(())
}

/// A KV `put()`: key, value size, metadata (at most 1 KiB of JSON) and expiry; returns the
/// expiration to store (seconds since the epoch; the earlier of `ttl` from `now` and
/// `expiration`).
pub fn kv_put(
    key: &str,
    value_len: usize,
    metadata: Option<&str>,
    ttl: Option<u64>,
    expiration: Option<u64>,
    now: u64,
) -> Result<Option<u64>, String> {
    kv_key(key)?;
    if value_len > MAX_VALUE_BYTES {
        return Err(format!(
            "KV value is {value_len} bytes; the limit is {MAX_VALUE_BYTES}"
        ));
    }
    if let Some(m) = metadata {
        if m.len() > MAX_METADATA_BYTES {
            return Err(format!(
                "KV metadata is {} bytes of JSON; the limit is {MAX_METADATA_BYTES}",
                m.len()
            ));
        }
        // Parsed as a value (not skipped): lone surrogates and nesting past 128 are refused,
        // so that `list()` can always show the metadata it stored.
        serde_json::from_str::<Value>(m).map_err(|e| format!("KV metadata: {e}"))?;
    }
    if ttl == Some(0) {
        return Err("KV expirationTtl must be at least 1 second".into());
    }
    if expiration.is_some_and(|t| t <= now) {
        return Err("KV expiration must be in the future (seconds since the epoch)".into());
    }
    Ok(match (ttl.map(|t| now.saturating_add(t)), expiration) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

/// A KV `list()`'s page size: 1 to [`MAX_LIST_LIMIT`], that many when not given.
pub fn kv_list_limit(limit: Option<u32>) -> usize {
    limit.map_or(MAX_LIST_LIMIT, |l| (l as usize).clamp(1, MAX_LIST_LIMIT))
}

/// The cursor a listing hands out after `last_key` (opaque to scripts).
pub fn kv_cursor(last_key: &str) -> String {
    hex::encode(last_key)
}

/// The key a cursor from [`kv_cursor`] continues after.
pub fn kv_after_cursor(cursor: &str) -> Result<String, String> {
    hex::decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| "KV list(): invalid cursor".to_string())
}

/// A path the script gave a files binding, made relative to the lent directory: no NUL, no
/// `..`, not absolute, at most 4096 bytes; `.` components and trailing slashes are dropped.
/// The empty path (the directory itself) only where `allow_root` (listing). cap-std enforces
/// the sandbox again when the path is used.
pub fn files_path(path: &str, allow_root: bool) -> Result<PathBuf, String> {
    let bad = |why: &str| Err(format!("FILES: the path {path:?} is not allowed: {why}"));
    if path.contains('\0') {
        return bad("it contains a NUL byte");
    }
    if path.len() > MAX_PATH_BYTES {
        return bad("it is longer than 4096 bytes");
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if allow_root && !path.starts_with('/') {
            Ok(PathBuf::new())
        } else {
            bad("it names no file")
        };
    }
    let mut out = PathBuf::new();
    for c in Path::new(trimmed).components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir => return bad("`..` is not allowed"),
            Component::RootDir | Component::Prefix(_) => {
                return bad("it must be relative to the lent directory")
            }
        }
    }
    if out.as_os_str().is_empty() && !allow_root {
        return bad("it names no file");
    }
    Ok(out)
}

/// Whether `name` can be a tool's method name: a JavaScript identifier of at most 64 bytes.
pub fn tool_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && name.len() <= 64
}

/// Check a tool's `input` against its schema: the common subset of JSON schema (type,
/// properties, required, additionalProperties: false, items, enum, const, minimum/maximum,
/// minLength/maxLength). `at` names the value in messages (`input.q`).
pub fn tool_input(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    validate(schema, value, at, 0)
}

fn validate(schema: &Value, value: &Value, at: &str, depth: usize) -> Result<(), String> {
    let Some(schema) = schema.as_object() else {
        return Ok(());
    };
    if depth > MAX_SCHEMA_DEPTH {
        return Err(format!(
            "{at} is nested deeper than {MAX_SCHEMA_DEPTH} levels"
        ));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err(format!(
                "{at} must be one of {}",
                Value::Array(allowed.clone())
            ));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            return Err(format!("{at} must be {c}"));
        }
    }
    let type_ok = |t: &str| match t {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    };
    match schema.get("type") {
        Some(Value::String(t)) if !type_ok(t) => return Err(format!("{at} must be a {t}")),
        Some(Value::Array(ts)) if !ts.iter().filter_map(Value::as_str).any(type_ok) => {
            return Err(format!(
                "{at} must be one of the types {}",
                Value::Array(ts.clone())
            ))
        }
        _ => {}
    }
    if let (Some(n), Some(min)) = (
        value.as_f64(),
        schema.get("minimum").and_then(Value::as_f64),
    ) {
        if n < min {
            return Err(format!("{at} must be >= {min}"));
        }
    }
    if let (Some(n), Some(max)) = (
        value.as_f64(),
        schema.get("maximum").and_then(Value::as_f64),
    ) {
        if n > max {
            return Err(format!("{at} must be <= {max}"));
        }
    }
    if let Some(s) = value.as_str() {
        let len = s.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            return Err(format!("{at} is too short"));
        }
        if schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            return Err(format!("{at} is too long"));
        }
    }
    if let Some(obj) = value.as_object() {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    return Err(format!("{at}.{r} is required"));
                }
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(s, v, &format!("{at}.{k}"), depth + 1)?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}.{k} is not an allowed property"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            validate(items, v, &format!("{at}[{i}]"), depth + 1)?;
        }
    }
    Ok(())
}

/// A request a script sends to a service binding: method, absolute URL, headers.
pub fn request_head<'a>(
    method: &str,
    url: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<http::Request<()>, String> {
    let method = http::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("{method:?} is not a method"))?;
    let uri: http::Uri = url.parse().map_err(|e| format!("the URL {url:?}: {e}"))?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(format!("the URL {url:?} must be absolute"));
    }
    let mut request = http::Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    append_headers(request.headers_mut(), headers)?;
    Ok(request)
}

/// The response a fetch handler returned: a status of 200-599 (`0` is `Response.error()`, a
/// network error, which cannot be sent) and valid headers.
pub fn response_head<'a>(
    status: u16,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<http::Response<()>, String> {
    if status == 0 {
        return Err(
            "the fetch handler returned Response.error() (a network error), not a response to send"
                .into(),
        );
    }
    if !(200..=599).contains(&status) {
        return Err(format!(
            "the fetch handler returned status {status}: a response's status must be 200 to 599"
        ));
    }
    let mut response = http::Response::new(());
    *response.status_mut() = http::StatusCode::from_u16(status).map_err(|e| e.to_string())?;
    append_headers(response.headers_mut(), headers)
        .map_err(|e| format!("the fetch handler returned an invalid response: {e}"))?;
    Ok(response)
}

fn append_headers<'a>(
    map: &mut http::HeaderMap,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), String> {
    for (i, (k, v)) in headers.into_iter().enumerate() {
        if i >= MAX_HEADERS {
            return Err(format!("more than {MAX_HEADERS} headers"));
        }
        let name = http::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| format!("header name {k:?} is invalid"))?;
        let value = http::HeaderValue::from_str(v)
            .map_err(|_| format!("header {k}: value {v:?} is invalid"))?;
        map.try_append(name, value)
            .map_err(|e| format!("headers: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kv_values_are_bounded() {
        assert!(kv_key("a").is_ok());
        for bad in ["", ".", ".."] {
            assert!(kv_key(bad).is_err());
        }
        assert!(kv_key(&"k".repeat(MAX_KEY_BYTES + 1)).is_err());
        assert_eq!(
            kv_put("k", 1, None, Some(10), Some(105), 100),
            Ok(Some(105))
        );
        assert_eq!(kv_put("k", 1, None, Some(10), None, 100), Ok(Some(110)));
        assert!(kv_put("k", 1, Some("{"), None, None, 100).is_err());
        assert!(kv_put("k", 1, Some(r#""\ud800""#), None, None, 100).is_err());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(kv_put("k", 1, Some(&deep), None, None, 100).is_err());
        assert!(kv_put("k", 1, None, Some(0), None, 100).is_err());
        assert!(kv_put("k", 1, None, None, Some(100), 100).is_err());
        assert!(kv_put("k", MAX_VALUE_BYTES + 1, None, None, None, 0).is_err());
        assert_eq!(kv_list_limit(Some(0)), 1);
        assert_eq!(kv_list_limit(None), MAX_LIST_LIMIT);
        assert_eq!(kv_after_cursor(&kv_cursor("apple")).unwrap(), "apple");
        assert!(kv_after_cursor("zz").is_err());
    }

    #[test]
    fn file_paths_stay_inside() {
        assert_eq!(files_path("a/./b/", false).unwrap(), PathBuf::from("a/b"));
        assert_eq!(files_path("", true).unwrap(), PathBuf::new());
        assert_eq!(files_path(".", true).unwrap(), PathBuf::new());
        for bad in ["", "/", "/etc/passwd", "a/../../b", "..", "a\0b", "."] {
            assert!(files_path(bad, false).is_err(), "{bad:?}");
        }
        assert!(files_path("/", true).is_err());
    }

    #[test]
    fn tool_inputs_follow_their_schema() {
        let s = json!({"type": "object", "properties": {"q": {"type": "string", "minLength": 1}},
            "required": ["q"], "additionalProperties": false});
        assert!(tool_input(&s, &json!({"q": "x"}), "input").is_ok());
        assert!(tool_input(&s, &json!({"q": ""}), "input")
            .unwrap_err()
            .contains("too short"));
        assert!(tool_input(&s, &json!({}), "input")
            .unwrap_err()
            .contains("required"));
        assert!(tool_input(&s, &json!({"q": "x", "z": 1}), "input").is_err());
        assert!(tool_name("search_2") && tool_name("$x") && !tool_name("2x") && !tool_name(""));
        // A schema that nests as deep as the input does stops at the depth limit.
        let (mut schema, mut value) = (json!({}), json!(1));
        for _ in 0..100 {
            schema = json!({"items": schema});
            value = json!([value]);
        }
        assert!(tool_input(&schema, &value, "input")
            .unwrap_err()
            .contains("deeper"));
    }

    #[test]
    fn too_many_headers_are_an_error_not_a_panic() {
        // Past http's own limit of names, its map would panic.
        let names: Vec<String> = (0..25_000).map(|i| format!("h{i}")).collect();
        let many = || names.iter().map(|n| (n.as_str(), ""));
        assert!(response_head(200, many())
            .unwrap_err()
            .contains("more than 1000"));
        assert!(request_head("GET", "https://s/", many()).is_err());
    }

    #[test]
    fn heads_are_checked() {
        assert!(request_head("GET", "https://svc/x", [("a", "b")]).is_ok());
        assert!(request_head("GET", "/x", []).is_err());
        assert!(request_head("G T", "https://svc/", []).is_err());
        assert!(request_head("GET", "https://svc/", [("a b", "c")]).is_err());
        assert!(response_head(0, [])
            .unwrap_err()
            .contains("Response.error()"));
        assert!(response_head(101, []).is_err());
        assert!(response_head(200, [("x", "a\nb")]).is_err());
        assert_eq!(
            response_head(204, [("x", "1"), ("x", "2")])
                .unwrap()
                .headers()
                .len(),
            2
        );
    }
}
