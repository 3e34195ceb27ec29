//! The one error type of the Erlang module, and the input checks that raise it.

use std::fmt;

/// What went wrong in an Erlang computation. Every variant names the parameter at fault.
#[derive(Clone, Debug, PartialEq)]
pub enum ErlangError {
    /// An input outside its domain: `name must be requirement, got value`.
    InvalidParameter {
        /// parameter name as the Python API spells it
        name: &'static str,
        /// the offending value
        value: f64,
        /// what the value must be, e.g. "finite and >= 0"
        requirement: &'static str,
    },
    /// A call whose arguments do not fit together (e.g. a level without a target time).
    Usage(String),
    /// A valid question without an answer in reach (e.g. a constraint no staffing can meet).
    Unreachable(String),
}

impl fmt::Display for ErlangError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidParameter {
                name,
                value,
                requirement,
            } => {
                write!(f, "{name} must be {requirement}, got ")?;
                let magnitude = value.abs();
                if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
                    write!(f, "{value:e}")
                } else {
                    write!(f, "{value}")
                }
            }
            Self::Usage(msg) | Self::Unreachable(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for ErlangError {}

impl ErlangError {
    /// The parameter this error is about, if any.
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            Self::InvalidParameter { name, .. } => Some(name),
            Self::Usage(_) | Self::Unreachable(_) => None,
        }
    }
}

/// Input checks: each returns the precise error for one parameter.
pub(crate) mod check {
    use super::ErlangError;

    #[cold]
    fn bad(name: &'static str, value: f64, requirement: &'static str) -> ErlangError {
        ErlangError::InvalidParameter {
            name,
            value,
            requirement,
        }
    }

    #[inline]
    pub fn non_negative(name: &'static str, v: f64) -> Result<(), ErlangError> {
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            Err(bad(name, v, "finite and >= 0"))
        }
    }

    #[inline]
    pub fn positive(name: &'static str, v: f64) -> Result<(), ErlangError> {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(bad(name, v, "finite and > 0"))
        }
    }

    /// Loads above this are no call center's (a billion Erlangs): refusing them keeps every
    /// series short (O(√A) terms) and every loop counter exact.
    pub const MAX_TRAFFIC: f64 = 1e9;

    #[inline]
    pub fn traffic(v: f64) -> Result<(), ErlangError> {
        non_negative("traffic", v)?;
        if v <= MAX_TRAFFIC {
            Ok(())
        } else {
            Err(bad("traffic", v, "at most 1e9 Erlangs"))
        }
    }

    #[inline]
    pub fn servers(name: &'static str, v: f64) -> Result<(), ErlangError> {
        non_negative(name, v)
    }

    /// Strictly inside (0, 1): levels, quantiles, blocking targets.
    #[inline]
    pub fn open_unit_interval(name: &'static str, v: f64) -> Result<(), ErlangError> {
        if v > 0.0 && v < 1.0 {
            Ok(())
        } else {
            Err(bad(name, v, "strictly between 0 and 1"))
        }
    }

    /// In [0, 1): retry fractions.
    #[inline]
    pub fn unit_interval_half_open(name: &'static str, v: f64) -> Result<(), ErlangError> {
        if (0.0..1.0).contains(&v) {
            Ok(())
        } else {
            Err(bad(name, v, ">= 0 and < 1"))
        }
    }

    /// In (0, 1]: occupancy caps.
    #[inline]
    pub fn occupancy_cap(name: &'static str, v: f64) -> Result<(), ErlangError> {
        if v > 0.0 && v <= 1.0 {
            Ok(())
        } else {
            Err(bad(name, v, "> 0 and <= 1"))
        }
    }
}
