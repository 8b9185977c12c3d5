//! What every binding call shares: the `pending-call` resource, the per-request call budget, and
//! [`CallView`], the slice of the store state a capability's `Host` impl works on.
//!
//! The guest starts a call (`kv.get(binding, key)`) and gets a `pending-call` at once; the host
//! runs the call on its own tokio task (aborted if the guest drops it, or when the invocation
//! ends), and the guest's event loop waits on `pending-call.subscribe()` with its timers and
//! fetches. A binding is named by its name in `env`; names the worker was not given (or given as
//! another kind) are refused with a message for the script.

use std::collections::BTreeMap;
use std::future::Future;

use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::DynPollable;

use crate::wit::sandbox::worker::calls;
use crate::wit::PendingCall;

/// Most binding calls one request may make.
pub const MAX_CALLS_PER_REQUEST: u32 = 1000;

/// What a binding call produces.
pub(crate) type CallResult = Result<calls::Reply, String>;

/// The current invocation's binding calls.
#[derive(Default)]
pub(crate) struct CallsCtx {
    /// Binding calls made by the current request.
    made: u32,
    /// The calls started by the current invocation: aborted when it ends, so calls a script
    /// started and never awaited do not outlive the request (and its admission).
    spawned: Vec<tokio::task::AbortHandle>,
}

impl CallsCtx {
    /// A new request: its own budget of calls.
    pub(crate) fn reset(&mut self) {
        self.made = 0;
    }

    /// The invocation ended: abort what it left running.
    pub(crate) fn abort_all(&mut self) {
        for call in self.spawned.drain(..) {
            call.abort();
        }
    }
}

/// The bindings of one kind a worker was lent, by their names in `env`.
pub(crate) struct Lent<B> {
    by_name: BTreeMap<String, B>,
    /// What a binding of this kind is called in messages: `a KV namespace binding`.
    what: &'static str,
}

impl<B: Clone> Lent<B> {
    pub(crate) fn new(what: &'static str) -> Self {
        Lent {
            by_name: BTreeMap::new(),
            what,
        }
    }

    pub(crate) fn insert(&mut self, name: &str, binding: B) {
        self.by_name.insert(name.to_owned(), binding);
    }

    /// The binding `name`, or the script's error message.
    pub(crate) fn get(&self, name: &str) -> Result<B, String> {
        self.by_name
            .get(name)
            .cloned()
            .ok_or_else(|| format!("env.{name} is not {}", self.what))
    }
}

/// A capability's view of the store state: its own context, the call budget and the resource
/// table (where `pending-call`s live).
pub(crate) struct CallView<'a, C> {
    pub(crate) cap: &'a mut C,
    pub(crate) calls: &'a mut CallsCtx,
    pub(crate) table: &'a mut ResourceTable,
}

/// [`HasData`] for a capability whose `Host` impl is on [`CallView<C>`].
pub(crate) struct Call<C>(std::marker::PhantomData<C>);

impl<C: 'static> HasData for Call<C> {
    type Data<'a> = CallView<'a, C>;
}

impl<C> CallView<'_, C> {
    /// Count one more call of this request: the error once past its limit.
    fn count_call(&mut self) -> Result<(), String> {
        self.calls.made += 1;
        if self.calls.made > MAX_CALLS_PER_REQUEST {
            return Err(format!(
                "too many binding calls in one request (the limit is {MAX_CALLS_PER_REQUEST})"
            ));
        }
        Ok(())
    }

    /// Start `fut` as a call of this invocation, or refuse it (the request's limit is reached).
    pub(crate) fn start(
        &mut self,
        fut: impl Future<Output = CallResult> + Send + 'static,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let call = match self.count_call() {
            Err(e) => PendingCall::done(Err(e)),
            Ok(()) => {
                let task = tokio::spawn(fut);
                self.calls.spawned.push(task.abort_handle());
                PendingCall::running(task)
            }
        };
        Ok(self.table.push(call)?)
    }

    /// A call done on the guest's own call (`work`, run now: nothing to spawn, nothing to wake),
    /// counted against the request's calls like [`Self::start`] and not run past the limit.
    pub(crate) fn finish(
        &mut self,
        work: impl FnOnce(&mut C) -> CallResult,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let result = self.count_call().and_then(|()| work(self.cap));
        Ok(self.table.push(PendingCall::done(result))?)
    }

    /// A call that fails at once with `message`.
    pub(crate) fn refuse(&mut self, message: String) -> wasmtime::Result<Resource<PendingCall>> {
        Ok(self.table.push(PendingCall::done(Err(message)))?)
    }
}

impl<B: Clone> CallView<'_, Lent<B>> {
    /// Run `f` on the lent binding `name` as a call, or refuse it.
    pub(crate) fn on<F, Fut>(&mut self, name: &str, f: F) -> wasmtime::Result<Resource<PendingCall>>
    where
        F: FnOnce(B) -> Fut,
        Fut: Future<Output = CallResult> + Send + 'static,
    {
        match self.cap.get(name) {
            Ok(b) => self.start(f(b)),
            Err(e) => self.refuse(e),
        }
    }
}

impl calls::Host for ResourceTable {}

impl calls::HostPendingCall for ResourceTable {
    fn subscribe(
        &mut self,
        call: Resource<PendingCall>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        wasmtime_wasi::p2::subscribe(self, call)
    }

    fn take(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<Option<CallResult>> {
        Ok(self.get_mut(&call)?.take())
    }

    fn drop(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<()> {
        self.delete(call)?;
        Ok(())
    }
}
