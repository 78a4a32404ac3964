//! Path extraction `sanitize` (ESTIMATOR.md §3) with a hand-written leftmost-first matcher, and the
//! confidence pattern of §8.

use std::borrow::Cow;

use super::pystr::{is_py_space, py_strip};

/// Verb prefixes removed, each at most once and in this order, by the fallback branch of §3.
const FALLBACK_PREFIXES: [&str; 6] = [
    "create ",
    "modify ",
    "update ",
    "add ",
    "new file: ",
    "new: ",
];

/// The path string of deliverable `d` (§3): the first match of `[A-Za-z0-9_./-]+\.[A-Za-z0-9]+`,
/// else the lower-cased text without verb prefixes and without one trailing parenthetical, stripped.
pub fn sanitize(d: &str) -> Cow<'_, str> {
    match find_dotted_token(d) {
        Some(token) => Cow::Borrowed(token),
        None => Cow::Owned(fallback_path(d)),
    }
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')
}

/// Leftmost-first (backtracking) match of `[A-Za-z0-9_./-]+\.[A-Za-z0-9]+`.
///
/// Within a maximal run of path characters starting at `i`, greedy backtracking settles on the LAST
/// dot at index > `i` that is followed by an alphanumeric, then takes the alphanumerics after it. If a
/// run has no such dot, no start inside the run can match either, so the search resumes after it.
fn find_dotted_token(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !is_path_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let run_end = i + bytes[i..].iter().take_while(|&&b| is_path_byte(b)).count();
        let dot = (i + 1..run_end.saturating_sub(1))
            .rev()
            .find(|&k| bytes[k] == b'.' && bytes[k + 1].is_ascii_alphanumeric());
        if let Some(k) = dot {
            let end = k
                + 1
                + bytes[k + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
            return Some(&s[i..end]);
        }
        i = run_end;
    }
    None
}

/// §3 step 2: lower-case, drop verb prefixes, drop one trailing `\s*\([^)]*\)\s*$`, strip.
fn fallback_path(d: &str) -> String {
    let lower = d.to_lowercase();
    let mut p = lower.as_str();
    for prefix in FALLBACK_PREFIXES {
        p = p.strip_prefix(prefix).unwrap_or(p);
    }
    let p = &p[..trailing_parenthetical_start(p).unwrap_or(p.len())];
    py_strip(p).to_owned()
}

/// Start of the leftmost match of `\s*\([^)]*\)\s*$` in `p`, if any.
fn trailing_parenthetical_start(p: &str) -> Option<usize> {
    let body = p.trim_end_matches(is_py_space);
    let inner = body.strip_suffix(')')?;
    // `[^)]*` cannot cross another `)`: the opening `(` must follow the previous `)`, leftmost wins.
    let search_from = inner.rfind(')').map_or(0, |k| k + 1);
    let open = search_from + inner[search_from..].find('(')?;
    Some(p[..open].trim_end_matches(is_py_space).len())
}

/// §8: does `\.[A-Za-z0-9]{2,4}` occur anywhere in `d`?
pub fn has_extension_like_token(d: &str) -> bool {
    d.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'.' && w[1].is_ascii_alphanumeric() && w[2].is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extraction_matches_the_pinned_cases() {
        for (d, expected) in [
            ("Create src/autopack/foo.py", "src/autopack/foo.py"),
            ("Modify src/bar.py to add X", "src/bar.py"),
            ("src/baz.py", "src/baz.py"),
            ("New file: tests/test_x.py", "tests/test_x.py"),
            ("docs/README.md (update docs)", "docs/README.md"),
            ("src\\foo.py", "foo.py"),
            ("docs/My File.md", "File.md"),
            ("v1.2 notes", "v1.2"),
            ("Update v1.2 of src/x.py", "v1.2"),
            ("README", "readme"),
            ("Makefile", "makefile"),
            (".sql", ".sql"),
            ("a.b_c", "a.b"),
            ("a.b.c-d", "a.b.c"),
            ("x..y", "x..y"),
            ("..a", "..a"),
            ("é/über.py", "ber.py"),
        ] {
            assert_eq!(sanitize(d), expected, "{d:?}");
        }
    }

    #[test]
    fn fallback_removes_prefixes_and_one_parenthetical() {
        for (d, expected) in [
            ("create modify x", "x"),
            ("Create Makefile (build rules)", "makefile"),
            ("Add README (a (b) c) ", "readme (a (b) c)"),
            ("Add README (a (b)\u{1c}", "readme"),
            ("Update README (x) y", "readme (x) y"),
            ("new: thing ()", "thing"),
            ("modify create x", "create x"),
            ("(only)", ""),
        ] {
            assert_eq!(sanitize(d), expected, "{d:?}");
        }
    }

    #[test]
    fn extension_token_needs_two_alphanumerics() {
        assert!(has_extension_like_token("Update documentation.md"));
        assert!(!has_extension_like_token("Implement user authentication"));
        assert!(!has_extension_like_token("v1.2 notes"));
        assert!(has_extension_like_token("v1.20"));
    }
}
