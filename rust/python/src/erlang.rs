//! Erlang functions: scalar entry points, and array kernels over flat, broadcast inputs.
//!
//! The Python layer broadcasts and flattens; here each array call extracts the inputs as
//! slices, releases the interpreter for the loop, and converts the outputs once.

use callroute_core::erlang::{self as core, ErlangATargets, ErlangError, ServiceLevelDefinition};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::errors::{new_err, scalar, to_py, At, Class};

type Arr<'py> = PyReadonlyArray1<'py, f64>;
type Out<'py> = Bound<'py, PyArray1<f64>>;

/// Run `f` over `N` equally long inputs with the interpreter released.
fn kernel<'py, const N: usize, const M: usize>(
    py: Python<'py>,
    inputs: [&Arr<'py>; N],
    shape: &[usize],
    f: impl Fn([f64; N]) -> Result<[f64; M], ErlangError> + Sync,
) -> PyResult<[Out<'py>; M]> {
    let slices: Vec<&[f64]> = inputs
        .iter()
        .map(|a| a.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| new_err(py, Class::Parameter, e.to_string()))?;
    let len = slices.first().map_or(0, |s| s.len());
    if slices.iter().any(|s| s.len() != len) {
        return Err(new_err(
            py,
            Class::Parameter,
            "inputs must have equal lengths".to_owned(),
        ));
    }
    let result = py.detach(|| {
        let mut outs: [Vec<f64>; M] = std::array::from_fn(|_| Vec::with_capacity(len));
        #[allow(clippy::needless_range_loop)] // `i` indexes every input column at once
        for i in 0..len {
            let args: [f64; N] = std::array::from_fn(|k| slices[k][i]);
            match f(args) {
                Ok(values) => {
                    for (out, v) in outs.iter_mut().zip(values) {
                        out.push(v);
                    }
                }
                Err(e) => return Err((i, e)),
            }
        }
        Ok(outs)
    });
    match result {
        Ok(outs) => Ok(outs.map(|v| v.into_pyarray(py))),
        Err((flat, e)) => Err(to_py(py, e, Some(At { flat, shape }))),
    }
}

fn one<'py, const N: usize>(
    py: Python<'py>,
    inputs: [&Arr<'py>; N],
    shape: &[usize],
    f: impl Fn([f64; N]) -> Result<f64, ErlangError> + Sync,
) -> PyResult<Out<'py>> {
    let [out] = kernel(py, inputs, shape, |args| f(args).map(|v| [v]))?;
    Ok(out)
}

/// Pair each scalar function with its array kernel.
macro_rules! elementwise {
    ($name:ident, $array:ident, $core:path, $($arg:ident),+) => {
        #[pyfunction]
        pub fn $name(py: Python<'_>, $($arg: f64),+) -> PyResult<f64> {
            scalar(py, $core($($arg),+))
        }

        #[pyfunction]
        pub fn $array<'py>(
            py: Python<'py>,
            $($arg: Arr<'py>,)+
            shape: Vec<usize>,
        ) -> PyResult<Out<'py>> {
            one(py, [$(&$arg),+], &shape, |[$($arg),+]| $core($($arg),+))
        }
    };
}

elementwise!(erlang_b, erlang_b_array, core::erlang_b, traffic, servers);
elementwise!(erlang_c, erlang_c_array, core::erlang_c, traffic, agents);
elementwise!(occupancy, occupancy_array, core::occupancy, traffic, agents);
elementwise!(
    queue_length,
    queue_length_array,
    core::queue_length,
    traffic,
    agents
);
elementwise!(asa, asa_array, core::asa, traffic, agents, aht);
elementwise!(
    service_level,
    service_level_array,
    core::service_level,
    traffic,
    agents,
    aht,
    target
);
elementwise!(
    wait_quantile,
    wait_quantile_array,
    core::wait_quantile,
    traffic,
    agents,
    aht,
    q
);
elementwise!(
    servers_for_blocking,
    servers_for_blocking_array,
    core::servers_for_blocking,
    traffic,
    blocking
);

