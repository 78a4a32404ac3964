//! k-fold cross-validation of a calibration method: every event is scored by coefficients fitted without it.

use std::collections::BTreeMap;

use serde::Serialize;
use tel_core::{AccuracyAccumulator, AccuracyOptions, AccuracyReport};

use super::CalibrateError;
use super::fit::{Counts, Method};
use super::folds::assign_folds;
use super::model::{Observation, Outcome, OverheadModel, Stratum};

/// Cross-validation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CvConfig {
    /// Number of folds (clamped to the number of events).
    pub folds: usize,
    /// Shuffle seed.
    pub seed: u64,
    /// Minimum non-truncated events for a coefficient to be fitted.
    pub min_samples: usize,
}

impl Default for CvConfig {
    fn default() -> Self {
        Self {
            folds: 5,
            seed: 42,
            min_samples: 5,
        }
    }
}

/// Before/after accuracy of one group (a stratum, or all events), as tel-core's Part B reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupScore {
    /// Events in the group.
    pub counts: Counts,
    /// With the prior coefficients.
    pub before: AccuracyReport,
    /// With coefficients fitted on the other folds.
    pub after: AccuracyReport,
}

/// Cross-validated accuracy, overall and per stratum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvReport {
    /// Folds actually used.
    pub folds: usize,
    /// Shuffle seed.
    pub seed: u64,
    /// All events.
    pub overall: GroupScore,
    /// Per stratum, in stratum order.
    #[serde(serialize_with = "super::model::serialize_by_stratum")]
    pub strata: BTreeMap<Stratum, GroupScore>,
}

struct Tally {
    counts: Counts,
    before: AccuracyAccumulator,
    after: AccuracyAccumulator,
}

impl Default for Tally {
    fn default() -> Self {
        // Observations are already eligible events: no actual-size guard here.
        let options = AccuracyOptions {
            min_actual_output_tokens: 1,
            ..AccuracyOptions::default()
        };
        Self {
            counts: Counts::default(),
            before: AccuracyAccumulator::new(options),
            after: AccuracyAccumulator::new(options),
        }
    }
}

impl Tally {
    fn add(&mut self, outcome: Outcome, before: i64, after: i64) {
        self.before.push(outcome.view(before), before);
        self.after.push(outcome.view(after), after);
        match outcome {
            Outcome::Observed { .. } => self.counts.observed += 1,
            Outcome::Censored { .. } => self.counts.censored += 1,
        }
    }

    fn score(&self) -> GroupScore {
        GroupScore {
            counts: self.counts,
            before: self.before.finish(),
            after: self.after.finish(),
        }
    }
}

/// Out-of-fold predictions of `method`: for each event, the prediction of the model fitted on the
/// other folds. Events are scored in input order; folds come from [`assign_folds`].
pub fn out_of_fold_predictions(
    method: Method,
    prior: &OverheadModel,
    observations: &[Observation],
    config: &CvConfig,
) -> Result<Vec<i64>, CalibrateError> {
    let fold_of = assign_folds(observations.len(), config.folds, config.seed);
    let folds = fold_of.iter().max().map_or(0, |f| f + 1);
    let mut predictions = vec![0; observations.len()];
    for fold in 0..folds {
        let training: Vec<Observation> = observations
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != fold)
            .map(|(obs, _)| obs.clone())
            .collect();
        let model = method.fit(prior, &training, config.min_samples)?.model;
        for (i, obs) in observations
            .iter()
            .enumerate()
            .filter(|(i, _)| fold_of[*i] == fold)
        {
            predictions[i] = predict(&model, obs)?;
        }
    }
    Ok(predictions)
}

fn predict(model: &OverheadModel, obs: &Observation) -> Result<i64, CalibrateError> {
    model
        .predict(obs)
        .ok_or_else(|| CalibrateError::UnknownKind {
            kind: model
                .missing_kind(std::slice::from_ref(obs))
                .unwrap_or_default()
                .to_owned(),
        })
}

impl CvReport {
    /// The overall metrics on which the refit, scored out of sample (each event predicted by the
    /// coefficients fitted on the other folds), does worse than the prior, in words; empty when it is at
    /// least as good on underestimation and SMAPE. A fit on few events can make things worse: the caller
    /// warns rather than hands over a file that the cross-validation shows is not better.
    pub fn worse_than_prior(&self) -> Vec<String> {
        let o = &self.overall;
        let mut worse = Vec::new();
        let (before, after) = (o.before.underestimation.rate, o.after.underestimation.rate);
        if let (Some(b), Some(a)) = (before.fraction(), after.fraction())
            && a > b
        {
            worse.push(format!(
                "underestimated {} of {} events instead of {} of {}",
                after.count, after.n, before.count, before.n
            ));
        }
        if let (Some(b), Some(a)) = (o.before.smape.mean, o.after.smape.mean)
            && a > b
        {
            worse.push(format!("mean SMAPE {a:.1} instead of {b:.1}"));
        }
        worse
    }
}

/// Cross-validates `method` starting from `prior`.
pub fn cross_validate(
    method: Method,
    prior: &OverheadModel,
    observations: &[Observation],
    config: &CvConfig,
) -> Result<CvReport, CalibrateError> {
    let after = out_of_fold_predictions(method, prior, observations, config)?;
    let mut overall = Tally::default();
    let mut strata: BTreeMap<Stratum, Tally> = BTreeMap::new();
    for (obs, after) in observations.iter().zip(after) {
        let before = predict(prior, obs)?;
        overall.add(obs.outcome, before, after);
        strata
            .entry(obs.stratum.clone())
            .or_default()
            .add(obs.outcome, before, after);
    }
    Ok(CvReport {
        folds: config.folds.clamp(1, observations.len().max(1)),
        seed: config.seed,
        overall: overall.score(),
        strata: strata.into_iter().map(|(s, t)| (s, t.score())).collect(),
    })
}
