//! Calibration: the legacy rule by hand, recovery of a known model under censoring, cross-validation.

use std::collections::BTreeMap;

use tel_replay::calibrate::{
    CvConfig, Method, Observation, Outcome, OverheadModel, PricedDeliverable, SAFETY_MARGIN,
    Stratum, budget_multipliers, cross_validate,
};

fn model(overhead: &[(&str, i64)], prices: &[(&str, i64)]) -> OverheadModel {
    OverheadModel {
        safety_margin: SAFETY_MARGIN,
        overhead: overhead
            .iter()
            .map(|(c, v)| (Stratum::new(*c, "low"), *v))
            .collect(),
        default_overhead: 2000,
        prices: prices.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
    }
}

fn observation(category: &str, kinds: &[&str], outcome: Outcome) -> Observation {
    Observation::new(
        Stratum::new(category, "low"),
        kinds
            .iter()
            .map(|k| PricedDeliverable::new_file(*k))
            .collect(),
        outcome,
    )
}

#[test]
fn legacy_rule_uses_upper_median_and_square_root_damping() {
    let prior = model(&[("implementation", 2000)], &[("backend", 2000)]);
    // p = trunc((2000 + 2000) × 1.3) = 5200; ratios 0.25 0.5 1.0 0.2 0.75 0.8 → MED-U = sorted[3] = 0.75
    // → 2000 × sqrt(0.75) = 1732.05 → 1732 (MED-T would give 0.625 → 1581).
    let mut observations: Vec<Observation> = [1300, 2600, 5200, 1040, 3900, 4160]
        .iter()
        .map(|a| {
            observation(
                "implementation",
                &["backend"],
                Outcome::Observed { actual: *a },
            )
        })
        .collect();
    // A truncated event is not a sample for the legacy rule.
    observations.push(observation(
        "implementation",
        &["backend"],
        Outcome::Censored {
            observed: 100,
            ceiling: 100,
        },
    ));
    // Four events in another stratum: below min_samples 5, the prior stays and the stratum is listed.
    for _ in 0..4 {
        observations.push(observation(
            "testing",
            &["backend"],
            Outcome::Observed { actual: 100 },
        ));
    }
    let fit = Method::LegacySqrtMedian
        .fit(&prior, &observations, 5)
        .unwrap();
    assert_eq!(
        fit.model
            .overhead_of(&Stratum::new("implementation", "low")),
        1732
    );
    assert_eq!(fit.model.overhead_of(&Stratum::new("testing", "low")), 2000);
    assert_eq!(fit.model.prices, prior.prices);
    let testing = fit
        .overheads
        .iter()
        .find(|s| s.key.category == "testing")
        .unwrap();
    assert!(!testing.fitted);
    assert_eq!(
        (testing.counts.observed, testing.before, testing.after),
        (4, 2000, 2000)
    );
    let implementation = fit
        .overheads
        .iter()
        .find(|s| s.key.category == "implementation")
        .unwrap();
    assert!(implementation.fitted);
    assert_eq!(
        (
            implementation.counts.observed,
            implementation.counts.censored
        ),
        (6, 1)
    );
}

/// xorshift64*: a few lines of deterministic noise for synthetic data.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal by Box-Muller.
    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

const KINDS: [&str; 3] = ["backend", "test", "doc"];

/// Events from `truth` with log-normal noise (median 1, σ = 0.25), truncated at `ceiling`.
fn synthetic(truth: &OverheadModel, n: usize, ceiling: i64, seed: u64) -> Vec<Observation> {
    let categories: Vec<&Stratum> = truth.overhead.keys().collect();
    let mut noise = Noise(seed);
    (0..n)
        .map(|i| {
            let stratum = categories[i % categories.len()].clone();
            let count = 1 + (noise.uniform() * 4.0) as usize;
            let deliverables: Vec<PricedDeliverable> = (0..count)
                .map(|_| PricedDeliverable::new_file(KINDS[(noise.uniform() * 3.0) as usize]))
                .collect();
            let mut obs = Observation::new(stratum, deliverables, Outcome::Observed { actual: 0 });
            let mean = truth.predict(&obs).unwrap() as f64;
            let actual = (mean * (0.25 * noise.normal()).exp()) as i64;
            obs.outcome = if actual > ceiling {
                Outcome::Censored {
                    observed: ceiling,
                    ceiling,
                }
            } else {
                Outcome::Observed { actual }
            };
            obs
        })
        .collect()
}

