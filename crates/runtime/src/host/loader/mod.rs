//! Worker Loader bindings (`env.LOADER`, the `sandbox:worker/loader` interface): a worker loads
//! other workers ("children") from code it holds, as on Cloudflare.
//!
//! Capabilities only narrow. A child gets:
//! - the plain JSON values of its `env`, and the bindings its parent passes in it — each the very
//!   binding the parent holds (named by the parent's name for it), never anything else;
//! - an outbound that is its parent's (`globalOutbound` absent), none (`null`), or one of its
//!   parent's service bindings (every child `fetch()` goes there);
//! - limits within its parent's: CPU per request at most the parent's, and at most half of what
//!   the request tree has left when it is loaded (so the parent can still answer when a child
//!   spins); outbound requests at most the parent's.
//!
//! Its requests run as nested calls of the parent's request tree (depth, instances, CPU and the
//! invocation's calls in flight, see [`crate::tree`]). A child is named by a handle that is
//! valid until the parent's current request ends; `get` caches children under ids scoped to the
//! [`WorkerLoader`] (the supervisor gives each parent its own scope).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::component::{Linker, Resource};

use crate::config::Limits;
use crate::host::binding::{Binding, Bindings, Child, ChildCode, WorkerLoader};
use crate::host::calls::{Call, CallView, Lent};
use crate::host::outbound::GlobalOutbound;
use crate::host::services::{rpc_args, to_http, to_reply, Exports, Service};
use crate::tree::TreeCtx;
use crate::wit::sandbox::worker::calls::Reply;
use crate::wit::sandbox::worker::loader;
use crate::wit::sandbox::worker::types::HttpRequest;
use crate::wit::PendingCall;
use wasm_sandbox_spec::loader::{check_props, ChildOutbound, ChildSpec, StubRef};

/// Most children one request may load (`load`, and `get` misses).
pub const MAX_CHILDREN_PER_REQUEST: usize = 32;

/// What the worker holding the loaders has: what its children may be given.
#[derive(Clone)]
pub(crate) struct Parent {
    pub(crate) bindings: Arc<Bindings>,
    pub(crate) outbound: GlobalOutbound,
    pub(crate) limits: Limits,
    pub(crate) max_subrequests: u32,
    pub(crate) account: Option<String>,
}

/// The loaders a worker was lent and the children its current request loaded.
#[derive(Default)]
pub(crate) struct LoaderCtx {
    pub(crate) lent: Lent<WorkerLoader>,
    /// Set when the sandbox is checked out for a worker that holds a loader.
    pub(crate) parent: Option<Arc<Parent>>,
    /// The worker this sandbox runs: its `ctx.exports` stubs can be passed to children.
    pub(crate) this: Option<Arc<dyn Exports>>,
    /// The current request's tree (none between requests).
    pub(crate) tree: Option<TreeCtx>,
    /// The current invocation's queue for nested calls (shared with services).
    pub(crate) in_flight: Option<Arc<tokio::sync::Semaphore>>,
    /// The current request's children by handle (shared with the calls that load them).
    children: Arc<Mutex<Children>>,
}

#[derive(Default)]
struct Children {
    by_handle: BTreeMap<u32, Arc<dyn Child>>,
    next: u32,
    loaded: usize,
}

impl Default for Lent<WorkerLoader> {
    fn default() -> Self {
        Lent::new("a Worker Loader binding")
    }
}

impl LoaderCtx {
    /// A request starts (`Some`) or ends (`None`): its children are forgotten when it ends, so a
    /// child lives no longer than the request that loaded it (unless `get` cached it).
    pub(crate) fn set_request(
        &mut self,
        tree: Option<TreeCtx>,
        in_flight: Arc<tokio::sync::Semaphore>,
    ) {
        if tree.is_none() {
            let mut c = self.children.lock().unwrap();
            c.by_handle.clear();
            c.loaded = 0;
        }
        self.in_flight = tree.as_ref().map(|_| in_flight);
        self.tree = tree;
    }

    /// What `r` names: a binding the parent holds, or a stub of one of its own entrypoints.
    fn resolve(&self, parent: &Parent, what: &str, r: StubRef) -> Result<Binding, String> {
        match r {
            StubRef::Binding(from) => parent
                .bindings
                .get(&from)
                .cloned()
                .ok_or_else(|| format!("{what}: env.{from} is not a binding this worker holds")),
            StubRef::Loopback {
                entrypoint,
                props_json,
            } => {
                if let Some(p) = &props_json {
                    check_props(what, p)?;
                }
                let this = self
                    .this
                    .as_ref()
                    .ok_or_else(|| format!("{what}: this worker has no ctx.exports"))?;
                Ok(Binding::Service(this.stub(entrypoint, props_json)?))
            }
        }
    }

