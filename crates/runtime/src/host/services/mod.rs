//! Services: one [`Service`] trait for everything a worker's request is handed to on the host —
//! a service binding (`env.OTHER.fetch(request)`: another worker or a host handler) and outbound
//! interception (`GlobalOutbound::Intercept`). Here too the `sandbox:worker/services` interface.
//!
//! A service call is a nested call of the request tree: depth-limited, queued behind the
//! invocation's other calls in flight, run inside the tree (the worker it reaches joins it).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wasmtime::component::{Linker, Resource};

use crate::host::calls::{Call, CallView, Lent};
use crate::tree::TreeCtx;
use crate::wit::sandbox::worker::calls::Reply;
use crate::wit::sandbox::worker::services;
use crate::wit::sandbox::worker::types::{HttpRequest, HttpResponse};
use crate::wit::PendingCall;

/// What a [`Service`] returns.
pub type ServiceFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<bytes::Bytes>, String>> + Send>>;

/// What [`Service::call`] returns: the method's result as JSON, or the script's error message.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<serde_json::Value, String>> + Send>>;

/// Answers a request on the host: the target of a service binding, or the handler of
/// intercepted outbound requests. The request carries an absolute URL, its method, headers and
/// full body; an `Err` rejects the script's promise with that message.
pub trait Service: Send + Sync + 'static {
    /// Answer one request.
    fn fetch(&self, request: http::Request<bytes::Bytes>) -> ServiceFuture;

    /// RPC: `method` with JSON `args` (`env.SVC.method(...args)`), for a service that is a
    /// worker's entrypoint. The default has no methods.
    fn call(&self, method: String, _args: Vec<serde_json::Value>) -> CallFuture {
        Box::pin(async move {
            Err(format!(
                "{method}(): this service has no RPC methods (it only answers fetch())"
            ))
        })
    }
}

impl<F, Fut> Service for F
where
    F: Fn(http::Request<bytes::Bytes>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<http::Response<bytes::Bytes>, String>> + Send + 'static,
{
    fn fetch(&self, request: http::Request<bytes::Bytes>) -> ServiceFuture {
        Box::pin(self(request))
    }
}

impl std::fmt::Debug for dyn Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Service")
    }
}

/// The `statusText` of a response, carried in its extensions (http has no reason phrase field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusText(pub String);

/// The services a worker was lent, and where its calls sit in the request tree.
pub(crate) struct ServicesCtx {
    pub(crate) lent: Lent<Arc<dyn Service>>,
    /// The worker this sandbox runs, for `ctx.exports` (set when the sandbox is made).
    pub(crate) this: Option<Arc<dyn Exports>>,
    /// The request tree the current request belongs to, and its depth in it.
    pub(crate) tree: Option<TreeCtx>,
    /// The current invocation's queue for service / intercepted calls (shared with the outbound
    /// hooks): at most `TreeLimits::max_calls_in_flight` run at once.
    pub(crate) in_flight: Arc<tokio::sync::Semaphore>,
}

impl ServicesCtx {
    pub(crate) fn new(max_in_flight: u32) -> Self {
        ServicesCtx {
            lent: Lent::new("a service binding"),
            this: None,
            tree: None,
            in_flight: Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1) as usize)),
        }
    }
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> CallView<'_, ServicesCtx>,
) -> wasmtime::Result<()> {
    services::add_to_linker::<T, Call<ServicesCtx>>(linker, get)
}

/// A worker's way to its own entrypoints (`ctx.exports`): implemented by the runtime's worker,
/// holding it weakly (a sandbox of a worker must not keep the worker alive).
pub(crate) trait Exports: Send + Sync + 'static {
    /// A stub of entrypoint `entrypoint` (`None`: the default export) whose calls see
    /// `ctx.props` from `props_json`. It holds the worker (a child given it keeps it).
    fn stub(
        &self,
        entrypoint: Option<String>,
        props_json: Option<String>,
    ) -> Result<Arc<dyn Service>, String>;
}

