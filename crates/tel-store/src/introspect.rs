//! Reading a database's own description of itself (tables, columns, constraints, indexes) on both
//! backends, for legacy adoption, `tel status` and the schema tests.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::with_conn;

/// One column as the database declares it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ColumnInfo {
    /// Column name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Declared type (SQLite) or `data_type` (PostgreSQL).
    #[diesel(sql_type = Text)]
    pub declared_type: String,
    /// Declared NOT NULL.
    #[diesel(sql_type = Bool)]
    pub not_null: bool,
    /// Default expression, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub default: Option<String>,
    /// The database supplies the value (SQLite's INTEGER PRIMARY KEY, a PostgreSQL identity or
    /// generated column).
    #[diesel(sql_type = Bool)]
    pub generated: bool,
}

/// A single-column foreign key: `column` references table `parent`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ForeignKeyColumn {
    /// The referencing column.
    #[diesel(sql_type = Text)]
    pub column: String,
    /// The referenced table.
    #[diesel(sql_type = Text)]
    pub parent: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Whether a table (not a view) named `table` exists (in the current schema on PostgreSQL).
pub fn table_exists(conn: &mut DbConn, table: &str) -> Result<bool, StoreError> {
    let found: Count = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
        )
        .bind::<Text, _>(table)
        .get_result(c),
        #[cfg(feature = "postgres")]
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind::<Text, _>(table)
        .get_result(c),
    }
    .context(&["look up table ", table].concat())?;
    Ok(found.n > 0)
}

/// The versions recorded in diesel's `__diesel_schema_migrations` table (which must exist), read
/// without writing anything.
pub fn applied_migration_versions(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    let query = diesel::sql_query("SELECT version AS line FROM __diesel_schema_migrations");
    let rows: Vec<Line> =
        with_conn!(conn, c => query.load(c)).context("read __diesel_schema_migrations")?;
    Ok(rows.into_iter().map(|row| row.line).collect())
}

/// The journal mode of an SQLite database (`delete`, `wal`, …), read without changing it; `None` on
/// PostgreSQL.
pub fn journal_mode(conn: &mut DbConn) -> Result<Option<String>, StoreError> {
    match conn {
        DbConn::Sqlite(c) => {
            diesel::sql_query("SELECT journal_mode AS line FROM pragma_journal_mode")
                .get_result::<Line>(c)
                .map(|row| Some(row.line))
                .context("read the journal mode")
        }
        #[cfg(feature = "postgres")]
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => Ok(None),
    }
}

/// The columns of `table` in physical order (empty when the table does not exist).
pub fn columns(conn: &mut DbConn, table: &str) -> Result<Vec<ColumnInfo>, StoreError> {
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT name, type AS declared_type, \"notnull\" <> 0 AS not_null, dflt_value AS \"default\", \
             pk = 1 AND upper(type) = 'INTEGER' \
             AND (SELECT COUNT(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1 AS generated \
             FROM pragma_table_info(?1) ORDER BY cid",
        )
        .bind::<Text, _>(table)
        .load(c),
        #[cfg(feature = "postgres")]
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT column_name::text AS name, data_type::text AS declared_type, \
             is_nullable = 'NO' AS not_null, column_default::text AS \"default\", \
             is_identity = 'YES' OR is_generated = 'ALWAYS' AS generated \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(table)
        .load(c),
    }
    .context(&["read the columns of ", table].concat())
}

/// The single-column foreign keys of `table` (a column of a composite key is listed too).
pub fn foreign_key_columns(
    conn: &mut DbConn,
    table: &str,
) -> Result<Vec<ForeignKeyColumn>, StoreError> {
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT \"from\" AS \"column\", \"table\" AS parent FROM pragma_foreign_key_list(?)",
        )
        .bind::<Text, _>(table)
        .load(c),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT a.attname::text AS \"column\", parent.relname::text AS parent \
             FROM pg_constraint con \
             JOIN pg_class rel ON rel.oid = con.conrelid \
             JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace \
             JOIN pg_class parent ON parent.oid = con.confrelid \
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey) \
             WHERE con.contype = 'f' AND rel.relname = $1 AND nsp.nspname = current_schema()",
        )
        .bind::<Text, _>(table)
        .load(c),
    }
    .context(&["read the foreign keys of ", table].concat())
}

