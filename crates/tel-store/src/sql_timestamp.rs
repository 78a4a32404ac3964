//! tel-core's `Timestamp` as a diesel `Timestamp` value: legacy text on SQLite, `timestamp` on PostgreSQL.
//!
//! SQLite stores `YYYY-MM-DD HH:MM:SS[.ffffff]` exactly as the original did (six fraction digits,
//! none when the microseconds are zero), so adopted legacy rows and new rows share one encoding and
//! compare chronologically as text.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
#[cfg(feature = "postgres")]
use diesel::pg::Pg;
#[cfg(feature = "postgres")]
use diesel::pg::data_types::PgTimestamp;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types;
use diesel::sqlite::Sqlite;
use tel_core::Timestamp;

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
#[cfg(feature = "postgres")]
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// A [`Timestamp`] that diesel can bind and load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = sql_types::Timestamp)]
pub struct SqlTimestamp(pub Timestamp);

impl ToSql<sql_types::Timestamp, Sqlite> for SqlTimestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.to_sql_text());
        Ok(IsNull::No)
    }
}

impl FromSql<sql_types::Timestamp, Sqlite> for SqlTimestamp {
    fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<sql_types::Text, Sqlite>>::from_sql(value)?;
        Ok(Self(Timestamp::parse(&text)?))
    }
}

#[cfg(feature = "postgres")]
impl ToSql<sql_types::Timestamp, Pg> for SqlTimestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let micros = self.0.unix_micros() - PG_EPOCH_OFFSET_MICROS;
        ToSql::<sql_types::Timestamp, Pg>::to_sql(&PgTimestamp(micros), &mut out.reborrow())
    }
}

#[cfg(feature = "postgres")]
impl FromSql<sql_types::Timestamp, Pg> for SqlTimestamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        let PgTimestamp(micros) = FromSql::<sql_types::Timestamp, Pg>::from_sql(value)?;
        Ok(Self(Timestamp::from_unix_micros(
            micros + PG_EPOCH_OFFSET_MICROS,
        )))
    }
}

/// The current time as a naive UTC [`Timestamp`] (tel-core has no clock; the store does).
pub fn now() -> Timestamp {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    Timestamp::from_unix_micros(micros)
}
