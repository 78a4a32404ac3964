//! The cheapest budget rule of one stratum that meets a truncation target, estimated censoring-aware.

use tel_core::estimator::BudgetRule;

use super::km::Survival;
use crate::calibrate::Outcome;

/// One event of a stratum: its prediction (at least 1) and outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Sample {
    pub predicted: i64,
    pub outcome: Outcome,
}

impl Sample {
    /// `need / p` for a completion, `ceiling / p` (a lower bound) for a truncation.
    fn ratio(&self) -> (f64, bool) {
        match self.outcome {
            Outcome::Observed { actual } => (actual as f64 / self.predicted as f64, false),
            Outcome::Censored { ceiling, .. } => (ceiling as f64 / self.predicted as f64, true),
        }
    }

    /// The chance that this event truncates under `budget`: certain for a completion whose need
    /// exceeds it and for a truncation not given more than its old ceiling; for a truncation given
    /// more, the Kaplan-Meier chance that its need exceeds the budget, given that it exceeded the ceiling,
    /// from the first of `tails` (its stratum, then coarser ones) with a completion above the ceiling;
    /// certain when none has.
    pub fn truncation_chance(&self, budget: i64, tails: &[&Survival]) -> f64 {
        match self.outcome {
            Outcome::Observed { actual } => f64::from(u8::from(actual > budget)),
            Outcome::Censored { ceiling, .. } if budget <= ceiling => 1.0,
            Outcome::Censored { ceiling, .. } => {
                let p = self.predicted as f64;
                tails
                    .iter()
                    .find_map(|s| s.conditional(budget as f64 / p, ceiling as f64 / p))
                    .unwrap_or(1.0)
            }
        }
    }
}

/// The Kaplan-Meier survival of `need / p` over `samples`.
pub(super) fn survival(samples: &[Sample]) -> Survival {
    Survival::fit(samples.iter().map(Sample::ratio).collect())
}

/// A rule that meets the target on its training events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Found {
    pub multiplier: f64,
    pub floor: i64,
    /// Expected truncations over the training events / n (censoring-aware point estimate).
    pub estimate: f64,
    /// Σ budget over the training events.
    pub total_budget: i64,
}

impl Found {
    /// The rule's budget for prediction `predicted`, capped.
    pub fn budget(&self, predicted: i64, cap: i64) -> i64 {
        rule_budget((self.multiplier, self.floor), predicted, cap)
    }
}

fn rule_budget((multiplier, floor): (f64, i64), predicted: i64, cap: i64) -> i64 {
    floor.max((predicted as f64 * multiplier) as i64).min(cap)
}

/// Confidence levels of the one-sided bound and their standard normal quantiles.
pub const CONFIDENCE_LEVELS: [(f64, f64); 4] = [
    (0.9, 1.281_551_565_544_600_4),
    (0.95, 1.644_853_626_951_472_2),
    (0.99, 2.326_347_874_040_841),
    (0.999, 3.090_232_306_167_813_6),
];

/// The normal quantile of a confidence level of [`CONFIDENCE_LEVELS`].
pub fn confidence_z(confidence: f64) -> Option<f64> {
    CONFIDENCE_LEVELS
        .iter()
        .find(|(level, _)| *level == confidence)
        .map(|(_, z)| *z)
}

/// Wilson's one-sided upper confidence bound (normal quantile `z`) of a rate of `expected` events in
/// `n`. Judging a rule by it instead of the point estimate leaves a margin for the noise of the sample
/// the rule was chosen on: the cheapest rule whose point estimate just meets the target is, out of
/// sample, above it.
pub fn wilson_upper(expected: f64, n: usize, z: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let n = n as f64;
    let r = (expected / n).clamp(0.0, 1.0);
    let z2 = z * z;
    (r + z2 / (2.0 * n) + z * (r * (1.0 - r) / n + z2 / (4.0 * n * n)).sqrt()) / (1.0 + z2 / n)
}

/// Multipliers are written with 4 decimals, rounded up so the written rule is never below the tuned one.
fn round_up(m: f64) -> f64 {
    (m * 1e4).ceil() / 1e4
}

