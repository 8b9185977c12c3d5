//! Where the daemon keeps what outlives a request: the worker registry and the KV namespaces.
//!
//! Two backends, chosen by the daemon's `[store]` table:
//! - **redb** (the default): one embedded database file per kind under the data dir — one
//!   machine, nothing to run;
//! - **postgres**: one database shared by every replica of the daemon, so that any replica
//!   serves any worker and reads any KV write. Its schema lives in `migrations/`, applied at
//!   start under an advisory lock (replicas starting together apply each migration once).
//!
//! Both backends pass the same suites (`tests/`): the registry's versioning and per-tenant
//! limits, and KV with the Workers semantics (metadata, expiry, listing in key order with
//! cursors, quotas per tenant counted in the transaction of each write).
#![deny(missing_docs)]

pub mod coherence;
pub mod postgres;
pub mod registry;
pub mod tls;

pub use registry::{Registered, Registry, TooMany};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
