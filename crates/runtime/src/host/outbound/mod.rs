//! Outbound HTTP: what a worker's `fetch()` may reach, and how it gets there.
//!
//! The guest's only network path is `wasi:http/outgoing-handler`; every request it makes lands in
//! the host's `OutboundHooks::send_request`, which applies the worker's [`GlobalOutbound`]:
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

use std::sync::Arc;
use std::time::Duration;

pub use wasm_sandbox_policy::{Cidr, Denied, HostRule, OutboundPolicy, PolicyError};

use crate::host::services::Service;

mod body;
mod connect;
mod hooks;
pub(crate) mod record;
mod state;

pub(crate) use body::BODY_ERROR_TRAILER;
pub(crate) use connect::ConnectionPool;
pub(crate) use hooks::{add_to_linker, OutboundHooks};
pub use record::{OutboundOutcome, OutboundRecord};

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
