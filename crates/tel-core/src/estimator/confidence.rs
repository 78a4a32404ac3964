//! Confidence of the overhead model (estimator-v2.md §8): a surface heuristic on the deliverable texts.

use super::facts::lower;
use super::path::has_extension_like_token;

/// Verbs counted by the confidence heuristic (a different list from the "new" verbs, defect E11).
const ACTION_VERBS: [&str; 5] = ["create", "modify", "update", "add", "new"];

/// `min(1.0, 0.5 + (h/n)×0.3 + (v/n)×0.2)`, evaluated in that order; 0.0 for an empty list.
pub fn confidence<S: AsRef<str>>(deliverables: &[S]) -> f64 {
    if deliverables.is_empty() {
        return 0.0;
    }
    let n = deliverables.len() as f64;
    let with_extension = deliverables
        .iter()
        .filter(|d| has_extension_like_token(d.as_ref()))
        .count() as f64;
    let with_verb = deliverables
        .iter()
        .filter(|d| {
            let low = lower(d.as_ref());
            ACTION_VERBS.iter().any(|v| low.contains(v))
        })
        .count() as f64;
    let mut c = 0.5;
    c += (with_extension / n) * 0.3;
    c += (with_verb / n) * 0.2;
    c.min(1.0)
}
