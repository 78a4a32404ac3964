//! The human-readable calibration report's tables: fit and cross-validation per stratum, the overheads, the
//! prices and the budget multipliers.

use std::collections::BTreeMap;

use comfy_table::Table;

use super::{CvReport, Fit, GroupScore, Method, Stratum, StratumBudget};
use crate::report::format;

fn fmt_opt(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

/// `2 of 8`, plus `(1 unknown)` when some truncated events cannot be judged.
fn fmt_under(score: &tel_core::AccuracyReport) -> String {
    let u = &score.underestimation;
    let unknown = if u.unknown > 0 {
        format!(" ({} unknown)", u.unknown)
    } else {
        String::new()
    };
    format!("{} of {}{unknown}", u.rate.count, u.rate.n)
}

fn group_row(label: String, status: String, score: &GroupScore) -> Vec<String> {
    vec![
        label,
        score.counts.observed.to_string(),
        score.counts.censored.to_string(),
        status,
        fmt_opt(score.before.smape.mean),
        fmt_opt(score.after.smape.mean),
        fmt_under(&score.before),
        fmt_under(&score.after),
    ]
}

/// Why a coefficient has the value it has, in words: `fitted`, or why the prior value was kept.
fn status(fitted: bool, observed: usize, min_samples: usize, method: Method) -> String {
    if fitted {
        "fitted".to_owned()
    } else if observed < min_samples {
        format!("prior kept: {observed} non-truncated, {min_samples} needed")
    } else {
        format!("prior kept: {method} does not fit it")
    }
}

/// Per stratum: events, status and the scores before and after (cross-validated), then `all`.
pub fn strata_table(cv: &CvReport, fit: &Fit, min_samples: usize, method: Method) -> Table {
    let mut strata = format::table(
        [
            "stratum",
            "non-truncated",
            "truncated",
            "status",
            "SMAPE before",
            "SMAPE after (cv)",
            "underestimated before",
            "underestimated after (cv)",
        ],
        1,
    );
    for (stratum, score) in &cv.strata {
        let fitted = fit
            .overheads
            .iter()
            .any(|o| &o.stratum == stratum && o.fitted);
        strata.add_row(group_row(
            stratum.to_string(),
            status(fitted, score.counts.observed, min_samples, method),
            score,
        ));
    }
    strata.add_row(group_row("all".to_owned(), String::new(), &cv.overall));
    strata
}

/// Each phase overhead before and after, with its status.
pub fn overheads_table(fit: &Fit, min_samples: usize, method: Method) -> Table {
    let mut overheads = format::table(["overhead key", "stratum", "before", "after", "status"], 2);
    for o in &fit.overheads {
        overheads.add_row(vec![
            o.key.to_string(),
            o.stratum.to_string(),
            o.before.to_string(),
            o.after.to_string(),
            status(o.fitted, o.counts.observed, min_samples, method),
        ]);
    }
    overheads
}

/// Each deliverable price before and after, with its events and status.
pub fn prices_table(fit: &Fit, min_samples: usize, method: Method) -> Table {
    let mut prices = format::table(
        [
            "price kind",
            "non-truncated",
            "truncated",
            "before",
            "after",
            "status",
        ],
        1,
    );
    for p in &fit.prices {
        prices.add_row(vec![
            p.kind.clone(),
            p.counts.observed.to_string(),
            p.counts.censored.to_string(),
            p.before.to_string(),
            p.after.to_string(),
            status(p.fitted, p.counts.observed, min_samples, method),
        ]);
    }
    prices
}

/// The budget multiplier of each stratum (`*` when the sample was too small for the quantile).
pub fn budgets_table(budgets: &BTreeMap<Stratum, StratumBudget>) -> Table {
    let mut table = format::table(["stratum", "n", "multiplier", "trunc above"], 1);
    for (stratum, b) in budgets {
        let m = b.multiplier.map_or_else(
            || "-".to_owned(),
            |m| format!("{m:.3}{}", if b.saturated { "*" } else { "" }),
        );
        table.add_row(vec![
            stratum.to_string(),
            b.n.to_string(),
            m,
            b.censored_above.to_string(),
        ]);
    }
    table
}
