//! The errors the library reports. Every variant says what went wrong in words a person can act on.

use std::time::Duration;

/// Why loading or calling a worker failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `WorkerCode` itself is unusable (no main module, a module that is not valid UTF-8 or
    /// JSON, a bad name...). Caught before any sandbox is created.
    #[error("invalid worker code: {0}")]
    InvalidCode(String),
    /// A module failed to parse. The message starts with `module:line:column`.
    #[error("syntax error: {message}")]
    Syntax {
        /// `worker.js:3:14: SyntaxError: unexpected token in expression: ')'`
        message: String,
    },
    /// A module threw while being evaluated, or the handler threw or rejected.
    #[error("uncaught exception: {message}{}", stack.as_deref().map(|s| format!("\n{s}")).unwrap_or_default())]
    Exception {
        /// `TypeError: x is not a function`
        message: String,
        /// The JS stack, `    at handler (worker.js:3:7)` lines.
        stack: Option<String>,
    },
    /// The main module has no default export.
    #[error("{0}")]
    NoDefaultExport(String),
    /// The entrypoint has no `fetch` handler, or there is no export of that name.
    #[error("{0}")]
    NoHandler(String),
    /// The handler returned something other than a `Response`.
    #[error("{0}")]
    BadReturn(String),
    /// The handler's promise waits on nothing that could ever settle it.
    #[error("{0}")]
    NeverSettled(String),
    /// The request used more CPU time than its limit. The instance was discarded.
    #[error("cpu time limit of {} ms exceeded", .limit.as_millis())]
    CpuTimeExceeded {
        /// The limit that was exceeded.
        limit: Duration,
    },
    /// The instance tried to grow its memory past its limit. The instance was discarded.
    #[error("memory limit of {} MiB exceeded", .limit / (1024 * 1024))]
    MemoryExceeded {
        /// The limit in bytes.
        limit: u64,
    },
    /// The request and the calls it made through service bindings and interception (its
    /// request tree) used more CPU time together than the tree's budget. The instance that was
    /// running was discarded.
    #[error("cpu time limit of {} ms for the request and its service calls exceeded", .limit.as_millis())]
    TreeCpuExceeded {
        /// The tree's budget.
        limit: Duration,
    },
    /// A call made through a service binding or interception was refused by its request tree's
    /// bounds (sandboxes held by the tree, or the pool's headroom for other requests).
    #[error("{0}")]
    TreeLimit(String),
    /// The worker's outbound policy says `onDenied: "fail"` and it tried to reach something it
    /// may not: the invocation was ended at that request (its response, if any, discarded).
    #[error("outbound request denied, and this worker's policy ends the invocation: {0}")]
    OutboundDenied(String),
    /// The script handed the host a value larger than the host takes in one piece (a response
    /// body, a KV value, a binding argument over 128 MiB). The instance was discarded.
    #[error("the script passed the host a value larger than 128 MiB (a response body, KV value or binding argument): {0}")]
    TooLarge(String),
    /// The request took longer (wall-clock) than its limit. The instance was discarded.
    #[error("wall time limit of {} ms exceeded", .limit.as_millis())]
    WallTimeExceeded {
        /// The limit that was exceeded.
        limit: Duration,
    },
    /// The script recursed so deeply that the wasm stack ran out. The instance was discarded.
    #[error("stack overflow: the script recursed too deeply (the wasm call stack is exhausted)")]
    StackOverflow,
    /// Every sandbox slot of the pooling allocator is in use; try again later.
    #[error("no sandbox capacity left: all {0} instance slots are in use")]
    Capacity(u32),
    /// The sandbox trapped for another reason (an engine bug, most likely). Only that instance
    /// is affected.
    #[error("the sandbox crashed: {0}")]
    Trap(String),
    /// A host-side failure (I/O, configuration, engine compilation).
    #[error(transparent)]
    Host(#[from] anyhow::Error),
}

