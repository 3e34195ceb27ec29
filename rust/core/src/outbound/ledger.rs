//! The rolling-window abandonment ledger of one campaign.
//!
//! Person answers and abandonments are counted in buckets of `window / 10,000` (at least
//! 1 µs); a bucket leaves the window once its end is a whole window old, so an event counts
//! for between one window and one window plus a bucket (at most 0.01 % longer) after it
//! happened. Counts are exact integers; the AMD false positives are derived from them.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Microseconds.
pub(crate) type Us = i64;

/// Buckets per window.
pub(crate) const BUCKETS: i64 = 10_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ledger {
    /// the window, µs
    window: Us,
    /// bucket width, µs
    width: Us,
    /// (bucket index, person answers, abandoned) in increasing bucket order
    buckets: VecDeque<(i64, u64, u64)>,
    /// sums over `buckets`
    answered: u64,
    abandoned: u64,
}

impl Ledger {
    pub(crate) fn new(window: Us) -> Self {
        Self {
            window,
            width: (window / BUCKETS).max(1),
            buckets: VecDeque::new(),
            answered: 0,
            abandoned: 0,
        }
    }

    fn bucket(&self, t: Us) -> i64 {
        t.div_euclid(self.width)
    }

    fn entry(&mut self, t: Us) -> &mut (i64, u64, u64) {
        let b = self.bucket(t);
        // times never go backwards: the bucket is the last one or a new one
        if self.buckets.back().is_none_or(|e| e.0 < b) {
            self.buckets.push_back((b, 0, 0));
        }
        let last = self.buckets.len() - 1;
        &mut self.buckets[last]
    }

    pub(crate) fn answered_at(&mut self, t: Us) {
        self.entry(t).1 += 1;
        self.answered += 1;
    }

    pub(crate) fn abandoned_at(&mut self, t: Us) {
        self.entry(t).2 += 1;
        self.abandoned += 1;
    }

    /// Drop the buckets whose end is a whole window old at `now`.
    pub(crate) fn expire(&mut self, now: Us) {
        while let Some(&(b, ans, ab)) = self.buckets.front() {
            let end = b.saturating_add(1).saturating_mul(self.width);
            if end.saturating_add(self.window) > now {
                break;
            }
            self.answered -= ans;
            self.abandoned -= ab;
            self.buckets.pop_front();
        }
    }

    /// Person answers and abandonments in the window (as of the last `expire`).
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.answered, self.abandoned)
    }

    /// Check a decoded ledger: buckets increasing, sums matching.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.window <= 0 || self.width != (self.window / BUCKETS).max(1) {
            return Err("ledger window or bucket width out of range".into());
        }
        let mut prev = i64::MIN;
        let (mut ans, mut ab) = (0u64, 0u64);
        for &(b, a, x) in &self.buckets {
            if b <= prev {
                return Err("ledger buckets out of order".into());
            }
            prev = b;
            ans = ans.checked_add(a).ok_or("ledger count overflows")?;
            ab = ab.checked_add(x).ok_or("ledger count overflows")?;
        }
        if ans >= 1 << 62 || ab >= 1 << 62 {
            return Err("ledger counts out of range".into());
        }
        if (ans, ab) != (self.answered, self.abandoned) {
            return Err("ledger sums do not match its buckets".into());
        }
        Ok(())
    }
}

/// Live answers and abandonments with the expected AMD false positives: each person answer
/// stands for `1 / (1 - r)` live answers, `r / (1 - r)` of them taken for machines (and so
/// abandoned: the machine path hangs up or plays a message).
pub(crate) fn with_false_positives(answered: u64, abandoned: u64, r: f64) -> (f64, f64) {
    let fp = answered as f64 * r / (1.0 - r);
    (answered as f64 + fp, abandoned as f64 + fp)
}
