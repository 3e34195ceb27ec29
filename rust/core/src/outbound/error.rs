//! The dialer's one error type. Every input is validated before anything changes, so an
//! error always leaves the dialer exactly as it was.

use std::fmt;

/// What was wrong with an input to the [`Dialer`](super::Dialer). More variants may come: a
/// match on it needs a wildcard arm.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialerError {
    /// A time that is NaN, infinite, out of range, or earlier than one already seen.
    BadTime(String),
    /// An id the dialer does not know (`kind` is "campaign", "contact", "zone", ...).
    Unknown {
        /// what kind of thing was looked up
        kind: &'static str,
        /// the id as given (a contact's as `campaign/contact`)
        id: String,
    },
    /// An id that already exists (or is given twice in one input).
    Duplicate {
        /// what kind of thing was added
        kind: &'static str,
        /// the id as given
        id: String,
    },
    /// A line id above every line dialled so far.
    LineNotDialled(u64),
    /// A line that was dialled but is already closed (its outcome is known).
    LineClosed(u64),
    /// An input that does not fit the current state (accepting a preview never offered, an
    /// agent joined to a line that did not answer, ...).
    WrongState(String),
    /// A configuration value outside its domain; the message names the field.
    InvalidConfig(String),
    /// A snapshot that cannot be read.
    Snapshot(String),
}

impl fmt::Display for DialerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadTime(m) | Self::WrongState(m) | Self::InvalidConfig(m) | Self::Snapshot(m) => {
                f.write_str(m)
            }
            Self::Unknown { kind, id } => write!(f, "unknown {kind} {id:?}"),
            Self::Duplicate { kind, id } => write!(f, "{kind} {id:?} already exists"),
            Self::LineNotDialled(l) => write!(f, "line {l} was never dialled"),
            Self::LineClosed(l) => write!(f, "line {l} is already closed"),
        }
    }
}

impl std::error::Error for DialerError {}

#[cold]
pub(crate) fn unknown(kind: &'static str, id: &str) -> DialerError {
    DialerError::Unknown {
        kind,
        id: id.to_owned(),
    }
}

#[cold]
pub(crate) fn invalid(msg: String) -> DialerError {
    DialerError::InvalidConfig(msg)
}

#[cold]
pub(crate) fn wrong_state(msg: String) -> DialerError {
    DialerError::WrongState(msg)
}