    /// What `r` names, which must be a service (a service binding or an entrypoint).
    fn resolve_service(
        &self,
        parent: &Parent,
        what: &str,
        r: StubRef,
    ) -> Result<Arc<dyn Service>, String> {
        match self.resolve(parent, what, r)? {
            Binding::Service(s) => Ok(s),
            _ => Err(format!(
                "{what}: only a service binding or a ctx.exports entrypoint can be given here"
            )),
        }
    }

    /// `spec`, settled against the parent: bindings resolved, outbound and limits narrowed.
    fn narrow(&self, spec: ChildSpec) -> Result<ChildCode, String> {
        let parent = self
            .parent
            .as_ref()
            .ok_or("this worker cannot load workers")?;
        let mut bindings = Bindings::new();
        for (name, from) in spec.env_bindings {
            let b = self.resolve(parent, &format!("WorkerCode.env.{name}"), from)?;
            bindings.insert(name, b);
        }
        let global_outbound = match spec.outbound {
            ChildOutbound::Inherit => parent.outbound.clone(),
            ChildOutbound::Deny => GlobalOutbound::Deny,
            ChildOutbound::Stub(r) => GlobalOutbound::Intercept(self.resolve_service(
                parent,
                "WorkerCode.globalOutbound",
                r,
            )?),
        };
        let tails = spec
            .tails
            .into_iter()
            .enumerate()
            .map(|(i, r)| self.resolve_service(parent, &format!("WorkerCode.tails[{i}]"), r))
            .collect::<Result<Vec<_>, String>>()?;
        let mut limits = parent.limits;
        if let Some(ms) = spec.cpu_ms {
            limits.cpu_time = limits.cpu_time.min(Duration::from_millis(ms.max(1)));
        }
        if let Some(ctx) = &self.tree {
            let left = ctx.tree.cpu_budget.saturating_sub(ctx.tree.cpu_used());
            limits.cpu_time = limits.cpu_time.min(left / 2);
            if limits.cpu_time.is_zero() {
                return Err("this request has no CPU time left for another worker".into());
            }
        }
        let max_subrequests = Some(
            spec.sub_requests
                .map_or(parent.max_subrequests, |n| n.min(parent.max_subrequests)),
        );
        Ok(ChildCode {
            main_module: spec.main_module,
            modules: spec.modules,
            env: spec.env,
            bindings,
            global_outbound,
            limits,
            max_subrequests,
            compatibility_date: spec.compatibility_date,
            compatibility_flags: spec.compatibility_flags,
            account: parent.account.clone(),
            tails,
        })
    }

    /// Parse and narrow `code_json` for `binding`; refuse a request past its budget of children.
    fn prepare(&self, binding: &str, code_json: &str) -> Result<(WorkerLoader, ChildCode), String> {
        let loader = self.lent.get(binding)?;
        if self.children.lock().unwrap().loaded >= MAX_CHILDREN_PER_REQUEST {
            return Err(format!(
                "this request already loaded {MAX_CHILDREN_PER_REQUEST} workers (the limit per request)"
            ));
        }
        let code = self.narrow(ChildSpec::parse(code_json)?)?;
        Ok((loader, code))
    }

    /// The child behind `handle`.
    fn child(&self, handle: u32) -> Result<Arc<dyn Child>, String> {
        self.children
            .lock()
            .unwrap()
            .by_handle
            .get(&handle)
            .cloned()
            .ok_or_else(|| {
                "this Worker stub is not from the current request (stubs cannot be kept across requests)"
                    .to_string()
            })
    }
}

impl Children {
    fn add(&mut self, child: Arc<dyn Child>, fresh: bool) -> u32 {
        self.next = self.next.wrapping_add(1).max(1);
        self.by_handle.insert(self.next, child);
        if fresh {
            self.loaded += 1;
        }
        self.next
    }
}

/// Where `get(id)` caches: in the loader's scope, apart from every id a supervisor uses (they
/// cannot start with NUL).
fn scoped(loader: &WorkerLoader, id: &str) -> String {
    format!("\0loader\0{}\0{id}", loader.scope)
}

