//! Outbound HTTP: what a worker's `fetch()` may reach, and how it gets there.
//!
//! The guest's only network path is `wasi:http/outgoing-handler`; every request it makes lands in
//! [`OutboundHooks::send_request`], which applies the worker's [`GlobalOutbound`]:
//! - [`GlobalOutbound::Deny`] (the default): refused, with a message saying so;
//! - [`GlobalOutbound::Policy`]: an allow-list (Spin's `allowed_outbound_hosts` syntax, parsed and
//!   matched by the `wasm-sandbox-policy` crate), checked on the URL; then the name is resolved
//!   here and every address is checked at connect time (SSRF defence: loopback, private,
//!   link-local, ... refused unless allowed by CIDR), and the connection goes to the address that
//!   was checked (no second lookup for a rebinding DNS server to exploit);
//! - [`GlobalOutbound::Intercept`]: handed to a [`Service`] the supervisor provides (the
//!   gateway pattern: it can add credentials the sandbox never sees).
//!
//! Limits per request ([`OutboundLimits`]): number of subrequests, a timeout per fetch, response
//! body size, total bytes received. Refusals and failures reach the script as a rejected
//! promise (`TypeError` with the reason), never as a trap, and every attempt is recorded
//! ([`OutboundRecord`]) in the invocation's [`Trace`](crate::Trace).

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

pub use wasm_sandbox_policy::{Cidr, Denied, HostRule, OutboundPolicy, PolicyError};

use crate::binding::Service;

/// What a worker's `fetch()` may do (Workers' `globalOutbound`).
#[derive(Clone, Default)]
pub enum GlobalOutbound {
    /// No outbound access (the default): every `fetch()` rejects.
    #[default]
    Deny,
    /// Direct access to what the allow-list permits (and nothing private unless allowed by CIDR).
    Policy(Arc<OutboundPolicy>),
    /// Every request goes to this handler (the same [`Service`] trait as a service binding's):
    /// the request carries the URL the script asked for (absolute), its method, headers and full
    /// body; what it returns is what the script's `fetch()` resolves to, and an `Err` rejects the
    /// script's promise with that message.
    Intercept(Arc<dyn Service>),
}

impl std::fmt::Debug for GlobalOutbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GlobalOutbound::Deny => f.write_str("Deny"),
            GlobalOutbound::Policy(p) => f.debug_tuple("Policy").field(p).finish(),
            GlobalOutbound::Intercept(_) => f.write_str("Intercept(..)"),
        }
    }
}

impl GlobalOutbound {
    /// An allow-list policy from rule and CIDR strings (see [`OutboundPolicy::new`]).
    pub fn allow<A: AsRef<str>, P: AsRef<str>>(
        allow: &[A],
        allow_private: &[P],
    ) -> Result<Self, PolicyError> {
        Ok(GlobalOutbound::Policy(Arc::new(OutboundPolicy::new(
            allow,
            allow_private,
        )?)))
    }

    /// Interception by `handler`.
    pub fn intercept(handler: impl Service) -> Self {
        GlobalOutbound::Intercept(Arc::new(handler))
    }

    /// Apply a host-wide ceiling: an allow-list is narrowed to what the ceiling also allows.
    pub(crate) fn within(self, ceiling: Option<&OutboundPolicy>) -> Self {
        match (self, ceiling) {
            (GlobalOutbound::Policy(p), Some(c)) => {
                GlobalOutbound::Policy(Arc::new((*p).clone().within(c)))
            }
            (other, _) => other,
        }
    }
}

pub use wasm_sandbox_spec::OnDenied;

/// Per-request outbound limits. Defaults: 50 subrequests, 30 s per fetch, 16 MiB per response
/// body, 64 MiB received in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundLimits {
    /// Outbound requests one incoming request may make (each redirect hop counts).
    pub max_subrequests: u32,
    /// Connect + response headers + body, per fetch.
    pub timeout: Duration,
    /// Largest response body one fetch may receive.
    pub max_response_bytes: u64,
    /// Bytes all fetches of one request may receive together.
    pub max_total_bytes: u64,
}

