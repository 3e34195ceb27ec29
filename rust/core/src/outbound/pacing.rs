//! Predictive pacing: how many lines to have open.
//!
//! With answer probability `p` per line, `f` agents free now plus expected to free up within
//! the ring time, and `N` lines open in all (those already ringing included), the number of
//! people answered is `Y ~ Bin(N, p)` and the expected number abandoned `E[(Y - f)+]`. The
//! campaign's rolling rate stays under the cap in expectation when
//!
//! ```text
//! E[(Y - f)+] <= cap · E[Y] + B,     B = cap × answered in the window − abandoned in it
//! ```
//!
//! i.e. `E[(Y - f)+] / E[Y] <= cap + B / E[Y]`: the cap plus the remaining budget of the
//! window spread over the expected answers. The pacer takes the largest such `N`, never more
//! than `max_lines_per_agent × f`, and never fewer than the agents free now (lines that
//! cannot outnumber free agents cannot abandon anyone: what progressive dialing would do),
//! less those inbound calls would take first ("Inbound calls" below).
//!
//! `h(N) = E[(Bin(N, p) - f)+]` is computed incrementally: one more line adds
//! `p · E[min(1, (Y_N + 1 - f)+)] = p · (P(Y_N >= m + 1) + (1 - φ) P(Y_N = m))` with
//! `m = ⌊f⌋`, `φ = f - m`. Both terms follow `N` by recurrences (the tail gains
//! `p · P(Y_N = m)`; the point mass is multiplied by `q (N + 1) / (N + 1 - m)`), so a
//! decision costs O(N) multiplications and no binomial sums; the stretch where
//! `P(Y_N = m) < e^-40` (far below the mean, where nothing can be abandoned to 18 digits)
//! is skipped by a binary search on the closed form of that point mass, and once the point
//! mass underflows past the mode, `g` is linear and solved in closed form. The work is
//! bounded by the width of the binomial's bulk, not by the ceiling. The increment grows with `N`
//! (convexity), so the scan stops at the first infeasible `N` past which the slack shrinks.
//!
//! ## The confidence margin
//!
//! Spending `B` in full puts the window's rate *on* the cap in expectation: about every
//! other window would end above it. The campaign's `abandon_risk` `r` is the largest
//! allowed probability that the window's rate ends above the cap, and the pacer spends
//! `B_r = μ_r(cap · A) − abandoned` instead of `B`, with `A` the answers the window holds
//! and `μ_r(c)` ([`abandon_allowance`]) the largest mean `μ <= c` of a Poisson count that
//! exceeds `c` with probability at most `r`:
//!
//! ```text
//! μ_r(c) = min(c, μ*),   P(Poisson(μ*) <= ⌊c⌋) = 1 − r   (μ* the r-quantile of Gamma(⌊c⌋ + 1, 1))
//! ```
//!
//! The derivation and its assumptions:
//! 1. A window's abandonments are many rare, nearly independent events (each answered line
//!    is abandoned with a small probability, the outcome of its own decision), so their
//!    count `D` is close to Poisson: its variance is its mean (the binomial variance
//!    `Σ π(1 − π)` of small chances `π`, a little above it when lines of one decision
//!    compete for the same agents).
//! 2. The window's rate ends above the cap when `D > cap · A`, with `A` the answers it
//!    holds then. The pacer reads `A` now, as the best guess of the window it is filling
//!    (a window that grows only raises the allowance: `μ_r` rises with `c`), and plans the
//!    window's abandonments (those already counted plus the expected of the lines open)
//!    at `μ_r(cap · A)`, so that `P(D > cap · A) <= r`.
//! 3. It treats the whole window's count as random although the abandonments already
//!    counted are known: conservative, the feedback (a window over its allowance holds the
//!    pacer at the floor) corrects the past; the slack absorbs what the model ignores (the
//!    estimated answer rate, the agents expected to free up).
//! 4. Abandonments come in clusters (one shortage of agents abandons `X = (Y − f)+`
//!    people at once), so the count is compound Poisson: its variance is
//!    `φ = E[X²] / E[X]` times its mean ([`abandon_dispersion`], from the binomial model of
//!    the decision). The pacer decides once with the Poisson margin, takes `φ` at the lines
//!    so chosen, and, when `φ > 1`, decides again with the margin widened to
//!    `√φ · (cap · A − μ_r)` (the normal approximation: the margin scales with the standard
//!    deviation).
//!
//! With `z = Φ⁻¹(1 − r)` the normal approximation gives `μ* ≈ c − z √c`: the margin grows as
//! the square root of the window's answers, the rate target `cap − z √(cap / A)` approaches
//! the cap as the window fills (1.6 % below a 3 % cap at 100 answers, 0.1 % at 30,000,
//! `r` = 5 %). Early in a window (`cap · A` below a few abandonments) the allowance is
//! about nothing, and the pacer dials at its floor: the agents free now (less the inbound
//! reserve below), progressive dialing. The allowance is never above `cap · A`: for
//! `cap · A < −ln(1 − r)` the Poisson bound alone would allow a little more.
//!
//! ## Inbound calls
//!
//! In a blended center inbound has priority: an inbound call that arrives while a line
//! rings takes an idle agent, possibly the one the line was dialled for, and the person who
//! then answers finds none within `connect_within` and is abandoned. The floor above ("lines
//! that cannot outnumber free agents cannot abandon anyone") is then false: measured on the
//! blended example at threshold 0, progressive dialing abandoned 2.6 % of the people it
//! reached and predictive ended 53 of 200 days above its 3 % cap. The caller therefore
//! gives, per campaign ([`FreeAgents`](super::FreeAgents)), `λ` (`inbound`): the inbound
//! calls expected to reach the campaign's agents within one ring time (arrival rate of the
//! queues they serve × mean ring time), and `k` (`kept`): the idle agents the blending
//! threshold keeps from the campaign, who take the first of those calls.
//!
//! The model: the inbound arrivals during a ring are `I ~ Poisson(λ)` (arrivals of a
//! Poisson process over a fixed time; independent of the answers). The first `k` take the
//! kept agents; the rest, `J = (I − k)+`, take the campaign's. The agents left for the
//! people answered are `(f − J)+`, so the abandoned are
//!
//! ```text
//! X = (Y − (f − J)+)+ = (Y + J − f)+ − (J − f)+        (check J >= f and J < f apart)
//! E[X] = E[(Y + J − f)+] − E[(J − f)+]
//! ```
//!
//! The second term does not depend on `N`, and `E[X] = 0` at `N = 0`, so the rule keeps its
//! form: `h(N) = E[X]` grows by `p · (P(Z_N >= m + 1) + (1 − φ) P(Z_N = m))` per line, with
//! `Z_N = Y_N + J`, and both terms are mixtures over `J`'s point masses `w_j` of the
//! binomial's: `P(Z = m) = Σ_j w_j P(Y = m − j)`, `P(Z >= m + 1) = Σ_j w_j P(Y >= m + 1 − j)`.
//! The pacer carries the point masses `P(Y_N = m − j)` for `j` over `J`'s bulk (the Poisson's
//! tails below 1e-12 left out on either side; counts `j > m` abandon every answer and are
//! counted as such) through the two-term recurrence
//! `P(Y_{N+1} = i) = q P(Y_N = i) + p P(Y_N = i − 1)` (the lowest by the ratio above), and
//! the tail above them: O(width of `J`'s bulk) per line, about `15 √λ` (the rule at
//! `f` = 1,000 and `λ` = 20: 46 µs against 3.3 µs without inbound). The increment is still
//! `E` of a nondecreasing function of `Z_N`, which grows with `N`: convexity, the stop, the
//! skip below the bulk (now below `m − J_max`) and the linear tail hold as before. The
//! dispersion `φ` of the margin mixes the moments of `X` over `J` likewise, in one pass over
//! the binomial's bulk (suffix sums of `J`'s masses give each outcome's part). `J`'s masses,
//! the floor's reserve and those moments are in `inbound.rs`; a campaign keeps the last
//! masses (the rate changes far less often than the pacer is asked).
//!
//! The floor: a line per agent that will be there when the person answers. The floor dials
//! `free − c` lines, `c` the smallest count with `P(J > c) <= cap / 2`. Each person the
//! floor's lines reach is abandoned only if more than `c` inbound calls take the campaign's
//! agents (the lines are at most the agents left then), so the floor's abandonment per
//! answer is at most `P(J > c)` (`X <= Y · 1{J > c}`, `J` independent of `Y`), whatever the
//! answer rate and without counting the agents freeing up. Half the cap, because a floor
//! that runs at the cap would leave the window no room: the pacer falls back to the floor
//! when the window is over its allowance, and must then bring its rate back under the
//! allowance's target, `cap − z √(cap / A)` (cap / 2 at `A = 4 z² / cap`, 360 answers at a
//! 3 % cap and 5 % risk). Progressive campaigns dial the same `free − c` (a line per agent
//! free for outbound). With `k` kept agents, `c = (c₀ − k)+` for `c₀` the reserve of `I`:
//! the floor keeps `max(k, c₀)` agents from outbound in all, whatever part of it the threshold
//! holds. Without inbound (`λ = 0`) nothing changes.
//!
//! Assumptions and approximations: arrivals Poisson at the rate given (the caller measures
//! a recent rate or reads the model's); all the calls of a ring arrive before its answer
//! (the ring time is the mean, not drawn per line); an inbound call takes one of the
//! campaign's agents with the share of the queue's idle agents that are the campaign's
//! (the caller's estimate); the agents freeing up within the ring are still counted at their
//! mean `freeing`, as before, and the kept agents are not counted as agents for the people
//! answered (conservative: the threshold acts at dial time, and a person may take one).

