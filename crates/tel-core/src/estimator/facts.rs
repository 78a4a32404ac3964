//! Per-deliverable facts (ESTIMATOR.md §4, §13): path forms, "new" detection and the pricing flags.

use std::borrow::Cow;

use super::path::sanitize;
use super::profile::FlagRules;
use super::scan;
use super::workspace::Workspace;

/// Suffixes of test files besides the `tests/` and `test_` rules (F2).
const TEST_SUFFIXES: [&str; 5] = ["_test.py", ".spec.ts", ".spec.tsx", ".test.ts", ".test.tsx"];
/// Configuration suffixes (F2 pricing and L2 labels).
pub const CONFIG_SUFFIXES: [&str; 6] = [".yml", ".yaml", ".json", ".toml", ".txt", ".ini"];
/// Configuration suffixes of F1 (no `.yml`).
const CONFIG_SUFFIXES_F1: [&str; 5] = [".yaml", ".json", ".toml", ".txt", ".ini"];
/// Frontend suffixes for pricing (labels omit `.svelte`).
const FRONTEND_SUFFIXES: [&str; 4] = [".tsx", ".jsx", ".vue", ".svelte"];
/// Verbs searched (as substrings) in the lower-cased deliverable text, in [`Facts::verbs`] bit order.
const VERBS: [&str; 5] = ["create", "modify", "update", "add", "new"];
/// `create`, `add`, `new`: any of them anywhere marks the deliverable as new (defect E4).
const NEW_VERBS: u32 = 0b11001;

/// `lower(s)`, borrowing when `s` has nothing to lower-case.
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Bit `k` is set when `lower(s)` contains `needles[k]` (lower-case ASCII); no allocation for ASCII `s`.
pub fn lower_occurring(s: &str, needles: &[&str]) -> u32 {
    if s.is_ascii() {
        scan::occurring_ascii_folded(s, needles)
    } else {
        // Unicode lower-casing can yield ASCII letters (e.g. KELVIN SIGN → `k`): take the exact route.
        let low = s.to_lowercase();
        needles
            .iter()
            .enumerate()
            .filter(|(_, needle)| scan::contains(&low, needle))
            .fold(0, |mask, (k, _)| mask | 1 << k)
    }
}

fn lower_contains(s: &str, needle: &str) -> bool {
    lower_occurring(s, &[needle]) != 0
}

/// `lower(s)` with every `\` replaced by `/`.
pub fn lower_slashed(s: &str) -> Cow<'_, str> {
    match lower(s) {
        Cow::Borrowed(l) if !l.bytes().any(|b| b == b'\\') => Cow::Borrowed(l),
        l => Cow::Owned(l.replace('\\', "/")),
    }
}

/// Final non-empty, non-`.` component of a `/`-separated path, or `""`.
pub fn basename(path: &str) -> &str {
    let mut end = path.len();
    loop {
        let start = scan::rfind_byte(&path[..end], b'/').map_or(0, |i| i + 1);
        let component = &path[start..end];
        if !component.is_empty() && component != "." {
            return component;
        }
        if start == 0 {
            return "";
        }
        end = start - 1;
    }
}

/// The extension of a basename: from its last `.`, if that dot is neither first nor last.
pub fn extension(base: &str) -> &str {
    match scan::rfind_byte(base, b'.') {
        Some(i) if i > 0 && i + 1 < base.len() => &base[i..],
        _ => "",
    }
}

fn ends_with_any(s: &str, suffixes: &[&str]) -> bool {
    suffixes.iter().any(|suffix| s.ends_with(suffix))
}

/// `ends_with_any` for suffixes that are a `.` followed by dot-free text: only the text from the
/// last `.` of `s` can match, which turns several suffix scans into one search and short compares.
pub fn ends_with_extension(s: &str, extensions: &[&str]) -> bool {
    let tail = scan::rfind_byte(s, b'.').map_or("", |i| &s[i..]);
    extensions.contains(&tail)
}

/// The pricing flags of one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// Test file.
    pub test: bool,
    /// Documentation file.
    pub doc: bool,
    /// Configuration file.
    pub config: bool,
    /// Migration.
    pub migration: bool,
    /// Frontend file.
    pub frontend: bool,
}

/// Everything the pricing and labelling rules need to know about one deliverable.
pub struct Facts<'a> {
    /// The extracted path (§3), used for the workspace questions.
    pub path: Cow<'a, str>,
    /// `lower(path)` with `/` separators.
    pub low: Cow<'a, str>,
    /// Whether the deliverable is priced as new.
    pub is_new: bool,
    /// Bit `k` set when `lower(d)` contains the `k`-th of `create modify update add new`.
    pub verbs: u32,
}

