//! The synthetic generator: determinism, distributions, invariants, streaming and ground-truth coupling.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use tel_core::{Complexity, StopReasonKind, TelemetryEvent};
use tel_replay::generate::{
    GenerateConfig, GroundTruth, MIN_ACTUAL, OraclePredictor, generate, generate_with,
};

const RAW_CATEGORIES: [&str; 13] = [
    "implementation",
    "IMPLEMENT_FEATURE",
    "tests",
    "testing",
    "docs",
    "documentation",
    "refactoring",
    "configuration",
    "integration",
    "backend",
    "frontend",
    "database",
    "deployment",
];

fn events(n: u64, seed: u64) -> Vec<TelemetryEvent> {
    generate(GenerateConfig::new(n, seed)).collect()
}

fn as_json_lines(events: &[TelemetryEvent]) -> String {
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect()
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let first = as_json_lines(&events(3000, 42));
    assert_eq!(first, as_json_lines(&events(3000, 42)));
    assert_ne!(first, as_json_lines(&events(3000, 43)));
}

#[test]
fn a_shorter_run_is_a_prefix_of_a_longer_one() {
    let long = events(500, 7);
    assert_eq!(events(200, 7)[..], long[..200]);
}

#[test]
fn distributions_cover_every_category_complexity_model_and_deliverable_range() {
    let events = events(20_000, 1);
    assert_eq!(events.len(), 20_000);
    let categories: BTreeSet<&str> = events.iter().map(|e| e.category.as_str()).collect();
    for raw in RAW_CATEGORIES {
        assert!(categories.contains(raw), "category {raw} never generated");
    }
    let complexities: BTreeSet<Complexity> = events.iter().map(|e| e.complexity).collect();
    assert_eq!(complexities, Complexity::ALL.into_iter().collect());
    let maintenance = events
        .iter()
        .filter(|e| e.complexity == Complexity::Maintenance)
        .count();
    assert!(
        maintenance * 10 < events.len(),
        "maintenance is a small share, got {maintenance}"
    );
    let models: BTreeSet<&str> = events.iter().map(|e| e.model.as_str()).collect();
    assert_eq!(
        models,
        BTreeSet::from(["claude-sonnet-4-5", "gemini-2.5-pro", "gpt-4o"])
    );

    let counts: Vec<i64> = events.iter().map(|e| e.deliverable_count).collect();
    assert!(
        counts.iter().all(|c| (0..=25).contains(c)),
        "count outside 0..=25"
    );
    assert!(counts.contains(&0), "no phase without deliverables");
    assert!(
        counts.iter().any(|&c| c > 20),
        "the 20-item cap is never exercised"
    );

    let truncated = events.iter().filter(|e| e.truncated).count() as f64 / events.len() as f64;
    assert!(
        (0.02..=0.35).contains(&truncated),
        "truncation share {truncated} outside 2%..35%"
    );
    let docs_truncation = share_truncated(&events, |e| e.category == "documentation");
    let code_truncation = share_truncated(&events, |e| e.category == "implementation");
    assert!(
        docs_truncation > code_truncation,
        "documentation budgets below the 16384 floor truncate more: {docs_truncation} vs {code_truncation}"
    );
}

fn share_truncated(events: &[TelemetryEvent], keep: impl Fn(&TelemetryEvent) -> bool) -> f64 {
    let group: Vec<&TelemetryEvent> = events.iter().filter(|e| keep(e)).collect();
    group.iter().filter(|e| e.truncated).count() as f64 / group.len() as f64
}

