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

/// Largest `props` (as JSON text) an entrypoint stub may carry.
pub const MAX_PROPS_BYTES: usize = 64 * 1024;

/// Check `ctx.props` JSON text: valid JSON, at most [`MAX_PROPS_BYTES`]. `what` names it in errors.
pub fn check_props(what: &str, json: &str) -> Result<(), String> {
    if json.len() > MAX_PROPS_BYTES {
        return Err(format!(
            "{what}: props are {} bytes as JSON; at most {MAX_PROPS_BYTES} are allowed",
            json.len()
        ));
    }
    serde_json::from_str::<serde::de::IgnoredAny>(json)
        .map(|_| ())
        .map_err(|e| format!("{what}: props are not valid JSON: {e}"))
}

/// A child's code, parsed (see [`ChildSpec::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildSpec {
    /// The module whose default export holds the handlers.
    pub main_module: String,
    /// Every module, typed.
    pub modules: Vec<(String, ModuleContent)>,
    /// Plain JSON values of its `env`.
    pub env: Map<String, Value>,
    /// Bindings of its `env` the parent passes on: the child's name → the parent's binding or
    /// entrypoint.
    pub env_bindings: BTreeMap<String, StubRef>,
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
    /// Where its invocations' trace items go (`tail(events)` on each).
    pub tails: Vec<StubRef>,
}

/// A capability of the parent's, as it passes one to a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StubRef {
    /// A binding of the parent's `env`, by its name there.
    Binding(String),
    /// One of the parent's own entrypoints (`ctx.exports.Name({ props })`; `None`: its default
    /// export), run in an instance of the parent with `ctx.props` from `props_json`.
    Loopback {
        /// The export's name.
        entrypoint: Option<String>,
        /// `ctx.props` as JSON text.
        props_json: Option<String>,
    },
}

impl StubRef {
    /// Read the guest's form: `"NAME"` or `{"binding": "NAME"}`, or `{"exports": "Name" | null,
    /// "propsJson"?: "<json>"}`. `what` names the field in errors.
    pub fn from_json(what: &str, v: &Value) -> Result<StubRef, String> {
        let bad =
            || format!("{what} must be a binding or a ctx.exports entrypoint this worker holds");
        match v {
            Value::String(s) => Ok(StubRef::Binding(s.clone())),
            Value::Object(o) if o.len() == 1 && o.get("binding").is_some_and(Value::is_string) => {
                Ok(StubRef::Binding(
                    o["binding"].as_str().unwrap_or_default().to_owned(),
                ))
            }
            Value::Object(o)
                if o.contains_key("exports")
                    && o.keys().all(|k| k == "exports" || k == "propsJson") =>
            {
                let entrypoint = match &o["exports"] {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    _ => return Err(bad()),
                };
                let props_json = match o.get("propsJson") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(p)) => {
                        check_props(what, p)?;
                        Some(p.clone())
                    }
                    Some(_) => return Err(bad()),
                };
                Ok(StubRef::Loopback {
                    entrypoint,
                    props_json,
                })
            }
            _ => Err(bad()),
        }
    }
}