fn truth_and_prior() -> (OverheadModel, OverheadModel) {
    let truth = model(
        &[
            ("implementation", 1200),
            ("docs", 2500),
            ("tests", 900),
            ("integration", 4000),
        ],
        &[("backend", 1500), ("test", 900), ("doc", 600)],
    );
    let prior = model(
        &[
            ("implementation", 2000),
            ("docs", 1500),
            ("tests", 1500),
            ("integration", 3000),
        ],
        &[("backend", 2000), ("test", 1400), ("doc", 500)],
    );
    (truth, prior)
}

fn relative_error(a: i64, b: i64) -> f64 {
    (a - b).abs() as f64 / b as f64
}

#[test]
fn censored_log_fit_recovers_known_model_despite_truncation() {
    let (truth, prior) = truth_and_prior();
    let observations = synthetic(&truth, 800, 9000, 7);
    let censored = observations
        .iter()
        .filter(|o| o.outcome.is_censored())
        .count();
    assert!(
        censored > 40,
        "the fixture must exercise censoring, got {censored}"
    );
    let fit = Method::CensoredLog.fit(&prior, &observations, 5).unwrap();
    for (stratum, value) in &truth.overhead {
        let got = fit.model.overhead_of(stratum);
        assert!(
            relative_error(got, *value) < 0.15,
            "{stratum}: {got} vs true {value}"
        );
    }
    for (kind, value) in &truth.prices {
        let got = fit.model.prices[kind];
        assert!(
            relative_error(got, *value) < 0.10,
            "{kind}: {got} vs true {value}"
        );
    }
    assert!(fit.overheads.iter().all(|s| s.fitted) && fit.prices.iter().all(|k| k.fitted));
}

#[test]
fn treating_truncated_events_as_observations_biases_the_fit_down() {
    let (truth, prior) = truth_and_prior();
    let observations = synthetic(&truth, 800, 7000, 11);
    let as_observed: Vec<Observation> = observations
        .iter()
        .map(|o| match o.outcome {
            Outcome::Censored { observed, .. } => Observation {
                outcome: Outcome::Observed { actual: observed },
                ..o.clone()
            },
            Outcome::Observed { .. } => o.clone(),
        })
        .collect();
    let censored = Method::CensoredLog
        .fit(&prior, &observations, 5)
        .unwrap()
        .model;
    let naive = Method::CensoredLog
        .fit(&prior, &as_observed, 5)
        .unwrap()
        .model;
    let big = Stratum::new("integration", "low");
    let truth_value = truth.overhead_of(&big);
    assert!(naive.overhead_of(&big) < censored.overhead_of(&big));
    assert!(
        relative_error(censored.overhead_of(&big), truth_value)
            < relative_error(naive.overhead_of(&big), truth_value)
    );
}

#[test]
fn cross_validated_smape_improves_over_the_prior() {
    let (truth, prior) = truth_and_prior();
    let observations = synthetic(&truth, 400, 9000, 3);
    let config = CvConfig::default();
    for method in [Method::CensoredLog, Method::LegacySqrtMedian] {
        let report = cross_validate(method, &prior, &observations, &config).unwrap();
        let (before, after) = (
            report.overall.before.smape.mean.unwrap(),
            report.overall.after.smape.mean.unwrap(),
        );
        assert!(
            after < before,
            "{method}: SMAPE {after} not below prior {before}"
        );
        assert_eq!(
            report.overall.counts.observed + report.overall.counts.censored,
            400
        );
        assert_eq!(
            report,
            cross_validate(method, &prior, &observations, &config).unwrap(),
            "deterministic"
        );
    }
}

