//! Confidence of the overhead model (ESTIMATOR.md §8): a surface heuristic on the deliverable texts.

/// `min(1.0, 0.5 + (h/n)×0.3 + (v/n)×0.2)`, evaluated in that order, for `n` deliverables of which
/// `with_extension` contain `\.[A-Za-z0-9]{2,4}` and `with_verb` contain (lower-cased) one of
/// `create modify update add new` (a different list from the "new" verbs, defect E11); 0.0 when `n` is 0.
pub fn confidence(n: usize, with_extension: usize, with_verb: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    let mut c = 0.5;
    c += (with_extension as f64 / n) * 0.3;
    c += (with_verb as f64 / n) * 0.2;
    c.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_thirds_of_the_extension_weight_is_exactly_point_seven() {
        assert_eq!(confidence(3, 2, 0), 0.7);
        assert_eq!(confidence(3, 0, 2), 0.6333333333333333);
        assert_eq!(confidence(2, 2, 2), 1.0);
        assert_eq!(confidence(0, 0, 0), 0.0);
    }
}
