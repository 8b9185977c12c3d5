//! The daemon's bindings: a worker spec's `bindings` JSON made into the crate's [`Binding`]s.
//!
//! - `{"kv": "<namespace>"}`: a namespace of the daemon's file-backed KV store
//!   (`<data dir>/kv.redb`, shared by every worker; each binding reaches its namespace only, a
//!   tenant's namespaces are its own and count against its KV quota).
//! - `{"tools": {"url": "<callback>", "tools": [{"name", "description", "inputSchema"}]}}`:
//!   Code Mode tools; each call is `POST <url>` with `{"tool": name, "input": {...}}`, answered
//!   with `{"ok": true, "result": ...}`, `{"ok": false, "error": "..."}` or any other JSON (the
//!   result). The URL must start with one of the config's `[tools] callbacks` prefixes (none by
//!   default): the daemon makes these requests itself, so it only calls where it was told to.
//! - `{"service": "<worker-id>"}`: `env.NAME.fetch(request)` reaches that registered worker.
//! - `{"files": {"dir": "<name>", "mode": "ro" | "rw", "quotaBytes": N}}`: the directory
//!   `<name>` under the tenant's files root (created if missing), read-only or read-write within
//!   the quota, and within the tenant's files quota across all its directories.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use serde_json::{json, Map, Value};
use wasm_sandbox::kv::KvStore;
use wasm_sandbox::tools::ToolSet;
use wasm_sandbox::{Binding, Bindings};

use crate::config::ServerConfig;
use crate::tenants::Tenant;

/// Largest callback answer accepted.
const MAX_CALLBACK_BYTES: usize = 16 * 1024 * 1024;

const SHAPES: &str = r#"expected {"kv": "<namespace>"}, {"tools": {"url": "<callback URL>", "tools": [{"name", "description", "inputSchema"}]}}, {"service": "<worker-id>"} or {"files": {"dir": "<name>", "mode": "ro"|"rw", "quotaBytes": N}}"#;

/// Build the bindings of a worker spec.
pub(crate) fn bindings(
    spec: Option<&Map<String, Value>>,
    kv: &Arc<dyn KvStore>,
    config: &ServerConfig,
    tenant: &Tenant,
    service: &dyn Fn(&str) -> Binding,
) -> Result<Bindings, String> {
    let mut out = Bindings::new();
    let Some(spec) = spec else { return Ok(out) };
    for (name, value) in spec {
        let obj = value
            .as_object()
            .filter(|o| o.len() == 1)
            .ok_or_else(|| format!("bindings.{name}: {SHAPES}"))?;
        let binding = if let Some(ns) = obj.get("kv") {
            let ns = ns
                .as_str()
                .ok_or_else(|| format!("bindings.{name}.kv: expected a namespace name"))?;
            Binding::Kv(
                tenant
                    .kv(kv, ns)
                    .map_err(|e| format!("bindings.{name}: {e}"))?,
            )
        } else if let Some(t) = obj.get("tools") {
            Binding::Tools(Arc::new(
                tools(t, config).map_err(|e| format!("bindings.{name}.tools: {e}"))?,
            ))
        } else if let Some(id) = obj.get("service") {
            let id = id
                .as_str()
                .filter(|id| crate::registry::check_id(id).is_ok())
                .ok_or_else(|| format!("bindings.{name}.service: expected a worker id"))?;
            service(id)
        } else if let Some(f) = obj.get("files") {
            files(f, config, tenant).map_err(|e| format!("bindings.{name}.files: {e}"))?
        } else {
            return Err(format!("bindings.{name}: {SHAPES}"));
        };
        out.insert(name.clone(), binding);
    }
    Ok(out)
}

