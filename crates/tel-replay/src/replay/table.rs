//! The human-readable replay report: one column per estimator, overall metrics then per-stratum SMAPE.

use std::io::{self, Write};

use tel_core::AccuracyReport;

use super::ReplayReport;

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// One metric row: label and a value extractor.
type Metric = (&'static str, fn(&AccuracyReport) -> String);

const METRICS: [Metric; 9] = [
    ("events", |r| r.events.to_string()),
    ("eligible", |r| r.eligible.to_string()),
    ("excluded", |r| r.excluded.total().to_string()),
    ("truncated (censored)", |r| r.truncated.to_string()),
    ("SMAPE mean (0-200)", |r| opt(r.smape.mean, 1)),
    ("SMAPE median", |r| opt(r.smape.median, 1)),
    ("waste median (p/a)", |r| opt(r.waste.median, 2)),
    ("waste geometric mean", |r| opt(r.waste.geometric_mean, 2)),
    ("underestimated", |r| {
        let u = &r.underestimation;
        format!("{}/{} (+{} unknown)", u.rate.count, u.rate.n, u.unknown)
    }),
];

/// Writes the report as aligned text.
pub fn render_table(report: &ReplayReport, out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<&str> = report.estimators.iter().map(|e| e.name.as_str()).collect();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0).max(22);
    let censoring = if report.options.accuracy.include_censored {
        "truncated events included in SMAPE (optimistic)"
    } else {
        "truncated events excluded from SMAPE and waste (censored)"
    };
    writeln!(out, "Replay of {} events; {censoring}", report.events)?;
    writeln!(out)?;
    write!(out, "{:<24}", "metric")?;
    for name in &names {
        write!(out, " {name:>width$}")?;
    }
    writeln!(out)?;
    for (label, value) in METRICS {
        write!(out, "{label:<24}")?;
        for estimator in &report.estimators {
            write!(out, " {:>width$}", value(&estimator.overall))?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "SMAPE mean per stratum (n non-truncated), buckets: {}",
        report.options.buckets
    )?;
    let Some(first) = report.estimators.first() else {
        return Ok(());
    };
    for (i, stratum) in first.strata.iter().enumerate() {
        let key = &stratum.stratum;
        let label = format!(
            "{} / {} / {}",
            key.category, key.complexity, key.deliverables
        );
        write!(out, "{label:<32}")?;
        for estimator in &report.estimators {
            let r = &estimator.strata[i].report;
            write!(
                out,
                " {:>12}",
                format!("{} ({})", opt(r.smape.mean, 1), r.smape.n)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
