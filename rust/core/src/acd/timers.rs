//! The engine's timers: one ordered map, plus FIFO lanes for timers that are armed a fixed
//! span after the (monotone) clock, so that their deadlines come in arming order. A lane
//! timer is armed and disarmed in O(1) at the back and front (an offer answered at once
//! costs no tree node); one disarmed in the middle is marked dead and dropped when it
//! reaches the front, so a lane's front is always live and the earliest deadline is exact.
//!
//! Lanes are found by span through a hash index, and a lane is freed as soon as it empties
//! (its buffer kept for the next lane), so only the spans with timers pending cost anything:
//! finding the earliest timer and disarming one look at the fronts of the live lanes only.
//!
//! Serialized as the one map `(deadline, sequence) -> timer` of every live timer, the same
//! bytes as a plain map; deserialized, every timer is in the map (which works the same).

use std::collections::{BTreeMap, VecDeque};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::keys::Us;

/// (deadline, sequence): sequences are unique, so keys are.
pub(crate) type TimerKey = (Us, u64);

/// A lane's timers in key order; `None` marks a disarmed timer (never at the front, and
/// never at the back of a lane that is kept: a lane is never empty).
type Queue<V> = VecDeque<(TimerKey, Option<V>)>;

#[derive(Clone, Debug)]
struct Lane<V> {
    span: Us,
    timers: Queue<V>,
}

impl<V> Lane<V> {
    /// Where `key` is in the lane, if it is (a key outside the lane's range is rejected
    /// without a search).
    fn find(&self, key: TimerKey) -> Option<usize> {
        let (Some(front), Some(back)) = (self.timers.front(), self.timers.back()) else {
            return None;
        };
        if key < front.0 || key > back.0 {
            return None;
        }
        self.timers.binary_search_by_key(&key, |&(k, _)| k).ok()
    }
}

/// Buffers of freed lanes kept for new ones (a lane that empties after every offer
/// answered at once would otherwise allocate for each offer).
const SPARE: usize = 4;

#[derive(Clone, Debug)]
pub(crate) struct Timers<V> {
    map: BTreeMap<TimerKey, V>,
    /// the lanes with timers, in no order
    lanes: Vec<Lane<V>>,
    /// span -> index in `lanes`
    index: FxHashMap<Us, usize>,
    spare: Vec<Queue<V>>,
}

impl<V> Default for Timers<V> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            lanes: Vec::new(),
            index: FxHashMap::default(),
            spare: Vec::new(),
        }
    }
}

impl<V: Copy> Timers<V> {
    pub(crate) fn insert(&mut self, key: TimerKey, timer: V) {
        self.map.insert(key, timer);
    }

    /// Arm a timer due `span` after the clock: its key must follow every key armed with the
    /// same span so far (a monotone clock and increasing sequences give that).
    pub(crate) fn insert_lane(&mut self, key: TimerKey, timer: V, span: Us) {
        let i = match self.index.get(&span) {
            Some(&i) => i,
            None => {
                let i = self.lanes.len();
                self.lanes.push(Lane {
                    span,
                    timers: self.spare.pop().unwrap_or_default(),
                });
                self.index.insert(span, i);
                i
            }
        };
        let lane = &mut self.lanes[i];
        debug_assert!(lane.timers.back().is_none_or(|&(k, _)| k < key));
        lane.timers.push_back((key, Some(timer)));
    }

    /// Disarm the timer of `key` (in a lane or the map), if armed.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<V> {
        for l in 0..self.lanes.len() {
            let Some(i) = self.lanes[l].find(key) else {
                continue;
            };
            let timer = self.lanes[l].timers[i].1.take();
            self.clean(l);
            if timer.is_some() {
                return timer;
            }
        }
        self.map.remove(&key)
    }

    /// Drop the dead timers at both ends of lane `l`, and the lane if that empties it.
    fn clean(&mut self, l: usize) {
        let timers = &mut self.lanes[l].timers;
        while timers.front().is_some_and(|(_, t)| t.is_none()) {
            timers.pop_front();
        }
        while timers.back().is_some_and(|(_, t)| t.is_none()) {
            timers.pop_back();
        }
        if !timers.is_empty() {
            return;
        }
        let lane = self.lanes.swap_remove(l);
        self.index.remove(&lane.span);
        if let Some(moved) = self.lanes.get(l) {
            self.index.insert(moved.span, l);
        }
        if self.spare.len() < SPARE {
            self.spare.push(lane.timers);
        }
    }

    /// The earliest timer, and the lane it is at the front of (`None`: the map).
    fn earliest(&self) -> Option<(TimerKey, V, Option<usize>)> {
        let mut best = self.map.first_key_value().map(|(&k, &v)| (k, v, None));
        for (l, lane) in self.lanes.iter().enumerate() {
            if let Some(&(k, Some(v))) = lane.timers.front() {
                if best.is_none_or(|(b, _, _)| k < b) {
                    best = Some((k, v, Some(l)));
                }
            }
        }
        best
    }

    /// The earliest timer.
    pub(crate) fn first(&self) -> Option<(TimerKey, V)> {
        self.earliest().map(|(k, v, _)| (k, v))
    }

    /// Disarm and return the earliest timer if it is due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Us) -> Option<(TimerKey, V)> {
        let (key, timer, lane) = self.earliest()?;
        if key.0 > now {
            return None;
        }
        match lane {
            Some(l) => {
                self.lanes[l].timers.pop_front();
                self.clean(l);
            }
            None => {
                self.map.remove(&key);
            }
        }
        Some((key, timer))
    }

    pub(crate) fn contains(&self, key: TimerKey) -> bool {
        self.map.contains_key(&key)
            || self
                .lanes
                .iter()
                .any(|l| l.find(key).is_some_and(|i| l.timers[i].1.is_some()))
    }

    /// Every armed timer, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (TimerKey, V)> + '_ {
        self.map.iter().map(|(&k, &v)| (k, v)).chain(
            self.lanes
                .iter()
                .flat_map(|l| l.timers.iter().filter_map(|&(k, v)| v.map(|v| (k, v)))),
        )
    }
}

