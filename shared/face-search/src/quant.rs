//! Validation and symmetric int8 / int16 quantisation of templates and probes.
//!
//! A template `x` is stored as `q = round(127 · x / max|xᵢ|)` (int8, per-template scale: the
//! largest component maps to ±127) plus one f32 `scale = 1 / ‖q‖`, so the dequantised row
//! `scale · q` is exactly unit-norm and the score of a row is the cosine between the quantised
//! vectors. The probe is quantised the same way but to int16 (range [`probe_range`]), which
//! makes its own rounding error negligible: the error budget is the gallery's int8 rounding.

use crate::SearchError;

/// Largest supported dimension (keeps the i32 accumulation exact with a useful probe range).
pub(crate) const MAX_DIM: usize = 65_536;

/// Largest |int16| a probe component may take for `dim` so that `Σ |127 · p|` fits in i32:
/// every partial sum of any kernel is then exact, whatever the lane order.
pub(crate) fn probe_range(dim: usize) -> i32 {
    let bound = i32::MAX as i64 / (127 * dim.max(1) as i64);
    bound.min(i16::MAX as i64) as i32
}

/// Rejects a wrong length, a NaN/±∞ component or an all-zero vector.
pub(crate) fn validate(dim: usize, v: &[f32]) -> Result<(), SearchError> {
    if v.len() != dim {
        return Err(SearchError::DimensionMismatch {
            expected: dim,
            actual: v.len(),
        });
    }
    if let Some(index) = v.iter().position(|x| !x.is_finite()) {
        return Err(SearchError::NonFinite { index });
    }
    if v.iter().all(|&x| x == 0.0) {
        return Err(SearchError::ZeroVector);
    }
    Ok(())
}

/// Quantises a validated vector to `out` with components in `[-range, range]`; returns the
/// scale `1 / ‖q‖` that makes the dequantised vector unit-norm.
fn quantize<T>(v: &[f32], out: &mut [T], range: i32, cast: impl Fn(i32) -> T) -> f32 {
    debug_assert_eq!(v.len(), out.len());
    let max = v.iter().fold(0.0f64, |m, &x| m.max(f64::from(x).abs()));
    debug_assert!(max > 0.0, "validated vectors are non-zero");
    let factor = f64::from(range) / max;
    let mut norm2 = 0.0f64;
    for (o, &x) in out.iter_mut().zip(v) {
        // Round half away from zero without `f64::round` (a libm call on baseline x86_64):
        // `as` truncates toward zero, and |x · factor| <= range by construction.
        let y = f64::from(x) * factor;
        let q = ((y + 0.5f64.copysign(y)) as i32).clamp(-range, range);
        norm2 += f64::from(q) * f64::from(q);
        *o = cast(q);
    }
    (1.0 / norm2.sqrt()) as f32
}

/// Quantises a validated template into an int8 row; returns its scale.
pub(crate) fn quantize_template(v: &[f32], row: &mut [i8]) -> f32 {
    quantize(v, row, 127, |q| q as i8)
}

/// A probe ready for the scan: int16 components and the scale that makes it unit-norm.
pub(crate) struct Probe {
    /// Quantised components.
    pub q: Vec<i16>,
    /// `1 / ‖q‖`.
    pub scale: f32,
}

impl Probe {
    /// Validates and quantises a probe for an index of dimension `dim`.
    pub(crate) fn new(dim: usize, v: &[f32]) -> Result<Probe, SearchError> {
        validate(dim, v)?;
        let mut q = vec![0i16; dim];
        let scale = quantize(v, &mut q, probe_range(dim), |x| x as i16);
        Ok(Probe { q, scale })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_range_keeps_i32_exact() {
        assert_eq!(probe_range(512), i16::MAX as i32);
        for dim in [1, 128, 512, 1024, 4096, MAX_DIM] {
            let r = probe_range(dim) as i64;
            assert!(r >= 1);
            assert!(127 * r * dim as i64 <= i32::MAX as i64, "dim {dim}");
        }
    }

    #[test]
    fn quantised_row_is_unit_norm_and_close() {
        let v: Vec<f32> = (0..512)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.3)
            .collect();
        let mut row = vec![0i8; 512];
        let scale = quantize_template(&v, &mut row);
        assert!(row.iter().any(|&q| q.unsigned_abs() == 127));
        let norm: f64 = row
            .iter()
            .map(|&q| (f64::from(q) * f64::from(scale)).powi(2))
            .sum();
        assert!((norm.sqrt() - 1.0).abs() < 1e-6);
        let vn = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        for (&q, &x) in row.iter().zip(&v) {
            assert!((f64::from(q) * f64::from(scale) - f64::from(x) / vn).abs() < 0.01);
        }
    }

    #[test]
    fn extreme_magnitudes_quantise_fine() {
        for s in [1e-40f32, 1e-20, 1.0, 3e37] {
            let v: Vec<f32> = (0..8).map(|i| s * (i as f32 - 3.5)).collect();
            validate(8, &v).unwrap();
            let mut row = vec![0i8; 8];
            let scale = quantize_template(&v, &mut row);
            assert!(scale.is_finite() && scale > 0.0, "s={s}");
            assert_eq!(row[0], -127);
            assert_eq!(row[7], 127);
        }
    }
}
