//! An ordered set of index keys: a sorted ring buffer while small, a B-tree once large.
//!
//! A queue step's availability and waiting indices usually hold tens of keys, and keys mostly
//! arrive at the back (an agent freed now is the one idle the shortest, a call arriving now
//! waits behind the others) and leave at the front (the longest idle agent, the oldest call).
//! The ring buffer does those in O(1) with predictable branches, where a B-tree walks and
//! shifts its nodes; a key elsewhere costs a binary search and a shift of at most half the
//! buffer. Past `SMALL` keys the set becomes a B-tree (O(log n) anywhere), and back below
//! `SMALL / 2`, so that it cannot flip at every step.
//!
//! Serialized as the sequence of its keys in order: the same bytes as a `BTreeSet`.

use std::collections::{btree_set, vec_deque, BTreeSet, VecDeque};
use std::ops::{Bound, RangeBounds};

use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest size kept as a ring buffer.
const SMALL: usize = 64;

#[derive(Clone, Debug)]
pub(crate) enum OrdSet<K> {
    Small(VecDeque<K>),
    Large(BTreeSet<K>),
}

impl<K> Default for OrdSet<K> {
    fn default() -> Self {
        Self::Small(VecDeque::new())
    }
}

/// An iterator over keys in order (all, or a range).
#[derive(Clone, Debug)]
pub(crate) enum Iter<'a, K> {
    Small(vec_deque::Iter<'a, K>),
    Large(btree_set::Range<'a, K>),
}

impl<'a, K> Iterator for Iter<'a, K> {
    type Item = &'a K;

    #[inline]
    fn next(&mut self) -> Option<&'a K> {
        match self {
            Iter::Small(i) => i.next(),
            Iter::Large(i) => i.next(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Small(i) => i.size_hint(),
            Iter::Large(i) => i.size_hint(),
        }
    }
}

impl<K: Ord + Copy> OrdSet<K> {
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Self::Small(v) => v.is_empty(),
            Self::Large(t) => t.is_empty(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Small(v) => v.len(),
            Self::Large(t) => t.len(),
        }
    }

    #[inline]
    pub(crate) fn first(&self) -> Option<&K> {
        match self {
            Self::Small(v) => v.front(),
            Self::Large(t) => t.first(),
        }
    }

    pub(crate) fn contains(&self, k: &K) -> bool {
        match self {
            Self::Small(v) => v.binary_search(k).is_ok(),
            Self::Large(t) => t.contains(k),
        }
    }

    /// Add `k`; false if it was there already.
    #[inline]
    pub(crate) fn insert(&mut self, k: K) -> bool {
        match self {
            Self::Small(v) => {
                match v.back() {
                    Some(last) if *last >= k => match v.binary_search(&k) {
                        Ok(_) => return false,
                        Err(i) => v.insert(i, k),
                    },
                    // the usual case, after every key (`insert` at the end would still take
                    // its general path)
                    _ => v.push_back(k),
                }
                if v.len() > SMALL {
                    *self = Self::Large(v.iter().copied().collect());
                }
                true
            }
            Self::Large(t) => t.insert(k),
        }
    }

    /// Take `k` out; false if it was not there.
    #[inline]
    pub(crate) fn remove(&mut self, k: &K) -> bool {
        match self {
            Self::Small(v) => {
                if v.front() == Some(k) {
                    v.pop_front(); // the usual case: the first key
                    return true;
                }
                match v.binary_search(k) {
                    Ok(i) => {
                        v.remove(i);
                        true
                    }
                    Err(_) => false,
                }
            }
            Self::Large(t) => {
                let removed = t.remove(k);
                if t.len() < SMALL / 2 {
                    *self = Self::Small(t.iter().copied().collect());
                }
                removed
            }
        }
    }

    #[inline]
    pub(crate) fn iter(&self) -> Iter<'_, K> {
        match self {
            Self::Small(v) => Iter::Small(v.iter()),
            Self::Large(t) => Iter::Large(t.range(..)),
        }
    }

    /// The keys within `range`, in order (as `BTreeSet::range`, which panics on a range
    /// that starts past its end: callers pass ordered bounds).
    pub(crate) fn range<R: RangeBounds<K>>(&self, range: R) -> Iter<'_, K> {
        match self {
            Self::Small(v) => {
                let start = match range.start_bound() {
                    Bound::Included(s) => v.partition_point(|x| x < s),
                    Bound::Excluded(s) => v.partition_point(|x| x <= s),
                    Bound::Unbounded => 0,
                };
                let end = match range.end_bound() {
                    Bound::Included(e) => v.partition_point(|x| x <= e),
                    Bound::Excluded(e) => v.partition_point(|x| x < e),
                    Bound::Unbounded => v.len(),
                };
                Iter::Small(v.range(start..end.max(start)))
            }
            Self::Large(t) => Iter::Large(t.range(range)),
        }
    }
}

