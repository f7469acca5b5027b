//! 68-point facial landmarks with `fr_landmark`: the detection box made square (side = the longer
//! side, same centre), resampled to 64×64 grayscale, `/ 256`; the 136 outputs are 68 `(x, y)` in
//! 0..1 of that square. Points stay sub-pixel `f32` (rounding them hurts recognition).

use image::RgbImage;

use crate::detect::BBox;
use crate::error::Result;
use crate::model::Model;
use crate::sampling::{Affine, sample};

/// Input side of `fr_landmark`.
pub const LANDMARK_SIZE: u32 = 64;

/// 68 landmarks (iBUG 300-W order) in image edge coordinates.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Landmarks {
    /// The 68 points `[x, y]`.
    pub points: Vec<[f32; 2]>,
}

/// Square crop `(x0, y0, side)` around a detection used for landmarks.
pub fn landmark_square(b: &BBox) -> (f32, f32, f32) {
    let side = b.width().max(b.height());
    let (cx, cy) = b.center();
    (cx - side / 2.0, cy - side / 2.0, side)
}

/// Builds the `fr_landmark` input (1×1×64×64) for the face in `b`.
pub fn preprocess(img: &RgbImage, b: &BBox) -> Vec<f32> {
    let (x0, y0, s) = landmark_square(b);
    let map = Affine::crop(
        x0 as f64,
        y0 as f64,
        s as f64,
        s as f64,
        LANDMARK_SIZE,
        LANDMARK_SIZE,
    );
    sample(img, &map, LANDMARK_SIZE, LANDMARK_SIZE)
        .gray()
        .into_iter()
        .map(|v| v / 256.0)
        .collect()
}

/// Runs `fr_landmark` for the face in `b`.
pub fn landmarks(model: &Model, img: &RgbImage, b: &BBox) -> Result<Landmarks> {
    let out = model.run(preprocess(img, b))?;
    let (x0, y0, s) = landmark_square(b);
    let points = out[0]
        .chunks_exact(2)
        .map(|p| [x0 + p[0] * s, y0 + p[1] * s])
        .collect();
    Ok(Landmarks { points })
}

fn mean(points: &[[f32; 2]], idx: &[usize]) -> [f32; 2] {
    let n = idx.len() as f32;
    let (sx, sy) = idx.iter().fold((0.0, 0.0), |(x, y), &i| {
        (x + points[i][0], y + points[i][1])
    });
    [sx / n, sy / n]
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

impl Landmarks {
    /// The five alignment points: left eye centre (image left), right eye centre, nose tip,
    /// left and right mouth corners.
    pub fn five_points(&self) -> [[f32; 2]; 5] {
        let p = &self.points;
        [
            mean(p, &[37, 38, 40, 41]),
            mean(p, &[43, 44, 46, 47]),
            p[30],
            mean(p, &[48, 60]),
            mean(p, &[54, 64]),
        ]
    }

    /// Centre and width of an eye (`left` = points 36–41, otherwise 42–47).
    pub fn eye(&self, left: bool) -> ([f32; 2], f32) {
        let idx: Vec<usize> = if left {
            (36..42).collect()
        } else {
            (42..48).collect()
        };
        let corners = if left { (36, 39) } else { (42, 45) };
        (
            mean(&self.points, &idx),
            dist(self.points[corners.0], self.points[corners.1]),
        )
    }

    /// Eye opening of the narrower eye: lid gap (37–41, 38–40 and 43–47, 44–46) over the eye's
    /// width (the eye aspect ratio). About 0.3 for open eyes, 0.12–0.21 mid-blink on
    /// `talking-blinks.mp4`; a rigid face keeps it within a few per cent.
    pub fn eye_opening(&self) -> f32 {
        let p = &self.points;
        let ratio = |a: usize, b: usize, c: usize, d: usize, l: usize, r: usize| {
            let w = dist(p[l], p[r]);
            if w > 0.0 {
                (dist(p[a], p[b]) + dist(p[c], p[d])) / (2.0 * w)
            } else {
                0.0
            }
        };
        ratio(37, 41, 38, 40, 36, 39).min(ratio(43, 47, 44, 46, 42, 45))
    }

    /// Mouth opening: inner-lip gap (mean of 61–67, 62–66, 63–65) over mouth width (48–54).
    /// About 0 for a closed mouth, 0.3+ for a wide-open one.
    pub fn mouth_open_ratio(&self) -> f32 {
        let p = &self.points;
        let gap = (dist(p[61], p[67]) + dist(p[62], p[66]) + dist(p[63], p[65])) / 3.0;
        let width = dist(p[48], p[54]);
        if width > 0.0 { gap / width } else { 0.0 }
    }
}