use super::inbound::Inbound;
use crate::erlang::{ln_gamma, ln_poisson_pmf};

/// The largest number of lines the campaign may have open, in all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PacingInput {
    /// probability that a line is answered by a person, in (0, 1] (clamped up to 1e-9)
    pub answer_rate: f64,
    /// agents free now
    pub free: u32,
    /// agents expected to free up within the ring time, >= 0
    pub freeing: f64,
    /// the abandonment cap, in (0, 1)
    pub cap: f64,
    /// the window's remaining budget: `cap × answered − abandoned` (may be negative)
    pub budget: f64,
    /// hard ceiling of lines per (free now + freeing) agent, >= 1
    pub max_lines_per_agent: f64,
    /// expected inbound calls reaching the campaign's agents within the ring time, >= 0
    /// (module doc, "Inbound calls"); 0 for a campaign whose agents take no inbound
    pub inbound: f64,
    /// idle agents the blending threshold keeps from the campaign: they take the first
    /// inbound calls
    pub kept: u32,
}

/// The number of lines to have open (ringing ones included): the largest `N` with
/// `E[(Bin(N, p) − (f − J)+)+] <= cap · N p + budget`, `J = (I − kept)+`,
/// `I ~ Poisson(inbound)`, within `[free − inbound_reserve(inbound, kept, cap)
/// ⌊max_lines_per_agent · f⌋]` (module doc).
/// Inputs are assumed checked (finite, in their domains).
pub fn predictive_lines(input: &PacingInput) -> u64 {
    scan_lines(input, &Inbound::beyond_kept(input.inbound, input.kept)).lines()
}