struct Problem<'a> {
    samples: &'a [Sample],
    tails: &'a [&'a Survival],
    target: f64,
    z: f64,
    cap: i64,
}

impl Problem<'_> {
    /// Expected truncations and total budget of a rule.
    fn evaluate(&self, rule: (f64, i64)) -> (f64, i64) {
        self.samples.iter().fold((0.0, 0), |(chance, total), s| {
            let b = rule_budget(rule, s.predicted, self.cap);
            (chance + s.truncation_chance(b, self.tails), total + b)
        })
    }

    /// Whether the one-sided upper confidence bound of the truncation rate is within the target.
    fn meets(&self, expected: f64) -> bool {
        wilson_upper(expected, self.samples.len(), self.z) <= self.target
    }

    /// The first of ascending `rules` that meets the target (truncation chance falls as the rule grows).
    fn first_meeting(&self, rules: &[(f64, i64)]) -> Option<Found> {
        let (mut lo, mut hi) = (0, rules.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.meets(self.evaluate(rules[mid]).0) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        rules.get(lo).map(|&(multiplier, floor)| {
            let (expected, total_budget) = self.evaluate((multiplier, floor));
            Found {
                multiplier,
                floor,
                estimate: expected / self.samples.len() as f64,
                total_budget,
            }
        })
    }
}

/// The cheapest rule among a pure multiplier, a pure floor (a quantile of the need) and a floor under
/// a multiplier at the need's 25/50/75/90 % points; `None` when none meets `target` within `cap`.
/// `tails` are the survivals of the stratum and its coarser strata (see [`Sample::truncation_chance`]).
pub(super) fn best_rule(
    samples: &[Sample],
    tails: &[&Survival],
    (target, z): (f64, f64),
    cap: i64,
) -> Option<Found> {
    if samples.is_empty() {
        return None;
    }
    let problem = Problem {
        samples,
        tails,
        target,
        z,
        cap,
    };
    // Where the truncation chance can change: at each completion's need and just above each ceiling.
    let thresholds = |s: &Sample| match s.outcome {
        Outcome::Observed { actual } => actual,
        Outcome::Censored { ceiling, .. } => ceiling + 1,
    };
    let mut multipliers: Vec<f64> = samples
        .iter()
        .map(|s| round_up((thresholds(s) as f64 + 0.5) / s.predicted as f64))
        .collect();
    multipliers.sort_by(f64::total_cmp);
    multipliers.dedup();
    // A floor above the cap would be written but never given.
    let mut floors: Vec<i64> = samples.iter().map(|s| thresholds(s).min(cap)).collect();
    floors.sort_unstable();
    floors.dedup();
    let mut needs: Vec<i64> = samples
        .iter()
        .filter_map(|s| match s.outcome {
            Outcome::Observed { actual } => Some(actual),
            Outcome::Censored { .. } => None,
        })
        .collect();
    needs.sort_unstable();
    let mut combination_floors = vec![0];
    combination_floors.extend([0.25, 0.5, 0.75, 0.9].iter().filter_map(|q| {
        needs.get(((needs.len() as f64 * q) as usize).min(needs.len().max(1) - 1))
    }));
    let pure_floor: Vec<(f64, i64)> = floors.iter().map(|&f| (0.0, f)).collect();
    combination_floors
        .iter()
        .filter_map(|&floor| {
            let rules: Vec<(f64, i64)> = multipliers.iter().map(|&m| (m, floor)).collect();
            problem.first_meeting(&rules)
        })
        .chain(problem.first_meeting(&pure_floor))
        .min_by_key(|found| found.total_budget)
}

/// The rule of a [`Found`] for a stratum key.
pub(super) fn rule_of(found: &Found, key: &super::RuleKey) -> BudgetRule {
    BudgetRule {
        category: key.category.clone(),
        complexity: key.complexity.clone(),
        deliverables: key.deliverables.clone(),
        multiplier: found.multiplier,
        floor: found.floor,
    }
}
