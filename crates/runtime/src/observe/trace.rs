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

impl Trace {
    /// This invocation as a Cloudflare `TraceItem` (what a tail worker's `tail(events)` gets):
    /// `script` is the worker's name, `event` what triggered it (`{"request": {"method", "url"}}`
    /// for a fetch, `{"rpcMethod": ...}` for a call), `status` the response's, `error` why it
    /// failed.
    pub fn trace_item(
        &self,
        script: Option<&str>,
        event: serde_json::Value,
        status: Option<u16>,
        error: Option<&crate::Error>,
    ) -> serde_json::Value {
        use serde_json::json;
        let now = now_ms();
        let started = now.saturating_sub(self.wall_time.as_millis() as u64);
        let mut event = event;
        if let (Some(status), Some(o)) = (status, event.as_object_mut()) {
            o.insert("response".into(), json!({ "status": status }));
        }
        let exceptions: Vec<serde_json::Value> = match error {
            Some(crate::Error::Exception { message, stack }) => {
                let (name, msg) = message.split_once(": ").unwrap_or(("Error", message));
                vec![json!({ "name": name, "message": msg, "stack": stack, "timestamp": now })]
            }
            _ => Vec::new(),
        };
        json!({
            "scriptName": script,
            "outcome": self.outcome,
            "eventTimestamp": started,
            "event": event,
            "logs": self.logs.iter().map(|l| json!({
                "message": [l.message],
                "level": l.level,
                "timestamp": l.timestamp_ms,
            })).collect::<Vec<_>>(),
            "exceptions": exceptions,
            "diagnosticsChannelEvents": [],
            "cpuTime": self.cpu_time.as_secs_f64() * 1e3,
            "wallTime": self.wall_time.as_secs_f64() * 1e3,
        })
    }
}