/// What the scan of [`predictive_lines`] saw: its answer, and enough of `g` to give the
/// answer for a smaller budget without scanning again (the confidence margin's second
/// decision, `pace.rs`).
#[derive(Debug)]
pub(crate) struct Scanned {
    floor: u64,
    budget: f64,
    /// `(N, h(N) − cap · p · N)` at every `N` the scan decided at, in increasing `N`
    points: Vec<(u64, f64)>,
    /// where `g` became linear: `(N, h(N) − cap · p · N, slope, lines left to the ceiling)`
    linear: Option<(u64, f64, f64, u64)>,
}

impl Scanned {
    /// The fewest lines the scan gives: the agents free now less the inbound's reserve.
    pub(crate) fn floor(&self) -> u64 {
        self.floor
    }

    /// The lines to have open ([`predictive_lines`]): the largest `N` the scan found
    /// feasible at its own budget.
    pub(crate) fn lines(&self) -> u64 {
        self.lines_for(self.budget)
    }

    /// The lines a scan with `budget` (no larger than the scan's) would give: the feasible
    /// set only shrinks with the budget, and every `N` a smaller budget could accept is
    /// one the scan decided at (it stops only where `g` grows for good).
    pub(crate) fn lines_for(&self, budget: f64) -> u64 {
        debug_assert!(budget <= self.budget + 1e-9 * self.budget.abs().max(1.0));
        // the largest feasible N the scan decided at: from the end (where it usually is)
        let mut best = self
            .points
            .iter()
            .rev()
            .find(|&&(_, g0)| g0 - budget <= 0.0)
            .map(|&(n, _)| n);
        if let Some((n, g0, slope, rest)) = self.linear {
            let g = g0 - budget;
            if let Some(at) = linear_best(n, g, slope, rest) {
                best = Some(at);
            }
        }
        best.unwrap_or(0).max(self.floor)
    }
}

/// In the linear stretch from `n` (`g` there, `slope` per line, `rest` lines to the
/// ceiling): the largest feasible `N` beyond `n`, if any.
fn linear_best(n: u64, g: f64, slope: f64, rest: u64) -> Option<u64> {
    if slope <= 0.0 {
        (g + rest as f64 * slope <= 0.0).then_some(n + rest)
    } else if g <= 0.0 {
        Some(n + ((-g / slope).floor() as u64).min(rest))
    } else {
        None
    }
}

