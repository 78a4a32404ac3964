//! Property tests: SMAPE bounds and symmetry, sanitisation limits, permutation-invariant statistics,
//! stratification as a partition, accuracy counts that add up.

use proptest::prelude::*;
use tel_core::accuracy::smape_b4;
use tel_core::metrics::{smape_replay, smape_triage, smape_writer};
use tel_core::sanitize::{MAX_DELIVERABLE_CHARS, MAX_STORED_DELIVERABLES};
use tel_core::stats::{
    mean_exact_int, median_true, median_upper, p90_index, p90_quantiles, percentile_nearest_rank,
};
use tel_core::strata::stratify;
use tel_core::{
    AccuracyAccumulator, BucketScheme, Complexity, EventView, StopReasonKind, StratumKey,
    UsageKind, sanitize_deliverables,
};

const TOKENS: std::ops::RangeInclusive<i64> = 0..=10_000_000;

proptest! {
    #[test]
    fn smape_is_bounded_symmetric_and_zero_only_when_equal(p in TOKENS, a in TOKENS) {
        for (name, f) in [
            ("S-W", smape_writer as fn(i64, i64) -> f64),
            ("S-R", smape_replay),
            ("S-T", smape_triage),
            ("B4", smape_b4),
        ] {
            let s = f(p, a);
            prop_assert!((0.0..=200.0).contains(&s), "{name}({p}, {a}) = {s}");
            prop_assert_eq!(s.to_bits(), f(a, p).to_bits(), "{} not symmetric", name);
            prop_assert_eq!(s == 0.0, p == a, "{}({}, {}) = {}", name, p, a, s);
        }
    }

    #[test]
    fn sanitisation_caps_items_and_lengths_and_keeps_the_count(
        items in prop::collection::vec(any::<String>(), 0..40),
        long_tail in prop::collection::vec("[a-zé😀]{190,260}", 0..5),
    ) {
        let all: Vec<String> = items.into_iter().chain(long_tail).collect();
        let s = sanitize_deliverables(&all);
        prop_assert_eq!(s.count, all.len() as i64);
        prop_assert_eq!(s.stored.len(), all.len().min(MAX_STORED_DELIVERABLES));
        for (stored, original) in s.stored.iter().zip(&all) {
            prop_assert!(stored.chars().count() <= MAX_DELIVERABLE_CHARS);
            if original.chars().count() <= MAX_DELIVERABLE_CHARS {
                prop_assert_eq!(stored, original);
            } else {
                prop_assert!(stored.ends_with("..."));
                prop_assert!(original.starts_with(&stored[..stored.len() - 3]));
            }
        }
        let decoded: Vec<String> = serde_json::from_str(&s.json).expect("sanitised JSON parses");
        prop_assert_eq!(decoded, s.stored);
    }

    #[test]
    fn order_statistics_ignore_input_order(
        (data, shuffled) in prop::collection::vec(-1_000_000_i64..1_000_000, 0..60)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
    ) {
        let floats = |v: &[i64]| v.iter().map(|&x| x as f64 / 7.0).collect::<Vec<f64>>();
        let (f, g) = (floats(&data), floats(&shuffled));
        prop_assert_eq!(mean_exact_int(&data), mean_exact_int(&shuffled));
        prop_assert_eq!(median_upper(&data), median_upper(&shuffled));
        prop_assert_eq!(median_true(&data), median_true(&shuffled));
        prop_assert_eq!(median_true(&f), median_true(&g));
        prop_assert_eq!(p90_quantiles(&data), p90_quantiles(&shuffled));
        prop_assert_eq!(p90_quantiles(&f), p90_quantiles(&g));
        prop_assert_eq!(p90_index(&f), p90_index(&g));
        prop_assert_eq!(percentile_nearest_rank(&f, 90.0), percentile_nearest_rank(&g, 90.0));
        prop_assert_eq!(data.is_empty(), median_true(&data).is_none());
    }

    #[test]
    fn stratification_partitions_the_input(
        items in prop::collection::vec(
            (
                prop::sample::select(vec!["docs", "Documentation", "tests", "testing", "IMPLEMENT_FEATURE", "implementation", "backend"]),
                prop::sample::select(Complexity::ALL.to_vec()),
                -2_i64..40,
            ),
            0..80,
        ),
        scheme in prop::sample::select(BucketScheme::ALL.to_vec()),
    ) {
        let key = |(c, x, k): &(&str, Complexity, i64)| StratumKey::new(c, *x, *k, scheme);
        let indexed: Vec<(usize, (&str, Complexity, i64))> = items.iter().copied().enumerate().collect();
        let strata = stratify(indexed, |(_, item)| key(item));
        let mut seen = vec![0_u32; items.len()];
        for (stratum, members) in &strata {
            prop_assert!(!members.is_empty());
            prop_assert!(scheme.labels().contains(&stratum.deliverables.label()));
            for (i, item) in members {
                prop_assert_eq!(&key(item), stratum);
                seen[*i] += 1;
            }
        }
        prop_assert!(seen.iter().all(|&n| n == 1));
        prop_assert_eq!(strata.values().map(Vec::len).sum::<usize>(), items.len());
    }

    #[test]
    fn accuracy_counts_add_up(
        events in prop::collection::vec(
            (
                -5_i64..20_000,
                prop::option::of(0_i64..20_000),
                prop::option::of(1_i64..20_000),
                any::<bool>(),
                prop::sample::select(vec![StopReasonKind::Truncated, StopReasonKind::Completed, StopReasonKind::Other, StopReasonKind::Unknown]),
                prop::sample::select(vec![None, Some(UsageKind::Output), Some(UsageKind::Total)]),
            ),
            0..100,
        ),
    ) {
        let mut acc = AccuracyAccumulator::default();
        for &(predicted, actual, actual_max_tokens, truncated, stop_reason_kind, usage_kind) in &events {
            let view = EventView { predicted, actual, actual_max_tokens, truncated, stop_reason_kind, usage_kind };
            acc.push(view, predicted);
        }
        let r = acc.finish();
        prop_assert_eq!(r.events, events.len() as u64);
        prop_assert_eq!(r.eligible + r.excluded.total(), r.events);
        prop_assert_eq!(r.truncated + r.non_truncated + r.truncation_unknown, r.eligible);
        prop_assert_eq!(r.underestimation.rate.n + r.underestimation.unknown, r.truncated + r.non_truncated);
        prop_assert_eq!(r.smape.n, r.non_truncated);
        prop_assert_eq!(r.budget_slack.n + r.budget_slack.ceiling_unknown, r.non_truncated);
        if let Some(mean) = r.smape.mean {
            prop_assert!((0.0..=200.0).contains(&mean));
        }
    }
}