impl CallView<'_, ServicesCtx> {
    /// Run `f(service)` as a nested call of the request tree, behind the invocation's queue
    /// (`what` names the call in errors).
    fn nested<Fut>(
        &mut self,
        what: String,
        call: impl FnOnce(String) -> Fut + Send + 'static,
    ) -> wasmtime::Result<Resource<PendingCall>>
    where
        Fut: Future<Output = Result<Reply, String>> + Send + 'static,
    {
        let child = match &self.cap.tree {
            Some(ctx) => match ctx.child() {
                Ok(child) => Some(child),
                Err(m) => return self.refuse(format!("{what}: {m}")),
            },
            None => None,
        };
        let in_flight = self.cap.in_flight.clone();
        let call = async move {
            let _permit = in_flight
                .acquire_owned()
                .await
                .map_err(|_| "the request has ended".to_string())?;
            call(what).await
        };
        self.start(async move {
            match child {
                Some(ctx) => ctx.scope(call).await,
                None => call.await,
            }
        })
    }

    /// This worker's entrypoint `entrypoint` with `props_json`, or the script's error.
    fn loopback(
        &self,
        entrypoint: Option<String>,
        props_json: Option<String>,
    ) -> Result<Arc<dyn Service>, String> {
        if let Some(p) = &props_json {
            wasm_sandbox_spec::loader::check_props("ctx.exports", p)?;
        }
        self.cap
            .this
            .as_ref()
            .ok_or("ctx.exports is not available to this worker")?
            .stub(entrypoint, props_json)
    }
}

/// RPC arguments as the guest sends them (a JSON array).
pub(crate) fn rpc_args(method: &str, args_json: &str) -> Result<Vec<serde_json::Value>, String> {
    match serde_json::from_str::<serde_json::Value>(args_json) {
        Ok(serde_json::Value::Array(a)) => Ok(a),
        _ => Err(format!("{method}(): the arguments must be a JSON array")),
    }
}

impl services::Host for CallView<'_, ServicesCtx> {
    fn fetch(
        &mut self,
        binding: String,
        request: HttpRequest,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let service = match self.cap.lent.get(&binding) {
            Ok(service) => service,
            Err(e) => return self.refuse(e),
        };
        self.nested(format!("env.{binding}.fetch()"), move |what| async move {
            let request = to_http(&what, request)?;
            Ok(to_reply(service.fetch(request).await?))
        })
    }

    fn call(
        &mut self,
        binding: String,
        method: String,
        args_json: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let service = match self.cap.lent.get(&binding) {
            Ok(service) => service,
            Err(e) => return self.refuse(e),
        };
        let args = match rpc_args(&method, &args_json) {
            Ok(a) => a,
            Err(e) => return self.refuse(e),
        };
        self.nested(format!("env.{binding}.{method}()"), move |_| async move {
            Ok(Reply::Json(service.call(method, args).await?.to_string()))
        })
    }

    fn loopback_fetch(
        &mut self,
        entrypoint: Option<String>,
        props_json: Option<String>,
        request: HttpRequest,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let what = format!(
            "ctx.exports.{}.fetch()",
            entrypoint.as_deref().unwrap_or("default")
        );
        let service = match self.loopback(entrypoint, props_json) {
            Ok(s) => s,
            Err(e) => return self.refuse(e),
        };
        self.nested(what, move |what| async move {
            let request = to_http(&what, request)?;
            Ok(to_reply(service.fetch(request).await?))
        })
    }

    fn loopback_call(
        &mut self,
        entrypoint: Option<String>,
        props_json: Option<String>,
        method: String,
        args_json: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let what = format!(
            "ctx.exports.{}.{method}()",
            entrypoint.as_deref().unwrap_or("default")
        );
        let service = match self.loopback(entrypoint, props_json) {
            Ok(s) => s,
            Err(e) => return self.refuse(e),
        };
        let args = match rpc_args(&method, &args_json) {
            Ok(a) => a,
            Err(e) => return self.refuse(e),
        };
        self.nested(what, move |_| async move {
            Ok(Reply::Json(service.call(method, args).await?.to_string()))
        })
    }
}

/// A request from the guest as the host's services take it (`what` names the call in errors).
pub(crate) fn to_http(
    what: &str,
    request: HttpRequest,
) -> Result<http::Request<bytes::Bytes>, String> {
    let head = wasm_sandbox_spec::boundary::request_head(
        &request.method,
        &request.url,
        request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(|e| format!("{what}: invalid request: {e}"))?;
    Ok(head.map(|()| bytes::Bytes::from(request.body.unwrap_or_default())))
}

/// A service's response as the guest takes it.
pub(crate) fn to_reply(response: http::Response<bytes::Bytes>) -> Reply {
    let status_text = response
        .extensions()
        .get::<StatusText>()
        .map(|s| s.0.clone())
        .unwrap_or_default();
    let (parts, body) = response.into_parts();
    Reply::Response(HttpResponse {
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
    })
}