#[test]
fn generated_events_satisfy_the_writer_invariants() {
    let events = events(20_000, 2);
    for e in &events {
        let ceiling = e
            .actual_max_tokens
            .expect("every generated event has a ceiling");
        assert!(e.actual_output_tokens >= MIN_ACTUAL, "{e:?}");
        assert!(ceiling >= e.selected_budget, "P4 clamp violated: {e:?}");
        assert_eq!(e.is_truncated_output, e.truncated);
        if e.truncated {
            assert_eq!(e.actual_output_tokens, ceiling, "{e:?}");
            assert_eq!(e.stop_reason_kind(), StopReasonKind::Truncated, "{e:?}");
        } else {
            assert!(e.actual_output_tokens < ceiling, "{e:?}");
            assert_eq!(e.stop_reason_kind(), StopReasonKind::Completed, "{e:?}");
        }
        let (p, a) = (e.predicted_output_tokens, e.actual_output_tokens);
        assert!(p > 0, "{e:?}");
        let denom = (a as f64 + p as f64) / 2.0;
        assert_eq!(
            e.smape_percent,
            Some(((a - p).abs() as f64 / denom) * 100.0)
        );
        assert_eq!(e.waste_ratio, Some(p as f64 / a as f64));
        assert_eq!(e.underestimated, Some(a > p));
        let stored = e.deliverables();
        assert_eq!(stored.len() as i64, e.deliverable_count.min(20), "{e:?}");
        assert!(e.created_at >= e.timestamp);
    }
    for pair in events.windows(2) {
        assert!(
            pair[0].timestamp < pair[1].timestamp,
            "timestamps must increase"
        );
    }
}

#[test]
fn stop_reasons_use_the_providers_spellings() {
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let events = events(20_000, 3);
    for e in &events {
        seen.entry(e.model.as_str())
            .or_default()
            .insert(e.stop_reason.as_deref().unwrap());
    }
    assert_eq!(
        seen["claude-sonnet-4-5"],
        BTreeSet::from(["end_turn", "max_tokens"])
    );
    assert_eq!(seen["gpt-4o"], BTreeSet::from(["length", "stop"]));
    assert_eq!(
        seen["gemini-2.5-pro"],
        BTreeSet::from(["MAX_TOKENS", "STOP"])
    );
}

#[test]
fn runs_group_phases_with_ids_unique_within_the_run() {
    let events = events(5000, 4);
    let mut seen = HashSet::new();
    let runs: BTreeSet<&str> = events.iter().map(|e| e.run_id.as_str()).collect();
    assert!(
        runs.len() > 50 && runs.len() < 5000 / 2,
        "{} runs",
        runs.len()
    );
    for e in &events {
        assert!(
            e.run_id.starts_with("run-") && e.run_id.len() >= 8,
            "{}",
            e.run_id
        );
        assert!(
            seen.insert((&e.run_id, &e.phase_id)),
            "duplicate {} {}",
            e.run_id,
            e.phase_id
        );
    }
}

#[test]
fn truncated_calls_rarely_succeed() {
    let events = events(20_000, 5);
    let success = |truncated: bool| {
        let group: Vec<_> = events.iter().filter(|e| e.truncated == truncated).collect();
        group.iter().filter(|e| e.success).count() as f64 / group.len() as f64
    };
    assert!(success(true) < 0.15, "truncated success {}", success(true));
    assert!(success(false) > 0.7, "complete success {}", success(false));
}

fn oracle() -> OraclePredictor {
    OraclePredictor {
        truth: GroundTruth::reference(),
        bias: 1.0,
    }
}

/// The default predictor is `v2-head`: its routes (SOT, DOC_SYNTHESIS) show in the recorded category, and
/// the writer's doc/SOT fields are set exactly for the categories that carry them.
#[test]
fn v2_head_predicts_and_its_documentation_fields_are_recorded() {
    let events = events(20_000, 10);
    assert!(
        events
            .iter()
            .all(|e| e.estimator_profile.as_deref() == Some("v2-head"))
    );
    let categories: BTreeSet<&str> = events.iter().map(|e| e.category.as_str()).collect();
    assert!(categories.contains("doc_sot_update"), "{categories:?}");
    assert!(categories.contains("doc_synthesis"), "{categories:?}");
    for e in &events {
        // The empty fallback (no deliverables) derives no documentation features.
        let documentation = e.deliverable_count > 0
            && matches!(
                e.category.as_str(),
                "documentation" | "docs" | "doc_synthesis"
            );
        assert_eq!(
            e.doc_features.api_reference_required.is_some(),
            documentation,
            "{e:?}"
        );
        assert_eq!(
            e.doc_features.context_quality.is_some(),
            documentation,
            "{e:?}"
        );
        let sot = e.category == "doc_sot_update";
        assert_eq!(e.sot.is_sot_file, sot.then_some(true), "{e:?}");
        if sot {
            assert_eq!(e.sot.sot_entry_count_hint, Some(e.deliverable_count));
        }
    }
}

