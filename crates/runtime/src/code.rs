//! What a supervisor hands over: [`WorkerCode`], after Cloudflare's Worker Loader.

use serde_json::{Map, Value};

use crate::config::Limits;
use crate::error::{Error, Result};

pub use wasm_sandbox_spec::modules::{ModuleContent, MAX_CODE_BYTES};

/// The code and configuration of a worker: main module, modules, `env`, limits.
///
/// ```
/// use wasm_sandbox::{ModuleContent, WorkerCode};
/// let code = WorkerCode::js("worker.js", r#"export default { fetch() { return new Response("hi"); } }"#)
///     .with_module("data.json", ModuleContent::Json(r#"{"n": 1}"#.into()))
///     .with_env("GREETING", "hello");
/// assert_eq!(code.main_module, "worker.js");
/// ```
#[derive(Debug, Clone, Default)]
pub struct WorkerCode {
    /// The module whose default export holds the handlers.
    pub main_module: String,
    /// Every module, by specifier (`worker.js`, `lib/util.js`, `data.json`...). Relative imports
    /// resolve against the importing module's name.
    pub modules: Vec<(String, ModuleContent)>,
    /// The `env` the handlers receive: plain JSON values.
    pub env: Map<String, Value>,
    /// Per-worker limits; `None` takes the loader's defaults.
    pub limits: Option<Limits>,
    /// Workers compatibility date (accepted and recorded; the JS surface does not vary by it yet).
    pub compatibility_date: Option<String>,
    /// Workers compatibility flags (accepted and recorded, as above).
    pub compatibility_flags: Vec<String>,
    /// What `fetch()` may reach: nothing by default (Workers' `globalOutbound: null`).
    pub global_outbound: crate::host::outbound::GlobalOutbound,
    /// What a denied `fetch()` does: reject that fetch (the default), or end the whole
    /// invocation ([`OnDenied::Fail`](crate::OnDenied)).
    pub on_denied: crate::host::outbound::OnDenied,
    /// Capabilities added to `env` by name (KV namespaces, tools). A name may not also be a
    /// plain `env` value.
    pub bindings: crate::host::Bindings,
    /// Outbound requests one request may make, if fewer than the loader's
    /// ([`OutboundLimits::max_subrequests`](crate::OutboundLimits)); `None`: the loader's.
    pub max_subrequests: Option<u32>,
    /// Who is metered for this worker (e.g. a tenant): its invocations also count in
    /// [`Loader::account_usage`](crate::Loader::account_usage) for this account, anonymous
    /// ones and daily totals included. `None`: the loader's totals only.
    pub account: Option<String>,
    /// Tail workers (Cloudflare's `WorkerCode.tails`): after each invocation, its trace item
    /// goes to `tail([item])` on each ([`Service::call`](crate::Service::call)), in the
    /// background (see [`observe`](crate::observe)'s tail deliveries for the bounds).
    pub tails: Vec<std::sync::Arc<dyn crate::Service>>,
}

impl WorkerCode {
    /// A worker made of one JS module, which is also the main module.
    pub fn js(name: impl Into<String>, source: impl Into<String>) -> Self {
        let name = name.into();
        WorkerCode {
            main_module: name.clone(),
            modules: vec![(name, ModuleContent::Js(source.into()))],
            ..Default::default()
        }
    }

    /// End the invocation at the first denied `fetch()` instead of rejecting it
    /// ([`OnDenied::Fail`](crate::OnDenied)).
    pub fn with_on_denied(mut self, on_denied: crate::host::outbound::OnDenied) -> Self {
        self.on_denied = on_denied;
        self
    }

    /// A worker made of one TypeScript module (types stripped when it loads).
    pub fn ts(name: impl Into<String>, source: impl Into<String>) -> Self {
        let name = name.into();
        WorkerCode {
            main_module: name.clone(),
            modules: vec![(name, ModuleContent::Ts(source.into()))],
            ..Default::default()
        }
    }

    /// A worker from a file map with no npm packages to fetch: TypeScript, JSX, its own
    /// modules (extensionless and `.js`-for-`.ts` specifiers resolved as TypeScript's bundlers
    /// do), a `tsconfig.json`. The entry is `main`, or found as
    /// [`bundle::entry_point`](crate::bundle::entry_point) says (`src/index.ts`...). With a
    /// `package.json` that has `dependencies`, use a [`Bundler`](crate::Bundler) and
    /// [`WorkerCode::from_bundle`].
    ///
    /// ```
    /// use wasm_sandbox::WorkerCode;
    /// let files = [
    ///     ("src/index.ts", "import { hi } from './hi'; export default { fetch(): Response { return new Response(hi('ts')); } };"),
    ///     ("src/hi.ts", "export const hi = (who: string): string => `hi ${who}`;"),
    /// ];
    /// let code = WorkerCode::from_files(files.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())), None).unwrap();
    /// assert_eq!(code.main_module, "src/index.ts");
    /// ```
    pub fn from_files(
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
        main: Option<&str>,
    ) -> Result<Self> {
        let files = wasm_sandbox_bundle::normalize_files(files)
            .map_err(|e| Error::InvalidCode(e.message))?;
        let bundled = wasm_sandbox_bundle::bundle_local(files, main)
            .map_err(|e| Error::InvalidCode(e.message))?;
        Ok(Self::from_bundle(&bundled))
    }

    /// A worker from what a [`Bundler`](crate::Bundler) made.
    pub fn from_bundle(bundled: &wasm_sandbox_bundle::Bundled) -> Self {
        WorkerCode {
            main_module: bundled.main_module.clone(),
            modules: bundled.modules.clone(),
            ..Default::default()
        }
    }