/// The scan of [`predictive_lines`] with the inbound's point masses given
/// (`Inbound::beyond_kept` of the input's `inbound` and `kept`, or [`Inbound::none`]).
pub(crate) fn scan_lines(input: &PacingInput, inbound: &Inbound) -> Scanned {
    let p = input.answer_rate.clamp(1e-9, 1.0);
    let q = 1.0 - p;
    let f = f64::from(input.free) + input.freeing.max(0.0);
    let ceiling = (input.max_lines_per_agent * f + 1e-9).floor() as u64;
    let reserve = inbound.reserve(input.cap);
    let floor = u64::from(input.free.saturating_sub(reserve)).min(ceiling);
    let cap_p = input.cap * p;
    let budget = input.budget;
    let m = f.floor() as u64;
    let phi = f - m as f64;
    // the inbound count's point masses P(I = j), j = j0..=J (J <= m), and P(I > J)
    let (j0, masses, beyond) = inbound.up_to(m);
    let big_j = j0 + masses.len() as u64 - 1;
    // the agent counts that matter, lo..=hi: with j inbound calls, f − j agents are left
    let (lo, hi) = (m - big_j, m - j0);
    let mut points = Vec::new();
    let mut linear = None;
    // N <= lo: Y <= lo <= f − j for every j <= J, so only I > J can abandon anyone, and
    // P(I > J) is below 1e-12 unless J = m (then lo = 0): the cap term alone decides, and
    // it only gets easier as N grows
    let low = lo.min(ceiling);
    points.push((low, -cap_p * low as f64));
    if ceiling > lo {
        // the binomial's point masses v[j] = P(Y_N = hi − j), j = 0..=hi − lo (v[j] goes
        // with the inbound mass of j0 + j), and tail = P(Y_N >= hi + 1), at N = lo: only
        // Y = lo, with probability p^lo
        let width = masses.len();
        let (mut small, mut large) = ([0.0f64; 16], Vec::new());
        let v: &mut [f64] = if width <= small.len() {
            &mut small[..width]
        } else {
            large.resize(width, 0.0);
            &mut large
        };
        // (P(Y >= hi + 1) is 0 at N = lo, and below e^-40 where the skip lands)
        let tail = 0.0f64;
        let mut log_b = lo as f64 * p.ln();
        let mut n = lo;
        if log_b < NEGLIGIBLE {
            // Skip ahead to where P(Y_N = lo) stops being negligible: until then h and the
            // tails stay below e^-40 per line (the masses above lo are smaller still), and
            // only the cap term moves.
            let (start, lb) = first_relevant(lo, p, ceiling);
            points.push((start, -cap_p * start as f64));
            n = start;
            log_b = lb;
            for (j, x) in v.iter_mut().enumerate().take(width - 1) {
                let k = hi - j as u64;
                if k <= n {
                    *x = ln_point(n, k, p).exp();
                }
            }
        }
        v[width - 1] = if log_b >= -700.0 { log_b.exp() } else { 0.0 };
        let mut scan = Scan {
            p,
            q,
            cap_p,
            budget,
            weight: 1.0 - phi,
            beyond,
            lo,
            hi,
            ceiling,
            n,
            tail,
            log_b,
            points,
            linear: None,
        };
        // (one point mass: without inbound, the loop as scalars)
        if width == 1 {
            scan.run::<true>(masses, v);
        } else {
            scan.run::<false>(masses, v);
        }
        points = scan.points;
        linear = scan.linear;
    }
    Scanned {
        floor,
        budget,
        points,
        linear,
    }
}

/// The scan of [`predictive_lines`] over `N`, from its state at `n`.
struct Scan {
    p: f64,
    q: f64,
    cap_p: f64,
    budget: f64,
    /// `1 − φ`
    weight: f64,
    /// `P(J > J_max)`
    beyond: f64,
    lo: u64,
    hi: u64,
    ceiling: u64,
    n: u64,
    /// `P(Y_n >= hi + 1)`
    tail: f64,
    /// `ln P(Y_n = lo)` while that underflows
    log_b: f64,
    /// [`Scanned::points`]
    points: Vec<(u64, f64)>,
    /// [`Scanned::linear`]
    linear: Option<(u64, f64, f64, u64)>,
}

