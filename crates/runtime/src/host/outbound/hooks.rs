//! The `wasi:http` hooks of one sandbox: every request the guest sends lands in
//! [`OutboundHooks::send_request`], which counts it, applies the worker's [`GlobalOutbound`], and
//! records the attempt.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use super::body::CappedBody;
use super::connect::{connect_and_send, ConnectionPool};
use super::record::{deny_rule, OutboundOutcome, OutboundRecord, Refusal};
use super::state::{CallState, MAX_DENIALS_KEPT};
use super::{GlobalOutbound, OnDenied, OutboundLimits};
use crate::observe::sink::InvocationSink;
use crate::wit::sandbox::worker::outbound as denial;

/// The `wasi:http` hooks of one sandbox.
pub(crate) struct OutboundHooks {
    pub(crate) outbound: GlobalOutbound,
    pub(crate) limits: OutboundLimits,
    pub(crate) state: Arc<Mutex<CallState>>,
    pub(crate) pool: Arc<ConnectionPool>,
    /// The request tree of the current request: an intercepted request is a nested call in it.
    tree: Option<crate::tree::TreeCtx>,
    /// The current invocation's queue for calls in flight (shared with service bindings).
    in_flight: Arc<tokio::sync::Semaphore>,
    /// What a denial does, and where a fatal one is reported (the sandbox's meter, which ends
    /// the call).
    pub(crate) on_denied: OnDenied,
    pub(crate) fatal: Option<Arc<Mutex<Option<String>>>>,
    /// The current invocation's requests: aborted when it ends ([`abort_pending`]), so that a
    /// `fetch()` the script started and never awaited does not go on after the response (an
    /// intercepted one would keep running another worker outside any admission).
    ///
    /// [`abort_pending`]: Self::abort_pending
    spawned: Vec<tokio::task::AbortHandle>,
}

impl OutboundHooks {
    /// Abort the requests the invocation started that are still running.
    pub(crate) fn abort_pending(&mut self) {
        for task in self.spawned.drain(..) {
            task.abort();
        }
    }

    pub(crate) fn new() -> Self {
        OutboundHooks {
            outbound: GlobalOutbound::Deny,
            limits: OutboundLimits::default(),
            state: Arc::default(),
            pool: Arc::default(),
            tree: None,
            on_denied: OnDenied::Error,
            fatal: None,
            spawned: Vec::new(),
            in_flight: Arc::new(tokio::sync::Semaphore::new(
                crate::tree::TreeLimits::default().max_calls_in_flight as usize,
            )),
        }
    }

    pub(crate) fn set_tree(
        &mut self,
        tree: Option<crate::tree::TreeCtx>,
        in_flight: Arc<tokio::sync::Semaphore>,
    ) {
        self.tree = tree;
        self.in_flight = in_flight;
    }

    /// Start a new request's budget (subrequests, bytes, records).
    pub(crate) fn reset(&mut self) {
        let mut state = self.state.lock().unwrap();
        let invocation = state.invocation.take();
        *state = CallState {
            invocation,
            ..CallState::default()
        };
    }

    pub(crate) fn set_invocation(&mut self, ctx: InvocationSink) {
        self.state.lock().unwrap().invocation = ctx;
    }

    pub(crate) fn take_records(&mut self) -> Vec<OutboundRecord> {
        std::mem::take(&mut self.state.lock().unwrap().records)
    }
}

type SendResult = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let outbound = self.outbound.clone();
        let limits = self.limits;
        let state = self.state.clone();
        let pool = self.pool.clone();
        let nested = Nested {
            tree: self.tree.clone(),
            in_flight: self.in_flight.clone(),
        };
        let fatal = (self.on_denied == OnDenied::Fail)
            .then(|| self.fatal.clone())
            .flatten();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let method = request.method().to_string();
            let url = request.uri().to_string();
            let result = send(&outbound, limits, &state, &pool, &nested, request).await;
            let (outcome, status, reason, rule) = match &result {
                Ok(r) => (OutboundOutcome::Ok, Some(r.status().as_u16()), None, None),
                Err(Refusal::Denied(rule, m)) => {
                    (OutboundOutcome::Denied, None, Some(m.clone()), Some(*rule))
                }
                Err(Refusal::Failed(m)) => (OutboundOutcome::Failed, None, Some(m.clone()), None),
            };
            tracing::debug!(%method, %url, outcome = outcome.as_str(), ?status, ?reason, "outbound");
            let record = OutboundRecord {
                method,
                url,
                outcome,
                status,
                reason,
                rule,
                duration_ms: started.elapsed().as_millis() as u64,
            };
            if let (Some(fatal), Err(Refusal::Denied(_, m))) = (&fatal, &result) {
                fatal.lock().unwrap().get_or_insert_with(|| m.clone());
            }
            let mut st = state.lock().unwrap();
            if let Some(ctx) = &st.invocation {
                ctx.outbound(&record);
            }
            if let Err(Refusal::Denied(_, m)) = &result {
                if st.denials.len() >= MAX_DENIALS_KEPT {
                    st.denials.pop_front();
                }
                st.denials.push_back((record.url.clone(), m.clone()));
            }
            st.records.push(record);
            drop(st);
            match result {
                Ok(response) => Ok((
                    response,
                    Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>,
                )),
                // Denied is its own error code (as Spin does); the guest asks for the reason.
                Err(Refusal::Denied(..)) => Err(HttpError::HttpRequestDenied),
                Err(Refusal::Failed(m)) => Err(HttpError::InternalError(Some(m))),
            }
        });
        self.spawned.retain(|t| !t.is_finished());
        self.spawned.push(task.abort_handle());
        Box::new(async move {
            task.await.unwrap_or_else(|_| {
                Err(HttpError::InternalError(Some(
                    "the request that made this fetch() has ended".into(),
                )))
            })
        })
    }
}

