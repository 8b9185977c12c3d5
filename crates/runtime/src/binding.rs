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

use crate::bindings::sandbox::worker::{calls, files, kv, services, tools};
use crate::files::FilesBinding;
use crate::instance::InstanceState;
use crate::kv::KvNamespace;
use crate::tools::ToolSet;

/// Most binding calls one request may make.
pub const MAX_CALLS_PER_REQUEST: u32 = 1000;

/// Longest chain of nested calls (service bindings and interception, A calls B calls C...) by
/// default ([`TreeLimits::max_depth`](crate::TreeLimits)): deeper calls are refused, which ends
/// loops between workers.
pub const MAX_SERVICE_DEPTH: u32 = 16;

/// What a service handler returns.
pub type ServiceFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<http::Response<bytes::Bytes>, String>> + Send>,
>;

/// The target of a service binding: another worker, or a host handler.
pub trait Service: Send + Sync + 'static {
    /// Answer one request.
    fn fetch(&self, request: http::Request<bytes::Bytes>) -> ServiceFuture;
}

impl<F, Fut> Service for F
where
    F: Fn(http::Request<bytes::Bytes>) -> Fut + Send + Sync + 'static,
    Fut:
        std::future::Future<Output = Result<http::Response<bytes::Bytes>, String>> + Send + 'static,
{
    fn fetch(&self, request: http::Request<bytes::Bytes>) -> ServiceFuture {
        Box::pin(self(request))
    }
}

/// A worker as a service (its default entrypoint's `fetch`).
struct WorkerService(crate::Worker);

impl Service for WorkerService {
    fn fetch(&self, request: http::Request<bytes::Bytes>) -> ServiceFuture {
        let worker = self.0.clone();
        Box::pin(async move {
            worker
                .entrypoint(None)
                .fetch(request)
                .await
                .map_err(|e| format!("the service worker failed: {e}"))
        })
    }
}

/// One binding in a worker's `env`.
#[derive(Clone, Debug)]
pub enum Binding {
    /// A KV namespace: `env.NAME.get/put/delete/list/getWithMetadata`.
    Kv(KvNamespace),
    /// Code Mode tools: `await env.NAME.<tool>(input)`.
    Tools(Arc<ToolSet>),
    /// A service: `env.NAME.fetch(request)`.
    Service(Arc<dyn Service>),
    /// A directory: `env.NAME.read/write/list/delete(path)`.
    Files(FilesBinding),
}

impl std::fmt::Debug for dyn Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Service")
    }
}

impl Binding {
    /// A service binding to `worker`'s default entrypoint.
    pub fn worker(worker: crate::Worker) -> Binding {
        Binding::Service(Arc::new(WorkerService(worker)))
    }

    /// A service binding answered by `handler` on the host.
    pub fn service<F, Fut>(handler: F) -> Binding
    where
        F: Fn(http::Request<bytes::Bytes>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<http::Response<bytes::Bytes>, String>>
            + Send
            + 'static,
    {
        Binding::Service(Arc::new(handler))
    }

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
            Binding::Service(_) => B {
                name: name.to_owned(),
                kind: BindingKind::Service,
                methods: Vec::new(),
            },
            Binding::Files(_) => B {
                name: name.to_owned(),
                kind: BindingKind::Files,
                methods: Vec::new(),
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
            let task = tokio::spawn(fut);
            self.spawned.push(task.abort_handle());
            CallState::Running(task)
        };
        Ok(self.table.push(PendingCall { state })?)
    }

    fn refuse(&mut self, message: String) -> wasmtime::Result<Resource<PendingCall>> {
        Ok(self.table.push(PendingCall {
            state: CallState::Done(Err(message)),
        })?)
    }

    /// The binding `name` if it is of the kind `pick` takes, else the script's error message.
    fn binding<B>(
        &self,
        name: &str,
        what: &str,
        pick: impl FnOnce(&Binding) -> Option<B>,
    ) -> Result<B, String> {
        self.bindings
            .get(name)
            .and_then(pick)
            .ok_or_else(|| format!("env.{name} is not {what}"))
    }

    /// Run `f` on the binding `name` (of the kind `pick` takes) as a call, or refuse it.
    fn binding_call<B, F, Fut>(
        &mut self,
        name: &str,
        what: &str,
        pick: impl FnOnce(&Binding) -> Option<B>,
        f: F,
    ) -> wasmtime::Result<Resource<PendingCall>>
    where
        F: FnOnce(B) -> Fut,
        Fut: std::future::Future<Output = CallResult> + Send + 'static,
    {
        match self.binding(name, what, pick) {
            Ok(b) => self.start_call(f(b)),
            Err(e) => self.refuse(e),
        }
    }