impl<'a> Facts<'a> {
    /// Facts of deliverable `d`; asks the workspace whether the path exists only when no verb decides.
    pub fn of(d: &'a str, existence_inference: bool, workspace: &dyn Workspace) -> Self {
        let path = sanitize(d);
        let low = match &path {
            Cow::Borrowed(p) => lower_slashed(p),
            Cow::Owned(p) => Cow::Owned(lower_slashed(p).into_owned()),
        };
        let verbs = lower_occurring(d, &VERBS);
        let is_new = verbs & NEW_VERBS != 0 || (existence_inference && !workspace.exists(&path));
        Facts {
            path,
            low,
            is_new,
            verbs,
        }
    }

    /// `base` of §4.
    pub fn base(&self) -> &str {
        basename(&self.low)
    }

    /// `ext` of §4.
    pub fn ext(&self) -> &str {
        extension(self.base())
    }

    /// `is_test` of §4 (F2); the L2 labels use it whatever the flag rules.
    pub fn is_test_f2(&self) -> bool {
        let (low, base) = (&*self.low, self.base());
        low.starts_with("tests/")
            || scan::contains(low, "/tests/")
            || base.starts_with("test_")
            || ends_with_any(base, &TEST_SUFFIXES)
    }

    /// The pricing flags under rule set `rules`.
    pub fn flags(&self, rules: FlagRules) -> Flags {
        match rules {
            FlagRules::F2 => {
                let low = &*self.low;
                Flags {
                    test: self.is_test_f2(),
                    doc: low.starts_with("docs/") || low.ends_with(".md"),
                    config: ends_with_extension(low, &CONFIG_SUFFIXES),
                    migration: scan::contains(low, "alembic/versions")
                        || scan::contains(low, "migration"),
                    frontend: ends_with_extension(low, &FRONTEND_SUFFIXES),
                }
            }
            FlagRules::F1 => {
                let path = &*self.path;
                Flags {
                    test: lower_contains(path, "test"),
                    doc: path.starts_with("docs/") || path.ends_with(".md"),
                    config: ends_with_extension(path, &CONFIG_SUFFIXES_F1),
                    migration: scan::contains(path, "alembic/versions")
                        || lower_contains(path, "migration"),
                    frontend: ends_with_extension(path, &FRONTEND_SUFFIXES),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimator::workspace::{EmptyWorkspace, MemoryWorkspace};

    #[test]
    fn case_insensitive_search_matches_unicode_lowering() {
        assert!(lower_contains("CREATE x", "create"));
        assert!(
            lower_contains("Ma\u{212a}e", "mak"),
            "KELVIN SIGN lower-cases to k"
        );
        assert_eq!(lower_occurring("Modify src/x.py", &VERBS), 0b00010);
        assert_eq!(lower_occurring("Add NEW \u{e9}", &VERBS), 0b11000);
        assert!(!lower_contains("", "add"));
    }

    #[test]
    fn extension_suffix_lists_have_one_leading_dot() {
        for list in [
            &CONFIG_SUFFIXES[..],
            &CONFIG_SUFFIXES_F1,
            &FRONTEND_SUFFIXES,
        ] {
            for suffix in list {
                assert_eq!(suffix.rfind('.'), Some(0), "{suffix}");
            }
        }
        assert!(ends_with_extension("a/b.c.json", &CONFIG_SUFFIXES));
        assert!(!ends_with_extension("a/json", &CONFIG_SUFFIXES));
    }

    #[test]
    fn base_and_extension_follow_section_4() {
        for (path, base, ext) in [
            ("src/a/foo.py", "foo.py", ".py"),
            ("src/a/./", "a", ""),
            (".sql", ".sql", ""),
            ("foo.", "foo.", ""),
            ("", "", ""),
            ("a/b.tar.gz", "b.tar.gz", ".gz"),
            ("a//./", "a", ""),
            ("/x", "x", ""),
            ("./.", "", ""),
        ] {
            assert_eq!(basename(path), base, "{path}");
            assert_eq!(extension(basename(path)), ext, "{path}");
        }
    }

    #[test]
    fn verb_substrings_make_deliverables_new_regardless_of_the_workspace() {
        let ws = MemoryWorkspace::new([("src/address.py", "x"), ("src/x.py", "x")]);
        assert!(Facts::of("src/address.py", true, &ws).is_new);
        assert!(!Facts::of("src/x.py", true, &ws).is_new);
        assert!(Facts::of("src/y.py", true, &ws).is_new);
        assert!(!Facts::of("src/y.py", false, &EmptyWorkspace).is_new);
    }

    #[test]
    fn backslashes_only_matter_after_extraction() {
        let facts = Facts::of("Modify SRC\\Foo.PY", true, &EmptyWorkspace);
        assert_eq!(facts.path, "Foo.PY");
        assert_eq!(facts.low, "foo.py");
        let fallback = Facts::of("Update Tests\\README", true, &EmptyWorkspace);
        assert_eq!(fallback.path, "tests\\readme");
        assert_eq!(fallback.low, "tests/readme");
        assert!(fallback.is_test_f2());
    }
}
