//! The daemon's JSON bodies: a worker spec (`PUT /workers/{id}`) and a run body (`/api/run`,
//! `/api/get/{id}`: a worker spec plus the request to send it), parsed and checked. What needs
//! the daemon's state (the tenant's namespaces, the registry) is left to the daemon; everything
//! else is decided here.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wasm_sandbox_policy::OutboundPolicy;

use crate::bindings::BindingMap;
use crate::modules::{ModuleContent, ModuleMap};
use crate::OnDenied;

/// A `files` map as (path, bytes) pairs.
pub type FileMap = Vec<(String, Vec<u8>)>;

/// The worker run when `code` is empty or missing (Cloudflare's example).
pub const DEFAULT_CODE: &str =
    r#"export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };"#;

/// A worker as JSON: `/api/run`, `/api/get/{id}` and `PUT /workers/{id}` take this.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkerSpec {
    /// Source of the main module (`worker.js`, or `mainModule`): the whole worker, or with
    /// `modules` holding its helpers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Name of the main module; defaults to `worker.js`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_module: Option<String>,
    /// Modules by name (see [`ModuleContent::from_json`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules: Option<ModuleMap>,
    /// A file map to bundle on the host (TypeScript, a `package.json` with npm `dependencies`,
    /// a `tsconfig.json`...): instead of `code`/`modules`. Values are file contents (strings),
    /// or `{"data": "<base64>"}` for bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Map<String, Value>>,
    /// The packages a `files` worker was built with (`name@version#integrity`): kept with a
    /// registered worker so that a restart rebuilds the same bytes from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<Vec<String>>,
    /// Plain JSON values, the worker's `env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Map<String, Value>>,
    /// The Workers compatibility date the code was written for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_date: Option<String>,
    /// Workers compatibility flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_flags: Option<Vec<String>>,
    /// `{"cpuMs", "memoryMb", "wallMs"}`, each optional, each capped by the daemon's ceilings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsSpec>,
    /// What `fetch()` may reach: `null`/absent (nothing), `{"allow": [rules...],
    /// "allowPrivate": [CIDRs...], "onDenied"?: "error"|"fail"}`, or `{"service": "<worker-id>"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_outbound: Option<GlobalOutboundSpec>,
    /// Capabilities added to `env` by name (see [`crate::bindings`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<BindingMap>,
    /// Tail Workers: ids of the tenant's registered workers whose `tail(events)` receives a
    /// trace item for each invocation, after the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tails: Option<Vec<String>>,
}

/// `limits` as sent: each field optional (the config's default fills the rest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsSpec {
    /// CPU time per request, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ms: Option<u64>,
    /// Linear memory, MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Wall time per request, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_ms: Option<u64>,
}

/// Limits in the daemon's units (defaults, ceilings, or what a spec asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitValues {
    /// CPU time per request, ms.
    pub cpu_ms: u64,
    /// Linear memory, MiB.
    pub memory_mb: u64,
    /// Wall time per request, ms.
    pub wall_ms: u64,
}

/// The request `/api/run` and `/api/get/{id}` send to the worker.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSpec {
    /// The request method (default `GET`).
    pub method: Option<String>,
    /// The request URL (default `https://worker/`).
    pub url: Option<String>,
    /// `HeadersInit`: pairs `[["k", "v"], ...]` or a record `{"k": "v"}`.
    pub headers: Option<HeadersInit>,
    /// The body as UTF-8 text.
    pub body: Option<String>,
    /// The body as base64 (bytes).
    pub body_base64: Option<String>,
}

/// Request headers as the Fetch API's `HeadersInit` takes them.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "request.headers: expected pairs [[\"name\", \"value\"], ...] or a record {\"name\": \"value\"}, with string names and values"
)]
pub enum HeadersInit {
    /// `[["name", "value"], ...]` (repeats allowed).
    Pairs(Vec<(String, String)>),
    /// `{"name": "value", ...}`.
    Record(std::collections::BTreeMap<String, String>),
}

impl HeadersInit {
    /// The headers as name/value pairs.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
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
    /// The worker to run.
    #[serde(flatten)]
    pub worker: WorkerSpec,
    /// The request to send it (default: `GET /`).
    #[serde(default)]
    pub request: Option<RequestSpec>,
}