impl<V: Copy + Serialize> Serialize for Timers<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut all: Vec<(TimerKey, V)> = self.iter().collect();
        all.sort_unstable_by_key(|&(k, _)| k);
        let mut map = serializer.serialize_map(Some(all.len()))?;
        for (k, v) in &all {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Timers<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            map: BTreeMap::deserialize(deserializer)?,
            ..Self::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_and_map_pop_in_key_order() {
        let mut t: Timers<u32> = Timers::default();
        t.insert((5, 1), 1);
        t.insert_lane((3, 2), 2, 3);
        t.insert_lane((4, 3), 3, 3);
        t.insert_lane((6, 4), 4, 5);
        t.insert((4, 5), 5);
        t.insert_lane((7, 6), 6, 3);
        assert_eq!(t.remove((4, 3)), Some(3)); // middle: marked dead
        assert!(!t.contains((4, 3)));
        assert!(t.contains((7, 6)));
        assert_eq!(t.remove((4, 3)), None);
        let mut order = Vec::new();
        while let Some((k, v)) = t.pop_due(100) {
            order.push((k, v));
        }
        assert_eq!(
            order,
            vec![
                ((3, 2), 2),
                ((4, 5), 5),
                ((5, 1), 1),
                ((6, 4), 4),
                ((7, 6), 6)
            ]
        );
        assert!(t.first().is_none());
    }

    #[test]
    fn lanes_are_found_by_span_and_freed_when_empty() {
        let mut t: Timers<u64> = Timers::default();
        // 50 spans, three timers each, armed in key order (deadline = clock + span)
        let mut armed = Vec::new();
        for clock in 0..3i64 {
            for span in 1..=50i64 {
                let key = (clock * 1000 + span * 10, (clock * 50 + span) as u64);
                t.insert_lane(key, key.1, span);
                armed.push(key);
            }
        }
        assert_eq!(t.lanes.len(), 50);
        // disarm the middle timer of every lane, and every timer of the odd spans
        for &(d, s) in &armed {
            let span = (s - 1) % 50 + 1;
            if span % 2 == 1 || (d / 1000) == 1 {
                assert_eq!(t.remove((d, s)), Some(s));
                assert!(!t.contains((d, s)));
            }
        }
        assert_eq!(t.lanes.len(), 25, "lanes of the odd spans freed");
        assert_eq!(t.index.len(), 25);
        for (l, lane) in t.lanes.iter().enumerate() {
            assert_eq!(t.index[&lane.span], l);
            assert_eq!(
                lane.timers.len(),
                3,
                "the middle one is dead, not yet dropped"
            );
        }
        // the rest pop in key order, and every lane is gone after
        let mut want: Vec<TimerKey> = armed
            .iter()
            .copied()
            .filter(|&(d, s)| ((s - 1) % 50 + 1) % 2 == 0 && d / 1000 != 1)
            .collect();
        want.sort_unstable();
        let mut got = Vec::new();
        while let Some((k, v)) = t.pop_due(i64::MAX) {
            assert_eq!(k.1, v);
            got.push(k);
        }
        assert_eq!(got, want);
        assert!(t.lanes.is_empty() && t.index.is_empty());
        assert!(t.spare.len() <= SPARE);
        // a freed span arms again
        t.insert_lane((5000, 999), 999, 7);
        assert_eq!(t.first(), Some(((5000, 999), 999)));
    }

    #[test]
    fn serializes_as_a_plain_map() {
        let mut t: Timers<u32> = Timers::default();
        let mut m: BTreeMap<TimerKey, u32> = BTreeMap::new();
        for (i, k) in [(9, 1), (2, 2), (3, 3), (3, 4), (8, 5)]
            .into_iter()
            .enumerate()
        {
            let v = i as u32;
            if i % 2 == 0 {
                t.insert(k, v);
            } else {
                t.insert_lane(k, v, 1);
            }
            m.insert(k, v);
        }
        t.insert_lane((10, 6), 99, 1);
        t.remove((10, 6));
        let bytes = postcard::to_allocvec(&t).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&m).unwrap());
        let back: Timers<u32> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(
            back.iter().collect::<Vec<_>>(),
            m.into_iter().collect::<Vec<_>>()
        );
    }
}
