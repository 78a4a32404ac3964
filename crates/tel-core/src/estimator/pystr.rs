//! Python `str.isspace`, `strip` and `lstrip` (ESTIMATOR.md §0): Rust's `trim` disagrees on `\x1c`-`\x1f`.

/// Python's `str.isspace` for one character: the exact set listed in ESTIMATOR.md §0.
pub fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `s.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's `s.lstrip()`.
pub fn py_lstrip(s: &str) -> &str {
    s.trim_start_matches(is_py_space)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_uses_the_python_whitespace_set() {
        assert_eq!(py_strip("\u{1c}\u{1f} a.py \u{3000}\u{85}"), "a.py");
        assert_eq!(
            py_strip("\u{200b}x"),
            "\u{200b}x",
            "zero-width space is not whitespace"
        );
        assert_eq!(py_lstrip("\t\x0b\x0c  x "), "x ");
        assert!(!is_py_space('\u{180e}'));
        assert!(is_py_space('\u{0b}'));
    }
}
