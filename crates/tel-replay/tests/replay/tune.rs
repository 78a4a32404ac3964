//! `tel tune`'s analysis: recovering a known budget quantile, censoring, held-out figures and fallback.

use tel_core::BucketScheme;
use tel_core::estimator::BudgetRule;
use tel_replay::calibrate::{Outcome, assign_folds};
use tel_replay::generate::Rng;
use tel_replay::tune::{TuneConfig, TuneEvent, confidence_z, events_needed, tune};

const SIGMA: f64 = 0.5;

fn config(target: f64) -> TuneConfig {
    TuneConfig {
        target,
        z: confidence_z(0.9).expect("listed level"),
        folds: 5,
        seed: 42,
        scheme: BucketScheme::Collection,
        cap: 1_000_000,
    }
}

/// A phase of `tests/low` with one deliverable: prediction p in 500..3000 and need p × lognormal(0, σ).
fn phase(rng: &mut Rng) -> (i64, i64) {
    let p = rng.range(500, 3000) as i64;
    (p, (p as f64 * rng.lognormal(0.0, SIGMA)) as i64)
}

fn event(predicted: i64, outcome: Outcome, category: &str, deliverables: i64) -> TuneEvent {
    TuneEvent {
        category: category.to_owned(),
        complexity: "low".to_owned(),
        deliverable_count: deliverables,
        predicted,
        default_budget: 16_384,
        outcome,
    }
}

/// The true share of needs above the rule's budget, and its mean budget, on 200,000 fresh phases.
fn truth(rule: &BudgetRule) -> (f64, f64) {
    let mut rng = Rng::seeded(999);
    let n = 200_000;
    let (mut over, mut total) = (0, 0);
    for _ in 0..n {
        let (p, need) = phase(&mut rng);
        let budget = rule.budget(p);
        over += usize::from(need > budget);
        total += budget;
    }
    (over as f64 / n as f64, total as f64 / n as f64)
}

/// The oracle: `p × exp(σ · z₀.₉₅)`, the cheapest multiplier that truncates exactly 5 %.
fn oracle() -> BudgetRule {
    BudgetRule {
        category: None,
        complexity: None,
        deliverables: None,
        multiplier: (SIGMA * 1.644_853_6).exp(),
        floor: 0,
    }
}

/// 4,000 phases whose calls were truncated at a ceiling of p × U(1.2, 4) when the need reached it.
fn censored_phases(naive: bool) -> Vec<TuneEvent> {
    let mut rng = Rng::seeded(7);
    (0..4000)
        .map(|_| {
            let (p, need) = phase(&mut rng);
            let ceiling = (p as f64 * (1.2 + 2.8 * rng.unit())) as i64;
            let outcome = match (need >= ceiling, naive) {
                (false, _) => Outcome::Observed { actual: need },
                // Treating the truncated output as if it were the need: the mistake tuning must not make.
                (true, true) => Outcome::Observed { actual: ceiling },
                (true, false) => Outcome::Censored {
                    observed: ceiling,
                    ceiling,
                },
            };
            event(p, outcome, "tests", 1)
        })
        .collect()
}

fn finest_rule(events: &[TuneEvent], target: f64) -> BudgetRule {
    let report = tune(events, &config(target));
    report
        .budget_rules
        .rules
        .into_iter()
        .find(|r| r.deliverables.is_some())
        .expect("the finest stratum has its own rule")
}

#[test]
fn tuning_recovers_the_known_quantile_of_the_need_ratio() {
    let mut rng = Rng::seeded(3);
    let events: Vec<TuneEvent> = (0..4000)
        .map(|_| {
            let (p, need) = phase(&mut rng);
            event(p, Outcome::Observed { actual: need }, "tests", 1)
        })
        .collect();
    let rule = finest_rule(&events, 0.05);
    let (rate, cost) = truth(&rule);
    let (oracle_rate, oracle_cost) = truth(&oracle());
    assert!((0.045..0.055).contains(&oracle_rate), "{oracle_rate}");
    // Meets the target on the truth, at most 10 % dearer than the oracle (the Wilson margin).
    assert!(
        (0.03..=0.05).contains(&rate),
        "{rule:?}: true truncation {rate}"
    );
    assert!(
        cost < oracle_cost * 1.10,
        "{rule:?}: {cost} vs {oracle_cost}"
    );
}

