//! The engine's one error type. Every input is validated before anything changes, so an
//! error always leaves the engine exactly as it was.

use std::fmt;

/// What was wrong with an input to the engine. More variants may come: a match on it needs a
/// wildcard arm.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineError {
    /// A time that is NaN, infinite, out of range, or earlier than one already seen.
    BadTime(String),
    /// An id the engine does not know (`kind` is "agent", "queue", "call", "skill", ...).
    Unknown {
        /// what kind of thing was looked up
        kind: &'static str,
        /// the id as given
        id: String,
    },
    /// An id that already exists.
    Duplicate {
        /// what kind of thing was added
        kind: &'static str,
        /// the id as given
        id: String,
    },
    /// An event that does not fit the current state (accepting an offer never made, ...).
    WrongState(String),
    /// A configuration value outside its domain.
    InvalidConfig(String),
    /// A snapshot that cannot be read.
    Snapshot(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadTime(m) | Self::WrongState(m) | Self::InvalidConfig(m) | Self::Snapshot(m) => {
                f.write_str(m)
            }
            Self::Unknown { kind, id } => write!(f, "unknown {kind} {id:?}"),
            Self::Duplicate { kind, id } => write!(f, "{kind} {id:?} already exists"),
        }
    }
}

impl std::error::Error for EngineError {}

#[cold]
pub(crate) fn unknown(kind: &'static str, id: &str) -> EngineError {
    EngineError::Unknown {
        kind,
        id: id.to_owned(),
    }
}

#[cold]
pub(crate) fn wrong_state(msg: String) -> EngineError {
    EngineError::WrongState(msg)
}

#[cold]
pub(crate) fn invalid(msg: String) -> EngineError {
    EngineError::InvalidConfig(msg)
}
