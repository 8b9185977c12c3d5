//! What arrives from outside, parsed and checked before anything runs: the daemon's JSON bodies
//! ([`run`], [`bindings`]), the code a worker hands its Worker Loader ([`loader`]), a worker's module map ([`modules`], [`js`], [`cjs`]) and the values a script
//! passes to the host across the WIT boundary ([`boundary`]).
//!
//! Every input here is hostile (a tenant's request body, a script's arguments). The crate is plain
//! Rust with no wasmtime, so that each part can be fuzzed cheaply (`crates/fuzz`, run by `make
//! fuzz-smoke`), and every function answers with a message a person can act on, never a panic.
//! The runtime and the daemon turn what it returns into their own types.
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

pub mod bindings;
pub mod boundary;
pub mod cjs;
pub mod ids;
pub mod js;
pub mod loader;
pub mod modules;
pub mod run;

pub use modules::ModuleContent;

/// What a denied outbound request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDenied {
    /// The script's `fetch()` rejects with a `TypeError` naming the rule; the script may catch
    /// it and carry on (the default).
    #[default]
    Error,
    /// The invocation ends at once, uncatchably: an agent that tried to reach something it may
    /// not does not carry on (Cloudflare's "fail the execution and log the anomaly").
    Fail,
}
