//! The engine's timers: one ordered map, plus FIFO lanes for timers that are armed a fixed
//! span after the (monotone) clock, so that their deadlines come in arming order. A lane
//! timer is armed and disarmed in O(1) at the back and front (an offer answered at once
//! costs no tree node); one disarmed in the middle is marked dead and dropped when it
//! reaches the front, so a lane's front is always live and the earliest deadline is exact.
//!
//! Serialized as the one map `(deadline, sequence) -> timer` of every live timer, the same
//! bytes as a plain map; deserialized, every timer is in the map (which works the same).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::keys::Us;

/// (deadline, sequence): sequences are unique, so keys are.
pub(crate) type TimerKey = (Us, u64);

#[derive(Clone, Debug)]
struct Lane<V> {
    span: Us,
    /// in key order; `None` marks a disarmed timer (never at the front)
    timers: VecDeque<(TimerKey, Option<V>)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Timers<V> {
    map: BTreeMap<TimerKey, V>,
    lanes: Vec<Lane<V>>,
}

impl<V> Default for Timers<V> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            lanes: Vec::new(),
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
        let lane = match self.lanes.iter().position(|l| l.span == span) {
            Some(i) => &mut self.lanes[i],
            None => {
                self.lanes.push(Lane {
                    span,
                    timers: VecDeque::new(),
                });
                self.lanes.last_mut().expect("just pushed")
            }
        };
        debug_assert!(lane.timers.back().is_none_or(|&(k, _)| k < key));
        lane.timers.push_back((key, Some(timer)));
    }

    /// Disarm the timer of `key` (in a lane or the map), if armed.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<V> {
        for lane in &mut self.lanes {
            let Ok(i) = lane.timers.binary_search_by_key(&key, |&(k, _)| k) else {
                continue;
            };
            let timer = lane.timers[i].1.take();
            if i == 0 {
                Self::clean(lane);
            }
            if timer.is_some() {
                return timer;
            }
        }
        self.map.remove(&key)
    }

    /// Drop the dead timers at the front of a lane.
    fn clean(lane: &mut Lane<V>) {
        while lane.timers.front().is_some_and(|(_, t)| t.is_none()) {
            lane.timers.pop_front();
        }
    }

    /// The earliest timer.
    pub(crate) fn first(&self) -> Option<(TimerKey, V)> {
        let mut best = self.map.first_key_value().map(|(&k, &v)| (k, v));
        for lane in &self.lanes {
            if let Some(&(k, Some(v))) = lane.timers.front() {
                if best.is_none_or(|(b, _)| k < b) {
                    best = Some((k, v));
                }
            }
        }
        best
    }

    /// Disarm and return the earliest timer if it is due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Us) -> Option<(TimerKey, V)> {
        let (key, timer) = self.first()?;
        if key.0 > now {
            return None;
        }
        self.remove(key);
        Some((key, timer))
    }

    pub(crate) fn contains(&self, key: TimerKey) -> bool {
        self.map.contains_key(&key)
            || self.lanes.iter().any(|l| {
                l.timers
                    .binary_search_by_key(&key, |&(k, _)| k)
                    .is_ok_and(|i| l.timers[i].1.is_some())
            })
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
            lanes: Vec::new(),
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
