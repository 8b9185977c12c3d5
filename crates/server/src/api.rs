//! The JSON shapes of the HTTP API and their translation to the crate's types.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wasm_sandbox::{GlobalOutbound, Limits, ModuleContent, WorkerCode};

use crate::config::ServerConfig;
use crate::tenants::Tenant;

/// The worker run when `code` is empty or missing (Cloudflare's example).
pub const DEFAULT_CODE: &str =
    r#"export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };"#;

/// A worker as JSON: `/api/run`, `/api/get/{id}` and `PUT /workers/{id}` take this.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkerSpec {
    /// Source of `worker.js` (the whole worker, for the simple case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Name of the main module (with `modules`); defaults to `worker.js`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_module: Option<String>,
    /// Modules by name: a string (type from the extension: .json → json, .txt/.html/.md/.csv/
    /// .svg/.css → text, anything else → js) or `{"js"|"text": "..."}`, `{"json": <value>}`,
    /// `{"data": "<base64>"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules: Option<Map<String, Value>>,
    /// Plain JSON values, the worker's `env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_flags: Option<Vec<String>>,
    /// `{"cpuMs", "memoryMb", "wallMs"}`, each optional, each capped by the daemon's ceilings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsSpec>,
    /// What `fetch()` may reach: `null`/absent (nothing), `{"allow": [rules...],
    /// "allowPrivate": [CIDRs...]}`, or `{"service": "<worker-id>"}` (every request goes to that
    /// registered worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_outbound: Option<Value>,
    /// Capabilities added to `env` by name: `{"KV": {"kv": "<namespace>"}}`, `{"TOOLS":
    /// {"tools": {"url": "<callback>", "tools": [{"name", "description", "inputSchema"}]}}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<Map<String, Value>>,
    /// Tail Workers: ids of the tenant's registered workers whose `tail(events)` receives a
    /// trace item for each invocation, after the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tails: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_ms: Option<u64>,
}

/// The request `/api/run` and `/api/get/{id}` send to the worker.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSpec {
    pub method: Option<String>,
    pub url: Option<String>,
    /// `HeadersInit`: pairs `[["k", "v"], ...]` or a record `{"k": "v"}`.
    pub headers: Option<HeadersInit>,
    pub body: Option<String>,
    pub body_base64: Option<String>,
}

/// Request headers as the Fetch API's `HeadersInit` takes them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HeadersInit {
    /// `[["name", "value"], ...]` (repeats allowed).
    Pairs(Vec<(String, String)>),
    /// `{"name": "value", ...}`.
    Record(std::collections::BTreeMap<String, String>),
}

impl HeadersInit {
    fn pairs(&self) -> Vec<(&str, &str)> {
        match self {
            HeadersInit::Pairs(p) => p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
            HeadersInit::Record(r) => r.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        }
    }
}

/// The body of `/api/run` and `/api/get/{id}`: a worker plus, optionally, the request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunBody {
    #[serde(flatten)]
    pub worker: WorkerSpec,
    #[serde(default)]
    pub request: Option<RequestSpec>,
}

/// The top-level fields `/api/run` and `/api/get/{id}` take (serde's `flatten` cannot refuse
/// unknown ones itself).
const RUN_FIELDS: &[&str] = &[
    "code",
    "mainModule",
    "modules",
    "env",
    "compatibilityDate",
    "compatibilityFlags",
    "limits",
    "globalOutbound",
    "bindings",
    "tails",
    "request",
];

impl RunBody {
    /// Parse a body (empty or whitespace: the default worker); an unknown top-level field is an
    /// error naming it, not silently ignored (a typo like `globalOutbund` must not run code
    /// with a policy other than the caller meant).
    pub fn parse(body: &[u8]) -> Result<RunBody, String> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(RunBody::default());
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("bad JSON body: {e}"))?;
        let Value::Object(map) = &value else {
            return Err("bad JSON body: expected an object like {\"code\": \"...\"}".into());
        };
        if let Some(unknown) = map.keys().find(|k| !RUN_FIELDS.contains(&k.as_str())) {
            return Err(format!(
                "bad JSON body: unknown field `{unknown}`, expected one of {}",
                RUN_FIELDS.join(", ")
            ));
        }
        serde_json::from_value(value).map_err(|e| format!("bad JSON body: {e}"))
    }

    /// Whether only Cloudflare's fields were used (then the reply is exactly theirs).
    pub fn is_basic(&self) -> bool {
        self.request.is_none() && self.worker.only_code()
    }
}

