//! Names and ids: the string tables that number skills, tenants, media and not-ready
//! reasons, call ids (given, or a slot number), and the engine's id lookups.

use std::sync::Arc;

// lookups only: nothing iterates these maps, so their order never reaches a decision
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use crate::acd::error::{unknown, EngineError};

use super::model::Call;
use super::Engine;

/// A string table: ids to small integers and back. The map is rebuilt after a restore.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Names {
    pub(super) names: Vec<Arc<str>>,
    #[serde(skip)]
    pub(super) index: HashMap<Arc<str>, u32>,
}

impl Names {
    pub(super) fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub(super) fn intern(&mut self, name: &str) -> u32 {
        if let Some(i) = self.get(name) {
            return i;
        }
        let arc: Arc<str> = Arc::from(name);
        let i = self.names.len() as u32;
        self.names.push(arc.clone());
        self.index.insert(arc, i);
        i
    }

    pub(super) fn name(&self, i: u32) -> &Arc<str> {
        &self.names[i as usize]
    }

    pub(super) fn rebuild(&mut self) {
        self.index = self
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
    }
}

/// A call's id: given (public inputs) or its slot number (crate-internal inputs of the
/// simulator), which reads as that number in decimal and is made into a string only when
/// shown. Either way it serializes as the string, so a restored engine knows every call by
/// a given id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CallId {
    Str(Arc<str>),
    Num(u32),
}

impl CallId {
    pub(super) fn to_arc(&self) -> Arc<str> {
        match self {
            Self::Str(s) => s.clone(),
            Self::Num(n) => Arc::from(n.to_string()),
        }
    }

    pub(super) fn into_arc(self) -> Arc<str> {
        match self {
            Self::Str(s) => s,
            Self::Num(n) => Arc::from(n.to_string()),
        }
    }
}

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Str(s) => f.write_str(s),
            Self::Num(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for CallId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Str(s) => serializer.serialize_str(s),
            Self::Num(n) => serializer.serialize_str(&n.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for CallId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Arc::<str>::deserialize(deserializer).map(Self::Str)
    }
}

/// The slot a canonical decimal id names (no sign, no leading zeros), if any.
pub(super) fn decimal_slot(id: &str) -> Option<u32> {
    let b = id.as_bytes();
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    id.parse().ok()
}

impl Engine {
    pub(super) fn queue_index(&self, id: &str) -> Result<u32, EngineError> {
        self.queue_ids
            .get(id)
            .copied()
            .ok_or_else(|| unknown("queue", id))
    }

    pub(super) fn agent_index(&self, id: &str) -> Result<u32, EngineError> {
        self.agent_ids
            .get(id)
            .copied()
            .ok_or_else(|| unknown("agent", id))
    }

    pub(super) fn call_index(&self, id: &str) -> Result<u32, EngineError> {
        self.call_lookup(id).ok_or_else(|| unknown("call", id))
    }

    /// The slot of the live call with this id: a given id, or a slot number (a call of the
    /// crate-internal inputs).
    pub(super) fn call_lookup(&self, id: &str) -> Option<u32> {
        if let Some(&c) = self.call_ids.get(id) {
            return Some(c);
        }
        let c = decimal_slot(id)?;
        match self.calls.get(c as usize) {
            Some(call) if call.id == CallId::Num(c) => Some(c),
            _ => None,
        }
    }

    /// A call id as the error messages quote it.
    pub(super) fn quoted(&self, c: u32) -> String {
        format!("{:?}", self.call(c).id.to_string())
    }

    pub(super) fn call(&self, c: u32) -> &Call {
        self.calls.get(c as usize).expect("live call")
    }

    pub(super) fn call_mut(&mut self, c: u32) -> &mut Call {
        self.calls.get_mut(c as usize).expect("live call")
    }
}
