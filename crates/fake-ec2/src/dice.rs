//! Deterministic randomness. Everything the fake serves is derived from seeds with
//! these functions (never from a thread RNG), so a catalog renders identically on every
//! call and every run, and is never stored.

/// Hashes a seed and a few numbers into a new seed: how an image's values are derived
/// from (world seed, region, owner, index, revision).
pub(crate) fn mix(seed: u64, parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(scramble(seed), |h, &p| scramble(h ^ scramble(p ^ GOLDEN)))
}

/// Hashes text (account ids, request fingerprints) into a seed.
pub(crate) fn mix_text(seed: u64, text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), seed)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The splitmix64 finaliser: a cheap bijective scramble with good avalanche.
fn scramble(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A splitmix64 stream: small, fast, and stable across crate versions (unlike `rand`'s
/// generators, whose output may change between releases and would change catalogs).
#[derive(Debug, Clone)]
pub(crate) struct Dice {
    state: u64,
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        Dice { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        scramble(self.state)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Picks by weight: `items` are `(weight, value)`.
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(u32, T)]) -> T {
        let total: u32 = items.iter().map(|(w, _)| w).sum();
        let mut roll = self.below(total as u64) as u32;
        for &(w, v) in items {
            if roll < w {
                return v;
            }
            roll -= w;
        }
        items[items.len() - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_are_reproducible_and_spread() {
        let a: Vec<u64> = (0..5).map(|_| Dice::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut d = Dice::new(7);
        let hits = (0..10_000).filter(|_| d.chance(0.1)).count();
        assert!((800..1200).contains(&hits), "{hits}");
        assert_ne!(mix(1, &[2, 3]), mix(1, &[3, 2]));
    }
}
