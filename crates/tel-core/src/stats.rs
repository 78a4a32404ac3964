//! Statistic primitives named after their definitions in METRICS.md A1 (MEAN-N, MEAN-X, MED-T, MED-U,
//! P90-Q, P90-I, SD-P) plus a nearest-rank percentile and a counted rate. Empty input gives `None`.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// A value the order statistics accept: `i64` (counts of tokens) or `f64` (ratios, percentages).
///
/// Floats are ordered by [`f64::total_cmp`], so NaN never panics a sort (it sorts last).
pub trait Sample: Copy {
    /// Total order used for sorting.
    fn order(&self, other: &Self) -> Ordering;
    /// The value as f64.
    fn to_f64(self) -> f64;
    /// P90-Q's interpolation `(lo·(10−δ) + hi·δ) / 10` in the original's arithmetic: exact integer
    /// products and sum with one division for integers, f64 operations in that order for floats.
    fn decile_interpolation(lo: Self, hi: Self, delta: i64) -> f64;
}

impl Sample for i64 {
    fn order(&self, other: &Self) -> Ordering {
        self.cmp(other)
    }

    fn to_f64(self) -> f64 {
        self as f64
    }

    fn decile_interpolation(lo: Self, hi: Self, delta: i64) -> f64 {
        let sum = i128::from(lo) * i128::from(10 - delta) + i128::from(hi) * i128::from(delta);
        sum as f64 / 10.0
    }
}

impl Sample for f64 {
    fn order(&self, other: &Self) -> Ordering {
        self.total_cmp(other)
    }

    fn to_f64(self) -> f64 {
        self
    }

    fn decile_interpolation(lo: Self, hi: Self, delta: i64) -> f64 {
        (lo * (10 - delta) as f64 + hi * delta as f64) / 10.0
    }
}

/// An ascending copy of `data`.
fn sorted<T: Sample>(data: &[T]) -> Vec<T> {
    let mut copy = data.to_vec();
    copy.sort_by(T::order);
    copy
}

/// **MEAN-N**: f64 sum accumulated left to right in input order, divided by `n`.
pub fn mean_naive(data: &[f64]) -> Option<f64> {
    if data.is_empty() {
        return None;
    }
    let sum = data.iter().fold(0.0, |acc, x| acc + x);
    Some(sum / data.len() as f64)
}

/// **MEAN-X** for integers: the exact (i128) sum converted to f64, divided by `n` — the correctly
/// rounded mean whenever the sum's magnitude is below 2^53, as for any token counts.
pub fn mean_exact_int(data: &[i64]) -> Option<f64> {
    if data.is_empty() {
        return None;
    }
    let sum: i128 = data.iter().map(|&x| i128::from(x)).sum();
    Some(sum as f64 / data.len() as f64)
}

/// **MEAN-X** for floats: a compensated (Neumaier) sum divided by `n`; exact enough for outputs printed
/// with a few decimals (METRICS.md A1), and independent of input order in practice.
pub fn mean_compensated(data: &[f64]) -> Option<f64> {
    if data.is_empty() {
        return None;
    }
    let mut sum = NeumaierSum::default();
    data.iter().for_each(|&x| sum.add(x));
    Some(sum.total() / data.len() as f64)
}

/// A running compensated (Neumaier) sum of f64 values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Adds one value.
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The sum so far.
    pub fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// **MED-U**: upper median, `sorted[⌊n/2⌋]` (for even `n` the upper of the two middle values).
pub fn median_upper<T: Sample>(data: &[T]) -> Option<T> {
    let s = sorted(data);
    s.get(s.len() / 2).copied()
}

/// **MED-T**: true median; odd `n` → middle element, even `n` → `(x[n/2−1] + x[n/2]) / 2` in f64.
pub fn median_true<T: Sample>(data: &[T]) -> Option<f64> {
    let s = sorted(data);
    let n = s.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(s[n / 2].to_f64()),
        _ => Some((s[n / 2 - 1].to_f64() + s[n / 2].to_f64()) / 2.0),
    }
}

/// **P90-Q**: Python's `statistics.quantiles(x, n=10)[8]` ("exclusive") when `n ≥ 10`, else the maximum:
/// `m = n + 1`, `j = ⌊9m/10⌋` clamped to `[1, n−1]`, `δ = 9m − 10j`,
/// result `(x[j−1]·(10−δ) + x[j]·δ) / 10`.
pub fn p90_quantiles<T: Sample>(data: &[T]) -> Option<f64> {
    let s = sorted(data);
    let n = s.len();
    if n < 10 {
        return s.last().map(|x| x.to_f64());
    }
    let m = n as i64 + 1;
    let j = (9 * m / 10).clamp(1, n as i64 - 1);
    let delta = 9 * m - 10 * j;
    let j = j as usize;
    Some(T::decile_interpolation(s[j - 1], s[j], delta))
}

/// **P90-I**: index percentile, `sorted[⌊n × 0.9⌋]` (the f64 product truncated), or the last element
/// when that index is `≥ n`.
pub fn p90_index<T: Sample>(data: &[T]) -> Option<T> {
    let s = sorted(data);
    let index = (s.len() as f64 * 0.9) as usize;
    s.get(index).or(s.last()).copied()
}

