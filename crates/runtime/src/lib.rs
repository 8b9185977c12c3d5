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
//! ```no_run
//! # async fn demo() -> Result<(), wasm_sandbox::Error> {
//! use wasm_sandbox::{Config, Loader, WorkerCode};
//! let loader = Loader::new(Config::default()).await?;
//! let worker = loader.load(WorkerCode::js(
//!     "worker.js",
//!     r#"export default { async fetch(req, env) { return Response.json({ path: new URL(req.url).pathname }); } }"#,
//! ))?;
//! let req = http::Request::get("https://worker/hello").body(bytes::Bytes::new()).unwrap();
//! let resp = worker.entrypoint(None).fetch(req).await?;
//! assert_eq!(resp.body(), r#"{"path":"/hello"}"#);
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
