//! callroute-python: the `callroute._core` extension module.
//!
//! Translation only: extract Python inputs into Rust values, release the interpreter for
//! real work, convert results, map errors once (`errors.rs`). Users import `callroute`.

mod acd;
mod blend;
mod erlang;
mod errors;
mod outbound;
mod sim;

use pyo3::prelude::*;

#[pymodule]
mod _core {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::erlang::{
        agents_for_asa, agents_for_asa_array, agents_for_erlang_a, agents_for_erlang_a_array,
        agents_for_service_level, agents_for_service_level_array, asa, asa_array, erlang_a,
        erlang_a_array, erlang_b, erlang_b_array, erlang_b_retrial, erlang_b_retrial_array,
        erlang_c, erlang_c_array, occupancy, occupancy_array, queue_length, queue_length_array,
        servers_for_blocking, servers_for_blocking_array, service_level, service_level_array,
        wait_quantile, wait_quantile_array,
    };

    #[pymodule_export]
    use super::acd::values::{
        AgentStateChanged, AgentStats, CallInfo, CallView, Exit, IntervalStats, Offer, Overflow,
        QueueStats, Queued, Revoked, StepReached, Totals,
    };

    #[pymodule_export]
    use super::acd::PyEngine;

    #[pymodule_export]
    use super::sim::{sim_model, sim_run, SimModel};

    #[pymodule_export]
    use super::blend::{blend_check, blend_run};

    #[pymodule_export]
    use super::outbound::{blending_threshold, PyDial, PyDialer, PyPreviewOffer};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