/// Where an intercepted request sits: its request tree, and the invocation's call queue.
struct Nested {
    tree: Option<crate::tree::TreeCtx>,
    in_flight: Arc<tokio::sync::Semaphore>,
}

async fn send(
    outbound: &GlobalOutbound,
    limits: OutboundLimits,
    state: &Arc<Mutex<CallState>>,
    pool: &ConnectionPool,
    nested: &Nested,
    request: http::Request<WasiBody>,
) -> Result<http::Response<WasiBody>, Refusal> {
    let uri = request.uri().clone();
    let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
    let host = uri.host().unwrap_or_default().to_string();
    let port = uri.port_u16();
    let shown = format!("{scheme}://{}", uri.authority().map_or("", |a| a.as_str()));
    {
        let mut st = state.lock().unwrap();
        if st.subrequests >= limits.max_subrequests {
            return Err(Refusal::Denied("subrequest-limit", format!(
                "too many subrequests: a request may make at most {} outbound requests (redirects count)",
                limits.max_subrequests
            )));
        }
        st.subrequests += 1;
    }
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let timed_out = || {
        Refusal::Failed(format!(
            "{shown} did not answer within the outbound timeout of {} ms",
            limits.timeout.as_millis()
        ))
    };
    let response = match outbound {
        GlobalOutbound::Deny => {
            return Err(Refusal::Denied("globalOutbound-null", format!(
                "outbound network access is not permitted for this worker (globalOutbound is null): cannot reach {shown}"
            )))
        }
        GlobalOutbound::Intercept(handler) => {
            // A nested call of the request tree: depth-limited, queued behind the invocation's
            // other calls in flight, and run inside the tree (what the handler calls joins it).
            let child = match &nested.tree {
                Some(ctx) => Some(
                    ctx.child()
                        .map_err(|m| Refusal::Denied("depth-limit", format!("fetch({shown}): {m}")))?,
                ),
                None => None,
            };
            let _permit = tokio::time::timeout_at(deadline, nested.in_flight.clone().acquire_owned())
                .await
                .map_err(|_| timed_out())?
                .map_err(|_| Refusal::Failed("the request has ended".into()))?;
            let (parts, body) = request.into_parts();
            let body = tokio::time::timeout_at(deadline, body.collect())
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| Refusal::Failed(format!("reading the request body: {e}")))?
                .to_bytes();
            let req = http::Request::from_parts(parts, body);
            let call = handler.fetch(req);
            let call = async move {
                match child {
                    Some(ctx) => ctx.scope(call).await,
                    None => call.await,
                }
            };
            let resp = tokio::time::timeout_at(deadline, call)
                .await
                .map_err(|_| timed_out())?
                .map_err(Refusal::Failed)?;
            resp.map(|b| {
                http_body_util::Full::new(b)
                    .map_err(|never| match never {})
                    .boxed_unsync()
            })
        }
        GlobalOutbound::Policy(policy) => {
            policy
                .check_target(&scheme, &host, port)
                .map_err(|d| Refusal::Denied(deny_rule(d.kind), d.to_string()))?;
            let https = scheme == "https";
            let port = port.unwrap_or(if https { 443 } else { 80 });
            tokio::time::timeout_at(
                deadline,
                connect_and_send(policy, pool, https, &host, port, request),
            )
            .await
            .map_err(|_| timed_out())??
        }
    };
    // Count and cap what comes back.
    let (parts, body) = response.into_parts();
    let capped = CappedBody {
        inner: body,
        seen: 0,
        limits,
        state: state.clone(),
        deadline: Box::pin(tokio::time::sleep_until(deadline)),
        done: false,
        url: uri.to_string(),
    };
    Ok(http::Response::from_parts(parts, capped.boxed_unsync()))
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &mut OutboundHooks,
) -> wasmtime::Result<()> {
    denial::add_to_linker::<T, wasmtime::component::HasSelf<OutboundHooks>>(linker, get)
}

impl denial::Host for OutboundHooks {
    fn denial(&mut self, url: String) -> wasmtime::Result<Option<String>> {
        Ok(self.state.lock().unwrap().denial(&url))
    }
}
