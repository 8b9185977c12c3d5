//! Where a sandbox's capabilities report what happens during an invocation, as it happens: a
//! small trait, so that the host side (console, outbound) does not depend on the observer (which
//! depends on them for its event types).

use std::sync::Arc;

use crate::host::outbound::record::OutboundRecord;
use crate::observe::trace::Level;

/// Receives an invocation's console lines and outbound attempts when they happen.
pub(crate) trait Sink: Send + Sync {
    /// One `console.*` line.
    fn log(&self, level: Level, message: &str);
    /// One outbound attempt, once decided (answered, denied or failed).
    fn outbound(&self, record: &OutboundRecord);
}

/// The sink of the invocation running now, if any.
pub(crate) type InvocationSink = Option<Arc<dyn Sink>>;
