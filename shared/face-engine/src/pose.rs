//! Head pose with `fr_pose` (Hopenet-style): the face box grown by a quarter on each side,
//! 224×224 RGB, ImageNet mean/std; three heads of 66 bins (yaw, pitch, roll);
//! `angle = Σ softmax(bin)·index × 3 − 99` degrees.

use image::RgbImage;

use crate::detect::BBox;
use crate::error::Result;
use crate::model::{Model, softmax};
use crate::sampling::{Affine, sample};

/// Input side of `fr_pose`.
pub const POSE_SIZE: u32 = 224;
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// Head pose in degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeadPose {
    /// Left/right rotation.
    pub yaw: f32,
    /// Up/down rotation.
    pub pitch: f32,
    /// In-plane rotation.
    pub roll: f32,
}

impl HeadPose {
    /// Largest absolute angle of yaw and pitch (0 = frontal).
    pub fn deviation(&self) -> f32 {
        self.yaw.abs().max(self.pitch.abs())
    }
}

/// Builds the `fr_pose` input (1×3×224×224).
pub fn preprocess(img: &RgbImage, b: &BBox) -> Vec<f32> {
    let (w, h) = (b.width(), b.height());
    let map = Affine::crop(
        (b.x1 - w / 4.0) as f64,
        (b.y1 - h / 4.0) as f64,
        (w * 1.5) as f64,
        (h * 1.5) as f64,
        POSE_SIZE,
        POSE_SIZE,
    );
    sample(img, &map, POSE_SIZE, POSE_SIZE).planar(false, |c, v| (v / 255.0 - MEAN[c]) / STD[c])
}

fn angle(bins: &[f32]) -> f32 {
    softmax(bins)
        .iter()
        .enumerate()
        .map(|(i, p)| p * i as f32)
        .sum::<f32>()
        * 3.0
        - 99.0
}

/// Runs `fr_pose` for the face in `b`.
pub fn head_pose(model: &Model, img: &RgbImage, b: &BBox) -> Result<HeadPose> {
    let out = model.run(preprocess(img, b))?;
    Ok(HeadPose {
        yaw: angle(&out[0]),
        pitch: angle(&out[1]),
        roll: angle(&out[2]),
    })
}