/// Nearest-rank percentile: the smallest element with at least `percent`% of the data at or below it,
/// i.e. `sorted[⌈percent/100 × n⌉ − 1]` (rank clamped to `[1, n]`); always an observed value.
/// `None` for empty data or a `percent` outside `[0, 100]` (NaN included).
pub fn percentile_nearest_rank<T: Sample>(data: &[T], percent: f64) -> Option<T> {
    let rank = percentile_rank(data.len(), percent)?;
    sorted(data).get(rank).copied()
}

/// The 0-based position of [`percentile_nearest_rank`]'s value among `n` sorted values (`None` when
/// `percent` is outside 0-100; position 0 when `n = 0`).
pub fn percentile_rank(n: usize, percent: f64) -> Option<usize> {
    if !(0.0..=100.0).contains(&percent) {
        return None;
    }
    let rank = (percent / 100.0 * n as f64).ceil() as usize;
    Some(rank.clamp(1, n.max(1)) - 1)
}

/// **SD-P**: population standard deviation `sqrt(Σ (x − MEAN-N)² / n)`.
pub fn stddev_population(data: &[f64]) -> Option<f64> {
    let mean = mean_naive(data)?;
    let squares = data
        .iter()
        .fold(0.0, |acc, x| acc + (x - mean) * (x - mean));
    Some((squares / data.len() as f64).sqrt())
}

/// A counted proportion: `count` of `n` events, with its `n` always visible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// Events that have the property.
    pub count: u64,
    /// Events the rate is taken over.
    pub n: u64,
}

impl Rate {
    /// `count / n`; `None` when `n = 0`.
    pub fn fraction(self) -> Option<f64> {
        (self.n > 0).then(|| self.count as f64 / self.n as f64)
    }

    /// `count / n × 100` (as the original printed percentages); `None` when `n = 0`.
    pub fn percent(self) -> Option<f64> {
        (self.n > 0).then(|| self.count as f64 / self.n as f64 * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_gives_none_everywhere() {
        let none: [f64; 0] = [];
        assert_eq!(mean_naive(&none), None);
        assert_eq!(mean_exact_int(&[]), None);
        assert_eq!(mean_compensated(&none), None);
        assert_eq!(median_upper(&none), None);
        assert_eq!(median_true(&none), None);
        assert_eq!(p90_quantiles(&none), None);
        assert_eq!(p90_index(&none), None);
        assert_eq!(percentile_nearest_rank(&none, 90.0), None);
        assert_eq!(stddev_population(&none), None);
        assert_eq!(Rate { count: 0, n: 0 }.percent(), None);
    }

    #[test]
    fn medians_differ_for_even_n() {
        let data = [4_i64, 1, 3, 2];
        assert_eq!(median_upper(&data), Some(3));
        assert_eq!(median_true(&data), Some(2.5));
        assert_eq!(median_true(&[5.0, 1.0, 3.0]), Some(3.0));
    }

    #[test]
    fn p90_quantiles_matches_python_statistics() {
        // Python: statistics.quantiles(range(1, 11), n=10)[8] == 9.9
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(p90_quantiles(&ten), Some(9.9));
        // quantiles(range(1, 21), n=10)[8] == 18.9
        let twenty: Vec<i64> = (1..=20).collect();
        assert_eq!(p90_quantiles(&twenty), Some(18.9));
        // n < 10 falls back to the maximum.
        assert_eq!(p90_quantiles(&[3.0, 7.5, 1.0]), Some(7.5));
    }

    #[test]
    fn p90_index_truncates_the_product() {
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(p90_index(&ten), Some(10));
        let three = [30_i64, 10, 20];
        assert_eq!(p90_index(&three), Some(30));
        let nineteen: Vec<i64> = (0..19).collect();
        assert_eq!(p90_index(&nineteen), Some(17));
    }

    #[test]
    fn nearest_rank_returns_an_observed_value() {
        let data: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile_nearest_rank(&data, 90.0), Some(9));
        assert_eq!(percentile_nearest_rank(&data, 91.0), Some(10));
        assert_eq!(percentile_nearest_rank(&data, 0.0), Some(1));
        assert_eq!(percentile_nearest_rank(&data, 100.0), Some(10));
        assert_eq!(percentile_nearest_rank(&data, f64::NAN), None);
        assert_eq!(percentile_nearest_rank(&data, 101.0), None);
    }

    #[test]
    fn means_and_deviation_follow_their_definitions() {
        assert_eq!(mean_naive(&[0.1, 0.2, 0.3]), Some((0.1 + 0.2 + 0.3) / 3.0));
        assert_eq!(mean_exact_int(&[i64::MAX, i64::MAX]), Some(i64::MAX as f64));
        let compensated = mean_compensated(&[1e16, 1.0, -1e16]).unwrap();
        assert_eq!(compensated, 1.0 / 3.0);
        assert_eq!(
            stddev_population(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),
            Some(2.0)
        );
    }
}
