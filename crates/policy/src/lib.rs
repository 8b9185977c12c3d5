//! Outbound-HTTP policy of the sandbox that runs untrusted JavaScript.
//!
//! This crate is pure: it parses and matches allow-lists and classifies addresses, it
//! never touches the network. Enforcement happens in two steps:
//!
//! 1. [`OutboundPolicy::check_target`], before DNS: may a request go to
//!    `scheme://host:port` at all? Rules use Spin's `allowed_outbound_hosts` syntax
//!    (see [`HostRule`]).
//! 2. [`OutboundPolicy::check_addr`], at connect time, for every address the name
//!    resolved to (and for IP-literal hosts): special-purpose addresses (loopback,
//!    private, link-local / cloud metadata, ...; see [`classify`]) are refused unless
//!    they fall inside one of the policy's `allow_private` [`Cidr`]s. This is the
//!    SSRF / DNS-rebinding defence: a public name resolving to `127.0.0.1` is refused
//!    even though the name itself was allowed.
//!
//! A worker's policy can be narrowed by a daemon-wide ceiling with
//! [`OutboundPolicy::within`]; a request then has to pass both.
//!
//! ```
//! use wasm_sandbox_policy::{DenyKind, OutboundPolicy};
//!
//! let policy = OutboundPolicy::new(&["https://*.example.com", "http://127.0.0.1:*"], &["127.0.0.1/32"])?;
//! assert!(policy.check_target("https", "api.example.com", None).is_ok());
//! assert!(policy.check_target("http", "0x7f000001", Some(3000)).is_ok());
//! let denied = policy.check_target("https", "example.com", None).unwrap_err();
//! assert_eq!(denied.kind, DenyKind::NotAllowed);
//! // At connect time: the allowed name must not resolve to a special-purpose address.
//! assert!(policy.check_addr("api.example.com", "169.254.169.254".parse()?).is_err());
//! assert!(policy.check_addr("127.0.0.1", "127.0.0.1".parse()?).is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs, unreachable_pub)]
mod addr;
mod cidr;
mod error;
mod policy;
mod rule;

pub use addr::{classify, embedded_ipv4, AddrClass};
pub use cidr::Cidr;
pub use error::PolicyError;
pub use policy::{Denied, DenyKind, OutboundPolicy};
pub use rule::HostRule;
