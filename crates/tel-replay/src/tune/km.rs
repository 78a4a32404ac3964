//! Kaplan-Meier survival of the need ratio `need / p` under right censoring: the share of a stratum's
//! phases whose need exceeds `m × p`, using truncated events as "at least `ceiling / p`".

/// `S(t) = P(ratio > t)` as a step function.
#[derive(Debug, Clone, PartialEq)]
pub struct Survival {
    /// Distinct observed ratios, ascending.
    times: Vec<f64>,
    /// `S` just after each of `times`.
    survival: Vec<f64>,
}

impl Survival {
    /// The Kaplan-Meier estimate from `(ratio, censored)` pairs. At a tie, completions count before
    /// censorings (a phase truncated at `t` needed more than `t`).
    pub fn fit(mut points: Vec<(f64, bool)>) -> Self {
        points.retain(|(t, _)| t.is_finite());
        points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut at_risk = points.len();
        let mut s = 1.0;
        let mut times = Vec::new();
        let mut survival = Vec::new();
        let mut i = 0;
        while i < points.len() {
            let t = points[i].0;
            let mut deaths = 0;
            let mut leaving = 0;
            while i < points.len() && points[i].0 == t {
                deaths += usize::from(!points[i].1);
                leaving += 1;
                i += 1;
            }
            if deaths > 0 {
                s *= 1.0 - deaths as f64 / at_risk as f64;
                times.push(t);
                survival.push(s);
            }
            at_risk -= leaving;
        }
        Self { times, survival }
    }

    /// `S(t)`: the estimated share of needs above `t × p`.
    pub fn at(&self, t: f64) -> f64 {
        let completed_by = self.times.partition_point(|x| *x <= t);
        completed_by
            .checked_sub(1)
            .map_or(1.0, |i| self.survival[i])
    }

    /// `P(ratio > t | ratio > lower)`: the chance that a phase known to need more than `lower × p`
    /// needs more than `t × p`; `None` where the data say nothing (no completion above `lower`).
    pub fn conditional(&self, t: f64, lower: f64) -> Option<f64> {
        let base = self.at(lower);
        let completion_above = self.times.last().is_some_and(|last| *last > lower);
        (base > 0.0 && completion_above).then(|| (self.at(t) / base).min(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_censoring_it_is_the_empirical_survival() {
        let s = Survival::fit([1.0, 2.0, 3.0, 4.0].map(|t| (t, false)).to_vec());
        assert_eq!([0.5, 1.0, 2.5, 4.0].map(|t| s.at(t)), [1.0, 0.75, 0.5, 0.0]);
    }

    #[test]
    fn censored_points_move_their_mass_to_later_completions() {
        // Ratios 1, 2+ (censored), 3, 4: after 1, three at risk; the censored one leaves at 2.
        let s = Survival::fit(vec![(1.0, false), (2.0, true), (3.0, false), (4.0, false)]);
        assert_eq!(s.at(1.0), 0.75);
        assert_eq!(s.at(2.5), 0.75);
        assert!((s.at(3.0) - 0.375).abs() < 1e-12);
        assert!((s.conditional(3.0, 2.0).unwrap() - 0.5).abs() < 1e-12);
        // A censored point beyond every completion: nothing is known above it.
        let tail = Survival::fit(vec![(1.0, false), (5.0, true)]);
        assert_eq!(tail.conditional(9.0, 5.0), None);
    }
}
