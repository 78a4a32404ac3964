//! Headless Chromium for the HTML report's browser test, through `#[path]` like the other prerequisites.
//! Needs `tests/support/skip.rs` included beside it as `mod skip` (one copy per test binary).

use std::path::PathBuf;

/// The Chromium binary (`/usr/bin/chromium` or `/usr/bin/chromium-browser`), or `None` after the skip line;
/// under CI, which installs it, its absence fails the test.
pub fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists());
    if found.is_none() {
        crate::skip::missing("Chromium", "apt-get install chromium");
    }
    found
}
