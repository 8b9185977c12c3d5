//! The wasm-sandbox daemon: an HTTP API over the [`wasm_sandbox`] crate.
//!
//! - `POST /api/run` — run a one-off worker (Cloudflare's example host contract);
//! - `POST /api/get/{id}` — the `LOADER.get(id, cb)` pattern: the code is used only on a miss;
//!   `DELETE /api/get/{id}` forgets the id (and the code it is bound to);
//! - `PUT|GET|DELETE /workers/{id}` — the registry (file-backed; survives restarts);
//! - `POST /workers/{id}/rpc` — call a method of a registered worker's entrypoint;
//! - `GET /workers/{id}/tail` — its invocations, live (SSE, or NDJSON);
//! - `ANY /workers/{id}/{path...}` — forward the raw request to a registered worker's `fetch`;
//! - `GET /usage`, `GET /usage/{id}` — the tenant's metering;
//! - `GET /healthz`, `GET /metrics` (Prometheus; neither needs a token).
//!
//! A worker's `bindings` are described in `bindings` (kv, tools, service, files) and checked by
//! [`wasm_sandbox_spec::bindings`].
//!
//! Connections are served by hyper with a header-read timeout, each on one of a few connection
//! threads with their own event loop (see `threads`); requests that run workers are
//! bounded by a semaphore (`503` + `Retry-After` when saturated); bodies are size-limited (`413`)
//! and read under a timeout (`408`). Shutdown is graceful: stop accepting, let in-flight requests
//! finish within the grace period. The settings (with defaults) are documented on [`ServerConfig`].

#![warn(missing_docs, unreachable_pub)]
mod api;
mod bindings;
pub mod config;
mod handlers;
mod keys;
mod observe;
mod registry;
mod tails;
pub mod tenants;
mod threads;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wasm_sandbox::Loader;

pub use config::ServerConfig;

/// Shared by every connection.
pub(crate) struct AppState {
    pub loader: Loader,
    pub registry: registry::Registry,
    /// The KV store behind every `{"kv": ...}` binding (`<data dir>/kv.redb`).
    pub kv: Arc<dyn wasm_sandbox::kv::KvStore>,
    pub config: ServerConfig,
    pub permits: Arc<Semaphore>,
    /// Who may call, and what each tenant may reach.
    pub tenants: tenants::Tenants,
    /// The code each `/api/get/{id}` id is bound to.
    pub bound: keys::IdBindings,
    /// Tail Worker deliveries in flight.
    pub tail_deliveries: Arc<Semaphore>,
    /// TypeScript and npm: `{"files": ...}` workers are bundled here (bounded, cached).
    pub bundler: wasm_sandbox::Bundler,
    /// Set to true when the daemon shuts down (ends live tails).
    pub closing: tokio::sync::watch::Sender<bool>,
    /// Set on a shutdown signal: `/healthz` fails from then on (requests are still served for
    /// `drain_ms`).
    pub draining: std::sync::atomic::AtomicBool,
    /// This replica's name.
    pub replica: String,
    /// The shared store, when there is one.
    pub store: Option<wasm_sandbox_store::postgres::PgStore>,
}

