//! Deliverable sanitisation of the writer (FORMATS.md F2.4): at most 20 items of at most 200 code points,
//! stored as Python-style JSON text, with the full count kept beside them.

use std::borrow::Cow;

use crate::pytext::json_string_list;

/// How many deliverables are stored at most.
pub const MAX_STORED_DELIVERABLES: usize = 20;
/// How many code points one stored deliverable has at most.
pub const MAX_DELIVERABLE_CHARS: usize = 200;
/// Marker appended to a shortened deliverable.
const ELLIPSIS: &str = "...";
/// Code points kept before the marker, so that a shortened item is exactly [`MAX_DELIVERABLE_CHARS`] long.
const KEPT_CHARS: usize = MAX_DELIVERABLE_CHARS - ELLIPSIS.len();

/// The sanitised form of a deliverables list, as the writer stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SanitizedDeliverables {
    /// `deliverables_json`: the stored items as a JSON array in Python's default style.
    pub json: String,
    /// The stored items (first 20, each at most 200 code points).
    pub stored: Vec<String>,
    /// `deliverable_count`: the FULL length of the original list (not capped).
    pub count: i64,
}

/// Sanitises a deliverables list: first [`MAX_STORED_DELIVERABLES`] items, each shortened by
/// [`shorten_deliverable`], serialised as Python's `json.dumps` writes a list of strings (ASCII-only,
/// `", "` between items); `count` is the full length.
pub fn sanitize_deliverables<S: AsRef<str>>(deliverables: &[S]) -> SanitizedDeliverables {
    let stored: Vec<String> = deliverables
        .iter()
        .take(MAX_STORED_DELIVERABLES)
        .map(|item| shorten_deliverable(item.as_ref()).into_owned())
        .collect();
    SanitizedDeliverables {
        json: json_string_list(&stored),
        stored,
        count: i64::try_from(deliverables.len()).unwrap_or(i64::MAX),
    }
}

/// One deliverable as stored: unchanged when it has at most [`MAX_DELIVERABLE_CHARS`] code points,
/// otherwise its first 197 code points + `...` (never splits a character).
pub fn shorten_deliverable(item: &str) -> Cow<'_, str> {
    if item.chars().nth(MAX_DELIVERABLE_CHARS).is_none() {
        return Cow::Borrowed(item);
    }
    let cut = item
        .char_indices()
        .nth(KEPT_CHARS)
        .map_or(item.len(), |(index, _)| index);
    Cow::Owned([&item[..cut], ELLIPSIS].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_lengths_are_kept_or_cut_exactly() {
        let exact = "x".repeat(MAX_DELIVERABLE_CHARS);
        assert!(matches!(shorten_deliverable(&exact), Cow::Borrowed(_)));
        let long = "é".repeat(MAX_DELIVERABLE_CHARS + 1);
        let short = shorten_deliverable(&long);
        assert_eq!(short.chars().count(), MAX_DELIVERABLE_CHARS);
        assert!(short.starts_with(&"é".repeat(KEPT_CHARS)));
        assert!(short.ends_with("..."));
    }

    #[test]
    fn empty_list_is_an_empty_json_array() {
        let s = sanitize_deliverables::<&str>(&[]);
        assert_eq!(s.json, "[]");
        assert_eq!(s.count, 0);
        assert!(s.stored.is_empty());
    }
}
