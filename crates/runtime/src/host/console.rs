//! `console.*`: the `sandbox:worker/host` interface. Lines are kept for the invocation's
//! [`Trace`](crate::Trace) (capped per request) and handed to its live tail as they happen.

use wasmtime::component::{HasSelf, Linker};

use crate::observe::sink::InvocationSink;
use crate::observe::trace::{Level, LogLine};
use crate::wit::sandbox::worker::host::{self as console, LogLevel};

/// Most console output kept per request; beyond it lines are dropped and one marker is added.
const MAX_LOG_BYTES: usize = 1024 * 1024;
/// What one console line costs against [`MAX_LOG_BYTES`] besides its text.
const LOG_LINE_OVERHEAD: usize = 64;

/// The current invocation's console output.
#[derive(Default)]
pub(crate) struct ConsoleCtx {
    logs: Vec<LogLine>,
    bytes: usize,
    truncated: bool,
    /// The invocation running now (its tail sees each line).
    pub(crate) sink: InvocationSink,
}

impl ConsoleCtx {
    /// The lines written since the last take; the budget starts again.
    pub(crate) fn take(&mut self) -> Vec<LogLine> {
        self.bytes = 0;
        self.truncated = false;
        std::mem::take(&mut self.logs)
    }
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut ConsoleCtx,
) -> wasmtime::Result<()> {
    console::add_to_linker::<T, HasSelf<ConsoleCtx>>(linker, get)
}

impl console::Host for ConsoleCtx {
    fn console(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        if self.truncated {
            return Ok(());
        }
        // Each line is charged its overhead too (level, timestamp, framing in a reply), so a
        // flood of empty lines cannot grow a reply past the cap either.
        let charge = message.len() + LOG_LINE_OVERHEAD;
        if self.bytes + charge > MAX_LOG_BYTES {
            self.truncated = true;
            let marker =
                format!("[wasm-sandbox] console output beyond {MAX_LOG_BYTES} bytes was dropped");
            if let Some(sink) = &self.sink {
                sink.log(Level::Warn, &marker);
            }
            self.logs.push(LogLine::new(Level::Warn, marker));
            return Ok(());
        }
        self.bytes += charge;
        let level = match level {
            LogLevel::Debug => Level::Debug,
            LogLevel::Info => Level::Info,
            LogLevel::Log => Level::Log,
            LogLevel::Warn => Level::Warn,
            LogLevel::Error => Level::Error,
        };
        if let Some(sink) = &self.sink {
            sink.log(level, &message);
        }
        self.logs.push(LogLine::new(level, message));
        Ok(())
    }
}
