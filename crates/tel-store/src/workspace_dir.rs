//! A read-only directory workspace for the estimator (ESTIMATOR.md §1.4): real files under an explicit root.

use std::path::{Path, PathBuf};

use tel_core::estimator::Workspace;

/// Answers the estimator's questions from the file system below `root`.
///
/// Paths are joined to the root as the original did (an absolute path replaces the root); symlinks are
/// followed; every error reads as "does not exist" / `None`. Nothing is ever written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryWorkspace {
    root: PathBuf,
}

impl DirectoryWorkspace {
    /// A workspace rooted at `root` (never the working directory implicitly).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn resolve(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }
}

impl Workspace for DirectoryWorkspace {
    fn exists(&self, path: &str) -> bool {
        std::fs::metadata(self.resolve(path)).is_ok()
    }

    fn read_text(&self, path: &str) -> Option<String> {
        let resolved = self.resolve(path);
        // Only regular files: reading a FIFO or device could block or never end.
        if !std::fs::metadata(&resolved).ok()?.is_file() {
            return None;
        }
        std::fs::read(&resolved)
            .ok()
            .map(|bytes| utf8_dropping_invalid(&bytes))
    }
}

/// Decodes UTF-8, dropping invalid sequences (Python's `errors="ignore"`), not replacing them.
fn utf8_dropping_invalid(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(err) => {
                let (valid, rest) = bytes.split_at(err.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                // `None`: an incomplete sequence at the very end, which is dropped as well.
                let skip = err.error_len().unwrap_or(rest.len());
                bytes = &rest[skip..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_are_dropped_not_replaced() {
        assert_eq!(utf8_dropping_invalid(b"a\xffb\xe2\x82"), "ab");
        assert_eq!(utf8_dropping_invalid(b"\xe2\x82\xac x \xc3"), "\u{20ac} x ");
        assert_eq!(utf8_dropping_invalid(b"\xf0\x9f\x98"), "");
    }

    #[test]
    fn answers_come_from_below_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("src")).expect("mkdir");
        std::fs::write(dir.path().join("src/a.py"), b"x = 1\n\xff").expect("write");
        let ws = DirectoryWorkspace::new(dir.path());
        assert!(ws.exists("") && ws.exists("src") && ws.exists("src/a.py"));
        assert!(!ws.exists("src/b.py") && !ws.exists("nul\0byte"));
        assert_eq!(ws.read_text("src/a.py").as_deref(), Some("x = 1\n"));
        assert_eq!(
            ws.read_text("src"),
            None,
            "directories are not regular files"
        );
        assert_eq!(ws.read_text(""), None);
        let absolute = dir.path().join("src/a.py");
        let elsewhere = DirectoryWorkspace::new("/nonexistent-root");
        assert!(elsewhere.exists(absolute.to_str().expect("utf-8 temp path")));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("real.md"), "# doc\n").expect("write");
        std::os::unix::fs::symlink(dir.path().join("real.md"), dir.path().join("link.md"))
            .expect("symlink");
        std::os::unix::fs::symlink(dir.path().join("gone.md"), dir.path().join("dangling.md"))
            .expect("symlink");
        let ws = DirectoryWorkspace::new(dir.path());
        assert_eq!(ws.read_text("link.md").as_deref(), Some("# doc\n"));
        assert!(
            !ws.exists("dangling.md"),
            "a dangling link does not exist (Python's Path.exists)"
        );
    }
}
