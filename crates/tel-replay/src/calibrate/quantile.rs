//! Conformal quantile of a sample: the budget multiplier a policy needs to cover a target share of future events.

/// Split-conformal q-quantile: the `⌈(n + 1)·q⌉`-th smallest value (1-based). When that rank exceeds
/// `n` the sample is too small to guarantee `q`; the largest value is returned and `saturated` is set.
/// `None` for an empty sample or `q` outside (0, 1). NaN values are ignored.
pub fn conformal_quantile(values: &[f64], q: f64) -> Option<ConformalQuantile> {
    if !(q > 0.0 && q < 1.0) {
        return None;
    }
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let rank = ((n + 1) as f64 * q).ceil() as usize;
    Some(ConformalQuantile {
        value: sorted[rank.clamp(1, n) - 1],
        saturated: rank > n,
        n,
    })
}

/// A conformal quantile and whether the sample was large enough for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConformalQuantile {
    /// The quantile value.
    pub value: f64,
    /// The rank exceeded the sample: `value` is the maximum and covers less than the target.
    pub saturated: bool,
    /// Sample size.
    pub n: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_is_ceil_of_n_plus_one_times_q() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0, 6.0, 7.0, 8.0, 9.0];
        // n = 9, q = 0.8: ⌈10 × 0.8⌉ = 8 → 8.0.
        let c = conformal_quantile(&v, 0.8).unwrap();
        assert_eq!((c.value, c.saturated, c.n), (8.0, false, 9));
        // q = 0.95: ⌈9.5⌉ = 10 > 9 → saturated at the maximum.
        let c = conformal_quantile(&v, 0.95).unwrap();
        assert_eq!((c.value, c.saturated), (9.0, true));
        // q = 0.5: ⌈5⌉ = 5 → 5.0.
        assert_eq!(conformal_quantile(&v, 0.5).unwrap().value, 5.0);
    }

    #[test]
    fn degenerate_inputs_give_none() {
        assert!(conformal_quantile(&[], 0.5).is_none());
        assert!(conformal_quantile(&[1.0], 1.0).is_none());
        assert!(conformal_quantile(&[1.0], 0.0).is_none());
    }
}
