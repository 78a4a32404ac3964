//! The default method: least squares on log tokens with truncated events as one-sided (censored) terms.
//!
//! Parameters are the logs of the fitted overheads and prices; the model's continuous prediction is
//! `f = 1.3 · (overhead + Σ weight · price)`. The loss is
//! `Σ_observed (ln a − ln f)² + Σ_censored [f < b] (ln b − ln f)² + λ Σ (θ − θ_prior)²`:
//! a truncated event says only "the need was at least b", so it pulls the prediction up to its ceiling
//! and never down. The small ridge term `λ` keeps coefficients identified when a kind only ever occurs
//! together with one stratum. Minimised by Levenberg-Marquardt (Gauss-Newton with adaptive damping).

use std::collections::BTreeMap;

use super::fit::Support;
use super::linalg::solve_spd;
use super::model::{Observation, Outcome, OverheadModel, Stratum};

/// Ridge weight pulling each log-coefficient toward its prior: as much as one event that agrees with the prior.
pub const RIDGE: f64 = 1.0;
const MAX_ITERATIONS: usize = 200;
const TOLERANCE: f64 = 1e-12;

/// Fits the strata and kinds that `support` allows; the others keep their prior values.
pub(crate) fn fit(
    prior: &OverheadModel,
    observations: &[Observation],
    support: &Support,
) -> OverheadModel {
    let problem = Problem::new(prior, observations, support);
    if problem.dim() == 0 {
        return prior.clone();
    }
    let theta = problem.minimise();
    problem.model_from(prior, support, &theta)
}

/// One event in parameter space: overhead index or fixed value, and the weight of each kind.
struct Row {
    overhead: Term,
    kinds: Vec<(Term, f64)>,
    outcome: Outcome,
}

#[derive(Clone, Copy)]
enum Term {
    Free(usize),
    Fixed(f64),
}

struct Problem {
    rows: Vec<Row>,
    prior_theta: Vec<f64>,
    strata: Vec<Stratum>,
    kinds: Vec<String>,
    safety_margin: f64,
}

fn log_of(value: i64) -> f64 {
    (value.max(1) as f64).ln()
}

/// The starting point of a stratum whose events may use differently valued overhead keys: the mean
/// log prior overhead over its events.
fn mean_log_overhead(
    prior: &OverheadModel,
    observations: &[Observation],
    stratum: &Stratum,
) -> f64 {
    let logs: Vec<f64> = observations
        .iter()
        .filter(|obs| &obs.stratum == stratum)
        .map(|obs| log_of(prior.overhead_of(&obs.overhead_key)))
        .collect();
    logs.iter().sum::<f64>() / logs.len().max(1) as f64
}

