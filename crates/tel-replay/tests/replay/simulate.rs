//! Budget-policy simulation: hand-computed fixtures pin the B9 arithmetic, including the unknown rule.

use tel_core::ValidityGuard;
use tel_core::accuracy::PinballTau;
use tel_core::estimator::{Estimator, Profile};
use tel_replay::calibrate::events::Prepared;
use tel_replay::calibrate::{CvConfig, Outcome, Stratum};
use tel_replay::db::calibrate::read_source;
use tel_replay::simulate::{Grouping, Policy, SimEvent, by_provider_model, simulate};
use tel_store::{ConnectOptions, DatabaseUrl, EventQuery, MigrateAction, connect, migrate};

fn event(stratum: &str, predicted: i64, outcome: Outcome) -> SimEvent {
    SimEvent {
        stratum: Stratum::new(stratum, "low"),
        predicted,
        outcome,
    }
}

/// Five events, two strata; see each test for the hand computation.
fn fixture() -> Vec<SimEvent> {
    vec![
        event("docs", 1000, Outcome::Observed { actual: 800 }),
        event("docs", 1000, Outcome::Observed { actual: 1300 }),
        event(
            "docs",
            2000,
            Outcome::Censored {
                observed: 4096,
                ceiling: 4096,
            },
        ),
        event("implementation", 3000, Outcome::Observed { actual: 2500 }),
        event(
            "implementation",
            3000,
            Outcome::Censored {
                observed: 5000,
                ceiling: 8192,
            },
        ),
    ]
}

fn budgets(policy: &str, events: &[SimEvent]) -> Vec<i64> {
    let policy: Policy = policy.parse().unwrap();
    policy
        .budgets_from_predictions(events, &CvConfig::default())
        .unwrap()
}