/// The values allowed by the CHECK constraint on `token_estimation_v2_events.complexity`, in
/// declaration order; `None` when there is no such constraint.
pub fn complexity_check_values(conn: &mut DbConn) -> Result<Option<Vec<String>>, StoreError> {
    let definitions: Vec<Line> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT sql AS line FROM sqlite_master \
             WHERE type = 'table' AND name = 'token_estimation_v2_events'",
        )
        .load(c),
        #[cfg(feature = "postgres")]
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT pg_get_constraintdef(con.oid) AS line FROM pg_constraint con \
             JOIN pg_class rel ON rel.oid = con.conrelid \
             JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace \
             WHERE rel.relname = 'token_estimation_v2_events' AND nsp.nspname = current_schema() \
             AND con.contype = 'c'",
        )
        .load(c),
    }
    .context("read the CHECK constraints of token_estimation_v2_events")?;
    Ok(definitions
        .iter()
        .find_map(|d| check_values_of(&d.line, "complexity")))
}

/// The quoted literals of the first `CHECK (...)` in `sql` that mentions `column`.
pub(crate) fn check_values_of(sql: &str, column: &str) -> Option<Vec<String>> {
    let upper = sql.to_ascii_uppercase();
    let mut from = 0;
    while let Some(found) = upper[from..].find("CHECK") {
        let start = from + found + "CHECK".len();
        let body = parenthesised(&sql[start..])?;
        if body.contains(column) {
            return Some(quoted_literals(body));
        }
        from = start;
    }
    None
}

/// The text inside the first balanced parentheses of `text` (after optional whitespace).
fn parenthesised(text: &str) -> Option<&str> {
    let open = text.find('(')?;
    if !text[..open].trim().is_empty() {
        return None;
    }
    let mut depth = 0usize;
    let mut in_quote = false;
    for (i, ch) in text.char_indices().skip_while(|(i, _)| *i < open) {
        match ch {
            '\'' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[open + 1..i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every `'...'` literal in `text` (`''` is an escaped quote).
fn quoted_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '\'' {
            continue;
        }
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    literal.push('\'');
                } else {
                    break;
                }
            } else {
                literal.push(c);
            }
        }
        out.push(literal);
    }
    out
}

/// A sorted, comparable description of every table, column, index and constraint (SQLite: the
/// `sqlite_master` definitions; PostgreSQL: columns, index and constraint definitions of the
/// current schema). Two databases with equal snapshots have the same schema.
pub fn schema_snapshot(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    let lines: Vec<Line> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS line FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .load(c),
        #[cfg(feature = "postgres")]
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT line FROM ( \
               SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || \
                      ' nullable=' || is_nullable || ' default=' || COALESCE(column_default, '') \
                      || ' #' || ordinal_position AS line \
               FROM information_schema.columns WHERE table_schema = current_schema() \
               UNION ALL \
               SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes \
               WHERE schemaname = current_schema() \
               UNION ALL \
               SELECT 'constraint ' || rel.relname || '.' || con.conname || ': ' || pg_get_constraintdef(con.oid) \
               FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid \
               JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace WHERE nsp.nspname = current_schema() \
             ) AS snapshot ORDER BY line",
        )
        .load(c),
    }
    .context("read the schema")?;
    Ok(lines.into_iter().map(|l| l.line).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_are_read_from_both_dialects() {
        let sqlite = "CREATE TABLE t (x TEXT, complexity TEXT NOT NULL CHECK(complexity IN ('low', 'medium', 'high', 'critical')))";
        assert_eq!(
            check_values_of(sqlite, "complexity").unwrap(),
            ["low", "medium", "high", "critical"]
        );
        let pg = "CHECK ((complexity = ANY (ARRAY['low'::text, 'it''s'::text])))";
        assert_eq!(check_values_of(pg, "complexity").unwrap(), ["low", "it's"]);
        assert_eq!(
            check_values_of("CREATE TABLE t (complexity TEXT)", "complexity"),
            None
        );
        assert_eq!(check_values_of("CHECK (x > 0)", "complexity"), None);
    }
}
