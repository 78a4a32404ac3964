//! Number formatting shared by every human-readable report output (tables, markdown, HTML).
//!
//! Percentages carry one decimal, ratios two, counts are thousands-separated; a missing value
//! prints as `n/a`; tables share one grid style. Machine output (`--json`) never goes through here.

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

/// The grid every human-readable table uses: condensed UTF-8 borders, never wrapped (pipes and terminals
/// get the same text), columns from `right_from` on right-aligned (they hold numbers).
pub fn table<T: Into<comfy_table::Cell>>(
    header: impl IntoIterator<Item = T>,
    right_from: usize,
) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(header);
    for column in table.column_iter_mut().skip(right_from) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    table
}

/// `12.3%`, or `n/a`.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}%"))
}

/// A share as a percentage with at most two decimals and no trailing zeros: `0.02` → `2%`, `0.0125` → `1.25%`.
pub fn share(x: f64) -> String {
    let text = format!("{:.2}", x * 100.0);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

/// `1.25`, or `n/a`.
pub fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2}"))
}

/// A token count or mean rounded to a whole number, thousands-separated: `12,288`, or `n/a`.
pub fn tokens(value: Option<f64>) -> String {
    value.map_or_else(
        || "n/a".to_owned(),
        |v| {
            let rounded = v.round();
            let sign = if rounded < 0.0 { "-" } else { "" };
            format!("{sign}{}", count(rounded.abs() as u64))
        },
    )
}

/// A count with thousands separators: `5,000`.
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `k/n (p%)`: a rate with both counts visible.
pub fn rate(count_: u64, n: u64) -> String {
    let pct = (n > 0).then(|| count_ as f64 / n as f64 * 100.0);
    format!("{}/{} ({})", count(count_), count(n), percent(pct))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn percent_and_ratio_use_fixed_decimals_and_na() {
        assert_eq!(percent(Some(42.857)), "42.9%");
        assert_eq!(percent(None), "n/a");
        assert_eq!(ratio(Some(1.0)), "1.00");
        assert_eq!(ratio(None), "n/a");
        assert_eq!(tokens(Some(12288.4)), "12,288");
        assert_eq!(tokens(Some(-1500.0)), "-1,500");
    }

    #[test]
    fn rate_shows_count_total_and_percent() {
        assert_eq!(rate(6, 14), "6/14 (42.9%)");
        assert_eq!(rate(0, 0), "0/0 (n/a)");
    }
}
