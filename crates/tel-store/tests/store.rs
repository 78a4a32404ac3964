//! Integration tests of tel-store: every test body runs on a real SQLite file and, when
//! `TEL_TEST_PG_URL` is set, on a fresh PostgreSQL database (with the `postgres` feature, as in the workspace
//! build: `cargo test -p tel-store --features postgres`).

// Without the postgres feature `DbConn` has one variant: backend checks written for both become irrefutable.
#![cfg_attr(not(feature = "postgres"), allow(irrefutable_let_patterns))]

#[path = "store/adopted.rs"]
mod adopted;
#[path = "store/bulk_insert.rs"]
mod bulk_insert;
#[path = "store/fixture.rs"]
mod fixture;
#[path = "store/fuzz_url.rs"]
mod fuzz_url;
#[path = "store/hostile_text.rs"]
mod hostile_text;
#[path = "store/ingest.rs"]
mod ingest;
#[path = "store/legacy.rs"]
mod legacy;
#[path = "store/legacy_pg.rs"]
mod legacy_pg;
#[path = "store/migrations.rs"]
mod migrations;
#[path = "store/open.rs"]
mod open;
#[path = "store/recorder.rs"]
mod recorder;
#[path = "store/repository.rs"]
mod repository;
#[path = "store/spool.rs"]
mod spool;
#[path = "store/spool_heal.rs"]
mod spool_heal;
#[path = "store/stalls.rs"]
mod stalls;

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz;
#[path = "../../../tests/support/postgres.rs"]
mod postgres;
#[path = "../../../tests/support/real_data.rs"]
mod real_data;
#[path = "../../../tests/support/skip.rs"]
mod skip;