#[test]
fn strata_below_min_samples_keep_prior_in_every_fold() {
    let (truth, prior) = truth_and_prior();
    let mut observations = synthetic(&truth, 200, 100_000, 5);
    let rare = Stratum::new("deployment", "low");
    for actual in [100, 120, 140] {
        observations.push(observation(
            "deployment",
            &["doc"],
            Outcome::Observed { actual },
        ));
    }
    let fit = Method::CensoredLog.fit(&prior, &observations, 5).unwrap();
    let row = fit.overheads.iter().find(|s| s.key == rare).unwrap();
    assert_eq!(
        (row.fitted, row.after, row.counts.observed),
        (false, 2000, 3)
    );
    assert!(!fit.model.overhead.contains_key(&rare));
    let report = cross_validate(
        Method::CensoredLog,
        &prior,
        &observations,
        &CvConfig::default(),
    )
    .unwrap();
    assert_eq!(report.strata[&rare].counts.observed, 3);
}

#[test]
fn unknown_kind_is_an_error_naming_the_kind() {
    let prior = model(&[], &[("backend", 2000)]);
    let observations = vec![observation(
        "docs",
        &["hologram"],
        Outcome::Observed { actual: 10 },
    )];
    let err = Method::CensoredLog
        .fit(&prior, &observations, 1)
        .unwrap_err();
    assert!(err.to_string().contains("hologram"), "{err}");
}

#[test]
fn budget_multiplier_is_conformal_quantile_and_counts_censored_above() {
    let prior = model(&[("docs", 1000)], &[("doc", 1000)]);
    // p = 2600; ratios 0.5, 1, 1.5, 2 → q = 0.5: rank ⌈5 × 0.5⌉ = 3 → 1.5. The truncated event's
    // lower bound 5200 / 2600 = 2 > 1.5 is counted; 2600 / 2600 = 1 is not.
    let mut observations: Vec<Observation> = [1300, 2600, 3900, 5200]
        .iter()
        .map(|a| observation("docs", &["doc"], Outcome::Observed { actual: *a }))
        .collect();
    observations.push(observation(
        "docs",
        &["doc"],
        Outcome::Censored {
            observed: 5200,
            ceiling: 5200,
        },
    ));
    observations.push(observation(
        "docs",
        &["doc"],
        Outcome::Censored {
            observed: 2600,
            ceiling: 2600,
        },
    ));
    let budgets = budget_multipliers(&prior, &observations, 0.5);
    let docs = &budgets[&Stratum::new("docs", "low")];
    assert_eq!(
        (docs.n, docs.multiplier, docs.saturated, docs.censored_above),
        (4, Some(1.5), false, 1)
    );
    let map: BTreeMap<_, _> = budget_multipliers(&prior, &observations, 0.9);
    assert!(map[&Stratum::new("docs", "low")].saturated);
}

#[test]
fn overhead_keys_sharing_a_stratum_are_calibrated_together() {
    // `testing` (prior 915) and `tests` (no key: default 2000) both normalise to stratum tests/low.
    let prior = model(&[("testing", 915)], &[("test", 1000)]);
    let stratum = Stratum::new("tests", "low");
    let observations: Vec<Observation> = (0..6)
        .map(|i| {
            let key = if i % 2 == 0 { "testing" } else { "tests" };
            Observation {
                overhead_key: Stratum::new(key, "low"),
                ..Observation::new(
                    stratum.clone(),
                    vec![PricedDeliverable::new_file("test")],
                    Outcome::Observed { actual: 1000 },
                )
            }
        })
        .collect();
    // Legacy: p = trunc(1915 × 1.3) = 2489 and trunc(3000 × 1.3) = 3900; ratios 0.4018 (×3), 0.2564 (×3);
    // MED-U = sorted[3] = 1000/2489 → each key keeps its own level: 915 × 0.6338 = 580, 2000 × 0.6338 = 1268.
    let legacy = Method::LegacySqrtMedian
        .fit(&prior, &observations, 5)
        .unwrap()
        .model;
    let factor = (1000.0_f64 / 2489.0).sqrt();
    assert_eq!(
        legacy.overhead_of(&Stratum::new("testing", "low")),
        (915.0 * factor).round() as i64
    );
    assert_eq!(
        legacy.overhead_of(&Stratum::new("tests", "low")),
        (2000.0 * factor).round() as i64
    );
    // The censored-log fit gives the stratum one overhead, written to both keys.
    let fit = Method::CensoredLog.fit(&prior, &observations, 5).unwrap();
    let testing = fit.model.overhead_of(&Stratum::new("testing", "low"));
    assert_eq!(
        testing,
        fit.model.overhead_of(&Stratum::new("tests", "low"))
    );
    assert_eq!(fit.overheads.len(), 2);
    assert!(
        fit.overheads
            .iter()
            .all(|o| o.stratum == stratum && o.fitted && o.counts.observed == 6)
    );
}

