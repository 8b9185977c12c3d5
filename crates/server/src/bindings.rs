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
//! - `{"loader": {}}`: a Worker Loader (`env.LOADER.load(code)` / `.get(id, getCode)`): the
//!   worker loads children that get only what it passes them (its own bindings, its outbound or
//!   less, its limits or less); their `get` ids are scoped to this worker and its tenant.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use serde_json::{json, Value};
use wasm_sandbox::kv::KvStore;
use wasm_sandbox::tools::ToolSet;
use wasm_sandbox::{Binding, Bindings};
use wasm_sandbox_spec::bindings::{callback_allowed, BindingMap, BindingSpec, ToolSpec};

use crate::config::ServerConfig;
use crate::tenants::Tenant;

/// Largest callback answer accepted.
const MAX_CALLBACK_BYTES: usize = 16 * 1024 * 1024;

/// Build the bindings of a worker spec (each already checked by `wasm_sandbox_spec::bindings`
/// as the spec was parsed): resolved against the tenant (its namespaces, directories and workers) and the config.
pub(crate) fn bindings(
    spec: Option<&BindingMap>,
    kv: &Arc<dyn KvStore>,
    config: &ServerConfig,
    tenant: &Tenant,
    services: &crate::api::Services<'_>,
    loader: &wasm_sandbox::Loader,
    scope: &str,
) -> Result<Bindings, String> {
    let mut out = Bindings::new();
    let Some(spec) = spec else { return Ok(out) };
    for (name, binding) in spec.iter() {
        let binding = match binding.clone() {
            BindingSpec::Kv(ns) => Binding::Kv(
                tenant
                    .kv(kv, &ns)
                    .map_err(|e| format!("bindings.{name}: {e}"))?,
            ),
            BindingSpec::Tools { url, tools: list } => Binding::Tools(Arc::new(
                tools(url, list, config, tenant)
                    .map_err(|e| format!("bindings.{name}.tools: {e}"))?,
            )),
            BindingSpec::Service(id) => {
                Binding::Service(services(&id, crate::handlers::Caller::Binding))
            }
            BindingSpec::Files {
                dir,
                writable,
                quota_bytes,
            } => files(&dir, writable, quota_bytes, config, tenant)
                .map_err(|e| format!("bindings.{name}.files: {e}"))?,
            BindingSpec::Loader => loader.worker_loader(scope),
        };
        out.insert(name.to_owned(), binding);
    }
    Ok(out)
}

fn files(
    dir: &str,
    writable: bool,
    quota: u64,
    config: &ServerConfig,
    tenant: &Tenant,
) -> Result<Binding, String> {
    use wasm_sandbox::files::{FilesBinding, FilesMode};
    if quota > tenant.files_quota_bytes {
        return Err(format!(
            r#""quotaBytes" = {quota} is above this tenant's files quota of {} bytes"#,
            tenant.files_quota_bytes
        ));
    }
    let mode = if writable {
        FilesMode::ReadWrite
    } else {
        FilesMode::ReadOnly
    };
    FilesBinding::open_within(
        &tenant.files_root(config),
        dir,
        mode,
        quota,
        tenant.files_quota_bytes,
    )
    .map(|f| Binding::Files(f.with_max_entries(tenant.files_max_entries)))
    .map_err(|e| format!("{e:#}"))
}

fn tools(
    uri: http::Uri,
    list: Vec<ToolSpec>,
    config: &ServerConfig,
    tenant: &Tenant,
) -> Result<ToolSet, String> {
    let (allowed, whose) = match &tenant.tools_callbacks {
        Some(own) => (own, "this tenant's tools_callbacks"),
        None => (&config.tools.callbacks, "the daemon's [tools] callbacks"),
    };
    if !allowed.iter().any(|p| callback_allowed(&uri, p)) {
        return Err(format!(
            "url {:?} is not allowed: {whose} = {allowed:?} must list a prefix of it",
            uri.to_string(),
        ));
    }
    let tenant_name = Arc::<str>::from(tenant.name.as_str());
    let timeout = Duration::from_millis(config.tools.timeout_ms.max(1));
    let mut set = ToolSet::new();
    for t in list {
        let (uri, tool, tenant) = (uri.clone(), t.name.clone(), tenant_name.clone());
        set = set.tool(t.name, t.description, t.input_schema, move |input| {
            let (uri, tool, tenant) = (uri.clone(), tool.clone(), tenant.clone());
            async move { callback(&uri, &tool, &tenant, input, timeout).await }
        });
    }
    Ok(set)
}

/// `POST uri {"tool", "input"}` (with `x-sandbox-tenant: <tenant>`, so that a callback shared
/// by several tenants knows whose script calls) and interpret the answer.
async fn callback(
    uri: &http::Uri,
    tool: &str,
    tenant: &str,
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
            .header("x-sandbox-tenant", tenant)
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
