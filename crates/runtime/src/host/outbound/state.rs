//! One request's outbound state: its running counts, its attempts so far, the reasons of its
//! denials (for the guest to ask), and the invocation's sink.

use super::record::OutboundRecord;
use crate::observe::sink::InvocationSink;

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