/// The top-level fields `/api/run` and `/api/get/{id}` take (serde's `flatten` cannot refuse
/// unknown ones itself).
pub const RUN_FIELDS: &[&str] = &[
    "code",
    "mainModule",
    "modules",
    "files",
    "lock",
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

/// What a spec's `globalOutbound` asks for.
#[derive(Debug, Clone)]
pub enum OutboundSpec {
    /// Nothing (absent or `null`).
    Deny,
    /// Every request goes to this worker of the tenant's (`{"service": id}`).
    Service(String),
    /// An allow-list (`{"allow", "allowPrivate"}`).
    Allow(OutboundPolicy),
}

/// A spec's `globalOutbound` as sent (absent or `null`: nothing), its shape checked as it is
/// deserialized; [`WorkerSpec::outbound`] checks the rules and the id. It serializes back to the
/// same JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum GlobalOutboundSpec {
    /// `{"service": "<worker-id>"}`.
    Service(String),
    /// `{"allow"?: [...], "allowPrivate"?: [...], "onDenied"?: "error"|"fail"}`.
    Allow {
        /// Allow-list rules (`https://api.example.com`, ...).
        allow: Vec<String>,
        /// Private ranges it may reach (`10.0.0.0/8`, ...).
        allow_private: Vec<String>,
        /// What a denied request does.
        on_denied: OnDenied,
    },
}

impl<'de> Deserialize<'de> for GlobalOutboundSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct Shape;
        impl<'de> Visitor<'de> for Shape {
            type Value = GlobalOutboundSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // serde says "invalid type: ..., expected " before it.
                f.write_str(&OUTBOUND_SHAPES["expected ".len()..])?;
                f.write_str(" as globalOutbound")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // A repeated key: the last one counts (as in a JSON object).
                let mut fields: std::collections::BTreeMap<String, Value> = Default::default();
                while let Some(key) = map.next_key::<String>()? {
                    let value: Value = map.next_value()?;
                    fields.insert(key, value);
                }
                let get = |k: &str| fields.get(k);
                if let Some(service) = get("service") {
                    if fields.len() != 1 {
                        return Err(A::Error::custom(format!(
                            "globalOutbound: `service` stands alone; {OUTBOUND_SHAPES}"
                        )));
                    }
                    let id = service.as_str().ok_or_else(|| {
                        A::Error::custom(format!(
                            "globalOutbound.service must be a worker id string; {OUTBOUND_SHAPES}"
                        ))
                    })?;
                    return Ok(GlobalOutboundSpec::Service(id.to_owned()));
                }
                if let Some((unknown, _)) = fields
                    .iter()
                    .find(|(k, _)| !["allow", "allowPrivate", "onDenied"].contains(&k.as_str()))
                {
                    return Err(A::Error::custom(format!(
                        "globalOutbound: unknown field `{unknown}`; {OUTBOUND_SHAPES}"
                    )));
                }
                let strings = |key: &str| -> Result<Vec<String>, A::Error> {
                    let wrong = || {
                        A::Error::custom(format!("globalOutbound.{key} must be a list of strings"))
                    };
                    match get(key) {
                        None => Ok(Vec::new()),
                        Some(Value::Array(items)) => items
                            .iter()
                            .map(|v| v.as_str().map(str::to_owned).ok_or_else(wrong))
                            .collect(),
                        Some(_) => Err(wrong()),
                    }
                };
                let on_denied = match get("onDenied") {
                    None => OnDenied::Error,
                    Some(Value::String(s)) if s == "error" => OnDenied::Error,
                    Some(Value::String(s)) if s == "fail" => OnDenied::Fail,
                    Some(other) => {
                        return Err(A::Error::custom(format!(
                            r#"globalOutbound.onDenied must be "error" or "fail", not {other}"#
                        )))
                    }
                };
                Ok(GlobalOutboundSpec::Allow {
                    allow: strings("allow")?,
                    allow_private: strings("allowPrivate")?,
                    on_denied,
                })
            }
        }
        d.deserialize_any(Shape)
    }
}

impl Serialize for GlobalOutboundSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        match self {
            GlobalOutboundSpec::Service(id) => map.serialize_entry("service", id)?,
            GlobalOutboundSpec::Allow {
                allow,
                allow_private,
                on_denied,
            } => {
                map.serialize_entry("allow", allow)?;
                if !allow_private.is_empty() {
                    map.serialize_entry("allowPrivate", allow_private)?;
                }
                if *on_denied == OnDenied::Fail {
                    map.serialize_entry("onDenied", "fail")?;
                }
            }
        }
        map.end()
    }
}

