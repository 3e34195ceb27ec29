//! The one place where core errors become Python exceptions.
//!
//! The exception classes live in `callroute/errors.py` (they need multiple inheritance:
//! `ParameterError(CallrouteError, ValueError)`); they are looked up once and cached.

use callroute_core::erlang::ErlangError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static PARAMETER_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INFEASIBLE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn raise(py: Python<'_>, cell: &PyOnceLock<Py<PyType>>, name: &str, msg: String) -> PyErr {
    match cell.import(py, "callroute.errors", name) {
        Ok(ty) => PyErr::from_type(ty.clone(), msg),
        Err(e) => e,
    }
}

/// Where in a (broadcast) array input the error happened.
pub struct At<'a> {
    pub flat: usize,
    pub shape: &'a [usize],
}

impl At<'_> {
    fn describe(&self) -> String {
        if self.shape.is_empty() {
            return String::new();
        }
        let mut rest = self.flat;
        let mut index = vec![0usize; self.shape.len()];
        for (slot, &dim) in index.iter_mut().zip(self.shape).rev() {
            if dim > 0 {
                *slot = rest % dim;
                rest /= dim;
            }
        }
        let parts: Vec<String> = index.iter().map(usize::to_string).collect();
        let trailing = if parts.len() == 1 { "," } else { "" };
        format!(" (at index ({}{trailing}))", parts.join(", "))
    }
}

/// Map a core error onto the Python hierarchy, naming the array index when there is one.
#[cold]
pub fn to_py(py: Python<'_>, err: ErlangError, at: Option<At<'_>>) -> PyErr {
    let place = at.map(|a| a.describe()).unwrap_or_default();
    match err {
        ErlangError::InvalidParameter { .. } | ErlangError::Usage(_) => raise(
            py,
            &PARAMETER_ERROR,
            "ParameterError",
            format!("{err}{place}"),
        ),
        ErlangError::Unreachable(_) => raise(
            py,
            &INFEASIBLE_ERROR,
            "InfeasibleError",
            format!("{err}{place}"),
        ),
    }
}

/// `PyResult` for scalar calls.
pub fn scalar<T>(py: Python<'_>, r: Result<T, ErlangError>) -> PyResult<T> {
    r.map_err(|e| to_py(py, e, None))
}