impl WorkerSpec {
    /// Whether the spec names no worker at all (`{}`: on an `/api/get/{id}` hit, reuse it).
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.only_code()
    }

    /// Whether no field but `code` is set.
    fn only_code(&self) -> bool {
        self.main_module.is_none()
            && self.modules.is_none()
            && self.env.is_none()
            && self.compatibility_date.is_none()
            && self.compatibility_flags.is_none()
            && self.limits.is_none()
            && self.global_outbound.is_none()
            && self.bindings.is_none()
            && self.tails.is_none()
    }

    /// SHA-256 of the spec (its canonical JSON: object keys sorted), to tell whether two bodies
    /// describe the same worker.
    pub fn hash(&self) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(serde_json::to_vec(self).unwrap_or_default()).into()
    }

    /// Build the crate's `WorkerCode` for `tenant`, applying the daemon's defaults and the
    /// tenant's ceilings; a `{"service": id}` outbound becomes what `services` makes of the id.
    pub fn to_code(
        &self,
        config: &ServerConfig,
        tenant: &Tenant,
        services: &dyn Fn(&str) -> GlobalOutbound,
    ) -> Result<WorkerCode, String> {
        let outbound = self.outbound(services)?;
        let outbound = match (outbound, &tenant.outbound) {
            (GlobalOutbound::Policy(p), Some(ceiling)) => {
                GlobalOutbound::Policy(std::sync::Arc::new((*p).clone().within(ceiling)))
            }
            (other, _) => other,
        };
        let mut code = match (&self.modules, &self.code) {
            (Some(_), Some(_)) => {
                return Err("give either `code` or `modules` (with `mainModule`), not both".into())
            }
            (Some(modules), None) => {
                let main = self
                    .main_module
                    .clone()
                    .unwrap_or_else(|| "worker.js".into());
                let mut list = Vec::with_capacity(modules.len());
                for (name, value) in modules {
                    list.push((name.clone(), module_content(name, value)?));
                }
                WorkerCode {
                    main_module: main,
                    modules: list,
                    ..Default::default()
                }
            }
            (None, code) => {
                let src = code
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .unwrap_or(DEFAULT_CODE);
                let main = self
                    .main_module
                    .clone()
                    .unwrap_or_else(|| "worker.js".into());
                WorkerCode::js(main, src)
            }
        };
        code.env = self.env.clone().unwrap_or_default();
        code.compatibility_date = Some(
            self.compatibility_date
                .clone()
                .unwrap_or_else(|| config.compatibility_date.clone()),
        );
        code.compatibility_flags = self.compatibility_flags.clone().unwrap_or_default();
        code.limits = Some(self.limits(config, tenant)?);
        code.global_outbound = outbound;
        code.on_denied = self.on_denied()?;
        crate::tails::check(self.tails.as_deref().unwrap_or(&[]))?;
        Ok(code)
    }

    fn outbound(
        &self,
        services: &dyn Fn(&str) -> GlobalOutbound,
    ) -> Result<GlobalOutbound, String> {
        const SHAPES: &str = r#"expected null, {"allow": ["https://api.example.com", ...], "allowPrivate": ["10.0.0.0/8", ...], "onDenied"?: "error"|"fail"} or {"service": "<worker-id>"}"#;
        let map = match &self.global_outbound {
            None | Some(Value::Null) => return Ok(GlobalOutbound::Deny),
            Some(Value::Object(map)) => map,
            Some(_) => return Err(format!("globalOutbound: {SHAPES}")),
        };
        if let Some(service) = map.get("service") {
            if map.len() != 1 {
                return Err(format!("globalOutbound: `service` stands alone; {SHAPES}"));
            }
            let id = service.as_str().ok_or_else(|| {
                format!("globalOutbound.service must be a worker id string; {SHAPES}")
            })?;
            crate::registry::check_id(id).map_err(|e| format!("globalOutbound.service: {e}"))?;
            return Ok(services(id));
        }
        let strings = |key: &str| -> Result<Vec<String>, String> {
            match map.get(key) {
                None => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            format!("globalOutbound.{key} must be a list of strings")
                        })
                    })
                    .collect(),
                Some(_) => Err(format!("globalOutbound.{key} must be a list of strings")),
            }
        };
        if let Some(unknown) = map
            .keys()
            .find(|k| !["allow", "allowPrivate", "onDenied"].contains(&k.as_str()))
        {
            return Err(format!(
                "globalOutbound: unknown field `{unknown}`; {SHAPES}"
            ));
        }
        let allow = strings("allow")?;
        let allow_private = strings("allowPrivate")?;
        GlobalOutbound::allow(&allow, &allow_private).map_err(|e| format!("globalOutbound: {e}"))
    }

    /// `globalOutbound.onDenied`: `"error"` (the default: the fetch rejects) or `"fail"` (the
    /// invocation ends, outcome `outboundDenied`).
    fn on_denied(&self) -> Result<wasm_sandbox::OnDenied, String> {
        match self
            .global_outbound
            .as_ref()
            .and_then(|o| o.get("onDenied"))
        {
            None => Ok(wasm_sandbox::OnDenied::Error),
            Some(Value::String(s)) if s == "error" => Ok(wasm_sandbox::OnDenied::Error),
            Some(Value::String(s)) if s == "fail" => Ok(wasm_sandbox::OnDenied::Fail),
            Some(other) => Err(format!(
                r#"globalOutbound.onDenied must be "error" or "fail", not {other}"#
            )),
        }
    }

    fn limits(&self, config: &ServerConfig, tenant: &Tenant) -> Result<Limits, String> {
        let c = tenant.ceilings;
        let d = crate::config::LimitsConfig {
            cpu_ms: config.limits.cpu_ms.min(c.cpu_ms),
            memory_mb: config.limits.memory_mb.min(c.memory_mb),
            wall_ms: config.limits.wall_ms.min(c.wall_ms),
        };
        let spec = self.limits.unwrap_or_default();
        let pick =
            |name: &str, asked: Option<u64>, default: u64, ceiling: u64| -> Result<u64, String> {
                match asked {
                    None => Ok(default),
                    Some(0) => Err(format!("limits.{name} must be at least 1")),
                    Some(v) if v > ceiling => Err(format!(
                        "limits.{name} = {v} is above this daemon's ceiling of {ceiling}"
                    )),
                    Some(v) => Ok(v),
                }
            };
        Ok(Limits {
            cpu_time: Duration::from_millis(pick("cpuMs", spec.cpu_ms, d.cpu_ms, c.cpu_ms)?),
            memory_bytes: pick("memoryMb", spec.memory_mb, d.memory_mb, c.memory_mb)? << 20,
            wall_time: Duration::from_millis(pick("wallMs", spec.wall_ms, d.wall_ms, c.wall_ms)?),
        })
    }
}

