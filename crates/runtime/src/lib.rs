//! # wasm-sandbox
//!
//! Run untrusted, Workers-style JavaScript — `export default { async fetch(request, env, ctx) {…} }`
//! — each script in its own WebAssembly sandbox: a QuickJS engine component, pre-initialized at
//! build time, instantiated from a pooling allocator with copy-on-write memory.
//!
//! - [`Loader`] makes workers: [`Loader::load`] (one-off) and [`Loader::get`] (cached by id; the
//!   code closure runs only on a miss), as Cloudflare's Worker Loader does.
//! - [`Worker::entrypoint`] + [`Entrypoint::fetch`] turn an `http::Request` into the script's
//!   `http::Response`.
//! - Limits ([`Limits`]: CPU time, memory, wall time) are enforced by the host; a script that
//!   breaks one loses its instance and gets a named [`Error`]; nothing else notices.
//! - Nothing is granted by default: no files, environment, sockets or outbound HTTP.
//!
//! Every example below runs as a test (`cargo test --release --workspace`, in `make test`).
//!
//! ## Load and get
//!
//! [`Loader::load`] makes a new worker every call; [`Loader::get`] keeps one warm per id, and
//! its closure runs only on a miss, so module state survives between requests to the same id.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! use bytes::Bytes;
//! use wasm_sandbox::{Config, Loader, WorkerCode};
//!
//! let loader = Loader::new(Config::default()).await?; // compiles (or loads) the engine once
//! let request = || http::Request::get("https://worker/hello").body(Bytes::new()).unwrap();
//!
//! let worker = loader.load(WorkerCode::js(
//!     "worker.js",
//!     r#"export default { fetch(req) { return Response.json({ path: new URL(req.url).pathname }); } };"#,
//! ))?;
//! let response = worker.entrypoint(None).fetch(request()).await?;
//! assert_eq!(response.body(), r#"{"path":"/hello"}"#);
//!
//! let counter = r#"let n = 0; export default { fetch() { return new Response(String(++n)); } };"#;
//! for expected in ["1", "2"] {
//!     let (worker, miss) = loader
//!         .get_traced("tenant-7/counter", || async { Ok(WorkerCode::js("worker.js", counter)) })
//!         .await?;
//!     assert_eq!(miss, expected == "1"); // the code closure ran only the first time
//!     assert_eq!(worker.entrypoint(None).fetch(request()).await?.body(), expected);
//! }
//! # Ok(()) }
//! ```
//!
//! ## Limits
//!
//! CPU time, memory and wall time per request ([`Limits`]; defaults 50 ms, 128 MiB, 30 s). A
//! script that breaks one loses its instance and gets a named [`Error`]; the loader and every
//! other worker carry on.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! use std::time::Duration;
//! use bytes::Bytes;
//! use wasm_sandbox::{Config, Error, Limits, Loader, WorkerCode};
//!
//! let loader = Loader::new(Config::default()).await?;
//! let limits = Limits { cpu_time: Duration::from_millis(20), memory_bytes: 32 << 20, ..Limits::default() };
//! let request = || http::Request::get("https://worker/").body(Bytes::new()).unwrap();
//!
//! let spin = loader.load(
//!     WorkerCode::js("worker.js", "export default { fetch() { for (;;) {} } };").with_limits(limits),
//! )?;
//! let error = spin.entrypoint(None).fetch(request()).await.unwrap_err();
//! assert!(matches!(error, Error::CpuTimeExceeded { .. }), "{error}");
//! assert_eq!(error.outcome().as_str(), "exceededCpu");
//!
//! let hog = loader.load(WorkerCode::js(
//!     "worker.js",
//!     "export default { fetch() { const a = []; for (;;) a.push(new Array(1e6).fill(1)); } };",
//! ).with_limits(Limits { cpu_time: Duration::from_secs(2), ..limits }))?;
//! let error = hog.entrypoint(None).fetch(request()).await.unwrap_err();
//! assert_eq!(error.outcome().as_str(), "exceededMemory", "{error}");
//! # Ok(()) }
//! ```
//!
//! ## Outbound
//!
//! Nothing is reachable by default ([`GlobalOutbound::Deny`]). An allow-list
//! ([`GlobalOutbound::allow`]) permits what its rules name — private addresses only by CIDR,
//! checked again at connect time — and [`GlobalOutbound::intercept`] sends every `fetch()` to a
//! handler of the host's, which may rewrite, log, answer or refuse it. Each attempt is in the
//! [`Trace`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! use bytes::Bytes;
//! use wasm_sandbox::{Config, GlobalOutbound, Loader, OutboundOutcome, WorkerCode};
//!
//! let loader = Loader::new(Config::default()).await?;
//! let script = r#"export default { async fetch() {
//!     try { const r = await fetch("https://api.example.com/v1/user"); return new Response(await r.text()); }
//!     catch (e) { return new Response(`${e.name}: ${e.message}`, { status: 403 }); } } };"#;
//! let request = || http::Request::get("https://worker/").body(Bytes::new()).unwrap();
//!
//! // Default: denied, and the script sees why.
//! let denied = loader.load(WorkerCode::js("worker.js", script))?;
//! let invocation = denied.entrypoint(None).fetch_traced(request()).await;
//! assert_eq!(invocation.result?.status(), 403);
//! assert_eq!(invocation.trace.outbound[0].outcome, OutboundOutcome::Denied);
//!
//! // An allow-list that does not name the host: denied before any connection.
//! let policy = GlobalOutbound::allow(&["https://docs.example.com"], &[] as &[&str])?;
//! let other = loader.load(WorkerCode::js("worker.js", script).with_outbound(policy))?;
//! assert_eq!(other.entrypoint(None).fetch(request()).await?.status(), 403);
//!
//! // Intercepted: the host answers (a gateway would add credentials and forward it).
//! let gateway = GlobalOutbound::intercept(|req: http::Request<Bytes>| async move {
//!     let answer = format!("gateway saw {} {}", req.method(), req.uri());
//!     Ok::<_, String>(http::Response::new(Bytes::from(answer)))
//! });
//! let gated = loader.load(WorkerCode::js("worker.js", script).with_outbound(gateway))?;
//! let response = gated.entrypoint(None).fetch(request()).await?;
//! assert_eq!(response.body(), "gateway saw GET https://api.example.com/v1/user");
//! # Ok(()) }
//! ```
//!
//! ## Bindings
//!
//! Capabilities reach the script only as `env` bindings the host adds: a KV namespace
//! ([`kv`]: the embedded file-backed store, or your own [`kv::KvStore`]), a service answered by
//! the host ([`Binding::service`]), Code Mode tools ([`tools`]), a directory ([`files`]), a
//! Worker Loader ([`Loader::worker_loader`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! use bytes::Bytes;
//! use wasm_sandbox::kv::{FileKv, KvNamespace};
//! use wasm_sandbox::{Binding, Config, Loader, WorkerCode};
//!
//! let loader = Loader::new(Config::default()).await?;
//! let dir = std::env::temp_dir().join(format!("wasm-sandbox-doc-{}", std::process::id()));
//! let store = FileKv::open(&dir.join("kv.redb"))?;
//! let script = r#"export default { async fetch(req, env) {
//!     await env.NOTES.put("greeting", "hello");
//!     const who = await (await env.USERS.fetch("https://users/me")).text();
//!     return new Response(`${await env.NOTES.get("greeting")} ${who}`);
//! } };"#;
//! let code = WorkerCode::js("worker.js", script)
//!     .with_binding("NOTES", Binding::Kv(KvNamespace::new(store.clone(), "notes")?))
//!     .with_binding("USERS", Binding::service(|_req: http::Request<Bytes>| async {
//!         Ok(http::Response::new(Bytes::from("agent-7")))
//!     }));
//! let worker = loader.load(code)?;
//! let request = http::Request::get("https://worker/").body(Bytes::new())?;
//! assert_eq!(worker.entrypoint(None).fetch(request).await?.body(), "hello agent-7");
//!
//! // The write is in the store, for the host (or the next worker bound to it) to read.
//! let notes = KvNamespace::new(store, "notes")?;
//! assert_eq!(notes.get("greeting").await.map_err(anyhow::Error::msg)?.unwrap().value, b"hello");
//! # drop(notes); std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod code;
mod config;
mod engine;
mod error;
mod host;
mod loader;
pub mod observe;
mod pool;
mod sandbox;
pub mod sched;
mod service;
pub mod standalone;
mod tree;
#[allow(unreachable_pub, missing_docs)]
mod wit;
mod worker;

