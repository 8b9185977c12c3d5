//! The direct path: resolve, check every address (SSRF), connect to a checked one, speak
//! HTTP/1.1 (TLS for https), and keep idle connections per worker.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use super::record::{deny_rule, Refusal};
use super::OutboundPolicy;

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

/// Resolve, check every address, connect to a checked one, then speak HTTP/1.1 (TLS for https).
pub(crate) async fn connect_and_send(
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