impl Default for OutboundLimits {
    fn default() -> Self {
        OutboundLimits {
            max_subrequests: 50,
            timeout: Duration::from_secs(30),
            max_response_bytes: 16 * 1024 * 1024,
            max_total_bytes: 64 * 1024 * 1024,
        }
    }
}

/// How an outbound attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboundOutcome {
    /// It was answered (whatever the status).
    Ok,
    /// The host refused it (policy, SSRF check, limit); the script got `HttpRequestDenied`.
    Denied,
    /// It was allowed but failed (connect, TLS, timeout, a body over its limit...).
    Failed,
}

impl OutboundOutcome {
    /// `ok`, `denied` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundOutcome::Ok => "ok",
            OutboundOutcome::Denied => "denied",
            OutboundOutcome::Failed => "failed",
        }
    }
}

impl PartialEq<&str> for OutboundOutcome {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One outbound attempt, as recorded for the tail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboundRecord {
    /// The request method.
    pub method: String,
    /// The URL asked for.
    pub url: String,
    /// `ok`, `denied` or `failed`.
    pub outcome: OutboundOutcome,
    /// The response status (`ok`).
    pub status: Option<u16>,
    /// Why it was denied or failed.
    pub reason: Option<String>,
    /// Which rule denied it: `globalOutbound-null`, `not-allowed`, `private-address`,
    /// `ceiling` or `subrequest-limit` (`None` unless denied).
    pub rule: Option<&'static str>,
    /// Time until the response headers (or the refusal).
    #[serde(rename = "durationMs")]
    pub duration_ms: u64,
}

#[derive(Default)]
pub(crate) struct CallState {
    /// The invocation the requests belong to (its tail sees each attempt).
    invocation: Option<crate::observe::InvocationCtx>,
    subrequests: u32,
    bytes: u64,
    pub(crate) records: Vec<OutboundRecord>,
    /// The reasons of this request's denials not yet asked for, by URL (see [`Self::denial`]).
    denials: std::collections::VecDeque<(String, String)>,
}

/// Most denial reasons kept for the guest to ask for (the oldest is dropped past it).
const MAX_DENIALS_KEPT: usize = 256;

impl CallState {
    /// The reason for the oldest denial of `url` not yet taken: wasi-http's
    /// `http-request-denied` carries no text, so the guest asks for it here (the
    /// `sandbox:worker/outbound` interface) to give the script the same message as before.
    pub(crate) fn denial(&mut self, url: &str) -> Option<String> {
        let at = self.denials.iter().position(|(u, _)| u == url)?;
        self.denials.remove(at).map(|(_, m)| m)
    }
}

/// Idle HTTP/1.1 connections of one worker, by `scheme://host:port`, with the address each one
/// was opened to (checked again before reuse). Per worker: tenants never share a connection.
#[derive(Default)]
pub(crate) struct ConnectionPool {
    idle: Mutex<std::collections::HashMap<String, Vec<Pooled>>>,
}

/// A pooled connection: the address it was opened to, its sender, and whether the response it
/// last carried has been read to the end (then it becomes ready as soon as its driver task has
/// run, which may be a moment after the guest saw the last byte).
type Pooled = (SocketAddr, Sender, Arc<AtomicBool>);

type Sender = hyper::client::conn::http1::SendRequest<WasiBody>;

/// Idle connections kept per `scheme://host:port`.
const IDLE_PER_TARGET: usize = 8;

impl ConnectionPool {
    /// An idle connection that can take a request now, or one whose last response was read to
    /// the end (it is waited for, briefly). Closed ones are dropped; busy ones (their response
    /// still being read, e.g. by a concurrent fetch) stay.
    async fn take(&self, key: &str) -> Option<Pooled> {
        let (addr, mut sender, done) = {
            let mut idle = self.idle.lock().unwrap();
            let list = idle.get_mut(key)?;
            list.retain(|(_, s, _)| !s.is_closed());
            if let Some(i) = list.iter().rposition(|(_, s, _)| s.is_ready()) {
                return Some(list.swap_remove(i));
            }
            let i = list
                .iter()
                .rposition(|(_, _, done)| done.load(Ordering::Acquire))?;
            list.swap_remove(i)
        };
        match tokio::time::timeout(Duration::from_millis(50), sender.ready()).await {
            Ok(Ok(())) => Some((addr, sender, done)),
            _ => None,
        }
    }

