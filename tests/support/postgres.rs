//! The PostgreSQL server of the tests: `TEL_TEST_PG_URL` (set by `cargo xtask test`, or by
//! Needs `tests/support/skip.rs` included beside it as `mod skip` (one copy per test binary).
//! `export $(cargo xtask pg-up)`), shared by the crates' test binaries through `#[path]`.

/// The variable naming the administrative URL of the test server.
pub const PG_VAR: &str = "TEL_TEST_PG_URL";

/// The administrative URL, or `None` after the skip line when `TEL_TEST_PG_URL` is unset; under CI (where
/// `cargo xtask test` always starts a server) an unset variable fails the test.
pub fn admin_url() -> Option<String> {
    match std::env::var(PG_VAR) {
        Ok(url) => Some(url),
        Err(_) => {
            crate::skip::missing(
                "PostgreSQL (TEL_TEST_PG_URL)",
                "cargo xtask test starts one; or export $(cargo xtask pg-up)",
            );
            None
        }
    }
}