impl Scan {
    /// Add lines one by one up to the ceiling (or the stop): `masses[j]` the inbound's
    /// point masses, `v[j] = P(Y_n = hi − j)` (`ONE`: a single one).
    fn run<const ONE: bool>(&mut self, masses: &[f64], v: &mut [f64]) {
        let width = if ONE { 1 } else { v.len() };
        let (p, q, cap_p, budget) = (self.p, self.q, self.cap_p, self.budget);
        let (lo, hi, ceiling, beyond) = (self.lo, self.hi, self.ceiling, self.beyond);
        let (mut n, mut tail, mut log_b) = (self.n, self.tail, self.log_b);
        let mut h = 0.0f64;
        let mut points = std::mem::take(&mut self.points);
        // the masses above the binomial's reach are exactly 0 until its bulk climbs to them
        // (from N = lo: one at a time): the pass starts one above the highest nonzero, the
        // zeros' part of the sums from the inbound's masses summed up to there
        let mut active = if ONE {
            0
        } else {
            v.iter().position(|&x| x != 0.0).unwrap_or(width - 1)
        };
        // after[i] = the inbound's masses beyond i (the binomial's mass paired with i counts
        // in P(Y >= m + 1 − j) for every j above i), and their total
        let (after, total): (Vec<f64>, f64) = if ONE {
            (Vec::new(), masses[0])
        } else {
            let mut out = vec![0.0; width];
            let mut acc = 0.0;
            for i in (0..width).rev() {
                out[i] = acc;
                acc += masses[i];
            }
            (out, acc)
        };
        while n < ceiling {
            // P(Z >= m + 1) and P(Z = m) for Z = Y_N + I (I > J counted as abandoning all;
            // I < j0 left out: below 1e-12): with I = j, Z >= m + 1 when Y >= m + 1 − j
            // (and, in the same pass, one more line: P(Y_{N+1} = k) = q P(Y_N = k) +
            // p P(Y_N = k − 1), v[i + 1] read before it moves)
            let top = v[0];
            let (above, at) = if ONE {
                (beyond + masses[0] * tail, masses[0] * top)
            } else {
                let from = active.saturating_sub(1);
                // (the masses below `from` pair with zeros: only the tail reaches them)
                let (above, at) = mix_step(&masses[from..], &after[from..], &mut v[from..], p, q);
                if v[from] != 0.0 {
                    active = from;
                }
                (beyond + tail * total + above, at)
            };
            let inc = p * (above + self.weight * at);
            h += inc;
            tail += p * top;
            // P(Y_{N+1} = lo) = P(Y_N = lo) · q (N + 1) / (N + 1 − lo)
            let ratio = q * (n + 1) as f64 / (n + 1 - lo) as f64;
            let b = &mut v[width - 1];
            if *b > 0.0 || log_b >= -700.0 {
                *b *= ratio;
            } else {
                log_b += ratio.ln();
                if log_b >= -700.0 {
                    *b = log_b.exp();
                }
            }
            n += 1;
            points.push((n, h - cap_p * n as f64));
            let g = h - cap_p * n as f64 - budget;
            if g > 0.0 && inc > cap_p {
                // g > 0 and growing from here on (the increment never shrinks): no
                // feasible N beyond
                break;
            }
            if v[0] == 0.0 && n as f64 * p > hi as f64 {
                // past the mode the point masses underflowed (P(Y = hi) is the largest of
                // them there): the tails are complete and every further line adds the same
                // p · P(Z >= m + 1), so g is linear from here
                let slope = p * (beyond + total * tail) - cap_p;
                let rest = ceiling - n;
                // (the value pushed above, not g + budget: a scan with another budget
                // computes g from it, to the last bit)
                self.linear = Some((n, h - cap_p * n as f64, slope, rest));
                break;
            }
        }
        self.points = points;
    }
}

