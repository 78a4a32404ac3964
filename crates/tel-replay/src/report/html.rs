//! The self-contained HTML report: inline CSS and inline SVG, no scripts, no external assets.

use std::fmt::Write as _;

use super::format::{count, percent, rate, ratio};
use super::sections::sections;
use super::svg::{
    self, BarGroup, Bin, CostCurve, GroupedBars, Histogram, ScatterChart, ScatterPoint, escape,
};
use super::{EventPoint, Report, TargetCheck, Verdict};
use crate::tune::CurvePoint as TuneCurvePoint;

/// Scatter plots draw at most this many points (an even stride over the events beyond it).
const MAX_SCATTER_POINTS: usize = 4000;
/// The stratum chart shows at most this many strata (the largest by events).
const MAX_CHART_STRATA: usize = 24;
/// SMAPE histogram bin width on the 0-200 scale.
const SMAPE_BIN_WIDTH: f64 = 10.0;

const STYLE: &str = r#"
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fff; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 60px; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 34px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.source { color: #555; margin: 0 0 18px; font-size: 0.95rem; }
.summary { border: 1px solid #ccc; border-left: 6px solid #888; padding: 12px 18px; background: #f7f7f7; }
.summary.fail { border-left-color: #c0392b; }
.summary.pass { border-left-color: #1e8449; }
.summary p { margin: 6px 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.85rem; font-weight: 600; color: #fff; }
.badge.pass { background: #1e8449; } .badge.fail { background: #c0392b; } .badge.no_data { background: #777; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #e2e2e2; padding: 4px 8px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; }
figure { margin: 18px 0 26px; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #444; font-size: 0.9rem; margin-top: 4px; }
.note { color: #555; font-size: 0.9rem; }
"#;

/// Renders the report as one HTML document; `source` names the data (e.g. the redacted database URL).
pub fn render(report: &Report, source: &str) -> String {
    render_with_cost_curve(report, source, &[])
}

/// [`render`] with a section on `tel tune`'s cost curve (omitted when `curve` is empty).
pub fn render_with_cost_curve(report: &Report, source: &str, curve: &[TuneCurvePoint]) -> String {
    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str("<title>tel report</title>\n<style>");
    page.push_str(STYLE);
    page.push_str("</style>\n</head>\n<body>\n<main>\n<h1>tel report</h1>\n");
    let _ = writeln!(
        page,
        "<p class=\"source\">Source: {} · {} events, {} eligible · buckets: {}</p>",
        escape(source),
        count(report.accuracy.events),
        count(report.accuracy.eligible),
        report.options.buckets.name()
    );
    summary(&mut page, report);
    figures(&mut page, report);
    if !curve.is_empty() {
        cost_curve(&mut page, curve);
    }
    tables(&mut page, report);
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

fn summary(page: &mut String, report: &Report) {
    let (class, headline) = if report.decision.no_data {
        ("fail", "No data to judge")
    } else if report.decision.tuning_needed {
        ("fail", "Tuning needed")
    } else {
        ("pass", "Within targets")
    };
    let _ = writeln!(
        page,
        "<section id=\"summary\" class=\"summary {class}\">\n<p><strong>{headline}.</strong></p>"
    );
    for (name, check) in [
        ("Underestimation", &report.tier1.underestimation),
        ("Truncation", &report.tier1.truncation),
    ] {
        let _ = writeln!(
            page,
            "<p>{name}: {} {}</p>",
            target_text(check),
            badge(check.verdict)
        );
    }
    let _ = writeln!(
        page,
        "<p>Waste (predicted / actual, non-truncated): median {}, P90 {} (n={}).</p>",
        ratio(report.tier2.waste_median),
        ratio(report.tier2.waste_p90),
        count(report.tier2.waste_n)
    );
    for reason in &report.decision.reasons {
        let _ = writeln!(page, "<p class=\"note\">{}</p>", escape(reason));
    }
    page.push_str("</section>\n");
}

fn target_text(check: &TargetCheck) -> String {
    format!(
        "{} against a target of ≤ {}",
        rate(check.rate.count, check.rate.n),
        percent(Some(check.target_pct))
    )
}

fn badge(verdict: Verdict) -> String {
    let (class, text) = match verdict {
        Verdict::Pass => ("pass", "pass"),
        Verdict::Fail => ("fail", "fail"),
        Verdict::NoData => ("no_data", "no data"),
    };
    format!("<span class=\"badge {class}\">{text}</span>")
}

fn figures(page: &mut String, report: &Report) {
    page.push_str("<h2>Figures</h2>\n");
    let (shown, stride) = sample(&report.points);
    let truncated = report.points.iter().filter(|p| p.truncated).count();
    let scatter_points: Vec<ScatterPoint> = shown
        .iter()
        .map(|p| ScatterPoint {
            x: p.predicted as f64,
            y: p.actual as f64,
            lower_bound: p.truncated,
        })
        .collect();
    figure(
        page,
        &svg::scatter(&ScatterChart {
            id: "fig-pred-actual",
            title: "Predicted vs actual output tokens",
            x_label: "predicted output tokens (log scale)",
            y_label: "actual output tokens (log scale)",
            points: &scatter_points,
        }),
        &format!(
            "n={} eligible events ({} truncated, drawn as ▲: their actual is a lower bound, the true need lies above){}. Points above the dashed line were underestimated.",
            count(report.points.len() as u64),
            count(truncated as u64),
            stride_note(shown.len(), report.points.len(), stride)
        ),
    );
    let bins = smape_bins(report);
    figure(
        page,
        &svg::histogram(&Histogram {
            id: "fig-smape",
            title: "SMAPE of non-truncated events",
            x_label: "SMAPE (0-200 scale)",
            bins: &bins,
        }),
        &format!(
            "n={} non-truncated events; mean {}, median {}. Truncated events are left out (their error is unknown).",
            count(report.diagnostics.n),
            ratio(report.diagnostics.smape_mean),
            ratio(report.diagnostics.smape_median)
        ),
    );
    strata_figure(page, report);
    let budget: Vec<&EventPoint> = report
        .points
        .iter()
        .filter(|p| p.ceiling.is_some())
        .collect();
    let (budget_shown, budget_stride) = sample(&budget);
    let budget_points: Vec<ScatterPoint> = budget_shown
        .iter()
        .filter_map(|p| {
            Some(ScatterPoint {
                x: p.ceiling? as f64,
                y: p.actual as f64,
                lower_bound: p.truncated,
            })
        })
        .collect();
    figure(
        page,
        &svg::scatter(&ScatterChart {
            id: "fig-budget-actual",
            title: "Budget (ceiling sent) vs actual output tokens",
            x_label: "ceiling sent, max_tokens (log scale)",
            y_label: "actual output tokens (log scale)",
            points: &budget_points,
        }),
        &format!(
            "n={} events with a known ceiling{}. Truncated calls sit on the dashed line; the distance below it is reserved but unused budget.",
            count(budget.len() as u64),
            stride_note(budget_shown.len(), budget.len(), budget_stride)
        ),
    );
}

fn strata_figure(page: &mut String, report: &Report) {
    let mut strata: Vec<_> = report.strata.iter().filter(|s| s.eligible > 0).collect();
    strata.sort_by_key(|s| std::cmp::Reverse(s.eligible));
    let total = strata.len();
    strata.truncate(MAX_CHART_STRATA);
    let groups: Vec<BarGroup> = strata
        .iter()
        .map(|s| BarGroup {
            label: format!("{} / {} / {}", s.category, s.complexity, s.deliverables),
            n: s.eligible,
            values: vec![s.truncation_pct, s.underestimation_pct],
        })
        .collect();
    let series = [
        ("truncation", Some(report.options.max_truncation_pct)),
        (
            "underestimation",
            Some(report.options.max_underestimation_pct),
        ),
    ];
    let shown = if total > groups.len() {
        format!(", the {} largest of {total} strata", groups.len())
    } else {
        String::new()
    };
    figure(
        page,
        &svg::grouped_bars(&GroupedBars {
            id: "fig-strata",
            title: "Truncation and underestimation by stratum (category / complexity / deliverables)",
            series: &series,
            groups: &groups,
        }),
        &format!(
            "n={} eligible events in {} strata{shown}; each row shows its own n. Dashed lines are the targets.",
            count(strata.iter().map(|s| s.eligible).sum()),
            count(total as u64)
        ),
    );
}

/// The budget a truncation target costs (`tel tune`, cross-validated), overall, with its table.
fn cost_curve(page: &mut String, curve: &[TuneCurvePoint]) {
    page.push_str("<h2>Budget against truncation target</h2>\n");
    let interval = |p: &TuneCurvePoint| {
        let [lo, hi] = p.overall.score.truncation_rate;
        format!(
            "[{}, {}]",
            percent(Some(lo * 100.0)),
            percent(Some(hi * 100.0))
        )
    };
    let points: Vec<svg::CurvePoint> = curve
        .iter()
        .map(|p| svg::CurvePoint {
            label: percent(Some(p.target * 100.0)),
            value: p.overall.score.total_budget as f64,
            note: interval(p),
        })
        .collect();
    figure(
        page,
        &svg::cost_curve(&CostCurve {
            id: "fig-cost-curve",
            title: "Total budget of tuned rules against the truncation target (cross-validated)",
            x_label: "truncation target per stratum",
            y_label: "total budget (tokens)",
            points: &points,
        }),
        "Each point: the held-out total budget of rules tuned to that target with tel tune (v2-head predictions, 99 % confidence), labelled with the held-out truncation interval [certain, certain + unknown]. The target counts as met only on the interval's upper end.",
    );
    let rows: Vec<Vec<String>> = curve
        .iter()
        .map(|p| {
            vec![
                percent(Some(p.target * 100.0)),
                count(p.overall.score.total_budget.max(0) as u64),
                interval(p),
                percent(Some(p.overall.estimated_truncation * 100.0)),
                if p.overall.met { "yes" } else { "no" }.to_owned(),
                format!("{} (< {} completed)", p.thin_strata, p.events_needed),
            ]
        })
        .collect();
    table(
        page,
        &[
            "target",
            "total budget",
            "truncation interval",
            "estimate",
            "met",
            "strata too thin",
        ],
        &rows,
    );
}

fn figure(page: &mut String, svg: &str, caption: &str) {
    let _ = writeln!(
        page,
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    );
}

/// An even stride over `items` keeping at most [`MAX_SCATTER_POINTS`], and the stride used.
fn sample<T: Copy>(items: &[T]) -> (Vec<T>, usize) {
    let stride = items.len().div_ceil(MAX_SCATTER_POINTS).max(1);
    (items.iter().step_by(stride).copied().collect(), stride)
}

fn stride_note(shown: usize, total: usize, stride: usize) -> String {
    if shown < total {
        format!(
            "; drawing {} of them (every {stride}th)",
            count(shown as u64)
        )
    } else {
        String::new()
    }
}

fn smape_bins(report: &Report) -> Vec<Bin> {
    let mut bins: Vec<Bin> = (0..20)
        .map(|i| Bin {
            lo: f64::from(i) * SMAPE_BIN_WIDTH,
            hi: f64::from(i + 1) * SMAPE_BIN_WIDTH,
            count: 0,
        })
        .collect();
    let last = bins.len() - 1;
    for point in report.points.iter().filter(|p| !p.truncated) {
        let smape = tel_core::accuracy::smape_b4(point.predicted, point.actual);
        let index = ((smape / SMAPE_BIN_WIDTH) as usize).min(last);
        bins[index].count += 1;
    }
    bins
}

fn tables(page: &mut String, report: &Report) {
    for section in sections(report) {
        let _ = writeln!(
            page,
            "<h2 id=\"{}\">{}</h2>",
            section.id,
            escape(&section.title)
        );
        for note in &section.notes {
            let _ = writeln!(page, "<p class=\"note\">{}</p>", escape(note));
        }
        table(page, &section.header, &section.rows);
    }
}

/// A table whose first column is text and the others right-aligned numbers.
fn table(page: &mut String, header: &[&str], rows: &[Vec<String>]) {
    page.push_str("<table>\n<thead><tr>");
    for (i, h) in header.iter().enumerate() {
        let class = if i == 0 { "" } else { " class=\"num\"" };
        let _ = write!(page, "<th{class}>{}</th>", escape(h));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        page.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"num\"" };
            let _ = write!(page, "<td{class}>{}</td>", escape(cell));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n");
}