#[pyfunction]
pub fn erlang_b_retrial(
    py: Python<'_>,
    traffic: f64,
    servers: f64,
    retry_fraction: f64,
) -> PyResult<(f64, f64)> {
    let r = scalar(py, core::erlang_b_retrial(traffic, servers, retry_fraction))?;
    Ok((r.blocking, r.offered_load))
}

#[pyfunction]
pub fn erlang_b_retrial_array<'py>(
    py: Python<'py>,
    traffic: Arr<'py>,
    servers: Arr<'py>,
    retry_fraction: Arr<'py>,
    shape: Vec<usize>,
) -> PyResult<(Out<'py>, Out<'py>)> {
    let [b, y] = kernel(
        py,
        [&traffic, &servers, &retry_fraction],
        &shape,
        |[a, n, r]| core::erlang_b_retrial(a, n, r).map(|v| [v.blocking, v.offered_load]),
    )?;
    Ok((b, y))
}

#[pyfunction]
#[pyo3(signature = (traffic, aht, target, level, max_occupancy, fractional))]
pub fn agents_for_service_level(
    py: Python<'_>,
    traffic: f64,
    aht: f64,
    target: f64,
    level: f64,
    max_occupancy: Option<f64>,
    fractional: bool,
) -> PyResult<f64> {
    scalar(
        py,
        core::agents_for_service_level(traffic, aht, target, level, max_occupancy, fractional),
    )
}

#[pyfunction]
#[pyo3(signature = (traffic, aht, target, level, shape, max_occupancy, fractional))]
#[allow(clippy::too_many_arguments)]
pub fn agents_for_service_level_array<'py>(
    py: Python<'py>,
    traffic: Arr<'py>,
    aht: Arr<'py>,
    target: Arr<'py>,
    level: Arr<'py>,
    shape: Vec<usize>,
    max_occupancy: Option<f64>,
    fractional: bool,
) -> PyResult<Out<'py>> {
    one(
        py,
        [&traffic, &aht, &target, &level],
        &shape,
        |[a, h, t, l]| core::agents_for_service_level(a, h, t, l, max_occupancy, fractional),
    )
}

#[pyfunction]
#[pyo3(signature = (traffic, aht, asa, max_occupancy, fractional))]
pub fn agents_for_asa(
    py: Python<'_>,
    traffic: f64,
    aht: f64,
    asa: f64,
    max_occupancy: Option<f64>,
    fractional: bool,
) -> PyResult<f64> {
    scalar(
        py,
        core::agents_for_asa(traffic, aht, asa, max_occupancy, fractional),
    )
}

#[pyfunction]
#[pyo3(signature = (traffic, aht, asa, shape, max_occupancy, fractional))]
pub fn agents_for_asa_array<'py>(
    py: Python<'py>,
    traffic: Arr<'py>,
    aht: Arr<'py>,
    asa: Arr<'py>,
    shape: Vec<usize>,
    max_occupancy: Option<f64>,
    fractional: bool,
) -> PyResult<Out<'py>> {
    one(py, [&traffic, &aht, &asa], &shape, |[a, h, w]| {
        core::agents_for_asa(a, h, w, max_occupancy, fractional)
    })
}

fn definition(name: &str) -> Result<ServiceLevelDefinition, ErlangError> {
    match name {
        "offered" => Ok(ServiceLevelDefinition::Offered),
        "answered" => Ok(ServiceLevelDefinition::Answered),
        "offered_minus_early_abandons" => Ok(ServiceLevelDefinition::OfferedMinusEarlyAbandons),
        other => Err(ErlangError::Usage(format!(
            "sl_definition must be 'offered', 'answered' or 'offered_minus_early_abandons', got {other:?}"
        ))),
    }
}

