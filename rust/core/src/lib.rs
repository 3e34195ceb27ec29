//! callroute-core: the pure heart of callroute.
//!
//! No Python, no I/O, no clock, no global RNG. Modules:
//! - [`erlang`]: Erlang B, C and A, and the staffing searches built on them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod erlang;
