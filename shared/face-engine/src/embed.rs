//! Face embedding with `fr_feature`: the face aligned onto the ArcFace template (112×112, RGB,
//! `(x − 127) / 128`), 512 outputs L2-normalised; similarity is the cosine.

use image::RgbImage;

use crate::align::{ALIGNED_SIZE, alignment_map};
use crate::error::Result;
use crate::landmarks::Landmarks;
use crate::model::Model;
use crate::sampling::{Patch, sample};

/// Dimension of an embedding.
pub const EMBEDDING_DIM: usize = 512;

/// An L2-normalised face embedding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Embedding(pub Vec<f32>);

impl Embedding {
    /// Normalises `v` to unit length.
    pub fn from_raw(mut v: Vec<f32>) -> Self {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Embedding(v)
    }

    /// Cosine similarity (dot product of unit vectors), −1..1.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }
}

/// The aligned 112×112 face for the given landmarks.
pub fn aligned_face(img: &RgbImage, lm: &Landmarks) -> Patch {
    let map = alignment_map(&lm.five_points());
    sample(img, &map, ALIGNED_SIZE, ALIGNED_SIZE)
}

/// Builds the `fr_feature` input (1×3×112×112).
pub fn preprocess(img: &RgbImage, lm: &Landmarks) -> Vec<f32> {
    aligned_face(img, lm).planar(false, |_, v| (v - 127.0) / 128.0)
}

/// Runs `fr_feature` on the aligned face.
pub fn embed(model: &Model, img: &RgbImage, lm: &Landmarks) -> Result<Embedding> {
    let out = model.run(preprocess(img, lm))?;
    Ok(Embedding::from_raw(
        out.into_iter().next().unwrap_or_default(),
    ))
}
