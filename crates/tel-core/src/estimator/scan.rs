//! Byte-level searches for the per-deliverable hot path: the strings are short, so a first-byte scan
//! beats the standard library's searcher setup and `memcmp` calls.

/// Does `needle` occur in `hay` under the byte equality `eq(hay_byte, needle_byte)`?
fn occurs(hay: &[u8], needle: &[u8], eq: impl Fn(u8, u8) -> bool) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    (0..(hay.len() + 1).saturating_sub(needle.len())).any(|i| {
        eq(hay[i], first)
            && hay[i + 1..i + needle.len()]
                .iter()
                .zip(rest)
                .all(|(&h, &n)| eq(h, n))
    })
}

/// `hay.contains(needle)`.
pub fn contains(hay: &str, needle: &str) -> bool {
    occurs(hay.as_bytes(), needle.as_bytes(), |h, n| h == n)
}

/// Bit `k` is set when `needles[k]` (lower-case, non-empty, at most 32) occurs in
/// `hay.to_ascii_lowercase()`; one pass over `hay` for all needles.
pub fn occurring_ascii_folded(hay: &str, needles: &[&str]) -> u32 {
    let hay = hay.as_bytes();
    let mut found = 0u32;
    for (i, &byte) in hay.iter().enumerate() {
        let byte = byte.to_ascii_lowercase();
        for (k, needle) in needles.iter().enumerate() {
            let needle = needle.as_bytes();
            if needle.first() == Some(&byte)
                && hay.len() - i >= needle.len()
                && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(&needle[1..])
            {
                found |= 1 << k;
            }
        }
    }
    found
}

/// Byte index of the last `byte` (ASCII) in `s`.
pub fn rfind_byte(s: &str, byte: u8) -> Option<usize> {
    s.bytes().rposition(|b| b == byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_agree_with_the_standard_library() {
        for (hay, needle) in [
            ("src/tests/x", "/tests/"),
            ("abc", ""),
            ("", "a"),
            ("aab", "ab"),
            ("ab", "abc"),
        ] {
            assert_eq!(
                contains(hay, needle),
                hay.contains(needle),
                "{hay:?} {needle:?}"
            );
        }
        assert_eq!(
            occurring_ascii_folded("Src/MIGRATION.py", &["migration", "src", "x"]),
            0b011
        );
        assert_eq!(occurring_ascii_folded("Src/MIGRATIO", &["migration"]), 0);
        assert_eq!(occurring_ascii_folded("", &["a"]), 0);
        assert_eq!(rfind_byte("a.b.c", b'.'), Some(3));
        assert_eq!(rfind_byte("abc", b'.'), None);
    }
}
