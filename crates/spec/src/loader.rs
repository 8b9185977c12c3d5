//! The code a worker hands its Worker Loader binding (`env.LOADER.load(code)`): Cloudflare's
//! `WorkerCode`, as the guest sends it across the WIT boundary (`loader.load(binding,
//! code-json)`). The modules are read by the same [`ModuleMap`] as the daemon's `/api/run`.
//!
//! What only the parent can decide (which bindings it holds, its own outbound and limits) is left
//! to the runtime: this only parses and checks the shape.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::modules::{ModuleContent, ModuleMap};

/// Most bindings one child may be passed.
pub const MAX_CHILD_BINDINGS: usize = 64;

/// A child's code, parsed (see [`ChildSpec::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildSpec {
    /// The module whose default export holds the handlers.
    pub main_module: String,
    /// Every module, typed.
    pub modules: Vec<(String, ModuleContent)>,
    /// Plain JSON values of its `env`.
    pub env: Map<String, Value>,
    /// Bindings of its `env` the parent passes on: the child's name → the parent's name.
    pub env_bindings: BTreeMap<String, String>,
    /// Where its `fetch()` goes.
    pub outbound: ChildOutbound,
    /// Its CPU time per request, ms, if it asks for less than it would get.
    pub cpu_ms: Option<u64>,
    /// Its outbound requests per request, if it asks for fewer.
    pub sub_requests: Option<u32>,
    /// The Workers compatibility date (recorded).
    pub compatibility_date: Option<String>,
    /// Workers compatibility flags (recorded).
    pub compatibility_flags: Vec<String>,
}

/// A child's `globalOutbound`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildOutbound {
    /// Absent: what its parent's `fetch()` reaches.
    Inherit,
    /// `null`: nothing.
    Deny,
    /// A service binding of the parent (by its name in the parent's `env`): every request the
    /// child makes goes to it.
    Binding(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Wire {
    main_module: String,
    modules: ModuleMap,
    #[serde(default)]
    env: Option<Map<String, Value>>,
    #[serde(default)]
    env_bindings: Option<BTreeMap<String, String>>,
    /// Absent, `null` or `{"binding": name}` (read by hand: absent and `null` differ).
    #[serde(default, deserialize_with = "present")]
    global_outbound: Option<Value>,
    #[serde(default)]
    limits: Option<WireLimits>,
    #[serde(default)]
    compatibility_date: Option<String>,
    #[serde(default)]
    compatibility_flags: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WireLimits {
    #[serde(default)]
    cpu_ms: Option<u64>,
    #[serde(default)]
    sub_requests: Option<u32>,
}

/// A present field, even `null` (`Some(Value::Null)`); an absent one stays `None` (the default).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl ChildSpec {
    /// Parse the JSON the guest sends. Errors are messages for the parent script
    /// (`WorkerCode.mainModule: ...`).
    pub fn parse(json: &str) -> Result<ChildSpec, String> {
        let wire: Wire =
            serde_json::from_str(json).map_err(|e| format!("invalid WorkerCode: {e}"))?;
        let modules = wire.modules.contents()?;
        if !modules.iter().any(|(n, _)| *n == wire.main_module) {
            return Err(format!(
                "WorkerCode.mainModule `{}` is not one of its modules",
                wire.main_module
            ));
        }
        crate::modules::check(&wire.main_module, &modules)?;
        let env = wire.env.unwrap_or_default();
        let env_bindings = wire.env_bindings.unwrap_or_default();
        if env_bindings.len() > MAX_CHILD_BINDINGS {
            return Err(format!(
                "WorkerCode.env passes {} bindings; at most {MAX_CHILD_BINDINGS} may be passed",
                env_bindings.len()
            ));
        }
        if let Some(name) = env_bindings.keys().find(|k| env.contains_key(*k)) {
            return Err(format!(
                "WorkerCode.env.{name} is given both as a value and as a binding"
            ));
        }
        let outbound = match wire.global_outbound {
            None => ChildOutbound::Inherit,
            Some(Value::Null) => ChildOutbound::Deny,
            Some(Value::Object(o)) if o.len() == 1 && o.get("binding").is_some_and(Value::is_string) => {
                ChildOutbound::Binding(o["binding"].as_str().unwrap_or_default().to_owned())
            }
            Some(_) => {
                return Err(
                    "WorkerCode.globalOutbound must be null or a service binding this worker holds (a child cannot be given outbound rules of its own: it reaches what its parent reaches, or less)"
                        .into(),
                )
            }
        };
        let limits = wire.limits.unwrap_or(WireLimits {
            cpu_ms: None,
            sub_requests: None,
        });
        Ok(ChildSpec {
            main_module: wire.main_module,
            modules,
            env,
            env_bindings,
            outbound,
            cpu_ms: limits.cpu_ms,
            sub_requests: limits.sub_requests,
            compatibility_date: wire.compatibility_date,
            compatibility_flags: wire.compatibility_flags.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cloudflare_worker_code() {
        let c = ChildSpec::parse(
            r#"{"compatibilityDate":"2026-01-28","mainModule":"worker.js",
                "modules":{"worker.js":"export default {}","data.json":{"json":{"a":1}}},
                "env":{"N":1},"envBindings":{"KV":"NOTES"},"globalOutbound":null,
                "limits":{"cpuMs":10,"subRequests":2}}"#,
        )
        .unwrap();
        assert_eq!(c.main_module, "worker.js");
        assert_eq!(c.modules.len(), 2);
        assert_eq!(c.env_bindings["KV"], "NOTES");
        assert_eq!(c.outbound, ChildOutbound::Deny);
        assert_eq!((c.cpu_ms, c.sub_requests), (Some(10), Some(2)));
        let inherit = ChildSpec::parse(r#"{"mainModule":"a.js","modules":{"a.js":"x"}}"#).unwrap();
        assert_eq!(inherit.outbound, ChildOutbound::Inherit);
        let via = ChildSpec::parse(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},"globalOutbound":{"binding":"GATE"}}"#,
        )
        .unwrap();
        assert_eq!(via.outbound, ChildOutbound::Binding("GATE".into()));
    }

    #[test]
    fn refuses_what_would_widen_or_confuse() {
        let err = |j: &str| ChildSpec::parse(j).unwrap_err();
        assert!(err(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},"globalOutbound":{"allow":["*"]}}"#
        )
        .contains("must be null or a service binding"));
        assert!(err(r#"{"mainModule":"b.js","modules":{"a.js":"x"}}"#)
            .contains("not one of its modules"));
        assert!(err(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},"env":{"K":1},"envBindings":{"K":"K"}}"#
        )
        .contains("both as a value and as a binding"));
        assert!(
            err(r#"{"mainModule":"a.js","modules":{"a.js":"x"},"tails":[]}"#)
                .contains("unknown field")
        );
        assert!(err("[]").contains("invalid WorkerCode"));
    }
}
