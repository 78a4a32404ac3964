//! `tel tune` end to end: generate → tune → estimate --coefficients → simulate --policy file:, and bad input.

use crate::support::tel_at as tel;
use std::path::Path;
use std::process::Output;

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn generate(dir: &Path, seed: &str, db: &str, extra: &[&str]) {
    let mut args = vec![
        "generate",
        "--events",
        "3000",
        "--seed",
        seed,
        "--format",
        "db",
        "--database-url",
        db,
    ];
    args.extend_from_slice(extra);
    json(&tel(dir, &[&args[..], &["--json"]].concat()));
}

#[test]
fn tuned_budgets_file_drives_tel_estimate_and_simulates_beside_uniform_buffers() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "5", "gen.db", &[]);
    generate(dir.path(), "6", "truth.db", &["--uncensored"]);
    let tune = [
        "tune",
        "--database-url",
        "gen.db",
        "--target-truncation",
        "5%",
        "--confidence",
        "0.9",
        "--output",
        "budgets.toml",
        "--json",
    ];
    let report = json(&tel(dir.path(), &tune));
    assert_eq!(report["report"]["config"]["target"], 0.05);
    let rules = report["report"]["rules"].as_array().unwrap();
    assert!(!rules.is_empty(), "{report}");
    let curve = report["curve"].as_array().unwrap();
    let targets: Vec<f64> = curve
        .iter()
        .map(|p| p["target"].as_f64().unwrap())
        .collect();
    assert_eq!(targets, [0.01, 0.02, 0.05, 0.10]);
    let budgets: Vec<i64> = curve
        .iter()
        .map(|p| p["overall"]["score"]["total_budget"].as_i64().unwrap())
        .collect();
    assert!(
        budgets.windows(2).all(|w| w[0] >= w[1]),
        "a looser target never costs more: {budgets:?}"
    );

    let text = std::fs::read_to_string(dir.path().join("budgets.toml")).unwrap();
    for part in [
        "\nversion = 2\n",
        "[budget_rules]",
        "[[budget_rules.rule]]",
        "target_truncation = 0.05",
        "cv_truncation_upper = ",
        "cv_total_budget = ",
        "tel_version = ",
        "[provenance.time_range]",
    ] {
        assert!(text.contains(part), "{part:?} missing from\n{text}");
    }

    // The file's rule for implementation/low with one deliverable replaces v2-head's budget selection.
    let phase = [
        "estimate",
        "--category",
        "implementation",
        "--complexity",
        "low",
        "--deliverable",
        "src/a.py",
        "--json",
    ];
    let plain = json(&tel(dir.path(), &phase));
    let tuned = json(&tel(
        dir.path(),
        &[&phase[..], &["--coefficients", "budgets.toml"]].concat(),
    ));
    let rule = [
        "implementation/low/1-3",
        "implementation/low/*",
        "implementation/*/*",
        "*/*/*",
    ]
    .iter()
    .find_map(|key| rules.iter().find(|r| r["stratum"] == *key))
    .expect("a rule covers implementation/low")["rule"]
        .clone();
    let p = tuned["estimated_tokens"].as_i64().unwrap();
    assert_eq!(p, plain["estimated_tokens"].as_i64().unwrap());
    let expected = rule["floor"]
        .as_i64()
        .unwrap()
        .max((p as f64 * rule["multiplier"].as_f64().unwrap()) as i64)
        .min(64_000);
    assert_eq!(tuned["selected_budget"].as_i64(), Some(expected), "{rule}");

    let simulate = [
        "simulate",
        "--database-url",
        "truth.db",
        "--policy",
        "file:budgets.toml",
        "--policy",
        "buffer:2",
        "--json",
    ];
    let sim = json(&tel(dir.path(), &simulate));
    let policies = sim["policies"].as_array().unwrap();
    assert_eq!(policies[0]["policy"], "file:budgets.toml");
    let fields = |p: &serde_json::Value| -> Vec<String> {
        p["report"]["overall"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(fields(&policies[0]), fields(&policies[1]));
    assert_eq!(
        policies[0]["report"]["overall"]["unknown"], 0,
        "uncensored truth"
    );
}

#[test]
fn html_report_draws_the_cost_curve_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "8", "gen.db", &[]);
    let report = ["report", "--database-url", "gen.db", "--quiet", "--html"];
    let plain = tel(dir.path(), &[&report[..], &["plain.html"]].concat());
    assert!(plain.status.success());
    let html = std::fs::read_to_string(dir.path().join("plain.html")).unwrap();
    assert!(!html.contains("fig-cost-curve"));
    let out = tel(
        dir.path(),
        &[&report[..], &["curve.html", "--cost-curve"]].concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("curve.html")).unwrap();
    let start = html
        .find("id=\"fig-cost-curve\"")
        .expect("the cost curve figure");
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    assert_eq!(
        svg.matches("class=\"pt\"").count(),
        4,
        "one point per target"
    );
    for target in ["1.0%", "2.0%", "5.0%", "10.0%"] {
        assert!(svg.contains(&format!(">{target}<")), "{target} axis label");
    }
    assert!(html.contains("Budget against truncation target"));
}

/// The rules, held-out overall figures and curve of a fixed generated sample, pinned: a change in the
/// search, the censoring treatment or the folds shows up here.
#[test]
fn tune_json_on_fixed_generated_tests_phases() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "generate",
        "--events",
        "1500",
        "--seed",
        "1",
        "--format",
        "db",
        "--database-url",
        "g.db",
    ];
    assert!(tel(dir.path(), &args).status.success());
    let tune = [
        "tune",
        "--database-url",
        "g.db",
        "--category",
        "tests",
        "--target-truncation",
        "10%",
        "--confidence",
        "0.9",
        "--json",
    ];
    let out = json(&tel(dir.path(), &tune));
    let curve: Vec<serde_json::Value> = out["curve"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            serde_json::json!({
                "target": p["target"],
                "events_needed": p["events_needed"],
                "thin_strata": p["thin_strata"],
                "overall": p["overall"],
            })
        })
        .collect();
    let pinned = serde_json::json!({
        "events": out["events"],
        "tuned_events": out["tuned_events"],
        "time_range": out["time_range"],
        "config": out["report"]["config"],
        "events_needed": out["report"]["events_needed"],
        "overall": out["report"]["overall"],
        "rules": out["report"]["rules"],
        "curve": curve,
    });
    insta::assert_snapshot!(serde_json::to_string_pretty(&pinned).unwrap());
}

#[test]
fn tune_rejects_a_target_outside_0_to_100_percent_and_an_unlisted_confidence() {
    let dir = tempfile::tempdir().unwrap();
    let out = tel(dir.path(), &["tune", "--target-truncation", "150%"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"150%\""));
    let out = tel(dir.path(), &["tune", "--confidence", "0.8"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0.9, 0.95, 0.99, 0.999"));
}
