//! Bindings: the capabilities a supervisor lends a worker through `env`, each a WIT interface of
//! the `sandbox:worker` package (`kv`, `tools`) implemented here on the host.
//!
//! The guest starts a call (`kv.get(binding, key)`) and gets a `pending-call` resource at once; the
//! host runs the call on its own tokio task (aborted if the guest drops it, e.g. when the request
//! ends), and the guest's event loop waits on `pending-call.subscribe()` with its timers and
//! fetches. A binding is named by its name in `env`; names the worker was not given are refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;

use crate::bindings::sandbox::worker::{calls, kv, tools};
use crate::instance::InstanceState;
use crate::kv::KvNamespace;
use crate::tools::ToolSet;

/// Most binding calls one request may make.
pub const MAX_CALLS_PER_REQUEST: u32 = 1000;

/// One binding in a worker's `env`.
#[derive(Clone, Debug)]
pub enum Binding {
    /// A KV namespace: `env.NAME.get/put/delete/list/getWithMetadata`.
    Kv(KvNamespace),
    /// Code Mode tools: `await env.NAME.<tool>(input)`.
    Tools(Arc<ToolSet>),
}

impl Binding {
    pub(crate) fn to_wit(&self, name: &str) -> crate::bindings::sandbox::worker::types::Binding {
        use crate::bindings::sandbox::worker::types::{Binding as B, BindingKind};
        match self {
            Binding::Kv(_) => B {
                name: name.to_owned(),
                kind: BindingKind::Kv,
                methods: Vec::new(),
            },
            Binding::Tools(t) => B {
                name: name.to_owned(),
                kind: BindingKind::Tools,
                methods: t.names(),
            },
        }
    }
}

/// A worker's bindings by name.
pub type Bindings = BTreeMap<String, Binding>;

type CallResult = Result<calls::Reply, String>;

/// A binding call in flight (the `pending-call` resource).
pub struct PendingCall {
    state: CallState,
}

enum CallState {
    Running(tokio::task::JoinHandle<CallResult>),
    Done(CallResult),
    Taken,
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        if let CallState::Running(task) = &self.state {
            task.abort();
        }
    }
}

#[wasmtime_wasi::async_trait]
impl wasmtime_wasi::p2::Pollable for PendingCall {
    async fn ready(&mut self) {
        if let CallState::Running(task) = &mut self.state {
            let result = task
                .await
                .unwrap_or_else(|e| Err(format!("the binding call failed: {e}")));
            self.state = CallState::Done(result);
        }
    }
}

impl InstanceState {
    /// Start `fut` as a call of this instance, or refuse it (limit reached).
    fn start_call(
        &mut self,
        fut: impl std::future::Future<Output = CallResult> + Send + 'static,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.calls_made += 1;
        let state = if self.calls_made > MAX_CALLS_PER_REQUEST {
            CallState::Done(Err(format!(
                "too many binding calls in one request (the limit is {MAX_CALLS_PER_REQUEST})"
            )))
        } else {
            CallState::Running(tokio::spawn(fut))
        };
        Ok(self.table.push(PendingCall { state })?)
    }

    fn refuse(&mut self, message: String) -> wasmtime::Result<Resource<PendingCall>> {
        Ok(self.table.push(PendingCall {
            state: CallState::Done(Err(message)),
        })?)
    }

    fn kv_binding(&self, name: &str) -> Result<KvNamespace, String> {
        match self.bindings.get(name) {
            Some(Binding::Kv(ns)) => Ok(ns.clone()),
            _ => Err(format!("env.{name} is not a KV namespace binding")),
        }
    }

    /// Run `f` on the KV binding `name` as a call.
    fn kv_call<F, Fut>(&mut self, name: &str, f: F) -> wasmtime::Result<Resource<PendingCall>>
    where
        F: FnOnce(KvNamespace) -> Fut,
        Fut: std::future::Future<Output = CallResult> + Send + 'static,
    {
        match self.kv_binding(name) {
            Ok(ns) => self.start_call(f(ns)),
            Err(e) => self.refuse(e),
        }
    }
}

impl calls::Host for InstanceState {}

impl calls::HostPendingCall for InstanceState {
    fn subscribe(
        &mut self,
        call: Resource<PendingCall>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        wasmtime_wasi::p2::subscribe(&mut self.table, call)
    }

    fn take(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<Option<CallResult>> {
        let call = self.table.get_mut(&call)?;
        match std::mem::replace(&mut call.state, CallState::Taken) {
            CallState::Done(result) => Ok(Some(result)),
            CallState::Taken => Ok(Some(Err("the result was already taken".into()))),
            running @ CallState::Running(_) => {
                call.state = running;
                Ok(None)
            }
        }
    }

    fn drop(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<()> {
        self.table.delete(call)?;
        Ok(())
    }
}

impl kv::Host for InstanceState {
    fn get(&mut self, binding: String, key: String) -> wasmtime::Result<Resource<PendingCall>> {
        self.kv_call(&binding, |ns| async move {
            Ok(match ns.get(&key).await? {
                Some(e) => calls::Reply::Entry(calls::KvEntry {
                    value: e.value,
                    metadata_json: e.metadata,
                }),
                None => calls::Reply::None,
            })
        })
    }

    fn put(
        &mut self,
        binding: String,
        key: String,
        value: Vec<u8>,
        options: kv::PutOptions,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.kv_call(&binding, |ns| async move {
            ns.put(
                &key,
                value,
                options.expiration_ttl,
                options.expiration,
                options.metadata_json,
            )
            .await?;
            Ok(calls::Reply::None)
        })
    }

    fn delete(&mut self, binding: String, key: String) -> wasmtime::Result<Resource<PendingCall>> {
        self.kv_call(&binding, |ns| async move {
            ns.delete(&key).await?;
            Ok(calls::Reply::None)
        })
    }

    fn list_keys(
        &mut self,
        binding: String,
        prefix: Option<String>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.kv_call(&binding, |ns| async move {
            let listing = ns.list(prefix.as_deref(), limit, cursor.as_deref()).await?;
            Ok(calls::Reply::Json(listing.to_string()))
        })
    }
}

impl tools::Host for InstanceState {
    fn call(
        &mut self,
        binding: String,
        tool: String,
        input_json: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let set = match self.bindings.get(&binding) {
            Some(Binding::Tools(set)) => set.clone(),
            _ => return self.refuse(format!("env.{binding} is not a tools binding")),
        };
        self.start_call(async move {
            let input = serde_json::from_str(&input_json)
                .map_err(|e| format!("{tool}(): the input is not JSON: {e}"))?;
            let result = set.call(&tool, input).await?;
            Ok(calls::Reply::Json(result.to_string()))
        })
    }
}
