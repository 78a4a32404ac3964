//! METRICS.md A2.6: new predictions and replay summaries per estimator profile, as published by the spec.

/// Expected summary at printed precision: (avg old, avg new, under old, under new, waste old, waste new).
pub type Summary = (
    &'static str,
    &'static str,
    usize,
    usize,
    &'static str,
    &'static str,
);

/// One profile's expectation on one input.
pub struct ProfileCase {
    /// Profile ids sharing these numbers.
    pub profiles: &'static [&'static str],
    /// New predictions in input order.
    pub predictions: Vec<i64>,
    /// Summary at printed precision.
    pub summary: Summary,
    /// Exact average new SMAPE where the spec states it.
    pub exact_avg_new: Option<f64>,
}

/// The 14-line log fixture.
pub fn log_cases() -> Vec<ProfileCase> {
    let v2 = vec![
        6240, 9100, 7800, 9750, 13650, 11700, 11700, 9100, 9100, 7800, 9100, 9100, 7800, 9750,
    ];
    vec![
        ProfileCase {
            profiles: &["v1"],
            predictions: vec![
                780, 896, 390, 1170, 1560, 1345, 896, 896, 896, 896, 896, 896, 896, 780,
            ],
            summary: ("143.4", "136.6", 14, 13, "0.12", "0.13"),
            exact_avg_new: None,
        },
        ProfileCase {
            profiles: &[
                "v2-overhead",
                "v2-docsynth",
                "v2-normalised",
                "v2-precal",
                "v2-adaptive",
            ],
            predictions: v2,
            summary: ("143.4", "46.0", 14, 0, "0.12", "1.25"),
            exact_avg_new: Some(45.97437389765513),
        },
        ProfileCase {
            profiles: &["v5-step1"],
            predictions: vec![
                6240, 7618, 7800, 9750, 13650, 10218, 11700, 7618, 7618, 6656, 7618, 7618, 6656,
                9750,
            ],
            summary: ("143.4", "40.3", 14, 3, "0.12", "1.25"),
            exact_avg_new: None,
        },
        ProfileCase {
            profiles: &["v5v6", "v2-head"],
            predictions: vec![
                6240, 6728, 7800, 9750, 13650, 9328, 11700, 6728, 6728, 6024, 6728, 6728, 6024,
                9750,
            ],
            summary: ("143.4", "42.8", 14, 6, "0.12", "1.25"),
            exact_avg_new: None,
        },
    ]
}

/// `base` with the 1-based positions replaced.
fn with(base: &[i64], changes: &[(usize, i64)]) -> Vec<i64> {
    let mut out = base.to_vec();
    for &(position, value) in changes {
        out[position - 1] = value;
    }
    out
}

/// The 28-row snapshot in replay order (event_id 28 … 1).
pub fn snapshot_cases() -> Vec<ProfileCase> {
    let overhead = vec![
        37050, 5200, 5200, 16384, 16384, 16384, 3900, 5200, 3900, 3900, 5200, 12288, 12288, 16384,
        5200, 16384, 5200, 16384, 12288, 12288, 12288, 5200, 19240, 10270, 7020, 8970, 7020, 5200,
    ];
    let docsynth = with(&overhead, &[2, 3, 8, 11, 15, 17, 22].map(|p| (p, 12818)));
    let precal = vec![
        37050, 12818, 12818, 16384, 16384, 16384, 3900, 12818, 7936, 7936, 12818, 12288, 12288,
        16384, 12818, 16384, 12818, 16384, 12288, 12288, 12288, 12818, 19240, 10270, 7020, 8970,
        7020, 5200,
    ];
    vec![
        ProfileCase {
            profiles: &["v1"],
            predictions: vec![
                5720, 780, 780, 16384, 16384, 16384, 468, 780, 585, 585, 780, 12288, 12288, 16384,
                780, 16384, 780, 16384, 12288, 12288, 12288, 780, 1820, 1365, 822, 715, 822, 448,
            ],
            summary: ("62.9", "114.4", 20, 16, "0.74", "0.22"),
            exact_avg_new: None,
        },
        ProfileCase {
            profiles: &["v2-overhead"],
            predictions: overhead,
            summary: ("62.9", "68.5", 20, 11, "0.74", "1.00"),
            exact_avg_new: None,
        },
        ProfileCase {
            profiles: &["v2-docsynth", "v2-normalised"],
            predictions: docsynth,
            summary: ("62.9", "48.7", 20, 11, "0.74", "1.00"),
            exact_avg_new: None,
        },
        ProfileCase {
            profiles: &["v5-step1"],
            predictions: with(&precal, &[(25, 5876), (27, 5876), (28, 4056)]),
            summary: ("62.9", "43.8", 20, 11, "0.74", "1.00"),
            exact_avg_new: Some(43.79734440947159),
        },
        ProfileCase {
            profiles: &["v5v6", "v2-head"],
            predictions: with(&precal, &[(25, 5244), (27, 5244), (28, 3424)]),
            summary: ("62.9", "43.7", 20, 11, "0.74", "1.00"),
            exact_avg_new: None,
        },
        ProfileCase {
            profiles: &["v2-precal", "v2-adaptive"],
            predictions: precal,
            summary: ("62.9", "43.8", 20, 11, "0.74", "1.00"),
            exact_avg_new: Some(43.848612538667986),
        },
    ]
}

/// The `v2-head` predictions (A2.6 a, b goldens).
pub fn v2_head(cases: &[ProfileCase]) -> Vec<i64> {
    cases
        .iter()
        .find(|c| c.profiles.contains(&"v2-head"))
        .map(|c| c.predictions.clone())
        .unwrap_or_default()
}
