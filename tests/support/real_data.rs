//! Where the original's real data lives for tests, shared by the crates' test binaries through `#[path]`.

use std::path::PathBuf;

/// `../shared/real-data` beside the workspace, or `None` after printing the skip line when it is absent
/// (CI has it; a clone on its own does not). Under CI (the `CI` variable set) its absence fails the
/// test instead: a skipped real-data test there would pass without testing anything.
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
        println!("skipped: real data not found at {}", dir.display());
        None
    }
}