/// With the unbiased oracle predictor the prediction is the truth's median need, so among calls that
/// finished the median of actual / predicted must be close to 1 (censoring only removes the top tail).
#[test]
fn actuals_follow_the_ground_truth_median() {
    let config = GenerateConfig::new(20_000, 6);
    let mut ratios: Vec<f64> = generate_with(config, oracle())
        .filter(|e| !e.truncated)
        .map(|e| e.actual_output_tokens as f64 / e.predicted_output_tokens as f64)
        .collect();
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    assert!(
        (0.9..1.05).contains(&median),
        "median actual/truth {median}"
    );
}

#[test]
fn a_different_ground_truth_changes_the_actuals() {
    let mut config = GenerateConfig::new(2000, 8);
    let baseline: i64 = generate_with(config.clone(), oracle())
        .map(|e| e.actual_output_tokens)
        .sum();
    config.truth = GroundTruth {
        noise_sigma: 0.0,
        tail_probability: 0.0,
        ..GroundTruth::reference()
    };
    let quiet_oracle = OraclePredictor {
        truth: config.truth.clone(),
        bias: 1.0,
    };
    let quiet: Vec<TelemetryEvent> = generate_with(config, quiet_oracle).collect();
    assert_ne!(
        baseline,
        quiet.iter().map(|e| e.actual_output_tokens).sum::<i64>()
    );
    // Without noise a finished call reports exactly the (rounded) median need the oracle predicted.
    for e in quiet.iter().filter(|e| !e.truncated) {
        assert!(
            (e.actual_output_tokens - e.predicted_output_tokens).abs() <= 1,
            "{e:?}"
        );
    }
}

/// A million events stream through one at a time. Peak RSS is process-wide and other tests run in
/// parallel, so the bound is loose: it catches a generator that buffers its events (a million events
/// held in memory take well over a gigabyte), not small allocations.
#[test]
fn a_million_events_stream_in_bounded_memory() {
    let before = peak_rss_kib();
    let mut total = 0i64;
    // The oracle keeps the debug-build run short; buffering would be the generator's, not the predictor's.
    for e in generate_with(GenerateConfig::new(1_000_000, 9), oracle()) {
        total += e.actual_output_tokens;
    }
    assert!(total > 0);
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        assert!(
            after - before < 400 * 1024,
            "peak RSS grew by {} KiB while streaming",
            after - before
        );
    }
}

/// `VmHWM` of this process (Linux), in KiB.
fn peak_rss_kib() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn uncensored_stream_observes_the_need_of_every_phase_the_censored_stream_truncated() {
    let censored = events(3000, 5);
    let uncensored: Vec<TelemetryEvent> = generate(GenerateConfig {
        uncensored: true,
        ..GenerateConfig::new(3000, 5)
    })
    .collect();
    assert!(uncensored.iter().all(|e| !e.truncated));
    let mut truncated = 0;
    for (c, u) in censored.iter().zip(&uncensored) {
        assert_eq!(
            (
                &c.phase_id,
                &c.category,
                c.predicted_output_tokens,
                c.deliverables()
            ),
            (
                &u.phase_id,
                &u.category,
                u.predicted_output_tokens,
                u.deliverables()
            ),
            "the same phase in both streams"
        );
        if c.truncated {
            truncated += 1;
            assert!(
                u.actual_output_tokens >= c.actual_output_tokens,
                "{}",
                c.phase_id
            );
        } else {
            assert_eq!(
                u.actual_output_tokens, c.actual_output_tokens,
                "{}",
                c.phase_id
            );
        }
    }
    assert!(truncated > 30, "the censored stream truncates: {truncated}");
}