/// A child's `globalOutbound`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildOutbound {
    /// Absent: what its parent's `fetch()` reaches.
    Inherit,
    /// `null`: nothing.
    Deny,
    /// A service binding of the parent (by its name in the parent's `env`) or one of its
    /// entrypoints: every request the child makes goes to it.
    Stub(StubRef),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Wire {
    main_module: String,
    modules: ModuleMap,
    #[serde(default)]
    env: Option<Map<String, Value>>,
    #[serde(default)]
    env_bindings: Option<BTreeMap<String, Value>>,
    /// Absent, `null` or `{"binding": name}` (read by hand: absent and `null` differ).
    #[serde(default, deserialize_with = "present")]
    global_outbound: Option<Value>,
    #[serde(default)]
    limits: Option<WireLimits>,
    #[serde(default)]
    compatibility_date: Option<String>,
    #[serde(default)]
    compatibility_flags: Option<Vec<String>>,
    #[serde(default)]
    tails: Option<Vec<Value>>,
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

const OUTBOUND_ERR: &str = "WorkerCode.globalOutbound must be null, a service binding or a ctx.exports entrypoint this worker holds (a child cannot be given outbound rules of its own: it reaches what its parent reaches, or less)";

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
        let env_bindings = wire
            .env_bindings
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                let r = StubRef::from_json(&format!("WorkerCode.env.{k}"), &v)?;
                Ok((k, r))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()?;
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
            Some(v @ Value::Object(_)) => ChildOutbound::Stub(
                StubRef::from_json("WorkerCode.globalOutbound", &v)
                    .map_err(|_| OUTBOUND_ERR.to_string())?,
            ),
            Some(_) => return Err(OUTBOUND_ERR.into()),
        };
        let tails = wire.tails.unwrap_or_default();
        if tails.len() > crate::ids::MAX_TAILS {
            return Err(format!(
                "WorkerCode.tails has {} entries; at most {} are allowed",
                tails.len(),
                crate::ids::MAX_TAILS
            ));
        }
        let tails = tails
            .iter()
            .enumerate()
            .map(|(i, v)| StubRef::from_json(&format!("WorkerCode.tails[{i}]"), v))
            .collect::<Result<Vec<_>, String>>()?;
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
            tails,
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
        assert_eq!(c.env_bindings["KV"], StubRef::Binding("NOTES".into()));
        assert_eq!(c.outbound, ChildOutbound::Deny);
        assert_eq!((c.cpu_ms, c.sub_requests), (Some(10), Some(2)));
        let inherit = ChildSpec::parse(r#"{"mainModule":"a.js","modules":{"a.js":"x"}}"#).unwrap();
        assert_eq!(inherit.outbound, ChildOutbound::Inherit);
        let via = ChildSpec::parse(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},"globalOutbound":{"binding":"GATE"}}"#,
        )
        .unwrap();
        assert_eq!(
            via.outbound,
            ChildOutbound::Stub(StubRef::Binding("GATE".into()))
        );
        let gate = ChildSpec::parse(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},
                "globalOutbound":{"exports":"Gate","propsJson":"{\"t\":1}"},
                "envBindings":{"API":{"exports":null},"KV":{"binding":"NOTES"}},
                "tails":[{"exports":"Tail"},{"binding":"LOGS"}]}"#,
        )
        .unwrap();
        let gate_ref = StubRef::Loopback {
            entrypoint: Some("Gate".into()),
            props_json: Some(r#"{"t":1}"#.into()),
        };
        assert_eq!(gate.outbound, ChildOutbound::Stub(gate_ref));
        assert_eq!(
            gate.env_bindings["API"],
            StubRef::Loopback {
                entrypoint: None,
                props_json: None
            }
        );
        assert_eq!(gate.env_bindings["KV"], StubRef::Binding("NOTES".into()));
        assert_eq!(gate.tails.len(), 2);
    }

    #[test]
    fn refuses_what_would_widen_or_confuse() {
        let err = |j: &str| ChildSpec::parse(j).unwrap_err();
        assert!(err(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},"globalOutbound":{"allow":["*"]}}"#
        )
        .contains("must be null, a service binding"));
        assert!(err(r#"{"mainModule":"b.js","modules":{"a.js":"x"}}"#)
            .contains("not one of its modules"));
        assert!(err(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},"env":{"K":1},"envBindings":{"K":"K"}}"#
        )
        .contains("both as a value and as a binding"));
        assert!(
            err(r#"{"mainModule":"a.js","modules":{"a.js":"x"},"tails":[{}]}"#)
                .contains("WorkerCode.tails[0] must be a binding")
        );
        assert!(err(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},"tails":["A","B","C","D","E"]}"#
        )
        .contains("at most 4"));
        assert!(err(
            r#"{"mainModule":"a.js","modules":{"a.js":"x"},"envBindings":{"A":{"exports":"X","propsJson":"{nope"}}}"#
        )
        .contains("props are not valid JSON"));
        let big = format!(
            r#"{{"mainModule":"a.js","modules":{{"a.js":"x"}},"tails":[{{"exports":null,"propsJson":"\"{}\""}}]}}"#,
            "x".repeat(MAX_PROPS_BYTES)
        );
        assert!(err(&big).contains("at most 65536"));
        assert!(
            err(r#"{"mainModule":"a.js","modules":{"a.js":"x"},"colours":[]}"#)
                .contains("unknown field")
        );
        assert!(err("[]").contains("invalid WorkerCode"));
    }
}
