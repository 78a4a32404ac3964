//! Where the original's real data lives for tests, shared by the crates' test binaries through `#[path]`.
//! Needs `tests/support/skip.rs` included beside it as `mod skip` (one copy per test binary).

use std::path::PathBuf;

/// `../shared/real-data` beside the workspace, or `None` after the skip line when it is absent (a clone on
/// its own); under CI, where it is always present, its absence fails the test.
pub fn real_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/real-data");
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var_os("CI").is_some() {
        panic!(
            "real data not found at {} (required when CI is set)",
            dir.display()
        )
    } else {
        crate::skip::missing("the real data", "../shared/real-data beside the workspace");
        None
    }
}