const OUTBOUND_SHAPES: &str = r#"expected null, {"allow": ["https://api.example.com", ...], "allowPrivate": ["10.0.0.0/8", ...], "onDenied"?: "error"|"fail"} or {"service": "<worker-id>"}"#;

impl WorkerSpec {
    /// A `PUT /workers/{id}` body.
    pub fn parse(body: &[u8]) -> Result<WorkerSpec, String> {
        serde_json::from_slice(body).map_err(|e| format!("bad worker spec: {e}"))
    }

    /// Whether the spec names no worker at all (`{}`: on an `/api/get/{id}` hit, reuse it).
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.only_code()
    }

    /// Whether no field but `code` is set.
    pub fn only_code(&self) -> bool {
        self.main_module.is_none()
            && self.modules.is_none()
            && self.files.is_none()
            && self.lock.is_none()
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

    /// The main module's name and the module map: `modules` (with `mainModule`, default
    /// `worker.js`), `code` (empty or missing: [`DEFAULT_CODE`]), or both — `code` is then the
    /// main module (named `mainModule`, default `worker.js`) and `modules` its helpers. Each
    /// module's shape is checked here; the map as a whole by [`crate::modules::check`] (the
    /// runtime does, at load).
    pub fn module_map(&self) -> Result<(String, Vec<(String, ModuleContent)>), String> {
        let main = self
            .main_module
            .clone()
            .unwrap_or_else(|| "worker.js".into());
        if self.files.is_some() {
            if self.modules.is_some() || self.code.is_some() {
                return Err("give one of `code`, `modules` or `files`".into());
            }
            return Err(
                "a `files` worker is bundled by the daemon, not read as a module map".into(),
            );
        }
        let modules = match (&self.modules, &self.code) {
            (Some(modules), Some(code)) => {
                if modules.names().any(|n| n == main) {
                    return Err(format!(
                        "`code` is the main module `{main}`: `modules` may not define it too (give its helpers only, or leave `code` out)"
                    ));
                }
                let mut map = vec![(main.clone(), ModuleContent::Js(code.clone()))];
                map.extend(modules.contents()?);
                map
            }
            (Some(modules), None) => modules.contents()?,
            (None, code) => {
                let src = code
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .unwrap_or(DEFAULT_CODE);
                vec![(main.clone(), ModuleContent::Js(src.to_owned()))]
            }
        };
        Ok((main, modules))
    }

    /// The `files` map as (path, bytes): strings as UTF-8, `{"data": "<base64>"}` as bytes.
    pub fn file_map(&self) -> Result<Option<FileMap>, String> {
        let Some(files) = &self.files else {
            return Ok(None);
        };
        if self.modules.is_some() || self.code.is_some() {
            return Err("give one of `code`, `modules` or `files`".into());
        }
        files
            .iter()
            .map(|(name, value)| match value {
                Value::String(s) => Ok((name.clone(), s.clone().into_bytes())),
                Value::Object(o) if o.len() == 1 => match o.get("data") {
                    Some(Value::String(b64)) => base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map(|b| (name.clone(), b))
                        .map_err(|e| format!("file `{name}`: `data` must be base64: {e}")),
                    _ => Err(format!(
                        "file `{name}`: expected a string or {{\"data\": base64}}"
                    )),
                },
                _ => Err(format!(
                    "file `{name}`: expected a string or {{\"data\": base64}}"
                )),
            })
            .collect::<Result<Vec<_>, String>>()
            .map(Some)
    }

    /// `globalOutbound`, checked (rules parsed; a service id checked, not looked up).
    pub fn outbound(&self) -> Result<OutboundSpec, String> {
        match &self.global_outbound {
            None => Ok(OutboundSpec::Deny),
            Some(GlobalOutboundSpec::Service(id)) => {
                crate::ids::check_id(id).map_err(|e| format!("globalOutbound.service: {e}"))?;
                Ok(OutboundSpec::Service(id.clone()))
            }
            Some(GlobalOutboundSpec::Allow {
                allow,
                allow_private,
                ..
            }) => OutboundPolicy::new(allow, allow_private)
                .map(OutboundSpec::Allow)
                .map_err(|e| format!("globalOutbound: {e}")),
        }
    }

    /// `globalOutbound.onDenied`: `"error"` (the default: the fetch rejects) or `"fail"` (the
    /// invocation ends, outcome `outboundDenied`).
    pub fn on_denied(&self) -> OnDenied {
        match &self.global_outbound {
            Some(GlobalOutboundSpec::Allow { on_denied, .. }) => *on_denied,
            _ => OnDenied::Error,
        }
    }

    /// The limits asked for, each at least 1 and at most its ceiling; `defaults` (themselves
    /// capped by `ceilings`) where not asked.
    pub fn limits(
        &self,
        defaults: LimitValues,
        ceilings: LimitValues,
    ) -> Result<LimitValues, String> {
        let spec = self.limits.unwrap_or_default();
        let pick = |name: &str, asked: Option<u64>, default: u64, ceiling: u64| match asked {
            None => Ok(default.min(ceiling)),
            Some(0) => Err(format!("limits.{name} must be at least 1")),
            Some(v) if v > ceiling => Err(format!(
                "limits.{name} = {v} is above this daemon's ceiling of {ceiling}"
            )),
            Some(v) => Ok(v),
        };
        Ok(LimitValues {
            cpu_ms: pick("cpuMs", spec.cpu_ms, defaults.cpu_ms, ceilings.cpu_ms)?,
            memory_mb: pick(
                "memoryMb",
                spec.memory_mb,
                defaults.memory_mb,
                ceilings.memory_mb,
            )?,
            wall_ms: pick("wallMs", spec.wall_ms, defaults.wall_ms, ceilings.wall_ms)?,
        })
    }

    /// `tails`, checked.
    pub fn tails(&self) -> Result<&[String], String> {
        let tails = self.tails.as_deref().unwrap_or(&[]);
        crate::ids::check_tails(tails)?;
        Ok(tails)
    }
}