/// Erlang A measures in a fixed order: p_wait, p_abandon, asa, mean_wait, occupancy,
/// queue_length, service_level (NaN without a target).
fn erlang_a_row(
    a: f64,
    n: f64,
    h: f64,
    p: f64,
    target: Option<f64>,
    def: ServiceLevelDefinition,
) -> Result<[f64; 7], ErlangError> {
    let r = core::erlang_a(a, n, h, p, target, def)?;
    Ok([
        r.p_wait,
        r.p_abandon,
        r.asa,
        r.mean_wait,
        r.occupancy,
        r.queue_length,
        r.service_level.unwrap_or(f64::NAN),
    ])
}

#[pyfunction]
#[pyo3(signature = (traffic, agents, aht, patience, target, sl_definition))]
pub fn erlang_a(
    py: Python<'_>,
    traffic: f64,
    agents: f64,
    aht: f64,
    patience: f64,
    target: Option<f64>,
    sl_definition: &str,
) -> PyResult<[f64; 7]> {
    scalar(
        py,
        definition(sl_definition)
            .and_then(|d| erlang_a_row(traffic, agents, aht, patience, target, d)),
    )
}

#[pyfunction]
#[pyo3(signature = (traffic, agents, aht, patience, target, shape, sl_definition))]
#[allow(clippy::too_many_arguments)]
pub fn erlang_a_array<'py>(
    py: Python<'py>,
    traffic: Arr<'py>,
    agents: Arr<'py>,
    aht: Arr<'py>,
    patience: Arr<'py>,
    target: Option<Arr<'py>>,
    shape: Vec<usize>,
    sl_definition: &str,
) -> PyResult<[Out<'py>; 7]> {
    let def = scalar(py, definition(sl_definition))?;
    match target {
        Some(t) => kernel(
            py,
            [&traffic, &agents, &aht, &patience, &t],
            &shape,
            |[a, n, h, p, t]| erlang_a_row(a, n, h, p, Some(t), def),
        ),
        None => kernel(
            py,
            [&traffic, &agents, &aht, &patience],
            &shape,
            |[a, n, h, p]| erlang_a_row(a, n, h, p, None, def),
        ),
    }
}

#[pyfunction]
#[pyo3(signature = (traffic, aht, patience, target, level, max_abandon, max_occupancy, sl_definition, fractional))]
#[allow(clippy::too_many_arguments)]
pub fn agents_for_erlang_a(
    py: Python<'_>,
    traffic: f64,
    aht: f64,
    patience: f64,
    target: Option<f64>,
    level: Option<f64>,
    max_abandon: Option<f64>,
    max_occupancy: Option<f64>,
    sl_definition: &str,
    fractional: bool,
) -> PyResult<f64> {
    let r = definition(sl_definition).and_then(|definition| {
        let targets = ErlangATargets {
            target,
            level,
            max_abandon,
            max_occupancy,
            definition,
        };
        core::agents_for_erlang_a(traffic, aht, patience, targets, fractional)
    });
    scalar(py, r)
}

#[pyfunction]
#[pyo3(signature = (traffic, aht, patience, shape, target, level, max_abandon, max_occupancy, sl_definition, fractional))]
#[allow(clippy::too_many_arguments)]
pub fn agents_for_erlang_a_array<'py>(
    py: Python<'py>,
    traffic: Arr<'py>,
    aht: Arr<'py>,
    patience: Arr<'py>,
    shape: Vec<usize>,
    target: Option<f64>,
    level: Option<f64>,
    max_abandon: Option<f64>,
    max_occupancy: Option<f64>,
    sl_definition: &str,
    fractional: bool,
) -> PyResult<Out<'py>> {
    let definition = scalar(py, definition(sl_definition))?;
    let targets = ErlangATargets {
        target,
        level,
        max_abandon,
        max_occupancy,
        definition,
    };
    one(py, [&traffic, &aht, &patience], &shape, |[a, h, p]| {
        core::agents_for_erlang_a(a, h, p, targets, fractional)
    })
}
