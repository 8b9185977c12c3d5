//! What one invocation did: console lines, CPU and wall time, outcome. The daemon returns it as
//! `logs`; the tail and metrics build on it.

use std::time::{Duration, SystemTime};

/// Console level, as the script called it (`console.log`, `console.warn`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Level {
    Debug,
    Info,
    Log,
    Warn,
    Error,
}

/// One console line.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogLine {
    /// The console method's level.
    pub level: Level,
    /// The formatted message.
    pub message: String,
    /// When it was written (host clock), milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl LogLine {
    pub(crate) fn new(level: Level, message: String) -> Self {
        LogLine {
            level,
            message,
            timestamp_ms: now_ms(),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The record of one invocation.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Console output, in order.
    pub logs: Vec<LogLine>,
    /// CPU time used (instance creation and module evaluation included on a cold start).
    pub cpu_time: Duration,
    /// Wall-clock time from the call to its result.
    pub wall_time: Duration,
    /// Whether a fresh instance was created (and the worker's modules evaluated) for this call.
    pub cold: bool,
    /// `ok`, or the failure's [`Error::outcome`](crate::Error::outcome).
    pub outcome: crate::Outcome,
    /// Every outbound request attempted (allowed, denied with the reason, failed).
    pub outbound: Vec<crate::host::outbound::record::OutboundRecord>,
}
