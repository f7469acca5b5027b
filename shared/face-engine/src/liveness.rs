//! Single-frame anti-spoofing with `fr_liveness` and fusion over frames.
//!
//! Crop: the detection box enlarged 2.7× around its centre (the factor is reduced when the
//! enlarged box would not fit the image, and the box is shifted inside the image, as in
//! MiniVision's Silent-Face preprocessing, so the aspect ratio is kept), resampled to 128×128,
//! **BGR, raw 0..255**, NCHW. Three outputs, softmax index 0 = live;
//! `confidence_spoofing = 1 − p(live)`.

use image::RgbImage;

use crate::detect::BBox;
use crate::error::Result;
use crate::model::{Model, softmax};
use crate::sampling::{Affine, sample};

/// Input side of `fr_liveness`.
pub const LIVENESS_SIZE: u32 = 128;
/// Enlargement of the detection box.
pub const LIVENESS_SCALE: f32 = 2.7;
/// Default decision threshold on `confidence_spoofing` (attack when above).
pub const DEFAULT_SPOOF_THRESHOLD: f32 = 0.5;

/// Crop `(x0, y0, w, h)` fed to the liveness model for a face box in a `width × height` image.
pub fn liveness_crop(b: &BBox, width: u32, height: u32) -> (f32, f32, f32, f32) {
    let (w, h) = (width as f32, height as f32);
    let (bw, bh) = (b.width().max(1.0), b.height().max(1.0));
    let scale = LIVENESS_SCALE.min(w / bw).min(h / bh);
    let (nw, nh) = (bw * scale, bh * scale);
    let (cx, cy) = b.center();
    let x0 = (cx - nw / 2.0).clamp(0.0, (w - nw).max(0.0));
    let y0 = (cy - nh / 2.0).clamp(0.0, (h - nh).max(0.0));
    (x0, y0, nw, nh)
}

/// Builds the `fr_liveness` input (1×3×128×128, BGR, 0..255).
pub fn preprocess(img: &RgbImage, b: &BBox) -> Vec<f32> {
    let (x0, y0, cw, ch) = liveness_crop(b, img.width(), img.height());
    let map = Affine::crop(
        x0 as f64,
        y0 as f64,
        cw as f64,
        ch as f64,
        LIVENESS_SIZE,
        LIVENESS_SIZE,
    );
    sample(img, &map, LIVENESS_SIZE, LIVENESS_SIZE).planar(true, |_, v| v)
}

/// Spoof score (`1 − p(live)`, 0..1) of the face in `b`.
pub fn spoof_score(model: &Model, img: &RgbImage, b: &BBox) -> Result<f32> {
    let out = model.run(preprocess(img, b))?;
    let p = softmax(&out[0]);
    Ok((1.0 - p[0]).clamp(0.0, 1.0))
}

/// Spoof scores of several frames fused into one decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FusedSpoof {
    /// Fused `confidence_spoofing` (see [`fuse_spoof_scores`]).
    pub score: f32,
    /// Median of the per-frame scores.
    pub median: f32,
    /// Largest per-frame score.
    pub max: f32,
    /// Frames that contributed (frames with a face).
    pub frames: usize,
    /// Fraction of those frames scored above the threshold.
    pub fraction_above: f32,
    /// `threshold − score`: positive = live by that margin, negative = attack.
    pub margin: f32,
}

/// Fuses per-frame spoof scores with the **upper quartile** (75th percentile, linear
/// interpolation).
///
/// Why: a replay or print attack is usually caught on most frames but single frames can slip
/// under the threshold when the crop lands favourably (the score of a screen attack moves by
/// ≈0.1 with sub-pixel changes); the mean lets a few confident "live" frames drown the rest, the
/// maximum lets one blurred or badly detected live frame fail a genuine user. The upper quartile
/// flags an attack when at least a quarter of the frames look spoofed, and ignores up to a quarter
/// of outliers in either direction. With one frame it is that frame's score.
pub fn fuse_spoof_scores(scores: &[f32], threshold: f32) -> Option<FusedSpoof> {
    if scores.is_empty() {
        return None;
    }
    let mut s = scores.to_vec();
    s.sort_by(f32::total_cmp);
    let q = |p: f32| {
        let pos = p * (s.len() - 1) as f32;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        s[lo] + (s[hi] - s[lo]) * (pos - lo as f32)
    };
    let score = q(0.75);
    Some(FusedSpoof {
        score,
        median: q(0.5),
        max: s[s.len() - 1],
        frames: s.len(),
        fraction_above: s.iter().filter(|&&v| v > threshold).count() as f32 / s.len() as f32,
        margin: threshold - score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_is_clamped_inside_the_image() {
        let b = BBox {
            x1: 10.0,
            y1: 10.0,
            x2: 60.0,
            y2: 70.0,
        };
        let (x0, y0, w, h) = liveness_crop(&b, 100, 100);
        assert!(x0 >= 0.0 && y0 >= 0.0 && x0 + w <= 100.0 + 1e-3 && y0 + h <= 100.0 + 1e-3);
        assert!((w / h - 50.0 / 60.0).abs() < 1e-3);
    }

    #[test]
    fn fusion_upper_quartile() {
        let f = fuse_spoof_scores(&[0.0, 0.1, 0.2, 0.9, 1.0], 0.5).unwrap();
        assert!((f.score - 0.9).abs() < 1e-6);
        assert!((f.median - 0.2).abs() < 1e-6);
        assert!(fuse_spoof_scores(&[], 0.5).is_none());
        assert_eq!(fuse_spoof_scores(&[0.3], 0.5).unwrap().score, 0.3);
    }
}