/// One line more in the mixture over the inbound's masses `w` (`v[i]` the binomial's point
/// mass paired with `w[i]`, `after[i]` the masses beyond `i`): returns
/// `(Σ v_i after_i, Σ v_i w_i)` (the first is `Σ_j w_j P(Y >= m + 1 − j)` less the tail's
/// part, summed by the point mass instead of by a running tail: no chain from one term to
/// the next) and moves `v` on by the two-term recurrence (`v[i]` read before it moves).
/// Two sums of each, pairwise: the loop runs at the adder's throughput, not its latency.
#[inline(never)]
fn mix_step(w: &[f64], after: &[f64], v: &mut [f64], p: f64, q: f64) -> (f64, f64) {
    let last = v.len() - 1;
    let (mut a0, mut a1, mut b0, mut b1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut i = 0;
    while i + 1 < last {
        let (x, y) = (v[i], v[i + 1]);
        a0 += x * after[i];
        b0 += x * w[i];
        a1 += y * after[i + 1];
        b1 += y * w[i + 1];
        v[i] = q * x + p * y;
        v[i + 1] = q * y + p * v[i + 2];
        i += 2;
    }
    while i < last {
        let x = v[i];
        a0 += x * after[i];
        b0 += x * w[i];
        v[i] = q * x + p * v[i + 1];
        i += 1;
    }
    b1 += v[last] * w[last];
    (a0 + a1, b0 + b1)
}

/// The expected abandonments a window may hold so that its count exceeds `limit` (the cap
/// times the window's answers) with probability at most `risk`, the counts being Poisson:
/// `min(limit, μ*)` with `P(Poisson(μ*) <= ⌊limit⌋) = 1 − risk` (module doc), to a relative
/// 1e-12. `limit >= 0` and `risk` in (0, 0.5] are assumed checked. The work is
/// `O(√limit)` per Newton step (a handful of steps).
pub fn abandon_allowance(limit: f64, risk: f64) -> f64 {
    poisson_mean_for(allowance_count(limit), risk).min(limit.max(0.0))
}

/// The dispersion of a decision's abandonments, `E[X²] / E[X]` with `X = (Bin(n, p) − f)+`
/// (the people answered beyond the agents): abandonments come in clusters, one per shortage,
/// so their count's variance is this times its mean (compound Poisson); 1 when no line can
/// be abandoned.
pub fn abandon_dispersion(n: u64, p: f64, f: f64) -> f64 {
    let (e1, e2) = excess_moments(n, p, f);
    if e1 > 1e-300 {
        (e2 / e1).max(1.0)
    } else {
        1.0
    }
}

/// `(E[X], E[X²])` for `X = (Bin(n, p) − f)+`, summed over the binomial's bulk (30 standard
/// deviations below the mean, 40 above: starting lower, the first point mass would underflow
/// to 0 and with it every later one).
pub(crate) fn excess_moments(n: u64, p: f64, f: f64) -> (f64, f64) {
    let p = p.clamp(1e-12, 1.0);
    let f = f.max(0.0);
    let nf = n as f64;
    if nf <= f {
        return (0.0, 0.0);
    }
    if p >= 1.0 {
        return (nf - f, (nf - f) * (nf - f));
    }
    let q = 1.0 - p;
    let (mean, sd) = (nf * p, (nf * p * q).sqrt());
    let first = f.floor() as u64 + 1;
    let lo = first.max((mean - 30.0 * sd - 1.0).max(0.0) as u64);
    let hi = n.min((mean + 40.0 * sd + 2.0) as u64);
    if lo > hi {
        return (0.0, 0.0);
    }
    let mut pk = ln_point(n, lo, p).exp();
    let (mut e1, mut e2) = (0.0f64, 0.0f64);
    for k in lo..=hi {
        let x = k as f64 - f;
        e1 += x * pk;
        e2 += x * x * pk;
        pk *= (nf - k as f64) / (k as f64 + 1.0) * p / q;
    }
    (e1, e2)
}

/// The largest count at most `limit` (the count exceeds `limit` when it reaches this + 1);
/// a hair of rounding in `cap × A` does not lose a whole abandonment.
pub(crate) fn allowance_count(limit: f64) -> f64 {
    (limit.max(0.0) * (1.0 + 1e-12) + 1e-12).floor()
}

/// The mean `μ` with `P(Poisson(μ) <= k) = 1 − risk`, by Newton's method kept within a
/// bracket: the distribution function falls with `μ` at the rate `P(Poisson(μ) = k)`; it is
/// `1 > 1 − risk` at 0 and below 1/2 at `k + 1` (the median of a Poisson of integer mean is
/// its mean).
pub(crate) fn poisson_mean_for(k: f64, risk: f64) -> f64 {
    let target = 1.0 - risk.clamp(1e-300, 0.5);
    let (mut lo, mut hi) = (0.0f64, k + 1.0);
    let mut mu = hi;
    for _ in 0..200 {
        let (cdf, pmf) = poisson_cdf(k, mu);
        let f = cdf - target;
        if f >= 0.0 {
            lo = mu;
        } else {
            hi = mu;
        }
        let newton = mu + f / pmf;
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let done = (next - mu).abs() <= 1e-13 * mu.max(1.0) || hi - lo <= 1e-13 * hi.max(1.0);
        mu = next;
        if done {
            break;
        }
    }
    // on the safe side of the last step
    (mu * (1.0 - 1e-12)).max(lo)
}

/// `(P(Poisson(mu) <= k), P(Poisson(mu) = k))` for an integer `k >= 0`, summing the point
/// masses down from `k` until they no longer count (about `k - mu + 10 √mu` terms).
fn poisson_cdf(k: f64, mu: f64) -> (f64, f64) {
    if mu <= 0.0 {
        return (1.0, if k == 0.0 { 1.0 } else { 0.0 });
    }
    let ln_top = ln_poisson_pmf(k, mu);
    if ln_top < -700.0 {
        // k lies far in a tail: below the mean, nothing is at most k; above it, everything
        return (if k < mu { 0.0 } else { 1.0 }, 0.0);
    }
    let top = ln_top.exp();
    let (mut sum, mut term, mut j) = (top, top, k);
    while j > 0.0 {
        term *= j / mu;
        j -= 1.0;
        sum += term;
        if j < mu && term < 1e-17 * sum {
            break;
        }
    }
    (sum.min(1.0), top)
}

/// ln P(Bin(N, p) = m) below which a point mass is treated as 0 (e^-40 ≈ 4e-18).
const NEGLIGIBLE: f64 = -40.0;

/// ln P(Bin(n, p) = m), for m <= n, p in (0, 1).
pub(super) fn ln_point(n: u64, m: u64, p: f64) -> f64 {
    let (nf, mf) = (n as f64, m as f64);
    ln_gamma(nf + 1.0) - ln_gamma(mf + 1.0) - ln_gamma(nf - mf + 1.0)
        + mf * p.ln()
        + (nf - mf) * (-p).ln_1p()
}

/// The first `N` in `[m, ceiling]` with `ln P(Y_N = m) >= NEGLIGIBLE` (it rises with `N` up to
/// `N ≈ m / p`), and that log; `ceiling` if none before the peak.
fn first_relevant(m: u64, p: f64, ceiling: u64) -> (u64, f64) {
    let peak = ((m as f64 / p).floor() as u64).clamp(m, ceiling);
    let at_peak = ln_point(peak, m, p);
    if at_peak < NEGLIGIBLE {
        // negligible up to the peak; past it (if the ceiling is further) it only falls
        return (ceiling, ln_point(ceiling, m, p));
    }
    let (mut lo, mut hi) = (m, peak); // lo negligible, hi not
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ln_point(mid, m, p) < NEGLIGIBLE {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (hi, ln_point(hi, m, p))
}

#[cfg(test)]
mod tests {
    use super::super::inbound::{excess_moments_inbound, inbound_reserve};
    use super::*;

    fn input(p: f64, free: u32, budget: f64) -> PacingInput {
        PacingInput {
            answer_rate: p,
            free,
            freeing: 0.0,
            cap: 0.03,
            budget,
            max_lines_per_agent: 3.0,
            inbound: 0.0,
            kept: 0,
        }
    }

    #[test]
    fn no_agents_no_lines() {
        assert_eq!(predictive_lines(&input(0.3, 0, 0.0)), 0);
    }

    #[test]
    fn certain_answers_dial_one_per_agent() {
        // p = 1: every line is a person; one more line than agents abandons one for sure
        assert_eq!(predictive_lines(&input(1.0, 10, 0.0)), 10);
    }

    #[test]
    fn never_above_ceiling() {
        assert_eq!(predictive_lines(&input(0.01, 10, 1e9)), 30);
    }

    #[test]
    fn large_pools_do_not_underflow() {
        // 1000 agents at p = 0.3: about 1000/0.3 lines would answer f on average; the
        // ceiling is 3000; the answer is well above the agents and within the ceiling
        let n = predictive_lines(&input(0.3, 1000, 0.0));
        assert!(n > 2500 && n <= 3000, "{n}");
    }

    #[test]
    fn inbound_moments_match_direct_sums() {
        // E[X], E[X²] for X = (Y − (f − (I − kept)+)+)+ as a plain double sum over the
        // outcomes (binomial by the product formula, Poisson by its recurrence)
        for &(n, p, f, lambda, kept) in &[
            (10u64, 0.3f64, 2.0f64, 0.5f64, 0u32),
            (20, 0.25, 3.5, 1.5, 1),
            (40, 0.5, 10.0, 4.0, 0),
            (30, 0.9, 25.0, 9.0, 3),
            (12, 0.4, 0.0, 2.0, 0),
            (25, 0.2, 1.7, 30.0, 2),
        ] {
            let binom = |k: u64| {
                let mut c = 1.0f64;
                for i in 0..k {
                    c = c * (n - i) as f64 / (i + 1) as f64;
                }
                c * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32)
            };
            let (mut e1, mut e2) = (0.0, 0.0);
            let mut w = (-lambda).exp();
            for i in 0..200u32 {
                if i > 0 {
                    w *= lambda / f64::from(i);
                }
                let taken = f64::from(i.saturating_sub(kept));
                let left = (f - taken).max(0.0);
                for k in 0..=n {
                    let x = (k as f64 - left).max(0.0);
                    e1 += w * binom(k) * x;
                    e2 += w * binom(k) * x * x;
                }
            }
            let (g1, g2) = excess_moments_inbound(n, p, f, lambda, kept);
            assert!(
                (g1 - e1).abs() <= 1e-9 * e1.max(1e-12),
                "{n} {p} {f} {lambda}: {g1} {e1}"
            );
            assert!(
                (g2 - e2).abs() <= 1e-9 * e2.max(1e-12),
                "{n} {p} {f} {lambda}: {g2} {e2}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The scan's answer for a smaller budget (the margin's second decision) is the
        /// answer a scan with that budget gives.
        #[test]
        fn a_smaller_budget_answers_as_a_new_scan(
            p in 0.02f64..1.0,
            free in 0u32..60,
            freeing in 0.0f64..5.0,
            cap in 0.005f64..0.2,
            budget in -3.0f64..6.0,
            cut in 0.0f64..4.0,
            ceiling in 1.0f64..4.0,
            inbound in proptest::prop_oneof![proptest::strategy::Just(0.0), 0.0f64..12.0],
            kept in 0u32..4,
        ) {
            let x = PacingInput {
                answer_rate: p, free, freeing, cap, budget, max_lines_per_agent: ceiling,
                inbound, kept,
            };
            let masses = Inbound::beyond_kept(inbound, kept);
            let scanned = scan_lines(&x, &masses);
            let smaller = PacingInput { budget: budget - cut, ..x };
            proptest::prop_assert_eq!(
                scanned.lines_for(budget - cut),
                scan_lines(&smaller, &masses).lines()
            );
        }
    }

    #[test]
    fn heavy_overdial_keeps_its_dispersion() {
        // 20,000 lines at p = 0.5 for 100 agents: X = Y − 100 with Y ~ Bin(20,000, 0.5), so
        // E[X] = 9,900 and E[X²] = Var Y + 9,900² = 5,000 + 9,900² (the first point mass of
        // the old 40-sd start underflowed to 0: both came out 0)
        let (e1, e2) = excess_moments(20_000, 0.5, 100.0);
        assert!((e1 - 9_900.0).abs() < 1e-6 * 9_900.0, "{e1}");
        assert!(
            (e2 - (5_000.0 + 9_900.0f64.powi(2))).abs() < 1e-9 * e2,
            "{e2}"
        );
        assert!(abandon_dispersion(20_000, 0.5, 100.0) > 9_900.0);
    }

    #[test]
    fn endless_inbound_is_every_agent_taken() {
        // inf or 1e300 inbound calls within a ring: counted as MAX_FREE_AGENTS (1e6), whose
        // floor's reserve is above any campaign's free agents; finishes (it used to loop)
        for lambda in [f64::INFINITY, 1e300, 2f64.powi(60)] {
            let c = inbound_reserve(lambda, 0, 0.03);
            assert!(c > super::super::MAX_FREE_AGENTS, "{lambda}: {c}");
            let mut x = input(0.3, 50, 0.0);
            x.inbound = lambda;
            assert_eq!(predictive_lines(&x), 0);
        }
    }

    #[test]
    fn inbound_beyond_the_agents_leaves_no_line() {
        // 100 inbound calls expected within a ring against 5 agents: every answer is
        // abandoned (P(I <= 5) ~ 1e-37), so no line, and the floor reserves every agent
        // (P(Poisson(100) > 121) = 0.0181, P(> 122) = 0.0143 <= 1.5 %, by mpmath)
        let mut x = input(0.3, 5, 0.0);
        x.inbound = 100.0;
        assert_eq!(predictive_lines(&x), 0);
        assert_eq!(inbound_reserve(100.0, 0, 0.03), 122);
        // large pools with heavy inbound finish (the Poisson's bulk is ~15 √λ wide): what is
        // checked is that it ends; the bounds are only the floor and the ceiling
        let mut y = input(0.3, 10_000, 0.0);
        y.inbound = 2_000.0;
        let n = predictive_lines(&y);
        assert!((7_000..=30_000).contains(&n), "{n}");
    }

    #[test]
    fn huge_pools_and_ceilings_finish() {
        let mut x = input(0.01, 1_000_000, 0.0);
        x.max_lines_per_agent = 1000.0;
        x.freeing = 1_000_000.0;
        let n = predictive_lines(&x);
        assert!((1_000_000..=2_000_000_000).contains(&n), "{n}");
        // p below the cap: every line adds less than its share of the cap: the ceiling
        let mut y = input(0.01, 1_000, 0.0);
        y.cap = 0.5;
        assert_eq!(predictive_lines(&y), 3_000);
    }
}