mod with_estimator {
    //! The adapter from stored events and profiles to observations, and the coefficients file it writes.

    use tel_core::estimator::{Estimator, Profile};
    use tel_core::{
        Complexity, EventDraft, TelExtras, TelemetryEvent, Timestamp, UsageKind, ValidityGuard,
    };
    use tel_replay::calibrate::events::{Prepared, apply_model, prior_model};
    use tel_replay::calibrate::{Method, Outcome, Stratum};
    use tel_store::coefficients::{Provenance, parse_coefficients_document, render_coefficients};

    fn event(
        category: &str,
        complexity: Complexity,
        deliverables: &[&str],
        actual: i64,
        stop: &str,
    ) -> TelemetryEvent {
        let draft = EventDraft {
            run_id: "run".into(),
            phase_id: "P".into(),
            category: category.into(),
            complexity,
            deliverables: deliverables.iter().map(|d| (*d).to_owned()).collect(),
            predicted_output_tokens: 1000,
            actual_output_tokens: actual,
            selected_budget: 8192,
            success: true,
            truncated: stop == "max_tokens",
            stop_reason: Some(stop.into()),
            model: "m".into(),
            is_truncated_output: None,
            doc_features: Default::default(),
            sot: Default::default(),
            actual_max_tokens: Some(8192),
            extras: TelExtras::default().with_usage_kind(Some(UsageKind::Output)),
        };
        draft
            .into_event(
                Timestamp::parse("2026-01-02 03:04:05").unwrap(),
                &ValidityGuard::default(),
            )
            .unwrap()
    }

    #[test]
    fn observations_predict_exactly_what_the_estimator_predicts() {
        let profile = Profile::builtin("v2-head").unwrap();
        let estimator = Estimator::new(profile.clone());
        let prior = prior_model(&profile).unwrap();
        let mut prepared = Prepared::default();
        let events = [
            event(
                "implementation",
                Complexity::Low,
                &["src/a.py", "tests/test_a.py"],
                3000,
                "end_turn",
            ),
            event(
                "testing",
                Complexity::Low,
                &["tests/test_b.py"],
                2000,
                "end_turn",
            ),
            event(
                "IMPLEMENT_FEATURE",
                Complexity::Medium,
                &["web/App.tsx", "db/x.sql", "c.yaml"],
                9000,
                "max_tokens",
            ),
            event("documentation", Complexity::Low, &[], 4000, "end_turn"),
            event(
                "docs",
                Complexity::Low,
                &["docs/BUILD_LOG.md"],
                4000,
                "end_turn",
            ),
        ];
        for e in &events {
            prepared.push(e, &estimator, 50);
        }
        // The empty fallback and the SOT phase are simulated but not observations.
        assert_eq!(prepared.observations.len(), 3);
        assert_eq!(prepared.sim_events.len(), 5);
        assert_eq!(prepared.skipped.other_model, 2);
        for obs in &prepared.observations {
            let sim = prepared
                .sim_events
                .iter()
                .find(|s| s.stratum == obs.stratum)
                .unwrap();
            assert_eq!(prior.predict(obs), Some(sim.predicted), "{}", obs.stratum);
        }
        let feature = &prepared.observations[2];
        assert_eq!(feature.stratum, Stratum::new("implementation", "medium"));
        assert_eq!(
            feature.overhead_key,
            Stratum::new("IMPLEMENT_FEATURE", "medium")
        );
        assert_eq!(
            feature.outcome,
            Outcome::Censored {
                observed: 9000,
                ceiling: 8192
            }
        );
        let kinds: Vec<&str> = feature
            .deliverables
            .iter()
            .map(|d| d.kind.as_str())
            .collect();
        assert_eq!(kinds, ["frontend.new", "sql.new", "config.new"]);
    }

