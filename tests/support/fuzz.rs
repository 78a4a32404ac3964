//! The proptest configuration of every `fuzz` test, shared by the crates' test binaries through `#[path]`.

/// `TEL_FUZZ_CASES` cases (default 256, cheap enough for CI in debug; `cargo xtask slow` uses 100000), no
/// regression files (found bugs become named tests instead).
pub fn fuzz_config() -> proptest::prelude::ProptestConfig {
    let cases = std::env::var("TEL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    proptest::prelude::ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 512,
        ..proptest::prelude::ProptestConfig::default()
    }
}
