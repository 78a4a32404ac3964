//! Deterministic k-fold assignment: a SplitMix64 Fisher-Yates shuffle, so folds depend only on the seed and n.

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, full-period, and stable across platforms and releases,
/// which a library PRNG does not promise.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform integer in `0..bound` (`bound > 0`), by rejection so no value is favoured.
    fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % bound;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % bound;
            }
        }
    }
}

/// The fold (0-based, `< folds`) of each of `n` items: items are shuffled with `seed`, then dealt
/// round-robin, so fold sizes differ by at most one. `folds` is clamped to `1..=n` (n ≥ 1).
pub fn assign_folds(n: usize, folds: usize, seed: u64) -> Vec<usize> {
    let folds = folds.clamp(1, n.max(1));
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64(seed);
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    let mut fold_of = vec![0; n];
    for (position, item) in order.into_iter().enumerate() {
        fold_of[item] = position % folds;
    }
    fold_of
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_sequence() {
        // Reference values of SplitMix64 seeded with 0 (as in the published C implementation).
        let mut rng = SplitMix64(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn folds_are_balanced_deterministic_and_seed_dependent() {
        let a = assign_folds(23, 5, 42);
        assert_eq!(a, assign_folds(23, 5, 42));
        assert_ne!(a, assign_folds(23, 5, 43));
        let mut sizes = [0; 5];
        for f in &a {
            sizes[*f] += 1;
        }
        assert_eq!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap(), 1);
        assert_eq!(sizes.iter().sum::<usize>(), 23);
    }

    #[test]
    fn more_folds_than_items_gives_leave_one_out() {
        let mut a = assign_folds(3, 10, 1);
        a.sort_unstable();
        assert_eq!(a, vec![0, 1, 2]);
        assert!(assign_folds(0, 5, 1).is_empty());
    }
}