pub use code::{ModuleContent, WorkerCode, MAX_CODE_BYTES};
pub use config::{Config, Limits};
pub use error::{Error, Outcome, Result};
pub use host::calls::MAX_CALLS_PER_REQUEST;
pub use host::loader::MAX_CHILDREN_PER_REQUEST;
pub use host::services::{CallFuture, Service, ServiceFuture, StatusText};
pub use host::{files, kv, outbound, tools, Binding, Bindings, WorkerLoader};
pub use loader::{CacheStats, Loader, PoolStats, MAX_CACHED_CHILDREN_PER_LOADER};
pub use observe::tails::{MAX_TAIL_DELIVERIES, MAX_TAIL_DELIVERIES_PER_ACCOUNT};
pub use observe::trace::{Level, LogLine, Trace};
pub use observe::{
    AccountUsage, DayUsage, Tail, TailEvent, TailItem, TailKind, Trigger, Usage, WorkerUsage,
};
pub use outbound::{
    GlobalOutbound, OnDenied, OutboundLimits, OutboundOutcome, OutboundPolicy, OutboundRecord,
};
pub use sandbox::clock::Clock;
pub use sandbox::trim::TrimStats;
pub use service::HttpService;
pub use tree::{TreeLimits, MAX_SERVICE_DEPTH};
/// TypeScript and npm packages: the bundle step (see [`Bundler`], [`WorkerCode::from_files`]).
pub use wasm_sandbox_bundle as bundle;
pub use wasm_sandbox_bundle::{BundleConfig, BundleError, Bundled, Bundler, Files, NpmConfig};
pub use worker::{
    Body, BodyError, Entrypoint, Finished, Invocation, RequestBody, Streaming, Worker,
};