fn handle_reply(handle: u32) -> Reply {
    Reply::Json(handle.to_string())
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> CallView<'_, LoaderCtx>,
) -> wasmtime::Result<()> {
    loader::add_to_linker::<T, Call<LoaderCtx>>(linker, get)
}

impl CallView<'_, LoaderCtx> {
    /// Run `f(child)` as a nested call of the request tree, behind the invocation's queue.
    fn nested<F, Fut>(
        &mut self,
        what: String,
        handle: u32,
        f: F,
    ) -> wasmtime::Result<Resource<PendingCall>>
    where
        F: FnOnce(Arc<dyn Child>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Reply, String>> + Send + 'static,
    {
        let child = match self.cap.child(handle) {
            Ok(c) => c,
            Err(e) => return self.refuse(format!("{what}: {e}")),
        };
        let tree = match &self.cap.tree {
            Some(ctx) => match ctx.child() {
                Ok(t) => Some(t),
                Err(m) => return self.refuse(format!("{what}: {m}")),
            },
            None => None,
        };
        let in_flight = self.cap.in_flight.clone();
        let call = async move {
            let _permit = match in_flight {
                Some(q) => Some(
                    q.acquire_owned()
                        .await
                        .map_err(|_| "the request has ended".to_string())?,
                ),
                None => None,
            };
            f(child).await
        };
        self.start(async move {
            match tree {
                Some(t) => t.scope(call).await,
                None => call.await,
            }
        })
    }
}

impl loader::Host for CallView<'_, LoaderCtx> {
    fn load(
        &mut self,
        binding: String,
        code_json: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let (loader, code) = match self.cap.prepare(&binding, &code_json) {
            Ok(p) => p,
            Err(e) => return self.refuse(format!("env.{binding}.load(): {e}")),
        };
        // Loading only prepares the child (its instance is made by its first call): done here.
        self.finish(|cap| {
            let child = loader.spawn.load(code)?;
            Ok(handle_reply(cap.children.lock().unwrap().add(child, true)))
        })
    }

    fn lookup(&mut self, binding: String, id: String) -> wasmtime::Result<Resource<PendingCall>> {
        let loader = match self.cap.lent.get(&binding) {
            Ok(l) => l,
            Err(e) => return self.refuse(e),
        };
        self.finish(|cap| {
            Ok(match loader.spawn.lookup(&scoped(&loader, &id)) {
                Some(child) => handle_reply(cap.children.lock().unwrap().add(child, false)),
                None => Reply::Json("null".into()),
            })
        })
    }

    fn put(
        &mut self,
        binding: String,
        id: String,
        code_json: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let (loader, code) = match self.cap.prepare(&binding, &code_json) {
            Ok(p) => p,
            Err(e) => return self.refuse(format!("env.{binding}.get(): {e}")),
        };
        let children = self.cap.children.clone();
        self.start(async move {
            let child = loader.spawn.put(scoped(&loader, &id), code).await?;
            Ok(handle_reply(children.lock().unwrap().add(child, true)))
        })
    }

    fn fetch(
        &mut self,
        binding: String,
        child: u32,
        entrypoint: Option<String>,
        props_json: Option<String>,
        request: HttpRequest,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        if let Err(e) = self.cap.lent.get(&binding) {
            return self.refuse(e);
        }
        let what = "fetch()".to_string();
        if let Some(Err(e)) = props_json.as_deref().map(|p| check_props(&what, p)) {
            return self.refuse(e);
        }
        self.nested(what.clone(), child, move |c| async move {
            let request = to_http(&what, request)?;
            Ok(to_reply(c.fetch(entrypoint, props_json, request).await?))
        })
    }

    fn call(
        &mut self,
        binding: String,
        child: u32,
        entrypoint: Option<String>,
        props_json: Option<String>,
        method: String,
        args_json: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        if let Err(e) = self.cap.lent.get(&binding) {
            return self.refuse(e);
        }
        let what = format!("{method}()");
        let checked = rpc_args(&method, &args_json).and_then(|a| {
            props_json
                .as_deref()
                .map_or(Ok(()), |p| check_props(&what, p))
                .map(|()| a)
        });
        let args = match checked {
            Ok(a) => a,
            Err(e) => return self.refuse(e),
        };
        self.nested(what, child, move |c| async move {
            let result = c.call(entrypoint, props_json, method, args).await?;
            Ok(Reply::Json(result.to_string()))
        })
    }
}
