//! callroute-core: the pure heart of callroute.
//!
//! No Python, no I/O, no clock, no global RNG. Modules:
//! - [`erlang`]: Erlang B, C and A, and the staffing searches built on them.
//! - [`acd`]: the routing engine (skills, queues, offers, statistics, snapshots).
//! - [`sim`]: the discrete-event simulator that drives [`acd`] in virtual time.
//! - [`outbound`]: the outbound dialer (campaigns, contacts, pacing under an abandonment cap,
//!   the blending threshold).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod acd;
pub mod erlang;
pub mod outbound;
pub mod sim;