    /// Add (or replace) a module.
    pub fn with_module(mut self, name: impl Into<String>, content: ModuleContent) -> Self {
        let name = name.into();
        self.modules.retain(|(n, _)| *n != name);
        self.modules.push((name, content));
        self
    }

    /// Set what `fetch()` may reach.
    pub fn with_outbound(mut self, outbound: crate::host::outbound::GlobalOutbound) -> Self {
        self.global_outbound = outbound;
        self
    }

    /// Add an `env` value.
    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    /// Add a binding to `env` (see [`Binding`](crate::Binding)).
    pub fn with_binding(mut self, name: impl Into<String>, binding: crate::Binding) -> Self {
        self.bindings.insert(name.into(), binding);
        self
    }

    /// Set this worker's limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Total size of the modules in bytes.
    pub fn source_bytes(&self) -> usize {
        wasm_sandbox_spec::modules::source_bytes(&self.modules)
    }

    /// Check the code before any sandbox sees it.
    pub(crate) fn validate(&self) -> Result<()> {
        for name in self.bindings.keys() {
            if self.env.contains_key(name) {
                return Err(Error::InvalidCode(format!(
                    "`{name}` is both an env value and a binding"
                )));
            }
            if name.is_empty() || name.len() > wasm_sandbox_spec::bindings::MAX_BINDING_NAME {
                return Err(Error::InvalidCode(format!("bad binding name {name:?}")));
            }
        }
        wasm_sandbox_spec::modules::check(&self.main_module, &self.modules)
            .map_err(Error::InvalidCode)
    }

    /// This code with every TypeScript module stripped to JavaScript.
    pub(crate) fn stripped(&self) -> Result<WorkerCode> {
        let mut out = self.clone();
        for (name, content) in &mut out.modules {
            if let Some(js) = strip_if_typescript(name, content)? {
                *content = ModuleContent::Js(js);
            }
        }
        Ok(out)
    }

    /// The modules as the guest takes them: TypeScript (a `Ts` module, or a JS one named
    /// `.ts`/`.mts`/`.cts`/`.tsx`/`.jsx`) stripped to JavaScript here, on the host.
    pub(crate) fn to_source(&self) -> Result<crate::wit::WorkerSource> {
        use crate::wit::{Module, ModuleKind};
        Ok(crate::wit::WorkerSource {
            main_module: self.main_module.clone(),
            modules: self
                .modules
                .iter()
                .map(|(name, content)| {
                    let (kind, bytes) = match content {
                        ModuleContent::Js(s) | ModuleContent::Ts(s) => (
                            ModuleKind::Js,
                            match strip_if_typescript(name, content)? {
                                Some(js) => js.into_bytes(),
                                None => s.as_bytes().to_vec(),
                            },
                        ),
                        ModuleContent::Text(s) => (ModuleKind::Text, s.as_bytes().to_vec()),
                        ModuleContent::Json(s) => (ModuleKind::Json, s.as_bytes().to_vec()),
                        ModuleContent::Data(b) => (ModuleKind::Data, b.clone()),
                    };
                    Ok(Module {
                        name: name.clone(),
                        kind,
                        content: bytes,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            env_json: Value::Object(self.env.clone()).to_string(),
            bindings: self
                .bindings
                .iter()
                .map(|(name, b)| b.to_wit(name))
                .collect(),
        })
    }
}

/// The JavaScript of a TypeScript module (a `Ts` one, or JS named `.ts`/`.mts`/`.cts`/`.tsx`/
/// `.jsx`), or `None` for any other module.
fn strip_if_typescript(name: &str, content: &ModuleContent) -> Result<Option<String>> {
    let src = match content {
        ModuleContent::Ts(s) => s,
        ModuleContent::Js(s) if wasm_sandbox_bundle::source::needs_transform(name) => s,
        _ => return Ok(None),
    };
    wasm_sandbox_bundle::source::strip_types(name, src, &wasm_sandbox_bundle::JsxConfig::default())
        .map(Some)
        .map_err(Error::InvalidCode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_problem() {
        assert!(WorkerCode::js("w.js", "x").validate().is_ok());
        let dup = WorkerCode {
            main_module: "w.js".into(),
            modules: vec![
                ("w.js".into(), ModuleContent::Js("a".into())),
                ("w.js".into(), ModuleContent::Js("b".into())),
            ],
            ..Default::default()
        };
        assert!(dup
            .validate()
            .unwrap_err()
            .to_string()
            .contains("defined twice"));
        let empty_name =
            WorkerCode::js("w.js", "x").with_module("", ModuleContent::Text("t".into()));
        assert!(empty_name
            .validate()
            .unwrap_err()
            .to_string()
            .contains("bad module name"));
        let huge = WorkerCode::js("w.js", "x".repeat(MAX_CODE_BYTES + 1));
        assert!(huge.validate().unwrap_err().to_string().contains("at most"));
    }

    #[test]
    fn with_module_replaces_by_name() {
        let code = WorkerCode::js("w.js", "a").with_module("w.js", ModuleContent::Js("b".into()));
        assert_eq!(
            code.modules,
            vec![("w.js".to_string(), ModuleContent::Js("b".into()))]
        );
    }

    #[test]
    fn source_carries_env_and_kinds() {
        let code = WorkerCode::js("w.js", "a")
            .with_module("d.bin", ModuleContent::Data(vec![1]))
            .with_env("K", serde_json::json!({"n": 1}));
        let src = code.to_source().unwrap();
        assert_eq!(src.env_json, r#"{"K":{"n":1}}"#);
        assert_eq!(src.modules[1].kind, crate::wit::ModuleKind::Data);
    }
}