impl RequestSpec {
    /// The request this describes (default `GET https://worker/`).
    pub fn to_request(&self) -> Result<http::Request<Vec<u8>>, String> {
        let body = match (&self.body, &self.body_base64) {
            (Some(_), Some(_)) => {
                return Err("request: give `body` or `bodyBase64`, not both".into())
            }
            (Some(b), None) => b.clone().into_bytes(),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| format!("request.bodyBase64 is not base64: {e}"))?,
            (None, None) => Vec::new(),
        };
        let url = self.url.as_deref().unwrap_or("https://worker/");
        let method = self.method.as_deref().unwrap_or("GET");
        let headers = self.headers.iter().flat_map(HeadersInit::pairs);
        let head = crate::boundary::request_head(method, url, headers)
            .map_err(|e| format!("request: {e}"))?;
        Ok(head.map(|()| body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: LimitValues = LimitValues {
        cpu_ms: 50,
        memory_mb: 128,
        wall_ms: 30_000,
    };
    const CEILINGS: LimitValues = LimitValues {
        cpu_ms: 1000,
        memory_mb: 256,
        wall_ms: 60_000,
    };

    #[test]
    fn run_bodies_refuse_unknown_fields_and_keep_known_ones() {
        assert!(RunBody::parse(b" ").unwrap().is_basic());
        let err = RunBody::parse(br#"{"code": "x", "globalOutbund": null}"#).unwrap_err();
        assert!(err.contains("unknown field `globalOutbund`"), "{err}");
        assert!(RunBody::parse(b"[1]")
            .unwrap_err()
            .contains("expected an object"));
        let b = RunBody::parse(br#"{"code": "x", "request": {"headers": {"a": "b"}}}"#).unwrap();
        assert!(!b.is_basic());
        let r = b.request.unwrap().to_request().unwrap();
        assert_eq!(r.headers()["a"], "b");
        assert_eq!(r.uri(), "https://worker/");
    }

    #[test]
    fn limits_stay_within_ceilings() {
        let s = |v: &str| WorkerSpec::parse(v.as_bytes()).unwrap();
        assert_eq!(s("{}").limits(DEFAULTS, CEILINGS).unwrap(), DEFAULTS);
        assert!(s(r#"{"limits": {"cpuMs": 1001}}"#)
            .limits(DEFAULTS, CEILINGS)
            .unwrap_err()
            .contains("ceiling"));
        assert!(s(r#"{"limits": {"wallMs": 0}}"#)
            .limits(DEFAULTS, CEILINGS)
            .is_err());
        let low = LimitValues {
            cpu_ms: 10,
            ..CEILINGS
        };
        assert_eq!(s("{}").limits(DEFAULTS, low).unwrap().cpu_ms, 10);
    }

    #[test]
    fn outbound_shapes() {
        let s = |v: &str| WorkerSpec::parse(v.as_bytes()).unwrap();
        assert!(matches!(s("{}").outbound().unwrap(), OutboundSpec::Deny));
        assert!(matches!(
            s(r#"{"globalOutbound": {"service": "gw"}}"#).outbound().unwrap(),
            OutboundSpec::Service(id) if id == "gw"
        ));
        assert!(s(r#"{"globalOutbound": {"service": "../x"}}"#)
            .outbound()
            .is_err());
        assert!(
            s(r#"{"globalOutbound": {"allow": ["https://a.example"], "onDenied": "fail"}}"#)
                .outbound()
                .is_ok()
        );
        assert_eq!(
            s(r#"{"globalOutbound": {"allow": [], "onDenied": "fail"}}"#).on_denied(),
            OnDenied::Fail
        );
        let err = |v: &str| WorkerSpec::parse(v.as_bytes()).unwrap_err();
        assert!(err(r#"{"globalOutbound": {"alow": []}}"#).contains("unknown field `alow`"));
        assert!(err(r#"{"globalOutbound": 3}"#).contains("expected null"));
        assert!(err(r#"{"globalOutbound": [[]]}"#).contains("expected null"));
        assert!(
            err(r#"{"globalOutbound": {"service": "gw", "allow": []}}"#).contains("stands alone")
        );
        assert!(err(r#"{"globalOutbound": {"allow": "x"}}"#).contains("list of strings"));
        assert!(err(r#"{"globalOutbound": {"onDenied": 1}}"#).contains("not 1"));
        // What it serializes to reads back the same.
        for v in [
            r#"{"globalOutbound": {"service": "gw"}}"#,
            r#"{"globalOutbound": {}}"#,
            r#"{"globalOutbound": {"allowPrivate": ["10.0.0.0/8"], "onDenied": "fail"}}"#,
        ] {
            let spec = s(v);
            assert_eq!(
                WorkerSpec::parse(&serde_json::to_vec(&spec).unwrap()).unwrap(),
                spec
            );
        }
    }

    #[test]
    fn module_maps_from_code_or_modules() {
        let s = |v: &str| WorkerSpec::parse(v.as_bytes()).unwrap();
        let (main, m) = s("{}").module_map().unwrap();
        assert_eq!((main.as_str(), m.len()), ("worker.js", 1));
        // `code` + `modules`: the code is the main module, the modules its helpers.
        let (main, m) = s(r#"{"code": "x", "modules": {"lib.js": "y"}}"#)
            .module_map()
            .unwrap();
        assert_eq!(main, "worker.js");
        assert_eq!(m[0], ("worker.js".into(), ModuleContent::Js("x".into())));
        assert_eq!(m[1], ("lib.js".into(), ModuleContent::Js("y".into())));
        let (main, m) = s(r#"{"code": "x", "mainModule": "m.js", "modules": {}}"#)
            .module_map()
            .unwrap();
        assert_eq!((main.as_str(), m.len()), ("m.js", 1));
        assert!(s(r#"{"code": "x", "modules": {"worker.js": "y"}}"#)
            .module_map()
            .unwrap_err()
            .contains("may not define it too"));
        let (main, m) = s(r#"{"mainModule": "a.js", "modules": {"a.js": "x", "d.json": "[1]"}}"#)
            .module_map()
            .unwrap();
        assert_eq!((main.as_str(), m.len()), ("a.js", 2));
        let (main, m) = s(r#"{"modules": {"a.js": "x"}}"#).module_map().unwrap();
        assert!(crate::modules::check(&main, &m)
            .unwrap_err()
            .contains("not among"));
    }

    #[test]
    fn a_spec_hashes_the_same_after_a_round_trip() {
        let s = WorkerSpec::parse(br#"{"env": {"b": 1, "a": [2]}, "code": "x"}"#).unwrap();
        let again = WorkerSpec::parse(&serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(s.hash(), again.hash());
    }
}