/// Drop what this replica holds for what other replicas changed in the shared store. Registered
/// workers need nothing here: their cache key carries the record's generation, so a changed one
/// is never found again (and ages out of the cache). A binding removed elsewhere takes its warm
/// worker with it here, so the id can be given new code.
fn follow_changes(
    state: &Arc<AppState>,
    mut changes: tokio::sync::broadcast::Receiver<wasm_sandbox_store::coherence::Change>,
) {
    use tokio::sync::broadcast::error::RecvError;
    use wasm_sandbox_store::coherence::Change;
    let state = Arc::downgrade(state);
    tokio::spawn(async move {
        loop {
            let change = changes.recv().await;
            let Some(state) = state.upgrade() else { return };
            match change {
                Ok(Change::Binding(key)) => {
                    if let Some(hash) = state.bound.forget(&key) {
                        state
                            .loader
                            .forget(&keys::CacheKey::api(&key, &hash).to_string());
                    }
                }
                Ok(Change::Worker(_)) => {}
                Ok(Change::Lost) | Err(RecvError::Lagged(_)) => state.bound.forget_all(),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// A bound, ready daemon.
pub struct Daemon {
    state: Arc<AppState>,
    listener: TcpListener,
    addr: SocketAddr,
}

impl Daemon {
    /// Check the configuration, open the registry, start the engine and bind the port — in that
    /// order, so a bad setting fails before anything listens.
    pub async fn bind(config: ServerConfig) -> Result<Self> {
        let addr = config.validate()?;
        // Before the engine starts, so everything it counts is recorded.
        let replica = config.replica_name();
        observe::prometheus(&replica);
        let (registry, kv, bound, store) = match config.store.backend {
            config::StoreBackend::Redb => (
                registry::Registry::open_redb(&config.data_dir())?,
                wasm_sandbox::kv::FileKv::open(&config.data_dir().join("kv.redb"))?
                    as Arc<dyn wasm_sandbox::kv::KvStore>,
                keys::IdBindings::default(),
                None,
            ),
            config::StoreBackend::Postgres => {
                let url = config.store.url.as_deref().unwrap_or_default();
                let store = wasm_sandbox_store::postgres::PgStore::open(
                    url,
                    &wasm_sandbox_store::postgres::PgOptions {
                        max_connections: config.store.max_connections,
                        recheck: Duration::from_millis(config.store.recheck_ms),
                        ca_file: config.store.ca_file.clone(),
                    },
                )
                .await
                .context("opening the [store] database")?;
                store.spawn_reaper(Duration::from_secs(config.store.reap_interval_s));
                (
                    registry::Registry::Postgres(store.registry()),
                    store.kv() as Arc<dyn wasm_sandbox::kv::KvStore>,
                    keys::IdBindings::shared(&store),
                    Some(store),
                )
            }
        };
        let loader = Loader::new(config.engine_config())
            .await
            .context("starting the engine")?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr} (is another process listening there?)"))?;
        let addr = listener.local_addr()?;
        let permits = Arc::new(Semaphore::new(config.max_concurrent_requests));
        let tenants = tenants::Tenants::from_config(&config)?;
        let bundler = wasm_sandbox::Bundler::new(config.bundle_config());
        let state = Arc::new(AppState {
            loader,
            registry,
            kv,
            config,
            permits,
            tenants,
            bound,
            tail_deliveries: Arc::new(Semaphore::new(tails::MAX_DELIVERIES)),
            bundler,
            closing: tokio::sync::watch::channel(false).0,
            draining: Default::default(),
            replica,
            store: store.clone(),
        });
        if let Some(store) = &store {
            follow_changes(&state, store.subscribe());
        }
        Ok(Daemon {
            state,
            listener,
            addr,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve on a task of the current runtime until [`Running::stop`] (or until the handle is
    /// dropped): a daemon in-process, e.g. for tests (bind it on port 0, then ask
    /// [`Running::local_addr`]).
    pub fn spawn(self) -> Running {
        let addr = self.addr;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(self.run(async move {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Serve until `shutdown` resolves, then stop accepting and give in-flight requests up to
    /// `shutdown_grace_ms` to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let Daemon {
            state,
            listener,
            addr,
        } = self;
        let graceful = GracefulShutdown::new();
        let header_timeout = Duration::from_millis(state.config.header_read_timeout_ms);
        let http_threads = state.config.http_threads();
        let mut threads =
            threads::ConnThreads::start(http_threads).context("starting the connection threads")?;
        let clients = ClientConns::new(state.config.max_connections_per_client);
        tracing::info!(%addr, data_dir = %state.config.data_dir().display(), http_threads, replica = %state.replica, "listening");
        // On the signal, readiness fails first: `/healthz` answers 503 for `drain_ms` while
        // requests are still served, so balancers stop sending before the listener closes.
        let drain = Duration::from_millis(state.config.drain_ms);
        let draining = state.clone();
        let shutdown = async move {
            shutdown.await;
            draining
                .draining
                .store(true, std::sync::atomic::Ordering::Release);
            if !drain.is_zero() {
                tracing::info!(
                    drain_ms = drain.as_millis() as u64,
                    "draining: /healthz fails, requests still served"
                );
                tokio::time::sleep(drain).await;
            }
        };
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // Out of file descriptors and the like: back off instead of spinning.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    // Connections per client address are capped: one client cannot take every
                    // socket (and the connection threads' attention) from the others.
                    let Some(client_slot) = clients.enter(peer.ip()) else {
                        tracing::debug!(%peer, "too many connections from this client; closed");
                        drop(stream);
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    // The connection moves to its thread's event loop for good.
                    let (thread, open) = threads.pick();
                    let stream = match stream.into_std().and_then(|s| {
                        let _on = thread.enter();
                        tokio::net::TcpStream::from_std(s)
                    }) {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::debug!(%peer, error = %e, "could not move the connection to its thread");
                            continue;
                        }
                    };
                    let state = state.clone();
                    let service = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(handlers::handle(state, req, peer).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    thread.spawn(async move {
                        let _open = open;
                        let _client = client_slot;
                        if let Err(e) = conn.await {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                    });
                }
                _ = &mut shutdown => break,
            }
        }
        drop(listener);
        let _ = state.closing.send(true);
        let grace = Duration::from_millis(state.config.shutdown_grace_ms);
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "shutting down: waiting for in-flight requests"
        );
        match tokio::time::timeout(grace, graceful.shutdown()).await {
            Ok(()) => tracing::info!("all connections closed"),
            Err(_) => tracing::warn!("grace period over: closing the remaining connections"),
        }
        threads.stop().await;
        Ok(())
    }
}

/// A daemon serving on a task (see [`Daemon::spawn`]); it shuts down when stopped or dropped.
pub struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shut down gracefully (in-flight requests get the grace period) and wait for the end.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.context("the daemon's task")?
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Open connections per client address.
#[derive(Clone)]
struct ClientConns {
    max: usize,
    open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
}

/// One connection counted against its client until dropped.
struct ClientSlot(ClientConns, std::net::IpAddr);

impl ClientConns {
    fn new(max: usize) -> Self {
        ClientConns {
            max,
            open: Arc::default(),
        }
    }

    fn enter(&self, ip: std::net::IpAddr) -> Option<ClientSlot> {
        let mut open = self.open.lock().unwrap();
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(ClientSlot(self.clone(), ip))
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.0.open.lock().unwrap();
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}
