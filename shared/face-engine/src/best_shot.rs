//! Best-shot selection over frames: a per-face quality score from sharpness (variance of the
//! Laplacian of the face crop), frontal pose, face size, open eyes and detector confidence.

use image::RgbImage;

use crate::detect::BBox;
use crate::eye::EyeState;
use crate::landmarks::landmark_square;
use crate::pose::HeadPose;
use crate::sampling::{Affine, sample};

/// Side of the grayscale crop on which sharpness is measured (fixed, so faces of different sizes
/// are comparable).
pub const SHARPNESS_SIZE: u32 = 112;

/// Variance of the 4-neighbour Laplacian over the face's square crop resampled to 112×112
/// grayscale (0..255 scale). Higher = sharper; blurred faces fall below ≈50.
pub fn sharpness(img: &RgbImage, b: &BBox) -> f32 {
    let (x0, y0, s) = landmark_square(b);
    let map = Affine::crop(
        x0 as f64,
        y0 as f64,
        s as f64,
        s as f64,
        SHARPNESS_SIZE,
        SHARPNESS_SIZE,
    );
    let g = sample(img, &map, SHARPNESS_SIZE, SHARPNESS_SIZE).gray();
    let n = SHARPNESS_SIZE as usize;
    let mut vals = Vec::with_capacity((n - 2) * (n - 2));
    for y in 1..n - 1 {
        for x in 1..n - 1 {
            let c = g[y * n + x];
            vals.push(
                g[y * n + x - 1] + g[y * n + x + 1] + g[(y - 1) * n + x] + g[(y + 1) * n + x]
                    - 4.0 * c,
            );
        }
    }
    let mean = vals.iter().sum::<f32>() / vals.len() as f32;
    vals.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / vals.len() as f32
}

/// Inputs of the quality score for one face.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QualityInputs {
    /// [`sharpness`] of the face.
    pub sharpness: f32,
    /// Shorter side of the face box, pixels.
    pub face_size_px: f32,
    /// Head pose, when computed.
    pub pose: Option<HeadPose>,
    /// Eye state, when computed.
    pub eyes: Option<EyeState>,
    /// Detector confidence.
    pub detection_score: f32,
}

/// Quality in 0..1: `det · (0.35·frontal + 0.25·sharp + 0.2·size + 0.2·eyes)` where
/// `frontal = 1 − max(|yaw|, |pitch|)/45` (clamped), `sharp = s/(s+100)`,
/// `size = min(side/160, 1)`, `eyes` = 1 when both open, else 0.
/// Unknown pose or eyes count as 0.5.
pub fn quality(q: &QualityInputs) -> f32 {
    let frontal = q
        .pose
        .map(|p| (1.0 - p.deviation() / 45.0).clamp(0.0, 1.0))
        .unwrap_or(0.5);
    let sharp = q.sharpness / (q.sharpness + 100.0);
    let size = (q.face_size_px / 160.0).clamp(0.0, 1.0);
    let eyes = q
        .eyes
        .map(|e| if e.both_open() { 1.0 } else { 0.0 })
        .unwrap_or(0.5);
    q.detection_score.clamp(0.0, 1.0) * (0.35 * frontal + 0.25 * sharp + 0.2 * size + 0.2 * eyes)
}

/// The selected best frame.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BestShot {
    /// Frame index (as given by the caller).
    pub frame_index: usize,
    /// Face box in that frame.
    pub bbox: BBox,
    /// Its quality score.
    pub quality: f32,
}

/// Picks the candidate `(frame_index, bbox, quality)` with the highest quality (earliest on ties).
pub fn select_best(candidates: impl IntoIterator<Item = (usize, BBox, f32)>) -> Option<BestShot> {
    candidates
        .into_iter()
        .fold(None, |best: Option<BestShot>, (i, b, q)| match best {
            Some(cur) if cur.quality >= q => Some(cur),
            _ => Some(BestShot {
                frame_index: i,
                bbox: b,
                quality: q,
            }),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharp_beats_flat() {
        let flat = RgbImage::from_pixel(100, 100, image::Rgb([128, 128, 128]));
        let checker = RgbImage::from_fn(100, 100, |x, y| {
            if (x / 4 + y / 4) % 2 == 0 {
                image::Rgb([255, 255, 255])
            } else {
                image::Rgb([0, 0, 0])
            }
        });
        let b = BBox {
            x1: 10.0,
            y1: 10.0,
            x2: 90.0,
            y2: 90.0,
        };
        assert!(sharpness(&checker, &b) > 1000.0);
        assert!(sharpness(&flat, &b) < 1e-3);
    }

    #[test]
    fn select_highest() {
        let b = BBox {
            x1: 0.0,
            y1: 0.0,
            x2: 1.0,
            y2: 1.0,
        };
        let best = select_best([(0, b, 0.2), (5, b, 0.7), (9, b, 0.7)]).unwrap();
        assert_eq!(best.frame_index, 5);
        assert!(select_best(std::iter::empty()).is_none());
    }
}
