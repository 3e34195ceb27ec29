//! `Offer.data`: the call's attached data, read-only in Python.
//!
//! Each access gives a fresh `dict` behind a `types.MappingProxyType`, so the offer stays
//! immutable (and equal to itself) whatever its reader does with the mapping.

use std::hash::Hasher;
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use super::values::{DataValue, Field};

/// A call's attached data as an offer carries it, in the order it came.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferData(pub Vec<(Arc<str>, DataValue)>);

/// No attached data: the default of `Offer(..., data=...)`.
pub const NO_DATA: OfferData = OfferData(Vec::new());

static MAPPING_PROXY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

impl OfferData {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.to_py(py)
    }
}

impl Field for OfferData {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let proxy = MAPPING_PROXY.import(py, "types", "MappingProxyType")?;
        proxy.call1((self.to_dict(py)?,))
    }
    fn to_arg<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.to_dict(py)
    }
    fn shown(&self) -> bool {
        !self.0.is_empty()
    }
    fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        let py = obj.py();
        let dict = match obj.cast::<PyDict>() {
            Ok(d) => d.clone(),
            Err(_) => py
                .get_type::<PyDict>()
                .call1((obj,))
                .and_then(|d| Ok(d.cast_into::<PyDict>()?))
                .map_err(|_| PyTypeError::new_err(format!("{name} must be a mapping")))?,
        };
        Vec::<(Arc<str>, DataValue)>::from_py(&dict, name).map(OfferData)
    }
    fn hash_into<H: Hasher>(&self, h: &mut H) {
        self.0.hash_into(h);
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for OfferData {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Self::from_py(&obj.to_owned(), "data")
    }
}