impl Problem {
    fn new(prior: &OverheadModel, observations: &[Observation], support: &Support) -> Self {
        let strata: Vec<Stratum> = support.fitted_strata().cloned().collect();
        let kinds: Vec<String> = support.fitted_kinds().cloned().collect();
        let stratum_index: BTreeMap<&Stratum, usize> =
            strata.iter().enumerate().map(|(i, s)| (s, i)).collect();
        let kind_index: BTreeMap<&str, usize> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), strata.len() + i))
            .collect();
        let prior_theta = strata
            .iter()
            .map(|s| mean_log_overhead(prior, observations, s))
            .chain(
                kinds
                    .iter()
                    .map(|k| log_of(prior.prices.get(k).copied().unwrap_or_default())),
            )
            .collect();
        let rows = observations
            .iter()
            .map(|obs| {
                let overhead = match stratum_index.get(&obs.stratum) {
                    Some(i) => Term::Free(*i),
                    None => Term::Fixed(prior.overhead_of(&obs.overhead_key) as f64),
                };
                let kinds = obs
                    .deliverables
                    .iter()
                    .map(|d| match kind_index.get(d.kind.as_str()) {
                        Some(i) => (Term::Free(*i), d.weight()),
                        None => (
                            Term::Fixed(prior.price_of(d).unwrap_or_default() as f64),
                            1.0,
                        ),
                    })
                    .collect();
                Row {
                    overhead,
                    kinds,
                    outcome: obs.outcome,
                }
            })
            .collect();
        Self {
            rows,
            prior_theta,
            strata,
            kinds,
            safety_margin: prior.safety_margin,
        }
    }

    fn dim(&self) -> usize {
        self.prior_theta.len()
    }

    /// Residual of `row` (0 for a censored event already predicted at or above its ceiling) and
    /// the gradient of `ln f` with respect to the free parameters, as (index, value) pairs.
    fn residual(&self, row: &Row, theta: &[f64], grad: &mut Vec<(usize, f64)>) -> f64 {
        grad.clear();
        let mut total = 0.0;
        for (term, weight) in std::iter::once((row.overhead, 1.0)).chain(row.kinds.iter().copied())
        {
            let value = match term {
                Term::Free(i) => {
                    let v = weight * theta[i].exp();
                    grad.push((i, v));
                    v
                }
                Term::Fixed(v) => weight * v,
            };
            total += value;
        }
        let total = total.max(f64::MIN_POSITIVE);
        for (_, g) in grad.iter_mut() {
            *g /= total;
        }
        let log_f = (total * self.safety_margin).ln();
        match row.outcome {
            Outcome::Observed { actual } => log_of(actual) - log_f,
            Outcome::Censored { ceiling, .. } => (log_of(ceiling) - log_f).max(0.0),
        }
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        let mut grad = Vec::new();
        let data: f64 = self
            .rows
            .iter()
            .map(|r| self.residual(r, theta, &mut grad).powi(2))
            .sum();
        let ridge: f64 = theta
            .iter()
            .zip(&self.prior_theta)
            .map(|(t, p)| (t - p).powi(2))
            .sum();
        data + RIDGE * ridge
    }

    /// Normal equations `(JᵀJ + λI)` and right-hand side `Jᵀr − λ(θ − θ₀)` at `theta`.
    fn normal_equations(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.dim();
        let mut a = vec![0.0; n * n];
        let mut b: Vec<f64> = theta
            .iter()
            .zip(&self.prior_theta)
            .map(|(t, p)| -RIDGE * (t - p))
            .collect();
        for i in 0..n {
            a[i * n + i] = RIDGE;
        }
        let mut grad = Vec::new();
        for row in &self.rows {
            let r = self.residual(row, theta, &mut grad);
            let active = r != 0.0 || !row.outcome.is_censored();
            if !active {
                continue;
            }
            for &(i, gi) in &grad {
                b[i] += gi * r;
                for &(j, gj) in &grad {
                    a[i * n + j] += gi * gj;
                }
            }
        }
        (a, b)
    }

    fn minimise(&self) -> Vec<f64> {
        let n = self.dim();
        let mut theta = self.prior_theta.clone();
        let mut loss = self.loss(&theta);
        let mut damping = 1e-3;
        for _ in 0..MAX_ITERATIONS {
            let (a, b) = self.normal_equations(&theta);
            let mut damped = a.clone();
            for i in 0..n {
                damped[i * n + i] += damping * a[i * n + i];
            }
            let Some(step) = solve_spd(&damped, &b) else {
                break;
            };
            let candidate: Vec<f64> = theta.iter().zip(&step).map(|(t, s)| t + s).collect();
            let candidate_loss = self.loss(&candidate);
            if candidate_loss <= loss {
                let converged = loss - candidate_loss <= TOLERANCE * (1.0 + loss);
                theta = candidate;
                loss = candidate_loss;
                damping = (damping / 3.0).max(1e-12);
                if converged {
                    break;
                }
            } else {
                damping *= 4.0;
                if damping > 1e12 {
                    break;
                }
            }
        }
        theta
    }

    fn model_from(&self, prior: &OverheadModel, support: &Support, theta: &[f64]) -> OverheadModel {
        let value = |t: f64| (t.exp().round() as i64).max(1);
        let mut model = prior.clone();
        for (i, stratum) in self.strata.iter().enumerate() {
            for key in support.keys_of(stratum) {
                model.overhead.insert(key.clone(), value(theta[i]));
            }
        }
        for (i, kind) in self.kinds.iter().enumerate() {
            model
                .prices
                .insert(kind.clone(), value(theta[self.strata.len() + i]));
        }
        model
    }
}
