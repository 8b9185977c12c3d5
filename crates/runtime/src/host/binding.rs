//! What a worker can be lent ([`Binding`]), in one place because one kind holds the others: a
//! Worker Loader's children are given bindings of their parent's. The loader's contracts with the
//! runtime above it ([`Spawn`], [`Child`]) are here too; its context and WIT interface are in
//! [`super::loader`].

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::Limits;
use crate::host::files::FilesBinding;
use crate::host::kv::KvNamespace;
use crate::host::outbound::GlobalOutbound;
use crate::host::services::{Service, ServiceFuture};
use crate::host::tools::ToolSet;
use crate::wit::sandbox::worker::types::{Binding as WitBinding, BindingKind};
use wasm_sandbox_spec::modules::ModuleContent;

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
    /// A Worker Loader: `env.NAME.load(code)`, `env.NAME.get(id, getCode)` (see
    /// [`Loader::worker_loader`](crate::Loader::worker_loader)).
    Loader(WorkerLoader),
}

impl Binding {
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

    /// How the guest learns of it (its kind, and for tools the method names).
    pub(crate) fn to_wit(&self, name: &str) -> WitBinding {
        let (kind, methods) = match self {
            Binding::Kv(_) => (BindingKind::Kv, Vec::new()),
            Binding::Tools(t) => (BindingKind::Tools, t.names()),
            Binding::Service(_) => (BindingKind::Service, Vec::new()),
            Binding::Files(_) => (BindingKind::Files, Vec::new()),
            Binding::Loader(_) => (BindingKind::Loader, Vec::new()),
        };
        WitBinding {
            name: name.to_owned(),
            kind,
            methods,
        }
    }
}

/// A worker's bindings by name.
pub type Bindings = BTreeMap<String, Binding>;

/// A Worker Loader a worker holds (`env.LOADER`): it loads children through the [`Loader`]
/// that made it, and its `get` ids live in its own scope.
///
/// [`Loader`]: crate::Loader
#[derive(Clone)]
pub struct WorkerLoader {
    pub(crate) spawn: Arc<dyn Spawn>,
    /// Prefixes the ids its `get` caches under, so two parents (two scopes) never share a child.
    pub(crate) scope: Arc<str>,
}

impl std::fmt::Debug for WorkerLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerLoader")
            .field("scope", &self.scope)
            .finish()
    }
}

/// What a child is made of, once its parent's side is settled: bindings resolved to the
/// parent's, outbound and limits narrowed to the parent's.
pub(crate) struct ChildCode {
    pub(crate) main_module: String,
    pub(crate) modules: Vec<(String, ModuleContent)>,
    pub(crate) env: Map<String, Value>,
    pub(crate) bindings: Bindings,
    pub(crate) global_outbound: GlobalOutbound,
    pub(crate) limits: Limits,
    pub(crate) max_subrequests: Option<u32>,
    pub(crate) compatibility_date: Option<String>,
    pub(crate) compatibility_flags: Vec<String>,
    /// The parent's metering account: a child's invocations count for it.
    pub(crate) account: Option<String>,
    /// Where its invocations' trace items go.
    pub(crate) tails: Vec<Arc<dyn Service>>,
}

/// A boxed future of the loader's contracts.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Makes children: implemented by the runtime's loader (which the host does not import).
pub(crate) trait Spawn: Send + Sync + 'static {
    /// A new child, never cached.
    fn load(&self, code: ChildCode) -> Result<Arc<dyn Child>, String>;
    /// The child cached under `key`, if any.
    fn lookup(&self, key: &str) -> Option<Arc<dyn Child>>;
    /// The child cached under `key`, loading `code` if there is none.
    fn put(&self, key: String, code: ChildCode) -> BoxFuture<Result<Arc<dyn Child>, String>>;
}

/// A loaded child: implemented by the runtime's worker.
pub(crate) trait Child: Send + Sync + 'static {
    /// `fetch` on its default export (`None`) or a named one, with `ctx.props` from
    /// `props_json`.
    fn fetch(
        &self,
        entrypoint: Option<String>,
        props_json: Option<String>,
        request: http::Request<bytes::Bytes>,
    ) -> ServiceFuture;
    /// RPC: `method` with JSON `args`; the result as JSON.
    fn call(
        &self,
        entrypoint: Option<String>,
        props_json: Option<String>,
        method: String,
        args: Vec<Value>,
    ) -> BoxFuture<Result<Value, String>>;
}
