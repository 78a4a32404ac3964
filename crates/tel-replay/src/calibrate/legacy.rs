//! The original's calibration rule (METRICS.md A6, ESTIMATOR.md §9.3): per stratum with enough
//! non-truncated events, `new = old × sqrt(MED-U(a / p))` for each overhead key of the stratum, with `a / p = 0` when `p ≤ 0`. Prices are kept.

use std::collections::BTreeMap;

use tel_core::stats::median_upper;

use super::fit::Support;
use super::model::{Observation, Outcome, OverheadModel, Stratum};

/// Applies the damped median-ratio rule to every stratum `support` allows.
pub(crate) fn fit(
    prior: &OverheadModel,
    observations: &[Observation],
    support: &Support,
) -> OverheadModel {
    let mut ratios: BTreeMap<&Stratum, Vec<f64>> = BTreeMap::new();
    for obs in observations {
        if let (Outcome::Observed { actual }, Some(predicted)) = (obs.outcome, prior.predict(obs)) {
            let ratio = if predicted <= 0 {
                0.0
            } else {
                actual as f64 / predicted as f64
            };
            ratios.entry(&obs.stratum).or_default().push(ratio);
        }
    }
    let mut model = prior.clone();
    for stratum in support.fitted_strata() {
        let Some(upper_median) = ratios.get(stratum).and_then(|r| median_upper(r)) else {
            continue;
        };
        let factor = upper_median.sqrt();
        for key in support.keys_of(stratum) {
            let old = prior.overhead_of(key) as f64;
            model
                .overhead
                .insert(key.clone(), (old * factor).round() as i64);
        }
    }
    model
}
