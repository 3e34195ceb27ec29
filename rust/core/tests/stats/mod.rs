//! Confidence intervals over independent replications, shared by the simulator's tests
//! against theory.

/// Student t quantiles at 0.995 for 1..=30 degrees of freedom.
const T995: [f64; 30] = [
    63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012,
    2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779,
    2.771, 2.763, 2.756, 2.750,
];

/// Mean and 99 % half-width (Student t up to 30 degrees of freedom, the normal past them).
pub fn ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    let t = if xs.len() - 1 <= 30 {
        T995[xs.len() - 2]
    } else {
        2.576
    };
    (m, t * (v / n).sqrt())
}
