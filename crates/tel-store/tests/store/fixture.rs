//! Test databases: a fresh SQLite file per test, and a fresh PostgreSQL database per test when
//! `TEL_TEST_PG_URL` names a server.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, PgConnection};
use tel_core::{Complexity, DocFeatures, SotFields, TelemetryEvent};
use tel_store::{
    ConnectOptions, DatabaseUrl, DbConn, EventDraft, EventQuery, MigrateAction, TelExtras, connect,
    for_each_event, migrate,
};
use tempfile::TempDir;

/// A database for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub dir: TempDir,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// A fresh, unmigrated SQLite file.
    pub fn empty_sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            url: DatabaseUrl::SqliteFile(dir.path().join("tel.db")),
            dir,
            pg_admin: None,
        }
    }

    /// A fresh, unmigrated PostgreSQL database, or `None` when `TEL_TEST_PG_URL` is unset.
    pub fn empty_postgres() -> Option<Self> {
        if !cfg!(feature = "postgres") {
            eprintln!("PostgreSQL tests skipped: tel-store built without its postgres feature");
            return None;
        }
        let admin = crate::postgres::admin_url()?;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "tel_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::establish(&admin).expect("TEL_TEST_PG_URL connects");
        conn.batch_execute(&["DROP DATABASE IF EXISTS ", &name].concat())
            .unwrap();
        conn.batch_execute(&["CREATE DATABASE ", &name].concat())
            .unwrap();
        Some(Self {
            url: DatabaseUrl::Postgres(with_database(&admin, &name)),
            dir: tempfile::tempdir().unwrap(),
            pg_admin: Some((admin, name)),
        })
    }

    /// Opens a connection with the default options.
    pub fn connect(&self) -> DbConn {
        connect(&self.url, &ConnectOptions::default()).unwrap()
    }

    /// Migrates the database to the newest schema.
    pub fn migrated(self) -> Self {
        migrate(&mut self.connect(), MigrateAction::Apply).unwrap();
        self
    }

    /// Every stored event, ascending.
    pub fn events(&self) -> Vec<TelemetryEvent> {
        let mut events = Vec::new();
        for_each_event::<tel_store::StoreError>(
            &mut self.connect(),
            &EventQuery::default(),
            |event| {
                events.push(event);
                Ok(())
            },
        )
        .unwrap();
        events
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_admin
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ =
                conn.batch_execute(&["DROP DATABASE IF EXISTS ", name, " WITH (FORCE)"].concat());
        }
    }
}

/// `admin` with its database path replaced by `name`.
fn with_database(admin: &str, name: &str) -> String {
    let (scheme, rest) = admin.split_once("://").unwrap();
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.split_once('?').map(|(_, q)| ["?", q].concat());
    [
        scheme,
        "://",
        authority,
        "/",
        name,
        query.as_deref().unwrap_or(""),
    ]
    .concat()
}

/// Fresh migrated databases: always SQLite, plus PostgreSQL when configured.
pub fn migrated_backends() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::empty_sqlite().migrated()];
    dbs.extend(TestDb::empty_postgres().map(TestDb::migrated));
    dbs
}

/// Fresh unmigrated databases: always SQLite, plus PostgreSQL when configured.
pub fn empty_backends() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::empty_sqlite()];
    dbs.extend(TestDb::empty_postgres());
    dbs
}

/// The common arguments of FORMATS.md F3 with the given per-test values.
pub fn draft(
    complexity: Complexity,
    deliverables: &[&str],
    predicted: i64,
    actual: i64,
) -> EventDraft {
    EventDraft {
        run_id: "test-run".to_owned(),
        phase_id: "test-phase".to_owned(),
        category: "implementation".to_owned(),
        complexity,
        deliverables: deliverables.iter().map(|d| (*d).to_owned()).collect(),
        predicted_output_tokens: predicted,
        actual_output_tokens: actual,
        selected_budget: 4096,
        success: true,
        truncated: false,
        stop_reason: Some("end_turn".to_owned()),
        model: "claude-sonnet-4".to_owned(),
        is_truncated_output: None,
        doc_features: DocFeatures::default(),
        sot: SotFields::default(),
        actual_max_tokens: None,
        extras: TelExtras::default(),
    }
}
