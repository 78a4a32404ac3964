//! Integration tests of tel-store: every test body runs on a real SQLite file and, when
//! `TEL_TEST_PG_URL` is set, on a fresh PostgreSQL database.

#[path = "store/fixture.rs"]
mod fixture;
#[path = "store/fuzz_url.rs"]
mod fuzz_url;
#[path = "store/hostile_text.rs"]
mod hostile_text;
#[path = "store/legacy.rs"]
mod legacy;
#[path = "store/migrations.rs"]
mod migrations;
#[path = "store/recorder.rs"]
mod recorder;
#[path = "store/repository.rs"]
mod repository;
#[path = "store/spool.rs"]
mod spool;

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz;
#[path = "../../../tests/support/postgres.rs"]
mod postgres;
#[path = "../../../tests/support/real_data.rs"]
mod real_data;
#[path = "../../../tests/support/skip.rs"]
mod skip;