impl<'a, K: Ord + Copy> IntoIterator for &'a OrdSet<K> {
    type Item = &'a K;
    type IntoIter = Iter<'a, K>;

    fn into_iter(self) -> Iter<'a, K> {
        self.iter()
    }
}

impl<K: Ord + Copy> FromIterator<K> for OrdSet<K> {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        let tree: BTreeSet<K> = iter.into_iter().collect();
        if tree.len() > SMALL {
            Self::Large(tree)
        } else {
            Self::Small(tree.into_iter().collect())
        }
    }
}

impl<K: Ord + Copy + Serialize> Serialize for OrdSet<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for k in self {
            seq.serialize_element(k)?;
        }
        seq.end()
    }
}

impl<'de, K: Ord + Copy + Deserialize<'de>> Deserialize<'de> for OrdSet<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeSet::<K>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every operation answers as a `BTreeSet` does, across the switches in both ways.
        #[test]
        fn behaves_as_a_btreeset(ops in prop::collection::vec((0u8..4, 0u16..200), 0..600)) {
            let mut ours: OrdSet<u16> = OrdSet::default();
            let mut theirs: BTreeSet<u16> = BTreeSet::new();
            for (op, k) in ops {
                match op {
                    // mostly growing at the back and shrinking at the front, as queues do
                    0 => prop_assert_eq!(ours.insert(k), theirs.insert(k)),
                    1 => {
                        let k = theirs.last().map_or(k, |l| l.saturating_add(1 + k % 3));
                        prop_assert_eq!(ours.insert(k), theirs.insert(k));
                    }
                    2 => {
                        let k = theirs.first().copied().unwrap_or(k);
                        prop_assert_eq!(ours.remove(&k), theirs.remove(&k));
                    }
                    _ => prop_assert_eq!(ours.remove(&k), theirs.remove(&k)),
                }
                prop_assert_eq!(ours.len(), theirs.len());
                prop_assert_eq!(ours.first(), theirs.first());
                prop_assert_eq!(ours.contains(&k), theirs.contains(&k));
                let lo = k / 2;
                let hi = k.saturating_add(20);
                prop_assert!(ours.range(lo..hi).eq(theirs.range(lo..hi)));
                prop_assert!(ours.range(lo..=hi).eq(theirs.range(lo..=hi)));
                prop_assert!(ours.range((Bound::Excluded(lo), Bound::Unbounded))
                    .eq(theirs.range((Bound::Excluded(lo), Bound::Unbounded))));
                prop_assert!(ours.range(..hi).eq(theirs.range(..hi)));
                prop_assert!(ours.iter().eq(theirs.iter()));
            }
            let bytes = postcard::to_allocvec(&ours).unwrap();
            prop_assert_eq!(&bytes, &postcard::to_allocvec(&theirs).unwrap());
            let back: OrdSet<u16> = postcard::from_bytes(&bytes).unwrap();
            prop_assert!(back.iter().eq(theirs.iter()));
        }
    }

    #[test]
    fn switches_to_a_tree_and_back() {
        let mut s: OrdSet<u32> = OrdSet::default();
        for k in 0..=SMALL as u32 {
            s.insert(k);
        }
        assert!(matches!(s, OrdSet::Large(_)));
        for k in 0..=(SMALL as u32 / 2 + 1) {
            s.remove(&k);
        }
        assert!(matches!(s, OrdSet::Small(_)));
        assert!(s.iter().copied().eq(SMALL as u32 / 2 + 2..=SMALL as u32));
    }
}
