//! What an outbound attempt leaves: its record (for the trace and the tail), and its refusal if
//! it got no response.

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
