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

/// Answers a request on the host: the target of a service binding, or the handler of
/// intercepted outbound requests. The request carries an absolute URL, its method, headers and
/// full body; an `Err` rejects the script's promise with that message.
pub trait Service: Send + Sync + 'static {
    /// Answer one request.
    fn fetch(&self, request: http::Request<bytes::Bytes>) -> ServiceFuture;
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
        let child = match &self.cap.tree {
            Some(ctx) => match ctx.child() {
                Ok(child) => Some(child),
                Err(m) => return self.refuse(format!("env.{binding}.fetch(): {m}")),
            },
            None => None,
        };
        let in_flight = self.cap.in_flight.clone();
        let call = async move {
            let _permit = in_flight
                .acquire_owned()
                .await
                .map_err(|_| "the request has ended".to_string())?;
            let request = to_http(&format!("env.{binding}.fetch()"), request)?;
            Ok(to_reply(service.fetch(request).await?))
        };
        self.start(async move {
            match child {
                Some(ctx) => ctx.scope(call).await,
                None => call.await,
            }
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
