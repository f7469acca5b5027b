//! Eye closure with `fr_eye`: for each eye a square crop centred on the mean of its six
//! landmarks, side 1.6 × the eye width (corner to corner), 24×24 grayscale `/ 255`; softmax index
//! 0 = closed.

use image::RgbImage;

use crate::error::Result;
use crate::landmarks::Landmarks;
use crate::model::{Model, softmax};
use crate::sampling::{Affine, sample};

/// Input side of `fr_eye`.
pub const EYE_SIZE: u32 = 24;
/// Crop side relative to the eye width.
pub const EYE_CROP_SCALE: f32 = 1.6;
/// An eye counts as closed when its closed probability exceeds this.
pub const EYE_CLOSED_THRESHOLD: f32 = 0.5;

/// Closed probabilities of both eyes (left = image left).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EyeState {
    /// Probability that the image-left eye is closed.
    pub left_closed: f32,
    /// Probability that the image-right eye is closed.
    pub right_closed: f32,
}

impl EyeState {
    /// Both eyes open (each closed probability ≤ [`EYE_CLOSED_THRESHOLD`]).
    pub fn both_open(&self) -> bool {
        self.left_closed <= EYE_CLOSED_THRESHOLD && self.right_closed <= EYE_CLOSED_THRESHOLD
    }
}

/// Builds the `fr_eye` input (1×1×24×24) for one eye.
pub fn preprocess(img: &RgbImage, lm: &Landmarks, left: bool) -> Vec<f32> {
    let (c, width) = lm.eye(left);
    let side = (width * EYE_CROP_SCALE).max(1.0);
    let map = Affine::crop(
        (c[0] - side / 2.0) as f64,
        (c[1] - side / 2.0) as f64,
        side as f64,
        side as f64,
        EYE_SIZE,
        EYE_SIZE,
    );
    sample(img, &map, EYE_SIZE, EYE_SIZE)
        .gray()
        .into_iter()
        .map(|v| v / 255.0)
        .collect()
}

/// Runs `fr_eye` on both eyes.
pub fn eye_state(model: &Model, img: &RgbImage, lm: &Landmarks) -> Result<EyeState> {
    let mut closed = [0f32; 2];
    for (i, left) in [true, false].into_iter().enumerate() {
        let out = model.run(preprocess(img, lm, left))?;
        closed[i] = softmax(&out[0])[0];
    }
    Ok(EyeState {
        left_closed: closed[0],
        right_closed: closed[1],
    })
}