fn tau(value: f64) -> PinballTau {
    PinballTau::new(value).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn buffer_policy_arithmetic_matches_hand_computation() {
    let events = fixture();
    let b = budgets("buffer:1.5", &events);
    assert_eq!(b, vec![1500, 1500, 3000, 4500, 4500]);
    let report = simulate(&events, &b, tau(0.9));
    let all = &report.overall;
    // Event 3: 3000 ≤ old ceiling 4096 → truncated; event 5: 4500 ≤ 8192 → truncated; the rest are safe.
    assert_eq!(
        (all.n, all.would_truncate, all.safe, all.unknown),
        (5, 2, 3, 0)
    );
    assert_eq!(all.truncation_rate, [0.4, 0.4]);
    // Slack over safe events: 700, 200, 2000.
    assert!(close(all.mean_slack.unwrap(), 2900.0 / 3.0));
    assert_eq!(all.median_slack, Some(700.0));
    assert_eq!(all.total_budget, 15000);
    // Pinball at 0.9, over-reservation weighs 0.1: (70 + 20 + 200) / 3; the two truncated events are excluded.
    assert!(close(all.pinball.unwrap(), 290.0 / 3.0));
    assert_eq!(all.censored, 2);
}

#[test]
fn larger_budget_than_old_ceiling_makes_truncated_event_unknown() {
    let events = fixture();
    let b = budgets("fixed:5000", &events);
    let report = simulate(&events, &b, tau(0.9));
    let all = &report.overall;
    // Event 3: 5000 > 4096 → unknown (never guessed); event 5: 5000 ≤ 8192 → truncated.
    assert_eq!((all.would_truncate, all.safe, all.unknown), (1, 3, 1));
    assert_eq!(all.truncation_rate, [0.2, 0.4]);
    assert!(close(all.coverage[0], 0.6) && close(all.coverage[1], 0.8));
    // Slack 4200, 3700, 2500.
    assert!(close(all.mean_slack.unwrap(), 10400.0 / 3.0));
    assert_eq!(all.median_slack, Some(3700.0));
    assert_eq!(all.total_budget, 25000);
    assert!(close(all.pinball.unwrap(), (420.0 + 370.0 + 250.0) / 3.0));
    let docs = &report.strata[&Stratum::new("docs", "low")];
    assert_eq!(
        (docs.n, docs.would_truncate, docs.safe, docs.unknown),
        (3, 0, 2, 1)
    );
    assert!(close(docs.truncation_rate[1], 1.0 / 3.0));
    assert_eq!(docs.median_slack, Some(3950.0));
}

#[test]
fn ties_are_safe_for_completed_events_and_truncated_for_censored_ones() {
    let events = vec![
        event("docs", 1000, Outcome::Observed { actual: 1300 }),
        event(
            "docs",
            1000,
            Outcome::Censored {
                observed: 1300,
                ceiling: 1300,
            },
        ),
    ];
    let report = simulate(&events, &[1300, 1300], tau(0.95));
    let all = &report.overall;
    // a = b′ completes (truncated iff a > b′); b′ = b repeats the old ceiling, so it truncates again.
    assert_eq!((all.would_truncate, all.safe, all.unknown), (1, 1, 0));
    assert_eq!(all.median_slack, Some(0.0));
    assert_eq!(all.pinball, Some(0.0));
}

#[test]
fn shortfall_costs_tau_in_pinball_loss() {
    let events = vec![event("docs", 1000, Outcome::Observed { actual: 1300 })];
    let report = simulate(&events, &budgets("fixed:1000", &events), tau(0.9));
    assert_eq!(report.overall.would_truncate, 1);
    assert!(close(report.overall.pinball.unwrap(), 270.0));
    assert_eq!(report.overall.mean_slack, None);
}

#[test]
fn quantile_policy_never_judges_an_event_with_its_own_ratio() {
    // Five events at ratio 1 and one at ratio 10, leave-one-out. The outlier's training ratios are all 1
    // (rank ⌈6 × 0.9⌉ = 6 > 5 saturates at the maximum, 1) → budget 1000 → truncated; each other event
    // sees the outlier in training → multiplier 10 → safe. Judged in-sample, all six would be safe.
    let mut events: Vec<SimEvent> = (0..5)
        .map(|_| event("docs", 1000, Outcome::Observed { actual: 1000 }))
        .collect();
    events.push(event("docs", 1000, Outcome::Observed { actual: 10000 }));
    let cv = CvConfig {
        folds: 6,
        seed: 42,
        min_samples: 1,
    };
    let b = Policy::Quantile(0.9)
        .budgets_from_predictions(&events, &cv)
        .unwrap();
    assert_eq!(b, vec![10000, 10000, 10000, 10000, 10000, 1000]);
    let all = simulate(&events, &b, tau(0.9)).overall;
    assert_eq!((all.would_truncate, all.safe), (1, 5));
}

#[test]
fn quantile_policy_borrows_pooled_multiplier_for_small_strata() {
    // "tests" has one event, below min_samples 3: it gets the pooled multiplier of the docs events (ratio 2).
    let mut events: Vec<SimEvent> = (0..4)
        .map(|_| event("docs", 1000, Outcome::Observed { actual: 2000 }))
        .collect();
    events.push(event("tests", 500, Outcome::Observed { actual: 100 }));
    let cv = CvConfig {
        folds: 5,
        seed: 7,
        min_samples: 3,
    };
    let b = Policy::Quantile(0.5)
        .budgets_from_predictions(&events, &cv)
        .unwrap();
    assert_eq!(b[4], 1000);
    assert!(b[..4].iter().all(|budget| *budget == 2000));
}

#[test]
fn policies_parse_and_reject_nonsense() {
    for text in [
        "select-budget:v2-head",
        "buffer:1.2",
        "fixed:16384",
        "quantile:0.95",
    ] {
        assert_eq!(text.parse::<Policy>().unwrap().to_string(), text);
    }
    for text in [
        "buffer",
        "buffer:-1",
        "fixed:0",
        "fixed:1.5",
        "quantile:1",
        "select-budget:",
        "magic:3",
    ] {
        let err = text.parse::<Policy>().unwrap_err();
        assert!(err.to_string().contains(text), "{err}");
    }
    assert!(
        "select-budget:v2-head"
            .parse::<Policy>()
            .unwrap()
            .budgets_from_predictions(&[], &CvConfig::default())
            .is_none()
    );
}

/// The legacy snapshot copied to a temporary directory and adopted by `tel migrate`'s library call, read
/// under `profile`; `None` (skip notice printed) without the real data.
pub fn snapshot_source(
    profile: &str,
) -> Option<(tempfile::TempDir, tel_replay::db::calibrate::Source)> {
    let db = crate::real_data::real_data()?.join("autopack-legacy-2025-12-24.db");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("snapshot.db");
    std::fs::copy(&db, &copy).unwrap();
    let url = DatabaseUrl::parse(copy.to_str().unwrap()).unwrap();
    let mut conn = connect(&url, &ConnectOptions::default()).unwrap();
    migrate(&mut conn, MigrateAction::Apply).unwrap();
    let estimator = Estimator::new(Profile::builtin(profile).unwrap());
    let source = read_source(&mut conn, &EventQuery::default(), &estimator).unwrap();
    Some((dir, source))
}

#[test]
fn v2_head_budgets_on_legacy_snapshot_match_b11() {
    let Some((_dir, source)) = snapshot_source("v2-head") else {
        return;
    };
    let estimator = Estimator::new(Profile::builtin("v2-head").unwrap());
    let budgets: Vec<i64> = source
        .prepared
        .inputs
        .iter()
        .map(|i| i.select_budget(&estimator))
        .collect();
    let all = simulate(&source.prepared.sim_events, &budgets, tau(0.95)).overall;
    // METRICS.md B11: would_truncate 1 (event 22, b′ = 4680 < a = 5617), safe 13, unknown 14 ⇒ [3.6%, 53.6%].
    assert_eq!(
        (all.n, all.would_truncate, all.safe, all.unknown),
        (28, 1, 13, 14)
    );
    assert!(
        close(all.truncation_rate[0], 1.0 / 28.0) && close(all.truncation_rate[1], 15.0 / 28.0)
    );
    assert!(budgets.contains(&4680) && budgets.contains(&28199));
}

#[test]
fn simulate_strata_use_the_stored_category_normalised_as_report_and_replay_do() {
    let Some((_dir, source)) = snapshot_source("v2-head") else {
        return;
    };
    let categories: std::collections::BTreeSet<&str> = source
        .prepared
        .sim_events
        .iter()
        .map(|e| e.stratum.category.as_str())
        .collect();
    // The snapshot's `documentation` and `docs` rows are `docs` in `tel report` and `tel replay`; the
    // estimator's effective categories (doc_synthesis, doc_sot_update) must not leak into simulate.
    assert!(categories.contains("docs"), "{categories:?}");
    assert!(
        categories
            .iter()
            .all(|c| *c == tel_core::normalise_category(c) && !c.starts_with("doc_")),
        "{categories:?}"
    );
}

/// The OTLP fixtures' events prepared for simulation as `tel simulate` does (v2-head).
fn otlp_prepared(fixtures: &[&str]) -> Prepared {
    let estimator = Estimator::new(Profile::builtin("v2-head").unwrap());
    let mut prepared = Prepared::default();
    for name in fixtures {
        for event in crate::otlp::events(&crate::otlp::read(name)) {
            prepared.push(
                &event,
                &estimator,
                ValidityGuard::LEGACY_MIN_ACTUAL_OUTPUT_TOKENS,
            );
        }
    }
    prepared
}

#[test]
fn simulate_groups_otlp_spans_without_categories_by_provider_model_and_refuses_prediction_policies()
{
    let prepared = otlp_prepared(&["genai-legacy.jsonl"]);
    assert_eq!(prepared.sim_events.len(), 2);
    assert_eq!(Grouping::of(&prepared.sim_events), Grouping::ProviderModel);
    let events = by_provider_model(&prepared.sim_events, &prepared.provider_models);
    assert!(events.iter().all(|e| e.predicted == 1), "{events:?}");
    let cv = CvConfig::default();
    let fixed = Policy::Fixed(2000)
        .budgets_without_predictions(&events, &cv)
        .unwrap();
    let report = simulate(&events, &fixed, tau(0.95));
    let keys: Vec<String> = report.strata.keys().map(ToString::to_string).collect();
    assert_eq!(
        keys,
        [
            "Anthropic/claude-3-5-sonnet",
            "Anthropic/claude-3-5-sonnet-20241022"
        ]
    );
    // 1830 tokens completed under 4096: safe at 2000 with slack 170; 4096 truncated at 4096: 2000 ≤ 4096 truncates.
    let done = &report.strata[&Stratum::new("Anthropic", "claude-3-5-sonnet")];
    assert_eq!((done.safe, done.mean_slack), (1, Some(170.0)));
    let cut = &report.strata[&Stratum::new("Anthropic", "claude-3-5-sonnet-20241022")];
    assert_eq!((cut.would_truncate, cut.unknown), (1, 0));
    for policy in ["buffer:1.2", "select-budget:v2-head", "file:budgets.toml"] {
        let policy: Policy = policy.parse().unwrap();
        let reason = policy
            .budgets_without_predictions(&events, &cv)
            .unwrap_err();
        assert!(
            reason.contains("predict") || reason.contains("estimate"),
            "{policy}: {reason}"
        );
    }
    // One span with tel.category among untagged ones: the categories stay the grouping.
    let mixed = otlp_prepared(&["genai-current.jsonl", "genai-legacy.jsonl"]);
    assert_eq!(mixed.sim_events.len(), 5);
    assert_eq!(
        Grouping::of(&mixed.sim_events),
        Grouping::CategoryComplexity
    );
    assert_eq!(Grouping::of(&[]), Grouping::CategoryComplexity);
}

#[test]
fn quantile_without_predictions_budgets_the_observed_need_of_the_group() {
    // The stored predictions (7, 50000) must not matter: leave-one-out over needs 1000 ×5 and 10000 gives
    // the outlier the others' maximum, 1000 (truncated), and every other event the outlier's 10000.
    let mut sim: Vec<SimEvent> = (0..5)
        .map(|_| event("unknown", 7, Outcome::Observed { actual: 1000 }))
        .collect();
    sim.push(event("unknown", 50000, Outcome::Observed { actual: 10000 }));
    let keys = vec![Stratum::new("openai", "gpt-4o"); sim.len()];
    let events = by_provider_model(&sim, &keys);
    let cv = CvConfig {
        folds: 6,
        seed: 42,
        min_samples: 1,
    };
    let b = Policy::Quantile(0.9)
        .budgets_without_predictions(&events, &cv)
        .unwrap();
    assert_eq!(b, vec![10000, 10000, 10000, 10000, 10000, 1000]);
    // Every event truncated: no need observed to learn from, so no budget rather than a made-up one.
    let censored = Outcome::Censored {
        observed: 4096,
        ceiling: 4096,
    };
    let cut = by_provider_model(&vec![event("unknown", 0, censored); 3], &keys[..3]);
    let reason = Policy::Quantile(0.9)
        .budgets_without_predictions(&cut, &cv)
        .unwrap_err();
    assert!(reason.contains("completed events"), "{reason}");
}
