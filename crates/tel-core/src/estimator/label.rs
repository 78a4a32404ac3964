//! Breakdown labels (ESTIMATOR.md §7, §13): deliberately not the pricing rules (defect E6).

use super::facts::{CONFIG_SUFFIXES, Facts, ends_with_extension, lower_occurring};
use super::profile::LabelRules;

/// L1 configuration suffixes (no `.yml`, no `.ini`).
const CONFIG_SUFFIXES_L1: [&str; 4] = [".yaml", ".json", ".toml", ".txt"];
/// Frontend label suffixes (no `.svelte`).
const FRONTEND_SUFFIXES: [&str; 3] = [".tsx", ".jsx", ".vue"];

/// The breakdown key of one deliverable, e.g. `backend_new` or `test_modify`.
pub fn label(facts: &Facts<'_>, rules: LabelRules) -> &'static str {
    let kind = match rules {
        LabelRules::L2 => {
            let low = &*facts.low;
            if facts.is_test_f2() {
                Kind::Test
            } else {
                kind_by_suffix(low, &CONFIG_SUFFIXES)
            }
        }
        LabelRules::L1 => {
            let path = &*facts.path;
            if lower_occurring(path, &["test"]) != 0 {
                Kind::Test
            } else {
                kind_by_suffix(path, &CONFIG_SUFFIXES_L1)
            }
        }
    };
    kind.label(facts.is_new)
}

/// The doc / config / frontend / backend tests shared by L1 and L2 (on different path forms).
fn kind_by_suffix(path: &str, config_suffixes: &[&str]) -> Kind {
    if path.ends_with(".md") || path.starts_with("docs/") {
        Kind::Doc
    } else if ends_with_extension(path, config_suffixes) {
        Kind::Config
    } else if ends_with_extension(path, &FRONTEND_SUFFIXES) {
        Kind::Frontend
    } else {
        Kind::Backend
    }
}

enum Kind {
    Test,
    Doc,
    Config,
    Frontend,
    Backend,
}

impl Kind {
    fn label(self, is_new: bool) -> &'static str {
        match (self, is_new) {
            (Kind::Test, true) => "test_new",
            (Kind::Test, false) => "test_modify",
            (Kind::Doc, true) => "doc_new",
            (Kind::Doc, false) => "doc_modify",
            (Kind::Config, true) => "config_new",
            (Kind::Config, false) => "config_modify",
            (Kind::Frontend, true) => "frontend_new",
            (Kind::Frontend, false) => "frontend_modify",
            (Kind::Backend, true) => "backend_new",
            (Kind::Backend, false) => "backend_modify",
        }
    }
}
