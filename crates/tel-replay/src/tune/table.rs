//! The human-readable tuning report's tables: the rule of each stratum with its held-out truncation, and the
//! cost curve.

use comfy_table::Table;
use tel_core::estimator::BudgetRule;

use super::{CurvePoint, HeldOut, TuneReport};
use crate::report::format;

fn interval(h: &HeldOut) -> String {
    let [lo, hi] = h.score.truncation_rate;
    format!("[{}, {}]", format::share(lo), format::share(hi))
}

fn rule_text(rule: &BudgetRule) -> String {
    match (rule.multiplier > 0.0, rule.floor > 0) {
        (true, true) => format!("max({}, p × {})", rule.floor, rule.multiplier),
        (true, false) => format!("p × {}", rule.multiplier),
        _ => format!("{}", rule.floor),
    }
}

fn yes_no(met: bool) -> String {
    if met { "yes" } else { "no" }.to_owned()
}

/// Per stratum: completed and truncated events, the rule and where it comes from, its cross-validated
/// truncation and budget; then `all`.
pub fn strata_table(report: &TuneReport) -> Table {
    let mut table = format::table(
        [
            "stratum",
            "done",
            "trunc",
            "rule",
            "from",
            "CV trunc interval",
            "CV est",
            "CV Σ budget",
            "met",
            "more done",
        ],
        1,
    );
    for s in &report.strata {
        table.add_row(vec![
            s.stratum.to_string(),
            s.observed.to_string(),
            s.censored.to_string(),
            s.rule
                .as_ref()
                .map_or_else(|| "profile's own".to_owned(), rule_text),
            s.rule_from
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string),
            interval(&s.cv),
            format::share(s.cv.estimated_truncation),
            s.cv.score.total_budget.to_string(),
            yes_no(s.cv.met),
            s.more_events_needed
                .map_or_else(|| "tail unknown".to_owned(), |n| n.to_string()),
        ]);
    }
    let overall = &report.overall;
    table.add_row(vec![
        "all".to_owned(),
        (overall.score.n - overall.score.censored).to_string(),
        overall.score.censored.to_string(),
        format!("{} rules", report.rules.len()),
        String::new(),
        interval(overall),
        format::share(overall.estimated_truncation),
        overall.score.total_budget.to_string(),
        yes_no(overall.met),
        if report.rules.iter().any(|r| r.rule.specificity() == 0) {
            "0".to_owned()
        } else {
            let done = overall.score.n - overall.score.censored;
            report.events_needed.saturating_sub(done).to_string()
        },
    ]);
    table
}

/// The cross-validated cost of each truncation target.
pub fn curve_table(curve: &[CurvePoint]) -> Table {
    let mut table = format::table(
        [
            "target",
            "Σ budget",
            "trunc interval",
            "est",
            "met",
            "thin strata",
        ],
        1,
    );
    for point in curve {
        table.add_row(vec![
            format::share(point.target),
            point.overall.score.total_budget.to_string(),
            interval(&point.overall),
            format::share(point.overall.estimated_truncation),
            yes_no(point.overall.met),
            format!("{} (< {} done)", point.thin_strata, point.events_needed),
        ]);
    }
    table
}
