//! File-complexity multiplier `m(path)` (ESTIMATOR.md §6) applied to modify prices.

use super::pystr::py_lstrip;

/// `m` for a file with content `text` (`None`: unreadable ⇒ 1.0).
pub fn complexity_multiplier(text: Option<&str>) -> f64 {
    let Some(text) = text else {
        return 1.0;
    };
    let (mut loc, mut imports, mut nest) = (0usize, 0usize, 0usize);
    for line in text.split('\n') {
        // `strip(L)` is empty / starts with `#` exactly when `lstrip(L)` is / does.
        let rest = py_lstrip(line);
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        loc += 1;
        if contains_import(line) {
            imports += 1;
        }
        nest = nest.max(line[..line.len() - rest.len()].chars().count());
    }
    let loc_f: f64 = match loc {
        0..50 => 0.7,
        50..200 => 1.0,
        200..500 => 1.3,
        _ => 1.5,
    };
    let imp_f = match imports {
        0..5 => 0.9,
        5..15 => 1.0,
        _ => 1.2,
    };
    let nest_f = match nest {
        0..8 => 0.9,
        8..16 => 1.0,
        _ => 1.2,
    };
    (loc_f * imp_f * nest_f).clamp(0.5, 2.0)
}

/// `line.contains("import ")`, scanning for `i` first (much cheaper than a substring searcher per line).
fn contains_import(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'i' && bytes[i..].starts_with(b"import "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_lines_need_the_trailing_space() {
        assert!(contains_import("from x import y"));
        assert!(contains_import("iimport z"));
        assert!(!contains_import("import"));
        assert!(!contains_import("imports"));
    }

    #[test]
    fn unreadable_files_are_neutral() {
        assert_eq!(complexity_multiplier(None), 1.0);
    }

    #[test]
    fn comment_lines_are_not_code() {
        assert_eq!(
            complexity_multiplier(Some("# existing\n")),
            0.5670000000000001
        );
        assert_eq!(
            complexity_multiplier(Some("// existing\n")),
            0.5670000000000001
        );
        // 60 headings and a shebang are not code; 60 plain lines are.
        let headings = "#!/bin/sh\n".to_owned() + &"# h\n".repeat(60);
        assert_eq!(complexity_multiplier(Some(&headings)), 0.5670000000000001);
        assert_eq!(
            complexity_multiplier(Some(&"x\n".repeat(60))),
            1.0 * 0.9 * 0.9
        );
    }

    #[test]
    fn indentation_counts_code_points_and_python_whitespace() {
        let deep = "\u{3000}".repeat(8) + "x\n";
        assert_eq!(complexity_multiplier(Some(&deep)), 0.7 * 0.9 * 1.0);
        let tabs = "\t".repeat(7) + "x\n";
        assert_eq!(complexity_multiplier(Some(&tabs)), 0.7 * 0.9 * 0.9);
    }
}
