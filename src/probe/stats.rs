//! The statistics the `drift` and `model` probes report, written to agree with scipy, numpy
//! and Evidently (tests in `tests/it/ml.rs` compare them on the same data).

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Two-sample Kolmogorov–Smirnov statistic of two sorted samples (ties handled as scipy does:
/// both empirical CDFs step past a shared value together).
pub(crate) fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

/// Two-sided p-value of a KS statistic `d` for samples of sizes `n` and `m`: exact (the
/// probability that a random lattice path leaves the band, as scipy's `method="exact"`) while
/// `n × m` stays under ten million, else the asymptotic Kolmogorov distribution with
/// Stephens' small-sample correction.
pub(crate) fn ks_p_value(d: f64, n: usize, m: usize) -> f64 {
    if n == 0 || m == 0 || d <= 0.0 {
        return 1.0;
    }
    if (n as u64) * (m as u64) <= 10_000_000 {
        return ks_exact(d, n, m);
    }
    let en = (n as f64 * m as f64 / (n + m) as f64).sqrt();
    let lambda = (en + 0.12 + 0.11 / en) * d;
    kolmogorov_sf(lambda)
}

fn ks_exact(d: f64, n: usize, m: usize) -> f64 {
    // Paths from (0,0) to (n,m), every one equally likely; a point is outside the band when
    // |i/n − j/m| ≥ d (with a little slack for the rounding of d itself).
    let (nf, mf) = (n as f64, m as f64);
    let limit = d - 1e-12;
    let outside = |i: usize, j: usize| (i as f64 / nf - j as f64 / mf).abs() >= limit;
    let mut row = vec![0f64; m + 1];
    row[0] = 1.0;
    for j in 1..=m {
        let left = row[j - 1] * (m - (j - 1)) as f64 / (n + m - (j - 1)) as f64;
        row[j] = if outside(0, j) { 0.0 } else { left };
    }
    for i in 1..=n {
        let mut next = vec![0f64; m + 1];
        for j in 0..=m {
            if outside(i, j) {
                continue;
            }
            let steps_left = (n + m - (i - 1) - j) as f64;
            let mut p = row[j] * (n - (i - 1)) as f64 / steps_left;
            if j > 0 {
                let steps_left = (n + m - i - (j - 1)) as f64;
                p += next[j - 1] * (m - (j - 1)) as f64 / steps_left;
            }
            next[j] = p;
        }
        row = next;
    }
    (1.0 - row[m]).clamp(0.0, 1.0)
}

/// Survival function of the Kolmogorov distribution: 2 Σ (−1)^(k−1) e^(−2k²λ²).
fn kolmogorov_sf(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let k = f64::from(k);
        let term = (-2.0 * k * k * lambda * lambda).exp();
        sum += if k as u32 % 2 == 1 { term } else { -term };
        if term < 1e-16 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// Shares of each sample in numpy's `histogram_bin_edges(both, bins="sturges")` bins; both
/// samples sorted.
pub(crate) fn sturges_shares(a: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let total = a.len() + b.len();
    let bins = ((total as f64).log2() + 1.0).ceil().max(1.0) as usize;
    let lo = a
        .first()
        .copied()
        .unwrap_or(0.0)
        .min(b.first().copied().unwrap_or(f64::INFINITY));
    let hi = a
        .last()
        .copied()
        .unwrap_or(0.0)
        .max(b.last().copied().unwrap_or(f64::NEG_INFINITY));
    let (lo, hi) = if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let step = (hi - lo) / bins as f64;
    let edges: Vec<f64> = (0..=bins)
        .map(|i| if i == bins { hi } else { lo + step * i as f64 })
        .collect();
    let histogram = |values: &[f64]| -> Vec<f64> {
        let mut counts = vec![0u64; bins];
        let norm = bins as f64 / (hi - lo);
        for &x in values {
            // numpy's index, then its correction against the edges themselves.
            let mut index = (((x - lo) * norm) as usize).min(bins - 1);
            if x < edges[index] && index > 0 {
                index -= 1;
            } else if index + 1 < bins && x >= edges[index + 1] {
                index += 1;
            }
            counts[index] += 1;
        }
        let n = values.len().max(1) as f64;
        counts.into_iter().map(|c| c as f64 / n).collect()
    };
    (histogram(a), histogram(b))
}

/// Evidently's PSI: zero shares replaced by a tiny one (its `feel_zeroes`), then
/// Σ (ref − cur) · ln(ref / cur).
pub(crate) fn psi(reference: &[f64], current: &[f64]) -> f64 {
    let reference = fill_zeroes(reference);
    let current = fill_zeroes(current);
    reference
        .iter()
        .zip(&current)
        .map(|(r, c)| (r - c) * (r / c).ln())
        .sum()
}

fn fill_zeroes(shares: &[f64]) -> Vec<f64> {
    let smallest = shares
        .iter()
        .copied()
        .filter(|s| *s != 0.0)
        .fold(f64::INFINITY, f64::min);
    let fill = if smallest <= 0.0001 {
        smallest / 1e6
    } else {
        0.0001
    };
    shares
        .iter()
        .map(|s| if *s == 0.0 { fill } else { *s })
        .collect()
}

/// scipy's `distance.jensenshannon(p, q)` (natural log): the square root of the divergence.
pub(crate) fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    if sp == 0.0 || sq == 0.0 {
        return 0.0;
    }
    let rel = |x: f64, y: f64| if x > 0.0 { x * (x / y).ln() } else { 0.0 };
    let divergence: f64 = p
        .iter()
        .zip(q)
        .map(|(a, b)| {
            let (a, b) = (a / sp, b / sq);
            let mid = (a + b) / 2.0;
            rel(a, mid) + rel(b, mid)
        })
        .sum();
    (divergence / 2.0).max(0.0).sqrt()
}

/// scipy's `chisquare(observed, expected)`: the statistic and its p-value with k − 1 degrees
/// of freedom. An expected count of zero with observations makes the statistic infinite.
pub(crate) fn chi_square(observed: &[f64], expected: &[f64]) -> (f64, f64) {
    let statistic: f64 = observed
        .iter()
        .zip(expected)
        .map(|(o, e)| {
            if *e == 0.0 {
                if *o == 0.0 { 0.0 } else { f64::INFINITY }
            } else {
                (o - e) * (o - e) / e
            }
        })
        .sum();
    let freedom = observed.len().saturating_sub(1);
    if freedom == 0 {
        return (statistic, 1.0);
    }
    if statistic.is_infinite() {
        return (statistic, 0.0);
    }
    let p = ChiSquared::new(freedom as f64).map_or(f64::NAN, |chi| chi.sf(statistic));
    (statistic, p)
}

/// Area under the ROC curve of `scores` for `positive` labels (ties count one half), as
/// scikit-learn's `roc_auc_score`; `None` without both classes.
pub(crate) fn auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let positives = positive.iter().filter(|p| **p).count();
    let negatives = positive.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    // Mann–Whitney: the sum of the positives' mid-ranks.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|k| positive[**k]).count() as f64 * mid;
        i = j + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// The `q`-th percentile (0–100) of sorted `values`, nearest rank.
pub(crate) fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_of_disjoint_samples_is_one() {
        let a = [1.0, 2.0, 3.0];
        let b = [4.0, 5.0, 6.0];
        assert_eq!(ks_statistic(&a, &b), 1.0);
        // scipy.stats.ks_2samp([1,2,3],[4,5,6]).pvalue == 0.1
        assert!((ks_p_value(1.0, 3, 3) - 0.1).abs() < 1e-9);
    }

    #[test]
    fn exact_and_asymptotic_p_values_meet_for_large_samples() {
        let exact = ks_exact(0.05, 1000, 1000);
        let en = (500.0f64).sqrt();
        let asymptotic = kolmogorov_sf((en + 0.12 + 0.11 / en) * 0.05);
        assert!((exact - asymptotic).abs() < 0.01, "{exact} vs {asymptotic}");
    }

    #[test]
    fn chi_square_agrees_with_scipy() {
        // scipy.stats.chisquare([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8])
        // → statistic 3.5, pvalue 0.6233876277495822
        let (s, p) = chi_square(
            &[16., 18., 16., 14., 12., 12.],
            &[16., 16., 16., 16., 16., 8.],
        );
        assert!((s - 3.5).abs() < 1e-12);
        assert!((p - 0.623_387_627_749_582_2).abs() < 1e-9, "{p}");
    }

    #[test]
    fn jensen_shannon_agrees_with_scipy() {
        // scipy.spatial.distance.jensenshannon([1.0, 0.0], [0.5, 0.5]) → 0.464501404022459
        assert!((jensen_shannon(&[1.0, 0.0], &[0.5, 0.5]) - 0.464_501_404_022_459).abs() < 1e-12);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(auc(&[0.5], &[true]), None);
    }
}