    fn kv_call<F, Fut>(&mut self, name: &str, f: F) -> wasmtime::Result<Resource<PendingCall>>
    where
        F: FnOnce(KvNamespace) -> Fut,
        Fut: std::future::Future<Output = CallResult> + Send + 'static,
    {
        let pick = |b: &Binding| match b {
            Binding::Kv(ns) => Some(ns.clone()),
            _ => None,
        };
        self.binding_call(name, "a KV namespace binding", pick, f)
    }

    fn files_call<F, Fut>(&mut self, name: &str, f: F) -> wasmtime::Result<Resource<PendingCall>>
    where
        F: FnOnce(FilesBinding) -> Fut,
        Fut: std::future::Future<Output = CallResult> + Send + 'static,
    {
        let pick = |b: &Binding| match b {
            Binding::Files(files) => Some(files.clone()),
            _ => None,
        };
        self.binding_call(name, "a files binding", pick, f)
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

impl services::Host for InstanceState {
    fn fetch(
        &mut self,
        binding: String,
        request: crate::bindings::sandbox::worker::types::HttpRequest,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let pick = |b: &Binding| match b {
            Binding::Service(service) => Some(service.clone()),
            _ => None,
        };
        let service = match self.binding(&binding, "a service binding", pick) {
            Ok(service) => service,
            Err(e) => return self.refuse(e),
        };
        // A nested call of the request tree: depth-limited, queued behind this invocation's other
        // calls in flight, run inside the tree (the worker it reaches joins it).
        let child = match &self.tree {
            Some(ctx) => match ctx.child() {
                Ok(child) => Some(child),
                Err(m) => return self.refuse(format!("env.{binding}.fetch(): {m}")),
            },
            None => None,
        };
        let in_flight = self.in_flight.clone();
        let call = async move {
            let _permit = in_flight
                .acquire_owned()
                .await
                .map_err(|_| "the request has ended".to_string())?;
            let head = wasm_sandbox_spec::boundary::request_head(
                &request.method,
                &request.url,
                request
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .map_err(|e| format!("env.{binding}.fetch(): invalid request: {e}"))?;
            let request = head.map(|()| bytes::Bytes::from(request.body.unwrap_or_default()));
            let response = service.fetch(request).await?;
            let status_text = response
                .extensions()
                .get::<crate::StatusText>()
                .map(|s| s.0.clone())
                .unwrap_or_default();
            let (parts, body) = response.into_parts();
            Ok(calls::Reply::Response(crate::bindings::HttpResponse {
                status: parts.status.as_u16(),
                status_text,
                headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: body.to_vec(),
            }))
        };
        self.start_call(async move {
            match child {
                Some(ctx) => ctx.scope(call).await,
                None => call.await,
            }
        })
    }
}

impl files::Host for InstanceState {
    fn read(&mut self, binding: String, path: String) -> wasmtime::Result<Resource<PendingCall>> {
        self.files_call(&binding, |b| async move {
            Ok(match b.read(&path).await? {
                Some(bytes) => calls::Reply::Bytes(bytes),
                None => calls::Reply::None,
            })
        })
    }

    fn write(
        &mut self,
        binding: String,
        path: String,
        data: Vec<u8>,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.files_call(&binding, |b| async move {
            b.write(&path, data).await?;
            Ok(calls::Reply::None)
        })
    }

    fn list_dir(
        &mut self,
        binding: String,
        path: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.files_call(&binding, |b| async move {
            Ok(calls::Reply::Json(b.list(&path).await?.to_string()))
        })
    }

    fn delete(&mut self, binding: String, path: String) -> wasmtime::Result<Resource<PendingCall>> {
        self.files_call(&binding, |b| async move {
            b.delete(&path).await?;
            Ok(calls::Reply::None)
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
        let pick = |b: &Binding| match b {
            Binding::Tools(set) => Some(set.clone()),
            _ => None,
        };
        self.binding_call(&binding, "a tools binding", pick, |set| async move {
            let input = serde_json::from_str(&input_json)
                .map_err(|e| format!("{tool}(): the input is not JSON: {e}"))?;
            let result = set.call(&tool, input).await?;
            Ok(calls::Reply::Json(result.to_string()))
        })
    }
}