#[test]
fn truncated_events_are_lower_bounds_so_the_tuned_rule_meets_the_target_on_the_truth() {
    let aware = finest_rule(&censored_phases(false), 0.05);
    let naive = finest_rule(&censored_phases(true), 0.05);
    let (aware_rate, aware_cost) = truth(&aware);
    let (naive_rate, naive_cost) = truth(&naive);
    assert!(
        aware_rate <= 0.05,
        "censoring-aware {aware:?}: truth {aware_rate}"
    );
    assert!(
        naive_cost < aware_cost && naive_rate > 0.05,
        "truncated outputs taken as needs {naive:?}: truth {naive_rate}"
    );
}

#[test]
fn cross_validated_figures_come_from_rules_tuned_on_the_other_folds() {
    let mut rng = Rng::seeded(11);
    let events: Vec<TuneEvent> = (0..1500)
        .map(|_| {
            let (p, need) = phase(&mut rng);
            event(p, Outcome::Observed { actual: need }, "tests", 1)
        })
        .collect();
    let config = config(0.05);
    let report = tune(&events, &config);
    let fold_of = assign_folds(events.len(), config.folds, config.seed);
    let (mut total, mut truncated) = (0, 0);
    for fold in 0..config.folds {
        let training: Vec<TuneEvent> = events
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != fold)
            .map(|(e, _)| e.clone())
            .collect();
        let rules = tune(&training, &config).budget_rules;
        for (e, _) in events.iter().zip(&fold_of).filter(|(_, f)| **f == fold) {
            let rule = rules.lookup("tests", "low", 1).expect("a rule");
            let budget = rule.budget(e.predicted);
            total += budget;
            if let Outcome::Observed { actual } = e.outcome {
                truncated += usize::from(actual > budget);
            }
        }
    }
    let score = &report.overall.score;
    assert_eq!(
        (score.total_budget, score.would_truncate),
        (total, truncated)
    );
    // The rules written are tuned on every event, so they differ from each fold's.
    let full = report.budget_rules.lookup("tests", "low", 1).expect("rule");
    let in_sample: i64 = events.iter().map(|e| full.budget(e.predicted)).sum();
    assert_ne!(in_sample, total);
}

#[test]
fn thin_strata_use_a_coarser_rule_and_say_how_many_more_events_they_need() {
    let mut rng = Rng::seeded(5);
    let mut events: Vec<TuneEvent> = (0..1200)
        .map(|_| {
            let (p, need) = phase(&mut rng);
            event(p, Outcome::Observed { actual: need }, "tests", 2)
        })
        .collect();
    events.extend((0..10).map(|_| {
        let (p, need) = phase(&mut rng);
        event(p, Outcome::Observed { actual: need }, "tests", 20)
    }));
    let report = tune(&events, &config(0.05));
    let needed = events_needed(0.05, config(0.05).z);
    let thin = report
        .strata
        .iter()
        .find(|s| s.stratum.to_string() == "tests/low/16+")
        .expect("the thin stratum is reported");
    assert_eq!(thin.observed, 10);
    assert_eq!(thin.more_events_needed, Some(needed - 10));
    assert_eq!(
        thin.rule_from.as_ref().map(ToString::to_string).as_deref(),
        Some("tests/low/*")
    );
    let thick = report
        .strata
        .iter()
        .find(|s| s.stratum.to_string() == "tests/low/1-3")
        .expect("reported");
    assert_eq!(thick.more_events_needed, Some(0));
    assert_eq!(
        thick.rule_from.as_ref().map(ToString::to_string).as_deref(),
        Some("tests/low/1-3")
    );
}