impl Error {
    /// A short, stable name for the kind of failure (`exception`, `exceededCpu`, ...), shaped
    /// after Cloudflare's trace outcomes where one exists.
    pub fn outcome(&self) -> Outcome {
        match self {
            Error::InvalidCode(_) => Outcome::InvalidCode,
            Error::Syntax { .. } => Outcome::SyntaxError,
            Error::Exception { .. } => Outcome::Exception,
            Error::NoDefaultExport(_) | Error::NoHandler(_) => Outcome::NoHandler,
            Error::BadReturn(_) => Outcome::BadReturn,
            Error::NeverSettled(_) => Outcome::NeverSettled,
            Error::CpuTimeExceeded { .. } | Error::TreeCpuExceeded { .. } => Outcome::ExceededCpu,
            Error::TreeLimit(_) => Outcome::TreeLimit,
            Error::OutboundDenied(_) => Outcome::OutboundDenied,
            Error::TooLarge(_) => Outcome::TooLarge,
            Error::MemoryExceeded { .. } => Outcome::ExceededMemory,
            Error::WallTimeExceeded { .. } => Outcome::ExceededWallTime,
            Error::StackOverflow => Outcome::ExceededStack,
            Error::Capacity(_) => Outcome::Overloaded,
            Error::Trap(_) => Outcome::Crashed,
            Error::Host(_) => Outcome::InternalError,
        }
    }

    /// Whether the error was caused by the script (as opposed to the host or its capacity).
    pub fn is_script_error(&self) -> bool {
        !matches!(self, Error::Capacity(_) | Error::Host(_))
    }
}

/// How an invocation ended: `ok`, or the kind of its [`Error`]. [`Outcome::as_str`] is the name
/// on the wire (tail events, metrics labels, the daemon's `x-sandbox-outcome` header and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Outcome {
    /// It answered (whatever the status).
    #[default]
    Ok,
    /// [`Error::InvalidCode`].
    InvalidCode,
    /// [`Error::Syntax`].
    SyntaxError,
    /// [`Error::Exception`].
    Exception,
    /// [`Error::NoDefaultExport`] or [`Error::NoHandler`].
    NoHandler,
    /// [`Error::BadReturn`].
    BadReturn,
    /// [`Error::NeverSettled`].
    NeverSettled,
    /// [`Error::CpuTimeExceeded`] or [`Error::TreeCpuExceeded`].
    ExceededCpu,
    /// [`Error::TreeLimit`].
    TreeLimit,
    /// [`Error::OutboundDenied`].
    OutboundDenied,
    /// [`Error::TooLarge`].
    TooLarge,
    /// [`Error::MemoryExceeded`].
    ExceededMemory,
    /// [`Error::WallTimeExceeded`].
    ExceededWallTime,
    /// [`Error::StackOverflow`].
    ExceededStack,
    /// [`Error::Capacity`].
    Overloaded,
    /// [`Error::Trap`].
    Crashed,
    /// [`Error::Host`].
    InternalError,
    /// The caller gave up on the call before it ended (dropped its future).
    Canceled,
}

impl Outcome {
    /// The outcome's name on the wire, e.g. `ok`, `exceededCpu`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::InvalidCode => "invalidCode",
            Outcome::SyntaxError => "syntaxError",
            Outcome::Exception => "exception",
            Outcome::NoHandler => "noHandler",
            Outcome::BadReturn => "badReturn",
            Outcome::NeverSettled => "neverSettled",
            Outcome::ExceededCpu => "exceededCpu",
            Outcome::TreeLimit => "treeLimit",
            Outcome::OutboundDenied => "outboundDenied",
            Outcome::TooLarge => "tooLarge",
            Outcome::ExceededMemory => "exceededMemory",
            Outcome::ExceededWallTime => "exceededWallTime",
            Outcome::ExceededStack => "exceededStack",
            Outcome::Overloaded => "overloaded",
            Outcome::Crashed => "crashed",
            Outcome::InternalError => "internalError",
            Outcome::Canceled => "canceled",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Outcome {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Library result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A limit breach raised inside the sandbox (from the epoch callback or the memory limiter); it
/// travels through wasmtime as the trap's error and is turned into an [`Error`] afterwards.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LimitTrap {
    #[error("cpu time limit exceeded")]
    Cpu,
    #[error("cpu time limit of the request tree exceeded")]
    TreeCpu,
    #[error("outbound request denied")]
    OutboundDenied,
    #[error("memory limit exceeded")]
    Memory,
}