fn module_content(name: &str, value: &Value) -> Result<ModuleContent, String> {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match value {
        Value::String(s) => Ok(match ext {
            "json" => ModuleContent::Json(s.clone()),
            "txt" | "html" | "md" | "csv" | "svg" | "css" => ModuleContent::Text(s.clone()),
            _ => ModuleContent::Js(s.clone()),
        }),
        Value::Object(o) if o.len() == 1 => {
            let (kind, v) = o.iter().next().unwrap();
            match (kind.as_str(), v) {
                ("js" | "esModule", Value::String(s)) => Ok(ModuleContent::Js(s.clone())),
                ("text", Value::String(s)) => Ok(ModuleContent::Text(s.clone())),
                ("json", v) => Ok(ModuleContent::Json(v.to_string())),
                ("data", Value::String(b64)) => base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map(ModuleContent::Data)
                    .map_err(|e| format!("module `{name}`: `data` must be base64: {e}")),
                _ => Err(format!(
                    "module `{name}`: expected {{\"js\"|\"text\": string}}, {{\"json\": value}} or {{\"data\": base64 string}}"
                )),
            }
        }
        _ => Err(format!(
            "module `{name}`: expected a string or an object like {{\"text\": \"...\"}}"
        )),
    }
}

impl RequestSpec {
    /// The `http::Request` this describes (default `GET https://worker/`).
    pub fn to_request(&self) -> Result<http::Request<Bytes>, String> {
        let body = match (&self.body, &self.body_base64) {
            (Some(_), Some(_)) => {
                return Err("request: give `body` or `bodyBase64`, not both".into())
            }
            (Some(b), None) => Bytes::from(b.clone()),
            (None, Some(b)) => Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|e| format!("request.bodyBase64 is not base64: {e}"))?,
            ),
            (None, None) => Bytes::new(),
        };
        let url = self.url.as_deref().unwrap_or("https://worker/");
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("request.url {url:?}: {e}"))?;
        if uri.scheme().is_none() || uri.authority().is_none() {
            return Err(format!(
                "request.url {url:?} must be absolute, like https://worker/path"
            ));
        }
        let method = self.method.as_deref().unwrap_or("GET");
        let mut req = http::Request::builder()
            .method(
                http::Method::from_bytes(method.as_bytes())
                    .map_err(|_| format!("request.method {method:?} is not a method"))?,
            )
            .uri(uri);
        for (k, v) in self.headers.iter().flat_map(HeadersInit::pairs) {
            let name = http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("request header name {k:?} is invalid"))?;
            let value = http::HeaderValue::from_str(v)
                .map_err(|_| format!("request header {k}: value {v:?} is invalid"))?;
            req = req.header(name, value);
        }
        req.body(body).map_err(|e| format!("request: {e}"))
    }
}

