//! Mapping from the raw cosine similarity of two embeddings to a calibrated match score in
//! `[0, 1]`, such that Oz's default decision threshold 0.85 is a sensible operating point.
//!
//! The mapping is a logistic `score = 1 / (1 + exp(−SLOPE · (cosine − MIDPOINT)))`; see
//! [`SLOPE`] and [`MIDPOINT`] for how they were fitted.

/// Oz's default match threshold on the calibrated score.
pub const DEFAULT_MATCH_THRESHOLD: f32 = 0.85;

// How SLOPE and MIDPOINT were fitted: Platt scaling, i.e. a logistic regression of the label on
// the cosine by maximum likelihood with Platt's smoothed targets (t+ = (N+ + 1)/(N+ + 2),
// t- = 1/(N- + 2)), which keeps the fit finite although genuine and impostor cosines do not
// overlap. Data: the development split of `face-eval match` — the 300 labelled pairs of
// `faces-deepface/master.csv` (38 genuine, 262 impostor) under its three capture conditions
// (both colour; the second face an ID-scan-like portrait: grayscale, 112–160 px, blurred,
// JPEG q≈50; both faces so degraded), 114 genuine and 786 impostor pairs scored by this engine
// with `mobilefacenet_b1` (`face-eval match --json`, then `scripts/reference/calibrate.py`).
// Result: score 0.85 at cosine 0.591; on those pairs FMR 0/786 and FNMR 3/114 = 2.6 % at 0.85
// (the highest impostor is 0.402 → score 0.16), 4.05 impostor standard deviations above the
// impostor mean. Earlier fits, for `fr_feature` (512-d, until 2026-12-04): SLOPE 18.4661,
// MIDPOINT 0.4188 (0.85 at 0.513) on the same pooled pairs, and SLOPE 13.3716, MIDPOINT 0.4571
// (0.85 at 0.587) on colour pairs alone, which missed one genuine pair in five against a
// degraded face. Fits per condition differed by less than the pooled fit's margin, so a
// calibration that depends on the faces' quality was not shipped.

/// Logistic slope (per unit of cosine), fitted as described above.
pub const SLOPE: f32 = 17.8461;
/// Cosine at which the score is 0.5, fitted as described above.
pub const MIDPOINT: f32 = 0.4942;

/// Result of comparing two embeddings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Similarity {
    /// Raw cosine similarity, −1..1.
    pub cosine: f32,
    /// Calibrated score, 0..1 (see [`calibrated_score`]).
    pub score: f32,
}

/// Parameters of the calibration, for reports.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrationInfo {
    /// Logistic slope.
    pub slope: f32,
    /// Cosine giving score 0.5.
    pub midpoint: f32,
    /// Cosine giving score 0.85 (the default decision point).
    pub cosine_at_085: f32,
}

/// The calibration in use.
pub fn calibration_info() -> CalibrationInfo {
    CalibrationInfo {
        slope: SLOPE,
        midpoint: MIDPOINT,
        cosine_at_085: cosine_for_score(DEFAULT_MATCH_THRESHOLD),
    }
}

/// Calibrated score for a cosine similarity (monotone increasing).
pub fn calibrated_score(cosine: f32) -> f32 {
    1.0 / (1.0 + (-SLOPE * (cosine - MIDPOINT)).exp())
}

/// Inverse of [`calibrated_score`]: the cosine giving `score` (0 < score < 1).
pub fn cosine_for_score(score: f32) -> f32 {
    MIDPOINT + (score / (1.0 - score)).ln() / SLOPE
}

/// Compares two cosines into a [`Similarity`].
pub fn similarity(cosine: f32) -> Similarity {
    Similarity {
        cosine,
        score: calibrated_score(cosine),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotone_and_invertible() {
        let mut prev = -1.0;
        for i in -10..=10 {
            let s = calibrated_score(i as f32 / 10.0);
            assert!(s > prev && (0.0..=1.0).contains(&s));
            prev = s;
        }
        let c = cosine_for_score(0.85);
        assert!((calibrated_score(c) - 0.85).abs() < 1e-5);
    }
}