    #[test]
    fn coefficients_file_round_trips_and_drives_the_estimator() {
        let profile = Profile::builtin("v2-head").unwrap();
        let mut prepared = Prepared::default();
        let estimator = Estimator::new(profile.clone());
        for actual in [1500, 1600, 1700, 1800, 1900, 2000] {
            prepared.push(
                &event(
                    "testing",
                    Complexity::Low,
                    &["tests/test_b.py"],
                    actual,
                    "end_turn",
                ),
                &estimator,
                50,
            );
        }
        let prior = prior_model(&profile).unwrap();
        let fit = Method::LegacySqrtMedian
            .fit(&prior, &prepared.observations, 5)
            .unwrap();
        let calibrated = apply_model(&profile, &fit.model);
        let testing_low = calibrated.phase_overhead.by_category["testing"]["low"];
        assert_ne!(
            testing_low,
            profile.phase_overhead.by_category["testing"]["low"]
        );
        let provenance = Provenance {
            method: "legacy-sqrt-median".into(),
            filters: toml::Table::new(),
            time_range: None,
            n: Some(6),
            fit_metrics: [("cv_smape_after".to_owned(), 12.5)].into(),
            content_hash: Some(calibrated.content_hash()),
            tel_version: None,
        };
        let text = render_coefficients(&calibrated, Some(&provenance));
        let (parsed, parsed_provenance) =
            parse_coefficients_document(&text, "calibrated.toml").unwrap();
        assert_eq!(parsed, calibrated);
        assert_eq!(parsed_provenance, Some(provenance));
        // The calibrated estimator predicts with the fitted overhead: trunc((overhead + 1400) × 1.3).
        let input_event = event(
            "testing",
            Complexity::Low,
            &["tests/test_b.py"],
            1500,
            "end_turn",
        );
        let mut after = Prepared::default();
        after.push(&input_event, &Estimator::new(parsed), 50);
        assert_eq!(
            after.sim_events[0].predicted,
            ((testing_low + 1400) as f64 * 1.3) as i64
        );
    }
}

#[test]
fn legacy_snapshot_strata_are_too_small_and_keep_the_prior() {
    let Some((_dir, source)) = crate::simulate::snapshot_source("v2-head") else {
        return;
    };
    let profile = tel_core::estimator::Profile::builtin("v2-head").unwrap();
    let prior = tel_replay::calibrate::events::prior_model(&profile).unwrap();
    let observations = &source.prepared.observations;
    // 28 events: 8 go through the overhead model; the 20 others (fallback, SOT, DOC_SYNTHESIS) are counted.
    assert_eq!(
        (
            source.events,
            observations.len(),
            source.prepared.skipped.other_model
        ),
        (28, 8, 20)
    );
    let fit = Method::CensoredLog.fit(&prior, observations, 5).unwrap();
    assert!(!fit.overheads.is_empty());
    for o in &fit.overheads {
        assert!(
            !o.fitted && o.after == o.before && o.counts.observed < 5,
            "{o:?}"
        );
    }
    let low = fit
        .overheads
        .iter()
        .find(|o| o.stratum == Stratum::new("implementation", "low"))
        .unwrap();
    assert_eq!((low.counts.observed, low.counts.censored), (3, 0));
    let report = cross_validate(
        Method::CensoredLog,
        &prior,
        observations,
        &CvConfig::default(),
    )
    .unwrap();
    let n: usize = report
        .strata
        .values()
        .map(|s| s.counts.observed + s.counts.censored)
        .sum();
    assert_eq!(n, 8);
}
