//! Python-compatible text: `json.dumps` string escaping and `repr(float)`, for byte-identical legacy outputs.
//!
//! Not domain API: the writer's `deliverables_json` and the estimator's float deliverables need these
//! bytes here, and tel's own exports (tel-replay) and `tel estimate` write the same bytes, so the few
//! functions they call are public rather than copied. An executor has no use for them.

use std::fmt::Write as _;

/// Appends `s` as a JSON string literal the way Python's `json.dumps` (default `ensure_ascii=True`)
/// writes it: `"` and `\` escaped, `\n \r \t \b \f` by name, every other character outside
/// U+0020..=U+007E as `\uXXXX` with lowercase hex (UTF-16 surrogate pairs above U+FFFF); `/` unescaped.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    // Runs of characters written as they are are copied as one slice (the hot path of every export line).
    let mut plain_from = 0;
    let mut at = 0;
    while at < s.len() {
        let byte = s.as_bytes()[at];
        if matches!(byte, b' '..=b'~') && byte != b'"' && byte != b'\\' {
            at += 1;
            continue;
        }
        out.push_str(&s[plain_from..at]);
        // `at` is a char boundary: every byte before it in the run is ASCII.
        let c = s[at..].chars().next().unwrap_or_default();
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
        at += c.len_utf8();
        plain_from = at;
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

/// Python's `json.dumps(list_of_strings)`: `[` + items joined by `", "` + `]`.
pub(crate) fn json_string_list<S: AsRef<str>>(items: &[S]) -> String {
    let mut out =
        String::with_capacity(2 + items.iter().map(|s| s.as_ref().len() + 4).sum::<usize>());
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_string(&mut out, item.as_ref());
    }
    out.push(']');
    out
}

/// Appends Python's `repr(x)` of a finite or non-finite f64: shortest round-trip digits, always a `.`
/// or an exponent (`100.0`, `0.83`), exponent form when the decimal exponent is < -4 or >= 16
/// (`1e-05`, `1.5e+16`); `nan`, `inf`, `-inf` otherwise (Python's JSON writes `NaN`/`Infinity`,
/// which legacy outputs never contain).
pub fn push_py_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // `{:e}` gives the shortest round-trip digits in scientific form: "d[.ddd]e[-]N".
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` exponent is an integer");
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    out.push_str(sign);
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // position of the decimal point within `digits`
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point as usize >= digits.len() {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
}

/// Python's `repr(x)` as a new string; see [`push_py_float`].
pub fn py_float(x: f64) -> String {
    let mut out = String::new();
    push_py_float(&mut out, x);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_python_repr() {
        for (x, expected) in [
            (100.0, "100.0"),
            (0.83, "0.83"),
            (103.63232023721277, "103.63232023721277"),
            (0.3173828125, "0.3173828125"),
            (1e-05, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e16, "1.5e+16"),
            (1e16, "1e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (0.0, "0.0"),
            (-2.5, "-2.5"),
            (33.33333333333333, "33.33333333333333"),
            (1.2345e-7, "1.2345e-07"),
            (1e100, "1e+100"),
        ] {
            assert_eq!(py_float(x), expected, "{x:?}");
        }
    }

    #[test]
    fn strings_use_ascii_only_escaping() {
        assert_eq!(
            json_string_list(&["src/a.py", "docs/\u{e9}.md"]),
            r#"["src/a.py", "docs/\u00e9.md"]"#
        );
        assert_eq!(json_string_list(&["\u{1F600}"]), r#"["\ud83d\ude00"]"#);
        assert_eq!(
            json_string_list(&["a\"b\\c\n\t\u{1}\u{7f}/"]),
            r#"["a\"b\\c\n\t\u0001\u007f/"]"#
        );
        assert_eq!(json_string_list::<&str>(&[]), "[]");
        // Plain runs between escapes, at both ends (the slice-copy path).
        assert_eq!(
            json_string_list(&["\u{e9}ab\u{1F600}cd\"\u{e9}", "\n", "plain"]),
            r#"["\u00e9ab\ud83d\ude00cd\"\u00e9", "\n", "plain"]"#
        );
    }
}
