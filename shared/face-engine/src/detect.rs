//! Face detection with `fr_detect` (UltraFace RFB-320): the whole image stretched to 320×240,
//! RGB `(x − 127) / 128`, NCHW; outputs 4420 candidate scores (index 1 = face) and boxes already
//! decoded to `x1, y1, x2, y2` in 0..1. Candidates above the score threshold go through hard NMS,
//! then boxes smaller than the minimum face size are dropped.

use image::RgbImage;

use crate::error::Result;
use crate::model::Model;
use crate::sampling::{Affine, sample};

/// Input width of `fr_detect`.
pub const DETECT_W: u32 = 320;
/// Input height of `fr_detect`.
pub const DETECT_H: u32 = 240;

/// Axis-aligned box in image edge coordinates (pixels; the image covers `[0, W] × [0, H]`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BBox {
    /// Left.
    pub x1: f32,
    /// Top.
    pub y1: f32,
    /// Right.
    pub x2: f32,
    /// Bottom.
    pub y2: f32,
}

impl BBox {
    /// Width.
    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }
    /// Height.
    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }
    /// Area.
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }
    /// Centre `(x, y)`.
    pub fn center(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }
    /// Intersection over union with `other`.
    pub fn iou(&self, other: &BBox) -> f32 {
        let ix = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let iy = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        let inter = ix * iy;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
    /// The box scaled by `s` (all coordinates multiplied).
    pub fn scaled(&self, s: f32) -> BBox {
        BBox {
            x1: self.x1 * s,
            y1: self.y1 * s,
            x2: self.x2 * s,
            y2: self.y2 * s,
        }
    }
}

/// One detected face.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    /// Face box.
    pub bbox: BBox,
    /// Detector confidence, 0..1.
    pub score: f32,
}

/// Result of detection: no face is an outcome, not an error.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", content = "faces", rename_all = "snake_case")]
pub enum DetectOutcome {
    /// No face above the threshold and minimum size.
    NoFace,
    /// One or more faces, highest score first.
    Faces(Vec<Detection>),
}

impl DetectOutcome {
    /// The detections (empty for [`DetectOutcome::NoFace`]).
    pub fn faces(&self) -> &[Detection] {
        match self {
            DetectOutcome::NoFace => &[],
            DetectOutcome::Faces(f) => f,
        }
    }
}

/// Detection settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DetectConfig {
    /// Minimum face score (index 1 of the softmaxed output).
    pub score_threshold: f32,
    /// IoU above which the lower-scored of two boxes is suppressed.
    pub nms_iou: f32,
    /// Boxes whose shorter side is below this many pixels (of the analysed image) are dropped.
    pub min_face_px: f32,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            score_threshold: 0.7,
            nms_iou: 0.3,
            min_face_px: 40.0,
        }
    }
}

/// Builds the `fr_detect` input tensor (1×3×240×320) for `img`.
pub fn preprocess(img: &RgbImage) -> Vec<f32> {
    let map = Affine::crop(
        0.0,
        0.0,
        img.width() as f64,
        img.height() as f64,
        DETECT_W,
        DETECT_H,
    );
    sample(img, &map, DETECT_W, DETECT_H).planar(false, |_, v| (v - 127.0) / 128.0)
}

/// Turns raw outputs (`scores` 4420×2, `boxes` 4420×4) into detections for an image of
/// `width × height`: threshold, hard NMS, minimum size.
pub fn postprocess(
    scores: &[f32],
    boxes: &[f32],
    width: u32,
    height: u32,
    cfg: &DetectConfig,
) -> DetectOutcome {
    let (w, h) = (width as f32, height as f32);
    let mut cands: Vec<Detection> = scores
        .chunks_exact(2)
        .zip(boxes.chunks_exact(4))
        .filter(|(s, _)| s[1] > cfg.score_threshold)
        .map(|(s, b)| Detection {
            bbox: BBox {
                x1: (b[0] * w).clamp(0.0, w),
                y1: (b[1] * h).clamp(0.0, h),
                x2: (b[2] * w).clamp(0.0, w),
                y2: (b[3] * h).clamp(0.0, h),
            },
            score: s[1],
        })
        .collect();
    cands.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for c in cands {
        if kept.iter().all(|k| k.bbox.iou(&c.bbox) <= cfg.nms_iou) {
            kept.push(c);
        }
    }
    kept.retain(|d| d.bbox.width().min(d.bbox.height()) >= cfg.min_face_px);
    if kept.is_empty() {
        DetectOutcome::NoFace
    } else {
        DetectOutcome::Faces(kept)
    }
}

/// Runs `fr_detect` on `img`.
pub fn detect(model: &Model, img: &RgbImage, cfg: &DetectConfig) -> Result<DetectOutcome> {
    let out = model.run(preprocess(img))?;
    Ok(postprocess(
        &out[0],
        &out[1],
        img.width(),
        img.height(),
        cfg,
    ))
}

/// Index of the face to analyse when several are present: the largest, with boxes within 20 %
/// of the largest area tie-broken by closeness to the image centre.
pub fn primary_face(faces: &[Detection], width: u32, height: u32) -> Option<usize> {
    let max_area = faces.iter().map(|d| d.bbox.area()).fold(0.0, f32::max);
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    faces
        .iter()
        .enumerate()
        .filter(|(_, d)| d.bbox.area() >= 0.8 * max_area)
        .min_by(|(_, a), (_, b)| {
            let da = (a.bbox.center().0 - cx).powi(2) + (a.bbox.center().1 - cy).powi(2);
            let db = (b.bbox.center().0 - cx).powi(2) + (b.bbox.center().1 - cy).powi(2);
            da.total_cmp(&db)
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nms_and_min_size() {
        let scores = [0.1, 0.9, 0.2, 0.8, 0.5, 0.5, 0.05, 0.95];
        let boxes = [
            0.1, 0.1, 0.5, 0.5, // kept
            0.11, 0.1, 0.5, 0.5, // suppressed by the first
            0.6, 0.6, 0.9, 0.9, // below threshold
            0.6, 0.6, 0.62, 0.62, // too small
        ];
        let out = postprocess(&scores, &boxes, 400, 400, &DetectConfig::default());
        assert_eq!(out.faces().len(), 1);
        assert!((out.faces()[0].bbox.x1 - 40.0).abs() < 1e-3);
        let none = postprocess(&scores[..2], &boxes[..4], 40, 40, &DetectConfig::default());
        assert_eq!(none, DetectOutcome::NoFace);
    }

    #[test]
    fn primary_prefers_large_then_central() {
        let d = |x1: f32, s: f32| Detection {
            bbox: BBox {
                x1,
                y1: 0.0,
                x2: x1 + s,
                y2: s,
            },
            score: 0.9,
        };
        let faces = [d(0.0, 100.0), d(150.0, 100.0), d(300.0, 50.0)];
        assert_eq!(primary_face(&faces, 400, 100), Some(1));
    }
}
