//! Deterministic synthetic templates for tests and benchmarks (no external RNG crate):
//! random unit vectors, vectors at an exact cosine to a given one (genuine pairs, clusters)
//! and anisotropic ("skewed") unit vectors whose energy is concentrated in a few dimensions.

/// SplitMix64: small, fast, deterministic; good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn normalise(v: &mut [f64]) {
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
}

/// A uniformly random unit vector of dimension `dim`.
pub fn random_unit(dim: usize, rng: &mut Rng) -> Vec<f32> {
    let mut v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
    normalise(&mut v);
    v.into_iter().map(|x| x as f32).collect()
}

/// A random unit vector whose cosine with the unit vector `base` is exactly `cosine`
/// (up to f32 rounding): `cosine · base + √(1 − cosine²) · u` with `u` a random unit vector
/// orthogonal to `base`. Models a genuine pair (same person, cosine 0.3–0.9) or a cluster
/// member around a centre.
pub fn with_cosine(base: &[f32], cosine: f32, rng: &mut Rng) -> Vec<f32> {
    let c = f64::from(cosine.clamp(-1.0, 1.0));
    let b: Vec<f64> = base.iter().map(|&x| f64::from(x)).collect();
    let mut u: Vec<f64> = (0..b.len()).map(|_| rng.normal()).collect();
    let proj: f64 = u.iter().zip(&b).map(|(x, y)| x * y).sum();
    u.iter_mut().zip(&b).for_each(|(x, y)| *x -= proj * y);
    normalise(&mut u);
    let s = (1.0 - c * c).sqrt();
    let mut v: Vec<f64> = b.iter().zip(&u).map(|(x, y)| c * x + s * y).collect();
    normalise(&mut v);
    v.into_iter().map(|x| x as f32).collect()
}

/// An anisotropic random unit vector: dimension `i` has standard deviation `exp(-4 i / dim)`,
/// so the first dimensions dominate (a harder case for int8 than isotropic embeddings: the
/// largest component, which sets the quantisation step, is several times larger).
pub fn skewed_unit(dim: usize, rng: &mut Rng) -> Vec<f32> {
    let mut v: Vec<f64> = (0..dim)
        .map(|i| rng.normal() * (-4.0 * i as f64 / dim as f64).exp())
        .collect();
    normalise(&mut v);
    v.into_iter().map(|x| x as f32).collect()
}

/// Exact f32 cosine of two unit vectors, accumulated in f64 (the reference for tests).
pub fn exact_cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum::<f64>() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_give_unit_vectors_and_exact_cosines() {
        let mut rng = Rng::new(7);
        let a = random_unit(512, &mut rng);
        assert!((exact_cosine(&a, &a) - 1.0).abs() < 1e-5);
        for c in [-0.5f32, 0.0, 0.3, 0.6, 0.9, 0.99] {
            let b = with_cosine(&a, c, &mut rng);
            assert!((exact_cosine(&b, &b) - 1.0).abs() < 1e-5);
            assert!((exact_cosine(&a, &b) - c).abs() < 1e-5, "c={c}");
        }
        let s = skewed_unit(512, &mut rng);
        assert!((exact_cosine(&s, &s) - 1.0).abs() < 1e-5);
    }
}
