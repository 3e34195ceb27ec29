//! The simulators' event queue: a 4-ary min-heap of events keyed by (time, sequence), and the
//! clamped "now plus a drawn duration" every scheduled time goes through.

use crate::acd::keys::{us, Us};

/// The longest span a draw may put between now and an event, seconds: longer ones are cut
/// to it, which is past the end of any run (see `MAX_TIME`) and far from the ends of the
/// microsecond clock.
const MAX_SPAN: f64 = 1e12;

/// `now` plus a drawn duration in seconds: at least 1 µs later if `min_one` (a retrial must
/// move the clock), never before `now`, never overflowing.
#[inline]
pub(crate) fn after(now: Us, seconds: f64, min_one: bool) -> Us {
    // (NaN clamps to NaN, which converts to 0)
    let d = us(seconds.clamp(0.0, MAX_SPAN));
    now.saturating_add(if min_one { d.max(1) } else { d })
}

/// A scheduled event: a min-heap entry ordered by (time, sequence); sequences are unique.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scheduled<E> {
    /// (time, sequence) as one integer, in the same order (made once: the heap compares
    /// keys many times)
    pub(crate) key: u128,
    /// the event
    pub(crate) ev: E,
}

impl<E: Copy> Scheduled<E> {
    #[inline]
    pub(crate) fn new(at: Us, seq: u64, ev: E) -> Self {
        Scheduled {
            key: (u128::from((at as u64) ^ (1 << 63)) << 64) | u128::from(seq),
            ev,
        }
    }
}

/// The time of a `Scheduled` key.
#[inline]
pub(crate) fn time_of(key: u128) -> Us {
    (((key >> 64) as u64) ^ (1 << 63)) as Us
}

/// A 4-ary min-heap of scheduled events by (time, sequence): shallower than a binary heap,
/// and since sequences are unique its pop order is the same as any other priority queue's.
pub(crate) struct EventHeap<E> {
    pub(crate) items: Vec<Scheduled<E>>,
}

impl<E> Default for EventHeap<E> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

impl<E: Copy> EventHeap<E> {
    #[inline]
    pub(crate) fn peek(&self) -> Option<&Scheduled<E>> {
        self.items.first()
    }

    /// (Takes the parts, not a `Scheduled` by reference: one just made on the stack would be
    /// read back wider than it was written, and stall.)
    #[inline]
    pub(crate) fn push(&mut self, at: Us, seq: u64, ev: E) {
        let item = Scheduled::new(at, seq, ev);
        let key = item.key;
        let mut i = self.items.len();
        self.items.push(item);
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.items[parent].key <= key {
                break;
            }
            self.items[i] = self.items[parent];
            i = parent;
        }
        self.items[i] = item;
    }

    pub(crate) fn pop(&mut self) -> Option<Scheduled<E>> {
        let last = self.items.pop()?;
        let n = self.items.len();
        if n == 0 {
            return Some(last);
        }
        let top = self.items[0];
        let key = last.key;
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let (best, best_key) = if first + 4 <= n {
                // all four children: pick the least without branches
                let c = &self.items[first..first + 4];
                let (k0, k1, k2, k3) = (c[0].key, c[1].key, c[2].key, c[3].key);
                let (i01, k01) = if k1 < k0 { (1, k1) } else { (0, k0) };
                let (i23, k23) = if k3 < k2 { (3, k3) } else { (2, k2) };
                let (i, k) = if k23 < k01 { (i23, k23) } else { (i01, k01) };
                (first + i, k)
            } else {
                let mut best = first;
                let mut best_key = self.items[first].key;
                for c in first + 1..n {
                    let k = self.items[c].key;
                    if k < best_key {
                        best = c;
                        best_key = k;
                    }
                }
                (best, best_key)
            };
            if key <= best_key {
                break;
            }
            self.items[i] = self.items[best];
            i = best;
        }
        self.items[i] = last;
        Some(top)
    }
}
