//! Renders the HTML report in headless Chromium and checks the plots reach the DOM; writes a screenshot
//! to `target/tel-report.png` for people to look at. Skips when Chromium is not installed (fails under CI).

use std::path::{Path, PathBuf};
use std::process::Command;

use tel_core::{Complexity, TelemetryEvent, Timestamp, UsageKind};
use tel_replay::report::{ReportBuilder, ReportOptions, html};

/// A deterministic mix of categories, complexities, deliverable counts, truncations and legacy rows.
fn events(n: u64) -> Vec<TelemetryEvent> {
    let ts = Timestamp::parse("2025-12-24 01:55:10").expect("timestamp");
    let base = TelemetryEvent {
        event_id: None,
        run_id: "run".into(),
        phase_id: "P".into(),
        timestamp: ts,
        category: String::new(),
        complexity: Complexity::Low,
        deliverable_count: 0,
        deliverables_json: "[]".into(),
        predicted_output_tokens: 0,
        actual_output_tokens: 0,
        selected_budget: 0,
        actual_max_tokens: None,
        success: true,
        truncated: false,
        stop_reason: None,
        model: "m".into(),
        smape_percent: None,
        waste_ratio: None,
        underestimated: None,
        is_truncated_output: false,
        doc_features: Default::default(),
        sot: Default::default(),
        created_at: ts,
        estimator_profile: None,
        coefficients_hash: None,
        provider: None,
        usage_kind: Some(UsageKind::Output),
        run_id_inferred: false,
    };
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    (0..n)
        .map(|_| {
            let mut e = base.clone();
            e.category =
                ["docs", "implementation", "tests", "IMPLEMENT_FEATURE"][next(4) as usize].into();
            e.complexity = Complexity::ALL[next(3) as usize];
            e.deliverable_count = 1 + next(20) as i64;
            e.predicted_output_tokens = 300 + next(20_000) as i64;
            let ceiling = (e.predicted_output_tokens * 3 / 2).max(1024);
            let need = 100 + next(25_000) as i64;
            e.truncated = need >= ceiling;
            e.actual_output_tokens = need.min(ceiling);
            e.actual_max_tokens = Some(ceiling);
            e.stop_reason = Some(
                if e.truncated {
                    "max_tokens"
                } else {
                    "end_turn"
                }
                .into(),
            );
            e
        })
        .collect()
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf()
}

fn run_chromium(binary: &Path, profile: &Path, args: &[String]) -> std::process::Output {
    Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

#[test]
fn html_report_plots_render_in_headless_chromium() {
    let Some(chromium_binary) = crate::chromium::chromium() else {
        return;
    };
    let mut builder = ReportBuilder::new(ReportOptions::default());
    for event in events(600) {
        builder.push(&event);
    }
    let report = builder.finish();
    let truncated = report.points.iter().filter(|p| p.truncated).count();
    assert!(truncated > 0 && truncated < report.points.len());
    let page = html::render(&report, "sqlite://test.db");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tel-report.html");
    std::fs::write(&file, &page).expect("write html");
    let url = format!("file://{}", file.display());

    let dom = run_chromium(
        &chromium_binary,
        &dir.path().join("profile-dom"),
        &["--dump-dom".into(), url.clone()],
    );
    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    for id in [
        "fig-pred-actual",
        "fig-smape",
        "fig-strata",
        "fig-budget-actual",
    ] {
        assert!(
            dom_text.contains(&format!("id=\"{id}\"")),
            "figure {id} missing from the DOM"
        );
    }
    assert_eq!(dom_text.matches("<svg").count(), 4);
    // Both scatter plots draw every eligible event (600 < the sampling cap).
    let circles = dom_text.matches("class=\"pt\"").count();
    let triangles = dom_text.matches("class=\"pt lb\"").count();
    assert_eq!(circles, 2 * (report.points.len() - truncated));
    assert_eq!(triangles, 2 * truncated);
    assert_eq!(dom_text.matches("class=\"bar\"").count(), 20);
    assert!(dom_text.matches("class=\"hbar\"").count() > 0);
    for bad in ["NaN", "undefined", "inf%", "Infinity"] {
        assert!(!dom_text.contains(bad), "DOM shows {bad:?}");
    }
    let stderr = String::from_utf8_lossy(&dom.stderr);
    assert!(
        !stderr.contains("Uncaught") && !stderr.contains(":CONSOLE"),
        "console errors: {stderr}"
    );

    let shot = target_dir().join("tel-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = run_chromium(
        &chromium_binary,
        &dir.path().join("profile-shot"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
            url,
        ],
    );
    assert!(
        out.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot looks empty"
    );
    std::fs::copy(&file, target_dir().join("tel-report.html"))
        .expect("keep the page beside the screenshot");
}