fn files(spec: &Value, config: &ServerConfig, tenant: &Tenant) -> Result<Binding, String> {
    use wasm_sandbox::files::{FilesBinding, FilesMode};
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
        .filter(|d| {
            !d.is_empty()
                && d.len() <= 64
                && *d != "."
                && *d != ".."
                && d.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        })
        .ok_or(r#""dir" must be a name (1-64 characters of A-Z a-z 0-9 _ - .), a folder under the data dir's files/"#)?;
    let mode = match obj.get("mode").and_then(Value::as_str).unwrap_or("ro") {
        "ro" => FilesMode::ReadOnly,
        "rw" => FilesMode::ReadWrite,
        other => return Err(format!(r#""mode" must be "ro" or "rw", not {other:?}"#)),
    };
    let quota = match obj.get("quotaBytes") {
        None => 0,
        Some(q) => q
            .as_u64()
            .ok_or(r#""quotaBytes" must be a non-negative integer"#)?,
    };
    if mode == FilesMode::ReadWrite && obj.get("quotaBytes").is_none() {
        return Err(r#"a read-write directory needs "quotaBytes""#.into());
    }
    if quota > tenant.files_quota_bytes {
        return Err(format!(
            r#""quotaBytes" = {quota} is above this tenant's files quota of {} bytes"#,
            tenant.files_quota_bytes
        ));
    }
    FilesBinding::open_within(
        &tenant.files_root(config),
        dir,
        mode,
        quota,
        tenant.files_quota_bytes,
    )
    .map(Binding::Files)
    .map_err(|e| format!("{e:#}"))
}

/// Whether the callback URL `uri` is under the allowed prefix `prefix`, compared as URLs, not
/// strings: same scheme, host and port, and a path under the prefix's path at a segment
/// boundary. (`http://127.0.0.1:19180@127.0.0.2/` starts with the string
/// `http://127.0.0.1:19180` but its host is 127.0.0.2.)
fn callback_allowed(uri: &http::Uri, prefix: &str) -> bool {
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

fn tools(spec: &Value, config: &ServerConfig) -> Result<ToolSet, String> {
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
    if !config
        .tools
        .callbacks
        .iter()
        .any(|p| callback_allowed(&uri, p))
    {
        return Err(format!(
            "url {url:?} is not allowed: the daemon's [tools] callbacks = {:?} must list a prefix of it",
            config.tools.callbacks
        ));
    }
    let list = spec
        .get("tools")
        .and_then(Value::as_array)
        .ok_or("expected \"tools\": [{\"name\", \"description\", \"inputSchema\"}]")?;
    let timeout = Duration::from_millis(config.tools.timeout_ms.max(1));
    let mut set = ToolSet::new();
    for t in list {
        let name = t
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| {
                let mut c = n.chars();
                c.next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && n.len() <= 64
            })
            .ok_or("each tool needs a \"name\" that is an identifier (letters, digits, _)")?
            .to_owned();
        let description = t
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let schema = t
            .get("inputSchema")
            .cloned()
            .unwrap_or_else(|| json!({"type": "object"}));
        let (uri, tool) = (uri.clone(), name.clone());
        set = set.tool(name, description, schema, move |input| {
            let (uri, tool) = (uri.clone(), tool.clone());
            async move { callback(&uri, &tool, input, timeout).await }
        });
    }
    Ok(set)
}

/// `POST uri {"tool", "input"}` and interpret the answer.
async fn callback(
    uri: &http::Uri,
    tool: &str,
    input: Value,
    timeout: Duration,
) -> Result<Value, String> {
    let call = async {
        let authority = uri.authority().expect("checked").clone();
        let port = authority.port_u16().unwrap_or(80);
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("connecting to the tool callback: {e}"))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("tool callback: {e}"))?;
        let driver = tokio::spawn(conn);
        let body = json!({ "tool": tool, "input": input }).to_string();
        // Origin-form request target (`POST /path`), as a client sends to a server.
        let target = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let request = http::Request::post(target)
            .header(http::header::HOST, authority.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("tool callback: {e}"))?;
        let status = response.status();
        let bytes = Limited::new(response.into_body(), MAX_CALLBACK_BYTES)
            .collect()
            .await
            .map_err(|e| format!("tool callback answer: {e}"))?
            .to_bytes();
        driver.abort();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
            return Err(format!("the tool callback answered {status}: {text}"));
        }
        let answer: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the tool callback's answer is not JSON: {e}"))?;
        match answer.get("ok").and_then(Value::as_bool) {
            Some(true) => Ok(answer.get("result").cloned().unwrap_or(Value::Null)),
            Some(false) => Err(answer
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("the tool failed")
                .to_owned()),
            None => Ok(answer),
        }
    };
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "{tool}(): the tool callback took longer than {timeout:?}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::callback_allowed;

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
    }
}
