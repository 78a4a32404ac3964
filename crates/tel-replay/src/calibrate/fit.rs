//! Calibration methods and their common result: which coefficients were fitted, from how many events.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::model::{Observation, OverheadModel, Stratum};
use super::{CalibrateError, censored_log, legacy};

/// A calibration method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Least squares on log tokens, truncated events as one-sided (censored) terms; overheads and prices.
    CensoredLog,
    /// The original's rule: overhead × sqrt(MED-U(a/p)) per stratum, non-truncated events only.
    LegacySqrtMedian,
}

impl Method {
    /// The method's command-line name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::CensoredLog => "censored-log",
            Self::LegacySqrtMedian => "legacy-sqrt-median",
        }
    }

    /// Fits the coefficients of `prior` to `observations`; coefficients with fewer than
    /// `min_samples` non-truncated events keep their prior value.
    pub fn fit(
        self,
        prior: &OverheadModel,
        observations: &[Observation],
        min_samples: usize,
    ) -> Result<Fit, CalibrateError> {
        if let Some(kind) = prior.missing_kind(observations) {
            return Err(CalibrateError::UnknownKind {
                kind: kind.to_owned(),
            });
        }
        let support = Support::count(observations, min_samples);
        let model = match self {
            Self::CensoredLog => censored_log::fit(prior, observations, &support),
            Self::LegacySqrtMedian => legacy::fit(prior, observations, &support),
        };
        Ok(Fit::describe(
            prior,
            model,
            &support,
            self == Self::CensoredLog,
        ))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = CalibrateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "censored-log" => Ok(Self::CensoredLog),
            "legacy-sqrt-median" => Ok(Self::LegacySqrtMedian),
            other => Err(CalibrateError::UnknownMethod {
                name: other.to_owned(),
            }),
        }
    }
}

/// Event counts behind each coefficient, and which coefficients have enough to be fitted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Support {
    pub(crate) strata: BTreeMap<Stratum, Counts>,
    /// The overhead keys seen in each stratum.
    pub(crate) keys: BTreeMap<Stratum, BTreeSet<Stratum>>,
    pub(crate) kinds: BTreeMap<String, Counts>,
    min_samples: usize,
}

/// Non-truncated and truncated events behind one coefficient.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Non-truncated events.
    pub observed: usize,
    /// Truncated (censored) events.
    pub censored: usize,
}

impl Counts {
    fn add(&mut self, obs: &Observation) {
        if obs.outcome.is_censored() {
            self.censored += 1;
        } else {
            self.observed += 1;
        }
    }
}

impl Support {
    fn count(observations: &[Observation], min_samples: usize) -> Self {
        let mut support = Self {
            min_samples,
            ..Self::default()
        };
        for obs in observations {
            support
                .strata
                .entry(obs.stratum.clone())
                .or_default()
                .add(obs);
            support
                .keys
                .entry(obs.stratum.clone())
                .or_default()
                .insert(obs.overhead_key.clone());
            let kinds: BTreeSet<&str> = obs.deliverables.iter().map(|d| d.kind.as_str()).collect();
            for kind in kinds {
                support.kinds.entry(kind.to_owned()).or_default().add(obs);
            }
        }
        support
    }

    /// Whether coefficients backed by `counts` may be fitted.
    pub(crate) fn enough(&self, counts: &Counts) -> bool {
        counts.observed >= self.min_samples.max(1)
    }

    pub(crate) fn fitted_strata(&self) -> impl Iterator<Item = &Stratum> {
        self.strata
            .iter()
            .filter(|(_, c)| self.enough(c))
            .map(|(s, _)| s)
    }

    pub(crate) fn fitted_kinds(&self) -> impl Iterator<Item = &String> {
        self.kinds
            .iter()
            .filter(|(_, c)| self.enough(c))
            .map(|(k, _)| k)
    }

    /// The overhead keys of `stratum` seen in the data.
    pub(crate) fn keys_of(&self, stratum: &Stratum) -> impl Iterator<Item = &Stratum> {
        self.keys.get(stratum).into_iter().flatten()
    }
}

/// One phase-overhead key before and after calibration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverheadFit {
    /// The profile's exact (category, complexity) key.
    pub key: Stratum,
    /// The stratum it was fitted with.
    pub stratum: Stratum,
    /// Events of the stratum.
    pub counts: Counts,
    /// False when the stratum had too few non-truncated events: the prior value was kept.
    pub fitted: bool,
    /// Prior value.
    pub before: i64,
    /// Calibrated value (equal to `before` when not fitted).
    pub after: i64,
}

/// One deliverable-kind price before and after calibration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceFit {
    /// Price kind.
    pub kind: String,
    /// Events with at least one deliverable of this kind.
    pub counts: Counts,
    /// False when the method does not fit prices or the kind had too few non-truncated events.
    pub fitted: bool,
    /// Prior value.
    pub before: i64,
    /// Calibrated value.
    pub after: i64,
}

/// A calibrated model with the story of each coefficient seen in the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// Calibrated coefficients (prior values for everything not fitted).
    pub model: OverheadModel,
    /// Every overhead key seen in the data, by stratum.
    pub overheads: Vec<OverheadFit>,
    /// Every price kind seen in the data.
    pub prices: Vec<PriceFit>,
}

impl Fit {
    fn describe(
        prior: &OverheadModel,
        model: OverheadModel,
        support: &Support,
        fits_prices: bool,
    ) -> Self {
        let overheads = support
            .strata
            .iter()
            .flat_map(|(stratum, counts)| {
                support.keys_of(stratum).map(|key| OverheadFit {
                    key: key.clone(),
                    stratum: stratum.clone(),
                    counts: *counts,
                    fitted: support.enough(counts),
                    before: prior.overhead_of(key),
                    after: model.overhead_of(key),
                })
            })
            .collect();
        let prices = support
            .kinds
            .iter()
            .map(|(kind, counts)| PriceFit {
                kind: kind.clone(),
                counts: *counts,
                fitted: fits_prices && support.enough(counts),
                before: prior.prices.get(kind).copied().unwrap_or_default(),
                after: model.prices.get(kind).copied().unwrap_or_default(),
            })
            .collect();
        Self {
            model,
            overheads,
            prices,
        }
    }
}
