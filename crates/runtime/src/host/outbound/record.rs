//! What one request's outbound attempts leave: each attempt's record (for the trace and the
//! tail), its refusal if any, and the request's running counts.

use crate::observe::sink::InvocationSink;

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
    pub(crate) invocation: InvocationSink,
    pub(crate) subrequests: u32,
    pub(crate) bytes: u64,
    pub(crate) records: Vec<OutboundRecord>,
    /// The reasons of this request's denials not yet asked for, by URL (see [`Self::denial`]).
    pub(crate) denials: std::collections::VecDeque<(String, String)>,
}

/// Most denial reasons kept for the guest to ask for (the oldest is dropped past it).
pub(crate) const MAX_DENIALS_KEPT: usize = 256;

impl CallState {
    /// The reason for the oldest denial of `url` not yet taken: wasi-http's
    /// `http-request-denied` carries no text, so the guest asks for it here (the
    /// `sandbox:worker/outbound` interface) to give the script the same message as before.
    pub(crate) fn denial(&mut self, url: &str) -> Option<String> {
        let at = self.denials.iter().position(|(u, _)| u == url)?;
        self.denials.remove(at).map(|(_, m)| m)
    }
}

/// Why an attempt got no response.
pub(crate) enum Refusal {
    /// The rule that denied it, and the message for the script.
    Denied(&'static str, String),
    Failed(String),
}

/// The rule name of a policy denial.
pub(crate) fn deny_rule(kind: wasm_sandbox_policy::DenyKind) -> &'static str {
    use wasm_sandbox_policy::DenyKind;
    match kind {
        DenyKind::NoOutbound => "globalOutbound-null",
        DenyKind::NotAllowed => "not-allowed",
        DenyKind::SpecialAddress(_) => "private-address",
        DenyKind::Ceiling => "ceiling",
    }
}
