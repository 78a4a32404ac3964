//! The human-readable replay report: one column per estimator, overall metrics then per-stratum SMAPE.

use std::io::{self, Write};

use comfy_table::Table;
use tel_core::AccuracyReport;

use super::ReplayReport;
use crate::report::format;

/// One metric row: label and a value extractor.
type Metric = (&'static str, fn(&AccuracyReport) -> String);

const METRICS: [Metric; 9] = [
    ("events", |r| format::count(r.events)),
    ("eligible", |r| format::count(r.eligible)),
    ("excluded", |r| format::count(r.excluded.total())),
    ("truncated (censored)", |r| format::count(r.truncated)),
    ("SMAPE mean (0-200)", |r| decimal1(r.smape.mean)),
    ("SMAPE median", |r| decimal1(r.smape.median)),
    ("waste median (p/a)", |r| format::ratio(r.waste.median)),
    ("waste geometric mean", |r| {
        format::ratio(r.waste.geometric_mean)
    }),
    ("underestimated", |r| {
        let u = &r.underestimation;
        format!(
            "{} (+{} unknown)",
            format::rate(u.rate.count, u.rate.n),
            format::count(u.unknown)
        )
    }),
];

/// SMAPE is on the 0-200 scale, not a percentage of anything: one decimal, no `%`.
fn decimal1(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"))
}

fn new_table(first_column: &str, names: &[&str]) -> Table {
    format::table(
        std::iter::once(first_column).chain(names.iter().copied()),
        1,
    )
}

/// Writes the report as two tables: overall metrics, then SMAPE mean (n) per stratum.
pub fn render_table(report: &ReplayReport, out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<&str> = report.estimators.iter().map(|e| e.name.as_str()).collect();
    let censoring = if report.options.accuracy.include_censored {
        "truncated events included in SMAPE (optimistic)"
    } else {
        "truncated events excluded from SMAPE and waste (censored)"
    };
    writeln!(
        out,
        "Replay of {} events; {censoring}",
        format::count(report.events)
    )?;
    let mut overall = new_table("metric", &names);
    for (label, value) in METRICS {
        overall.add_row(
            std::iter::once(label.to_owned())
                .chain(report.estimators.iter().map(|e| value(&e.overall))),
        );
    }
    writeln!(out, "{overall}")?;
    writeln!(
        out,
        "\nSMAPE mean per stratum (n non-truncated), buckets: {}",
        report.options.buckets
    )?;
    let Some(first) = report.estimators.first() else {
        return Ok(());
    };
    let mut strata = new_table("category / complexity / deliverables", &names);
    for (i, stratum) in first.strata.iter().enumerate() {
        let key = &stratum.stratum;
        let label = format!(
            "{} / {} / {}",
            key.category, key.complexity, key.deliverables
        );
        strata.add_row(
            std::iter::once(label).chain(report.estimators.iter().map(|e| {
                let r = &e.strata[i].report;
                format!("{} ({})", decimal1(r.smape.mean), format::count(r.smape.n))
            })),
        );
    }
    writeln!(out, "{strata}")
}
