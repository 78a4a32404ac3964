//! The injectable workspace (ESTIMATOR.md §1.4): the two questions the estimator asks about files.

use std::collections::HashMap;

/// File existence and content as the estimator sees them. Paths are the extracted path strings of §3,
/// unchanged; `""` denotes the workspace root, which exists. Implementations never fail: errors read
/// as "does not exist" / `None`.
pub trait Workspace {
    /// Does the entry named by `path` exist?
    fn exists(&self, path: &str) -> bool;
    /// The content of the regular file `path`, UTF-8 with invalid sequences dropped; `None` when it is
    /// not a readable regular file.
    fn read_text(&self, path: &str) -> Option<String>;
}

/// Nothing exists except the root: the deterministic default for replay.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyWorkspace;

impl Workspace for EmptyWorkspace {
    fn exists(&self, path: &str) -> bool {
        path.is_empty()
    }

    fn read_text(&self, _path: &str) -> Option<String> {
        None
    }
}

/// Files held in memory: exactly the keys exist (plus the root `""`), with their contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryWorkspace {
    files: HashMap<String, String>,
}

impl MemoryWorkspace {
    /// A workspace holding `files` as (path, content) pairs.
    pub fn new<P: Into<String>, C: Into<String>>(files: impl IntoIterator<Item = (P, C)>) -> Self {
        Self {
            files: files
                .into_iter()
                .map(|(path, content)| (path.into(), content.into()))
                .collect(),
        }
    }

    /// Adds or replaces one file.
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<String>) {
        self.files.insert(path.into(), content.into());
    }
}

impl Workspace for MemoryWorkspace {
    fn exists(&self, path: &str) -> bool {
        path.is_empty() || self.files.contains_key(path)
    }

    fn read_text(&self, path: &str) -> Option<String> {
        self.files.get(path).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_root_exists_in_the_empty_workspace() {
        assert!(EmptyWorkspace.exists(""));
        assert!(!EmptyWorkspace.exists("src/a.py"));
        assert_eq!(EmptyWorkspace.read_text(""), None);
    }

    #[test]
    fn memory_workspace_answers_for_its_keys_only() {
        let mut ws = MemoryWorkspace::new([("src/a.py", "x = 1\n")]);
        ws.insert("docs/b.md", "# b\n");
        assert!(ws.exists("") && ws.exists("src/a.py") && ws.exists("docs/b.md"));
        assert!(!ws.exists("src") && !ws.exists("SRC/a.py"));
        assert_eq!(ws.read_text("src/a.py").as_deref(), Some("x = 1\n"));
        assert_eq!(ws.read_text(""), None, "the root is not a regular file");
    }
}
