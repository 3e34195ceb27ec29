//! The engine's call slots.

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{Call, CallState};
use super::names::CallId;
use crate::acd::keys::{CallKey, Rank};

/// The calls by slot number, live or free. A freed slot keeps its call, dead, and the next
/// call in that slot is written over it field by field: a call is large, and one built on the
/// stack and moved in costs a copy of all of it (read back right after it was written, which
/// also stalls the store forwarding). Serialized as a sequence of optional calls.
#[derive(Clone, Debug, Default)]
pub(super) struct Slots {
    slots: Vec<Slot>,
}

/// A call and whether it is live, side by side: a call is read after its flag, from the same
/// line, with one bounds check.
#[derive(Clone, Debug)]
struct Slot {
    live: bool,
    call: Call,
}

impl Slots {
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The live call in slot `c`, if any.
    #[inline]
    pub(super) fn get(&self, c: usize) -> Option<&Call> {
        match self.slots.get(c) {
            Some(Slot { live: true, call }) => Some(call),
            _ => None,
        }
    }

    #[inline]
    pub(super) fn get_mut(&mut self, c: usize) -> Option<&mut Call> {
        match self.slots.get_mut(c) {
            Some(Slot { live: true, call }) => Some(call),
            _ => None,
        }
    }

    /// Every slot in order: its live call, or `None`.
    pub(super) fn iter(&self) -> impl Iterator<Item = Option<&Call>> {
        self.slots.iter().map(|s| s.live.then_some(&s.call))
    }

    /// The live calls.
    pub(super) fn live(&self) -> impl Iterator<Item = &Call> {
        self.iter().flatten()
    }

    /// A new free slot, at the end.
    pub(super) fn push_free(&mut self) -> u32 {
        let c = self.slots.len() as u32;
        self.slots.push(Slot {
            live: false,
            call: blank(c),
        });
        c
    }

    /// Free slot `c`, made live for a call to be written over the dead one it holds (every
    /// field of which the caller sets).
    #[inline]
    pub(super) fn revive(&mut self, c: usize) -> &mut Call {
        let slot = &mut self.slots[c];
        debug_assert!(!slot.live, "slot {c} is live");
        slot.live = true;
        &mut slot.call
    }

    /// Free live slot `c`; its call's ids and data are let go, its room is kept.
    #[inline]
    pub(super) fn free(&mut self, c: usize) {
        let slot = &mut self.slots[c];
        slot.live = false;
        let call = &mut slot.call;
        if matches!(call.id, CallId::Str(_)) {
            call.id = CallId::Num(c as u32);
        }
        call.data.clear();
    }
}

/// A dead call for slot `c`.
fn blank(c: u32) -> Call {
    Call {
        id: CallId::Num(c),
        media: 0,
        queue: 0,
        priority: 0,
        arrival: 0,
        entered: 0,
        interval: 0,
        seq: 0,
        step: 0,
        state: CallState::Waiting,
        callback: false,
        max_wait_due: false,
        excluded: Vec::new(),
        data: Vec::new(),
        key: CallKey {
            rank: Rank::default(),
            arrival: 0,
            seq: 0,
            call: c,
        },
        step_timer: None,
        max_wait_timer: None,
        offer_timer: None,
        retry_timer: None,
    }
}

impl Serialize for Slots {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Slots {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(SlotsVisitor)
    }
}

/// Decodes the slots one by one into place (a whole `Vec<Option<Call>>` first would hold
/// every call twice).
struct SlotsVisitor;

impl<'de> Visitor<'de> for SlotsVisitor {
    type Value = Slots;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence of optional calls")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slots, A::Error> {
        let mut out = Slots::default();
        while let Some(call) = seq.next_element::<Option<Call>>()? {
            let c = out.slots.len() as u32;
            out.slots.push(Slot {
                live: call.is_some(),
                call: call.unwrap_or_else(|| blank(c)),
            });
        }
        Ok(out)
    }
}