    /// Offer a connection for reuse (it becomes usable once its response body is read).
    fn put(&self, key: String, pooled: Pooled) {
        let mut idle = self.idle.lock().unwrap();
        let list = idle.entry(key).or_default();
        list.retain(|(_, s, _)| !s.is_closed());
        if list.len() < IDLE_PER_TARGET {
            list.push(pooled);
        }
    }
}

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

    pub(crate) fn set_invocation(&mut self, ctx: Option<crate::observe::InvocationCtx>) {
        self.state.lock().unwrap().invocation = ctx;
    }

    /// See [`CallState::denial`].
    pub(crate) fn denial(&self, url: &str) -> Option<String> {
        self.state.lock().unwrap().denial(url)
    }

    pub(crate) fn take_records(&mut self) -> Vec<OutboundRecord> {
        std::mem::take(&mut self.state.lock().unwrap().records)
    }
}

enum Refusal {
    /// The rule that denied it, and the message for the script.
    Denied(&'static str, String),
    Failed(String),
}

fn deny_rule(kind: wasm_sandbox_policy::DenyKind) -> &'static str {
    use wasm_sandbox_policy::DenyKind;
    match kind {
        DenyKind::NoOutbound => "globalOutbound-null",
        DenyKind::NotAllowed => "not-allowed",
        DenyKind::SpecialAddress(_) => "private-address",
        DenyKind::Ceiling => "ceiling",
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

/// Resolve, check every address, connect to a checked one, then speak HTTP/1.1 (TLS for https).
async fn connect_and_send(
    policy: &OutboundPolicy,
    pool: &ConnectionPool,
    https: bool,
    host: &str,
    port: u16,
    mut request: http::Request<WasiBody>,
) -> Result<http::Response<WasiBody>, Refusal> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    // The request line carries only the path (origin-form); Host is already set.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    *request.uri_mut() = path
        .parse()
        .map_err(|_| Refusal::Failed("invalid request path".into()))?;
    let key = format!("{}://{bare}:{port}", if https { "https" } else { "http" });
    // Reuse an idle connection of this worker to the same target, if its address still passes.
    if let Some((addr, mut sender, done)) = pool.take(&key).await {
        if policy.check_addr(bare, addr.ip()).is_ok() {
            match sender.try_send_request(request).await {
                Ok(response) => {
                    done.store(false, Ordering::Release);
                    pool.put(key, (addr, sender, done.clone()));
                    return Ok(response.map(|b| {
                        EndFlagged { inner: b, done }
                            .map_err(HttpError::from)
                            .boxed_unsync()
                    }));
                }
                Err(mut e) => match e.take_message() {
                    // Not sent (the connection went away meanwhile): open a new one below.
                    Some(r) => request = r,
                    None => {
                        return Err(Refusal::Failed(format!(
                            "request to {bare} failed: {}",
                            e.error()
                        )))
                    }
                },
            }
        }
    }
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| Refusal::Failed(format!("DNS lookup of {bare} failed: {e}")))?
            .collect(),
    };
    let mut denial = None;
    let mut last_error = None;
    let mut stream = None;
    for addr in addrs {
        if let Err(d) = policy.check_addr(bare, addr.ip()) {
            denial.get_or_insert((deny_rule(d.kind), d.to_string()));
            continue;
        }
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some(format!("connecting to {addr} ({bare}) failed: {e}")),
        }
    }
    let Some(stream) = stream else {
        return Err(match (denial, last_error) {
            (_, Some(e)) => Refusal::Failed(e),
            (Some((rule, d)), None) => Refusal::Denied(rule, d),
            (None, None) => Refusal::Failed(format!("{bare} did not resolve to any address")),
        });
    };
    let connected = stream.peer_addr().ok();
    let _ = stream.set_nodelay(true);
    let io: Box<dyn Io> = if https {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.into(),
        };
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Refusal::Failed(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = match bare.parse::<IpAddr>() {
            Ok(ip) => rustls::pki_types::ServerName::from(ip),
            Err(_) => rustls::pki_types::ServerName::try_from(bare.to_string())
                .map_err(|_| Refusal::Failed(format!("invalid TLS server name {bare}")))?,
        };
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, stream)
            .await
            .map_err(|e| Refusal::Failed(format!("TLS handshake with {bare} failed: {e}")))?;
        Box::new(tls)
    } else {
        Box::new(stream)
    };
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
            .await
            .map_err(|e| Refusal::Failed(format!("HTTP handshake with {bare} failed: {e}")))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| Refusal::Failed(format!("request to {bare} failed: {e}")))?;
    let done = Arc::new(AtomicBool::new(false));
    if let Some(addr) = connected {
        pool.put(key, (addr, sender, done.clone()));
    }
    Ok(response.map(|b| {
        EndFlagged { inner: b, done }
            .map_err(HttpError::from)
            .boxed_unsync()
    }))
}