/// A successful `/api/run` reply. Only `ok`, `status` and `output` for a basic request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReply {
    pub ok: bool,
    pub status: u16,
    pub output: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<(String, String)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs: Option<Vec<wasm_sandbox::LogLine>>,
    /// Every outbound request the worker attempted (extended replies, when there were any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound: Option<Vec<wasm_sandbox::OutboundRecord>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fresh: Option<bool>,
}

/// Encode a body for a reply: `(output, outputBase64)`. Text goes in `output`; a body that is
/// not UTF-8, or is more than 1/8 control characters (which JSON would escape as six bytes
/// each), goes in `outputBase64` with `output` empty, so a reply is at most ~4/3 of the body.
pub fn body_fields(body: &[u8]) -> (String, Option<String>) {
    let control = body
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    match std::str::from_utf8(body) {
        Ok(s) if control <= body.len() / 8 => (s.to_owned(), None),
        _ => (
            String::new(),
            Some(base64::engine::general_purpose::STANDARD.encode(body)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_tenant() -> std::sync::Arc<Tenant> {
        crate::tenants::Tenants::from_config(&ServerConfig::default())
            .unwrap()
            .authenticate(&http::HeaderMap::new())
            .unwrap()
    }

    fn no_services(_: &str) -> GlobalOutbound {
        GlobalOutbound::Deny
    }

    fn spec(v: Value) -> WorkerSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn missing_or_empty_code_is_the_default_worker() {
        let config = ServerConfig::default();
        for s in [
            json_spec("{}"),
            json_spec(r#"{"code": ""}"#),
            json_spec(r#"{"code": "  "}"#),
        ] {
            let code = s.to_code(&config, &open_tenant(), &no_services).unwrap();
            assert_eq!(code.main_module, "worker.js");
            assert_eq!(
                code.modules,
                vec![(
                    "worker.js".to_string(),
                    ModuleContent::Js(DEFAULT_CODE.into())
                )]
            );
        }
    }

    fn json_spec(text: &str) -> WorkerSpec {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn module_types_follow_the_shape_and_extension() {
        let s = spec(serde_json::json!({
            "mainModule": "m.js",
            "modules": {
                "m.js": "export default {}",
                "a.json": "{\"x\": 1}",
                "b.txt": "text",
                "c.bin": {"data": "AAEC"},
                "d.json": {"json": [1, 2]},
                "e.js": {"text": "not js"},
            }
        }));
        let code = s
            .to_code(&ServerConfig::default(), &open_tenant(), &no_services)
            .unwrap();
        let get = |n: &str| {
            code.modules
                .iter()
                .find(|(name, _)| name == n)
                .unwrap()
                .1
                .clone()
        };
        assert_eq!(get("m.js"), ModuleContent::Js("export default {}".into()));
        assert_eq!(get("a.json"), ModuleContent::Json("{\"x\": 1}".into()));
        assert_eq!(get("b.txt"), ModuleContent::Text("text".into()));
        assert_eq!(get("c.bin"), ModuleContent::Data(vec![0, 1, 2]));
        assert_eq!(get("d.json"), ModuleContent::Json("[1,2]".into()));
        assert_eq!(get("e.js"), ModuleContent::Text("not js".into()));
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let config = ServerConfig::default();
        let cases = [
            (
                serde_json::json!({"code": "x", "modules": {"a.js": "y"}}),
                "not both",
            ),
            (
                serde_json::json!({"modules": {"a.bin": {"data": "!!"}}}),
                "base64",
            ),
            (
                serde_json::json!({"modules": {"a.js": 5}}),
                "expected a string",
            ),
            (
                serde_json::json!({"modules": {"a.js": {"wasm": "x"}}}),
                "expected",
            ),
            (serde_json::json!({"limits": {"cpuMs": 0}}), "at least 1"),
            (
                serde_json::json!({"limits": {"memoryMb": 100000}}),
                "ceiling",
            ),
            (
                serde_json::json!({"globalOutbound": {"allow": ["x.test"]}}),
                "https://",
            ),
            (
                serde_json::json!({"globalOutbound": {"allow": "https://x.test"}}),
                "list of strings",
            ),
            (
                serde_json::json!({"globalOutbound": {"allowPrivate": ["10.0.0.1/8"]}}),
                "10.0.0.0/8",
            ),
            (
                serde_json::json!({"globalOutbound": {"service": "gw", "allow": []}}),
                "stands alone",
            ),
            (serde_json::json!({"globalOutbound": true}), "expected null"),
        ];
        for (v, expected) in cases {
            let err = spec(v.clone())
                .to_code(&config, &open_tenant(), &no_services)
                .unwrap_err();
            assert!(err.contains(expected), "{v}: {err}");
        }
        assert!(serde_json::from_value::<WorkerSpec>(serde_json::json!({"cod": "x"})).is_err());
    }

    #[test]
    fn limits_default_and_cap() {
        let config = ServerConfig::default();
        let code = spec(serde_json::json!({"limits": {"cpuMs": 200}}))
            .to_code(&config, &open_tenant(), &no_services)
            .unwrap();
        let limits = code.limits.unwrap();
        assert_eq!(limits.cpu_time, Duration::from_millis(200));
        assert_eq!(limits.memory_bytes, 128 << 20);
    }

    #[test]
    fn request_spec_builds_the_request() {
        let r: RequestSpec = serde_json::from_value(serde_json::json!({
            "method": "PATCH", "url": "https://h.test/p?q", "headers": [["x-a", "1"]], "bodyBase64": "aGk="
        }))
        .unwrap();
        let req = r.to_request().unwrap();
        assert_eq!(req.method(), "PATCH");
        assert_eq!(req.uri(), "https://h.test/p?q");
        assert_eq!(req.headers()["x-a"], "1");
        assert_eq!(req.body().as_ref(), b"hi");
        for bad in [
            serde_json::json!({"url": "/relative"}),
            serde_json::json!({"method": "BAD METHOD"}),
            serde_json::json!({"headers": [["bad name", "v"]]}),
            serde_json::json!({"body": "a", "bodyBase64": "YQ=="}),
        ] {
            let r: RequestSpec = serde_json::from_value(bad.clone()).unwrap();
            assert!(r.to_request().is_err(), "{bad}");
        }
    }

    #[test]
    fn basic_bodies_get_the_exact_cloudflare_reply() {
        let basic: RunBody = serde_json::from_str(r#"{"code": "x"}"#).unwrap();
        assert!(basic.is_basic());
        let extended: RunBody = serde_json::from_str(r#"{"code": "x", "env": {}}"#).unwrap();
        assert!(!extended.is_basic());
        let reply = RunReply {
            ok: true,
            status: 200,
            output: "hi".into(),
            status_text: None,
            headers: None,
            output_base64: None,
            logs: None,
            outbound: None,
            fresh: None,
        };
        assert_eq!(
            serde_json::to_string(&reply).unwrap(),
            r#"{"ok":true,"status":200,"output":"hi"}"#
        );
        assert_eq!(
            body_fields(b"\xff"),
            (String::new(), Some("/w==".to_string()))
        );
        assert_eq!(
            body_fields(&[0u8; 9]),
            (String::new(), Some("AAAAAAAAAAAA".to_string()))
        );
        assert_eq!(body_fields(b"a\tb\n"), ("a\tb\n".to_string(), None));
    }
}
