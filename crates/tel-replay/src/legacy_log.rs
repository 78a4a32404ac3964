//! The original replay's log-line grammar (FORMATS.md F6, "Replay legacy mode"), reproduced exactly.

/// Marker a line must contain to be tried at all.
pub const V2_MARKER: &str = "[TokenEstimationV2]";

/// What the replay grammar captures from one log line.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyLogSample {
    /// Old prediction (`predicted_output`).
    pub predicted: i64,
    /// Actual output tokens (`actual_output`).
    pub actual: i64,
    /// SMAPE as logged (1 decimal).
    pub smape: f64,
    /// Selected budget.
    pub selected_budget: i64,
    /// Raw category (word characters only).
    pub category: String,
    /// Complexity text (word characters only).
    pub complexity: String,
    /// Deliverable count.
    pub deliverables: i64,
}

/// Matches one line: the first position where
/// `predicted_output=D actual_output=D smape=F% selected_budget=D category=W complexity=W deliverables=D`
/// appears with single spaces. `None` for lines without the V2 marker, with `selected_budget=None`, with a
/// category containing `-`, or (where the original would have crashed) an unreadable number.
pub fn parse_legacy_line(line: &str) -> Option<LegacyLogSample> {
    if !line.contains(V2_MARKER) {
        return None;
    }
    line.match_indices("predicted_output=")
        .find_map(|(at, _)| match_at(&line[at..]))
}

fn match_at(text: &str) -> Option<LegacyLogSample> {
    let mut cursor = Cursor { rest: text };
    let predicted = cursor.literal("predicted_output=")?.digits()?;
    let actual = cursor.literal(" actual_output=")?.digits()?;
    let smape = cursor
        .literal(" smape=")?
        .run(|c| c.is_ascii_digit() || c == '.')?;
    let selected_budget = cursor
        .literal("%")?
        .literal(" selected_budget=")?
        .digits()?;
    let category = cursor.literal(" category=")?.run(is_word)?;
    let complexity = cursor.literal(" complexity=")?.run(is_word)?;
    let deliverables = cursor.literal(" deliverables=")?.digits()?;
    Some(LegacyLogSample {
        predicted,
        actual,
        smape: smape.parse().ok()?,
        selected_budget,
        category: category.to_owned(),
        complexity: complexity.to_owned(),
        deliverables,
    })
}

/// Python's `\w` for `str` patterns: letters, digits and `_`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn literal(&mut self, expected: &str) -> Option<&mut Self> {
        self.rest = self.rest.strip_prefix(expected)?;
        Some(self)
    }

    /// A non-empty greedy run of characters satisfying `accept`.
    fn run(&mut self, accept: impl Fn(char) -> bool) -> Option<&'a str> {
        let end = self.rest.find(|c| !accept(c)).unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (taken, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(taken)
    }

    fn digits(&mut self) -> Option<i64> {
        self.run(|c| c.is_ascii_digit())?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "[2025-12-23 22:09:15] INFO: [TokenEstimationV2] predicted_output=462 actual_output=742 smape=46.5% selected_budget=8192 category=configuration complexity=low deliverables=2 success=False stop_reason=end_turn truncated=False model=claude-sonnet-4-5";

    #[test]
    fn fixture_line_captures_every_field() {
        assert_eq!(
            parse_legacy_line(LINE),
            Some(LegacyLogSample {
                predicted: 462,
                actual: 742,
                smape: 46.5,
                selected_budget: 8192,
                category: "configuration".into(),
                complexity: "low".into(),
                deliverables: 2,
            })
        );
    }

    #[test]
    fn none_budget_dashed_category_double_space_and_missing_marker_do_not_match() {
        for bad in [
            LINE.replace("selected_budget=8192", "selected_budget=None"),
            LINE.replace("category=configuration", "category=doc-write"),
            LINE.replace("smape=46.5% selected", "smape=46.5%  selected"),
            LINE.replace("[TokenEstimationV2]", "[TokenEstimation]"),
        ] {
            assert_eq!(parse_legacy_line(&bad), None, "{bad}");
        }
    }

    #[test]
    fn a_later_occurrence_matches_when_the_first_does_not() {
        let line = format!("{V2_MARKER} predicted_output=1 junk {}", &LINE[48..]);
        assert_eq!(parse_legacy_line(&line).map(|s| s.predicted), Some(462));
    }
}
