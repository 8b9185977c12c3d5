//! Errors of the bundle step, each with a kind the daemon maps to an HTTP status.

use std::fmt;

/// What kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The files are wrong: a syntax error, a module not found, a bad `package.json`, an
    /// unsupported dependency spec, a tarball that breaks the unpack rules (400).
    Invalid,
    /// A package or version that does not exist, or is not cached while offline (400).
    NotFound,
    /// A package the operator's allow list does not admit (403).
    Forbidden,
    /// A tarball whose bytes do not match its `dist.integrity` (502).
    Integrity,
    /// The registry failed: unreachable, too slow, too large, malformed (502).
    Registry,
    /// The bundle step ran past its time limit (504... the daemon says 408/503).
    Timeout,
    /// Too many bundles at once (503).
    Busy,
}

/// A bundle failure with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError {
    /// Its kind.
    pub kind: ErrorKind,
    /// What happened, and where.
    pub message: String,
}

impl BundleError {
    /// A new error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        BundleError {
            kind,
            message: message.into(),
        }
    }

    /// The HTTP status the daemon answers with.
    pub fn status(&self) -> u16 {
        match self.kind {
            ErrorKind::Invalid | ErrorKind::NotFound => 400,
            ErrorKind::Forbidden => 403,
            ErrorKind::Integrity | ErrorKind::Registry => 502,
            ErrorKind::Timeout | ErrorKind::Busy => 503,
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BundleError {}
