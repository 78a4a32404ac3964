//! Where the original's real data lives for tests, shared by the crates' test binaries through `#[path]`.

use std::path::PathBuf;

/// `../shared/real-data` beside the workspace, or `None` after printing the skip line when it is absent
/// (CI has it; a clone on its own does not).
pub fn real_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/real-data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: real data not found");
        None
    }
}
