//! Naive UTC timestamps with microsecond precision, in the text forms the original stored and exported.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A naive UTC instant, microseconds since 1970-01-01 00:00:00.
///
/// tel-core has no clock: callers create timestamps from their own `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    micros: i64,
}

/// Text that is not a timestamp of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid timestamp {value:?}: expected YYYY-MM-DD HH:MM:SS[.ffffff] (a 'T' may replace the space)"
)]
#[non_exhaustive]
pub struct InvalidTimestamp {
    /// The rejected text.
    pub value: String,
}

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

impl Timestamp {
    /// From microseconds since the Unix epoch.
    pub const fn from_unix_micros(micros: i64) -> Self {
        Self { micros }
    }

    /// Microseconds since the Unix epoch.
    pub const fn unix_micros(self) -> i64 {
        self.micros
    }

    /// From calendar fields; `None` when a field is out of range.
    pub fn from_parts(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        micro: u32,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
            || micro > 999_999
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let seconds = days * SECONDS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Some(Self {
            micros: seconds * MICROS_PER_SECOND + i64::from(micro),
        })
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1 to 6 digits; `T` may replace the space.
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        let invalid = || InvalidTimestamp {
            value: text.to_owned(),
        };
        let b = text.as_bytes();
        if !text.is_ascii()
            || b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b' ' | b'T')
        {
            return Err(invalid());
        }
        if b[13] != b':' || b[16] != b':' {
            return Err(invalid());
        }
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            let digits = &text[range];
            digits
                .bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| digits.parse().ok())?
        };
        let (year, month, day) = (num(0..4), num(5..7), num(8..10));
        let (hour, minute, second) = (num(11..13), num(14..16), num(17..19));
        let micro = match &text[19..] {
            "" => Some(0),
            frac if frac.len() >= 2 && frac.len() <= 7 && frac.starts_with('.') => {
                let digits = &frac[1..];
                digits
                    .bytes()
                    .all(|c| c.is_ascii_digit())
                    .then(|| {
                        digits
                            .parse::<u32>()
                            .ok()
                            .map(|v| v * 10u32.pow(6 - digits.len() as u32))
                    })
                    .flatten()
            }
            _ => None,
        };
        match (year, month, day, hour, minute, second, micro) {
            (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s), Some(us)) => {
                Self::from_parts(i64::from(y), mo, d, h, mi, s, us).ok_or_else(invalid)
            }
            _ => Err(invalid()),
        }
    }

    /// Calendar fields `(year, month, day, hour, minute, second, microsecond)`.
    pub fn parts(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let seconds = self.micros.div_euclid(MICROS_PER_SECOND);
        let micro = self.micros.rem_euclid(MICROS_PER_SECOND) as u32;
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let secs_of_day = seconds.rem_euclid(SECONDS_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(days);
        (
            year,
            month,
            day,
            secs_of_day / 3600,
            secs_of_day / 60 % 60,
            secs_of_day % 60,
            micro,
        )
    }

    /// The SQL text form: `YYYY-MM-DD HH:MM:SS.ffffff`, fraction omitted when zero (as the original stored it).
    pub fn to_sql_text(self) -> String {
        self.format(' ')
    }

    /// The export form of FORMATS.md F5: `YYYY-MM-DDTHH:MM:SS`, `.ffffff` only when microseconds ≠ 0.
    pub fn to_iso_text(self) -> String {
        self.format('T')
    }

    fn format(self, separator: char) -> String {
        let (y, mo, d, h, mi, s, us) = self.parts();
        let mut out = format!("{y:04}-{mo:02}-{d:02}{separator}{h:02}:{mi:02}:{s:02}");
        if us != 0 {
            out.push_str(&format!(".{us:06}"));
        }
        out
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso_text())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_iso_text())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_text_forms_round_trip() {
        let ts = Timestamp::parse("2025-12-24 01:55:10.435454").unwrap();
        assert_eq!(ts.to_sql_text(), "2025-12-24 01:55:10.435454");
        assert_eq!(ts.to_iso_text(), "2025-12-24T01:55:10.435454");
        let whole = Timestamp::parse("2025-12-23 15:33:55").unwrap();
        assert_eq!(whole.to_iso_text(), "2025-12-23T15:33:55");
        assert_eq!(
            Timestamp::parse("2025-12-23T15:33:55.5").unwrap().parts().6,
            500_000
        );
    }

    #[test]
    fn epoch_and_leap_days_are_exact() {
        assert_eq!(
            Timestamp::parse("1970-01-01 00:00:00")
                .unwrap()
                .unix_micros(),
            0
        );
        let leap = Timestamp::parse("2024-02-29 23:59:59.999999").unwrap();
        assert_eq!(leap.to_sql_text(), "2024-02-29 23:59:59.999999");
        assert!(Timestamp::parse("2025-02-29 00:00:00").is_err());
    }

    #[test]
    fn malformed_text_is_rejected_with_its_value() {
        for bad in [
            "",
            "2025-12-24",
            "2025-12-24 1:55:10",
            "2025-13-01 00:00:00",
            "2025-12-24 00:00:00.1234567",
            "2025-12-24 00:00:00Z",
            "2025-12-24 00:00:00.12a",
            "2025-12-24 00:00:0é",
        ] {
            let err = Timestamp::parse(bad).unwrap_err();
            assert_eq!(err.value, bad);
        }
    }
}