/// A response body that flags its connection's pool entry when it has been read to the end.
struct EndFlagged {
    inner: hyper::body::Incoming,
    done: Arc<AtomicBool>,
}

impl http_body::Body for EndFlagged {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        // The end is either a final `None` or (with a known length) the last frame, after which
        // readers may stop polling.
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.done.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Io for T {}

/// Trailer through which a refused response body tells the guest why it ended. (wasmtime-wasi-
/// http 48 does not hand body-stream errors to the guest as error codes, and the guest must not
/// format host errors itself: that would show it host details.)
pub(crate) const BODY_ERROR_TRAILER: &str = "x-wasm-sandbox-error";

/// A response body that counts bytes against the per-response and per-request caps and stops
/// at the fetch's deadline. When a limit trips, the body ends with a trailer naming the limit.
struct CappedBody {
    inner: WasiBody,
    seen: u64,
    limits: OutboundLimits,
    state: Arc<Mutex<CallState>>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    done: bool,
    url: String,
}

impl CappedBody {
    fn refuse(
        &mut self,
        message: String,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        self.done = true;
        // The fetch was recorded as answered; it failed after all.
        if let Some(r) = self
            .state
            .lock()
            .unwrap()
            .records
            .iter_mut()
            .rev()
            .find(|r| r.url == self.url && r.outcome == OutboundOutcome::Ok)
        {
            r.outcome = OutboundOutcome::Failed;
            r.reason = Some(message.clone());
        }
        let mut trailers = http::HeaderMap::new();
        let value = http::HeaderValue::from_str(&message)
            .unwrap_or_else(|_| http::HeaderValue::from_static("outbound limit exceeded"));
        trailers.insert(BODY_ERROR_TRAILER, value);
        Poll::Ready(Some(Ok(http_body::Frame::trailers(trailers))))
    }
}

impl http_body::Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            let message = format!(
                "the response body did not arrive within the outbound timeout of {} ms",
                self.limits.timeout.as_millis()
            );
            return self.refuse(message);
        }
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        if let Some(data) = frame.data_ref() {
            let n = data.len() as u64;
            self.seen += n;
            if self.seen > self.limits.max_response_bytes {
                let message = format!(
                    "the response body exceeds the limit of {} bytes per fetch",
                    self.limits.max_response_bytes
                );
                return self.refuse(message);
            }
            let total = {
                let mut st = self.state.lock().unwrap();
                st.bytes += n;
                st.bytes
            };
            if total > self.limits.max_total_bytes {
                let message = format!(
                    "outbound responses exceed the limit of {} bytes per request",
                    self.limits.max_total_bytes
                );
                return self.refuse(message);
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }
}
