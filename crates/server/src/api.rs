//! The JSON shapes of the HTTP API and their translation to the crate's types.

use base64::Engine as _;
use serde::Serialize;
use std::sync::Arc;

use wasm_sandbox::{GlobalOutbound, Service, WorkerCode};

use crate::config::ServerConfig;
use crate::handlers::Caller;
use crate::tenants::Tenant;

/// What makes a call to the tenant's registered worker `id` for `caller` (the daemon's
/// `ServiceCall`).
pub(crate) type Services<'a> = dyn Fn(&str, Caller) -> Arc<dyn Service> + 'a;

pub(crate) use wasm_sandbox_spec::run::{LimitValues, OutboundSpec, RunBody, WorkerSpec};

/// Build the crate's `WorkerCode` for `tenant` from `spec`, applying the daemon's defaults and
/// the tenant's ceilings; a `{"service": id}` outbound is intercepted by what `services` makes
/// of the id. (Bindings are added by the caller: they need the daemon's stores.)
pub(crate) fn to_code(
    spec: &WorkerSpec,
    config: &ServerConfig,
    tenant: &Tenant,
    services: &Services<'_>,
) -> Result<WorkerCode, String> {
    let outbound = match spec.outbound()? {
        OutboundSpec::Deny => GlobalOutbound::Deny,
        OutboundSpec::Service(id) => GlobalOutbound::Intercept(services(&id, Caller::Outbound)),
        OutboundSpec::Allow(policy) => {
            GlobalOutbound::Policy(std::sync::Arc::new(match &tenant.outbound {
                Some(ceiling) => policy.within(ceiling),
                None => policy,
            }))
        }
    };
    let (main_module, modules) = match spec.files {
        // Bundled by the caller (it is async); this placeholder is replaced.
        Some(_) => (String::new(), Vec::new()),
        None => spec.module_map()?,
    };
    let ceilings = LimitValues::from(tenant.ceilings);
    let defaults = LimitValues::from(config.limits);
    let limits = spec.limits(defaults, ceilings)?;
    spec.tails()?;
    Ok(WorkerCode {
        main_module,
        modules,
        env: spec.env.clone().unwrap_or_default(),
        limits: Some(crate::config::to_limits(limits)),
        compatibility_date: Some(
            spec.compatibility_date
                .clone()
                .unwrap_or_else(|| config.compatibility_date.clone()),
        ),
        compatibility_flags: spec.compatibility_flags.clone().unwrap_or_default(),
        global_outbound: outbound,
        on_denied: spec.on_denied(),
        bindings: Default::default(),
        max_subrequests: None,
        account: Some(tenant.name.clone()),
        tails: Vec::new(),
    })
}

/// A successful `/api/run` reply. Only `ok`, `status` and `output` for a basic request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunReply {
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
pub(crate) fn body_fields(body: &[u8]) -> (String, Option<String>) {
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
    use std::time::Duration;
    use wasm_sandbox::ModuleContent;
    use wasm_sandbox_spec::run::{RequestSpec, DEFAULT_CODE};

    fn open_tenant() -> std::sync::Arc<Tenant> {
        crate::tenants::Tenants::from_config(&ServerConfig::default())
            .unwrap()
            .authenticate(&http::HeaderMap::new())
            .unwrap()
    }

    fn no_services(_: &str, _: Caller) -> Arc<dyn Service> {
        Arc::new(|_| async { Err::<http::Response<bytes::Bytes>, _>("no services".to_string()) })
    }

    fn spec(v: serde_json::Value) -> WorkerSpec {
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
            let code = to_code(&s, &config, &open_tenant(), &no_services).unwrap();
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
        let code = to_code(&s, &ServerConfig::default(), &open_tenant(), &no_services).unwrap();
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
                serde_json::json!({"code": "x", "modules": {"worker.js": "y"}}),
                "may not define it too",
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
            // A wrong shape is refused as the body is parsed; the rest when it is made into code.
            let err = match serde_json::from_value::<WorkerSpec>(v.clone()) {
                Err(e) => e.to_string(),
                Ok(s) => to_code(&s, &config, &open_tenant(), &no_services).unwrap_err(),
            };
            assert!(err.contains(expected), "{v}: {err}");
        }
        assert!(serde_json::from_value::<WorkerSpec>(serde_json::json!({"cod": "x"})).is_err());
    }

    #[test]
    fn limits_default_and_cap() {
        let config = ServerConfig::default();
        let code = to_code(
            &spec(serde_json::json!({"limits": {"cpuMs": 200}})),
            &config,
            &open_tenant(),
            &no_services,
        )
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
        assert_eq!(req.body().as_slice(), b"hi");
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
