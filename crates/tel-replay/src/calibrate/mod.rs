//! Calibration of the estimator's overhead model from stored events, with cross-validation.
//!
//! Pure computation on [`Observation`]s: the caller turns events into observations (stratum, priced
//! deliverables, outcome) and a profile into an [`OverheadModel`]. See `docs/CALIBRATION.md`.

mod censored_log;
mod cv;
pub mod events;
mod fit;
mod folds;
mod legacy;
mod linalg;
mod model;
mod quantile;
pub mod table;

pub use censored_log::RIDGE;
pub use cv::{CvConfig, CvReport, GroupScore, cross_validate, out_of_fold_predictions};
pub use fit::{Counts, Fit, Method, OverheadFit, PriceFit};
pub use folds::assign_folds;
pub use model::{
    Observation, Outcome, OverheadModel, PricedDeliverable, SAFETY_MARGIN, SimEvent, Stratum,
    serialize_by_stratum,
};
pub use quantile::{ConformalQuantile, conformal_quantile};

use std::collections::BTreeMap;

use serde::Serialize;

/// Why a calibration could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalibrateError {
    /// An observation has a deliverable kind the prior's price table lacks.
    #[error("deliverable kind {kind:?} is not in the prior price table")]
    UnknownKind {
        /// The kind.
        kind: String,
    },
    /// An unknown `--method` name.
    #[error("unknown calibration method {name:?}: expected censored-log or legacy-sqrt-median")]
    UnknownMethod {
        /// The rejected name.
        name: String,
    },
}

/// A stratum's budget multiplier at a target quantile: the conformal quantile of `a / p` over its
/// non-truncated events, with the truncated events that prove it too small counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumBudget {
    /// Non-truncated events with `p > 0` behind the quantile.
    pub n: usize,
    /// `q`-quantile of `a / p`; `None` without events.
    pub multiplier: Option<f64>,
    /// The sample was too small for the rank `⌈(n+1)q⌉`: the multiplier is the maximum ratio.
    pub saturated: bool,
    /// Truncated events whose lower-bound ratio `b / p` already exceeds the multiplier.
    pub censored_above: usize,
}

/// Budget multipliers per stratum at quantile `q` for predictions of `model`.
pub fn budget_multipliers(
    model: &OverheadModel,
    observations: &[Observation],
    q: f64,
) -> BTreeMap<Stratum, StratumBudget> {
    let mut ratios: BTreeMap<&Stratum, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for obs in observations {
        let Some(p) = model.predict(obs).filter(|p| *p > 0) else {
            continue;
        };
        let (observed, censored) = ratios.entry(&obs.stratum).or_default();
        match obs.outcome {
            Outcome::Observed { actual } => observed.push(actual as f64 / p as f64),
            Outcome::Censored { ceiling, .. } => censored.push(ceiling as f64 / p as f64),
        }
    }
    ratios
        .into_iter()
        .map(|(stratum, (observed, censored))| {
            let quantile = conformal_quantile(&observed, q);
            let multiplier = quantile.map(|c| c.value);
            let budget = StratumBudget {
                n: observed.len(),
                multiplier,
                saturated: quantile.is_some_and(|c| c.saturated),
                censored_above: censored
                    .iter()
                    .filter(|r| multiplier.is_none_or(|m| **r > m))
                    .count(),
            };
            (stratum.clone(), budget)
        })
        .collect()
}
