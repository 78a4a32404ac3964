//! The original replay's stdout text (METRICS.md A2.4), byte for byte.

use std::io::{self, Write};

use super::{LegacyReplay, LegacyRow, LegacySummary, SYNTHETIC_WARNING, SampleSource};

const RULE_WIDTH: usize = 100;

/// Writes the report to `out` and, when sample #1 used synthetic deliverables, the warning line to `err`.
pub fn render_legacy(
    replay: &LegacyReplay,
    source: SampleSource,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    if replay.synthetic_first {
        writeln!(err, "{SYNTHETIC_WARNING}")?;
    }
    write_legacy_header(replay.summary.n, source, out)?;
    for row in &replay.rows {
        write_legacy_row(row, out)?;
    }
    write_legacy_summary(&replay.summary, out)
}

/// The lines before the rows: the sample count, the rule and the column titles.
pub fn write_legacy_header(n: usize, source: SampleSource, out: &mut dyn Write) -> io::Result<()> {
    let rule = "=".repeat(RULE_WIDTH);
    writeln!(out, "Loaded {n} telemetry samples {}", source.label())?;
    writeln!(out)?;
    writeln!(out, "{rule}")?;
    writeln!(
        out,
        "{:<3} {:<14} {:<6} {:<4} {:<9} {:<9} {:<8} {:<10} {:<10} {:<8}",
        "#",
        "Category",
        "Comp",
        "Del",
        "Old Pred",
        "New Pred",
        "Actual",
        "Old SMAPE",
        "New SMAPE",
        "Improve"
    )?;
    writeln!(out, "{rule}")
}

/// One sample's line.
pub fn write_legacy_row(row: &LegacyRow, out: &mut dyn Write) -> io::Result<()> {
    let improvement = row.old_smape - row.new_smape;
    writeln!(
        out,
        "{:<3} {:<14} {:<6} {:<4} {:<9} {:<9} {:<8} {:<10.1} {:<10.1} {} {:>6.1}%",
        row.index,
        row.category,
        row.complexity,
        row.deliverable_count,
        row.old_prediction,
        row.new_prediction,
        row.actual,
        row.old_smape,
        row.new_smape,
        if improvement > 0.0 { '+' } else { '-' },
        improvement
    )
}

/// The lines after the rows: averages, underestimation rates and median waste ratios.
pub fn write_legacy_summary(s: &LegacySummary, out: &mut dyn Write) -> io::Result<()> {
    let rule = "=".repeat(RULE_WIDTH);
    writeln!(out, "{rule}")?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<29} {:<9} {:<9} {:<8} {:<10.1} {:<10.1} {:<2} {:>6.1}%",
        "AVERAGES:",
        "",
        "",
        "",
        s.avg_old_smape,
        s.avg_new_smape,
        "",
        s.avg_old_smape - s.avg_new_smape
    )?;
    writeln!(out)?;
    writeln!(out, "Underestimation rate:")?;
    writeln!(
        out,
        "  Old: {}/{} ({:.1}%)",
        s.under_old,
        s.n,
        percent(s.under_old, s.n)
    )?;
    writeln!(
        out,
        "  New: {}/{} ({:.1}%)",
        s.under_new,
        s.n,
        percent(s.under_new, s.n)
    )?;
    writeln!(out)?;
    writeln!(out, "Median waste ratio (predicted/actual):")?;
    writeln!(out, "  Old median: {:.2}x", s.median_waste_old)?;
    writeln!(out, "  New median: {:.2}x", s.median_waste_new)?;
    writeln!(
        out,
        "  (1.0 = perfect, <1.0 = underestimate, >1.0 = overestimate)"
    )?;
    Ok(())
}

/// `k / n × 100` in the original's order (n ≥ 1 is guaranteed by the replay).
fn percent(k: usize, n: usize) -> f64 {
    k as f64 / n as f64 * 100.0
}
