//! The daemon's bindings: a worker spec's `bindings` JSON made into the crate's [`Binding`]s.
//!
//! - `{"kv": "<namespace>"}`: a namespace of the daemon's file-backed KV store
//!   (`<data dir>/kv.redb`, shared by every worker; each binding reaches its namespace only).
//! - `{"tools": {"url": "<callback>", "tools": [{"name", "description", "inputSchema"}]}}`:
//!   Code Mode tools; each call is `POST <url>` with `{"tool": name, "input": {...}}`, answered
//!   with `{"ok": true, "result": ...}`, `{"ok": false, "error": "..."}` or any other JSON (the
//!   result). The URL must start with one of the config's `[tools] callbacks` prefixes (none by
//!   default): the daemon makes these requests itself, so it only calls where it was told to.
//! - `{"service": "<worker-id>"}`: `env.NAME.fetch(request)` reaches that registered worker.
//! - `{"files": {"dir": "<name>", "mode": "ro" | "rw", "quotaBytes": N}}`: the directory
//!   `<data dir>/files/<name>` (created if missing), read-only or read-write within the quota.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use serde_json::{json, Map, Value};
use wasm_sandbox::kv::{KvNamespace, KvStore};
use wasm_sandbox::tools::ToolSet;
use wasm_sandbox::{Binding, Bindings};

use crate::config::ServerConfig;

/// Largest callback answer accepted.
const MAX_CALLBACK_BYTES: usize = 16 * 1024 * 1024;

const SHAPES: &str = r#"expected {"kv": "<namespace>"}, {"tools": {"url": "<callback URL>", "tools": [{"name", "description", "inputSchema"}]}}, {"service": "<worker-id>"} or {"files": {"dir": "<name>", "mode": "ro"|"rw", "quotaBytes": N}}"#;

/// Build the bindings of a worker spec.
pub(crate) fn bindings(
    spec: Option<&Map<String, Value>>,
    kv: &Arc<dyn KvStore>,
    config: &ServerConfig,
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
                KvNamespace::new(kv.clone(), ns).map_err(|e| format!("bindings.{name}: {e}"))?,
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
            files(f, config).map_err(|e| format!("bindings.{name}.files: {e}"))?
        } else {
            return Err(format!("bindings.{name}: {SHAPES}"));
        };
        out.insert(name.clone(), binding);
    }
    Ok(out)
}

fn files(spec: &Value, config: &ServerConfig) -> Result<Binding, String> {
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
    let root = config.data_dir().join("files").join(dir);
    FilesBinding::open(&root, mode, quota)
        .map(Binding::Files)
        .map_err(|e| format!("{e:#}"))
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
    if !config
        .tools
        .callbacks
        .iter()
        .any(|p| !p.is_empty() && url.starts_with(p.as_str()))
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
        let request = http::Request::post(uri.clone())
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
