//! Presentation-attack detection (PAD) for videos, shot sets and photos as a fusion of
//! independent signals, each reported with its value and verdict:
//!
//! - [`parallax`] on [`tracks`]: planarity of the face texture's motion (a print or a screen
//!   moves as one plane); the same test on the 68 landmarks is reported alongside;
//! - [`motion`]: non-rigid facial motion (blinks, mouth, brows) — supports liveness only;
//! - [`screen_cues`]: framing edges (votes) and moiré / colour statistics (reported), per frame;
//! - the single-frame anti-spoofing CNN (`fr_liveness`), fused over frames (upper quartile) and
//!   judged at an operating point chosen by medium and face size ([`fusion::CnnConfig`]);
//! - [`rppg`]: skin-colour pulse — supports liveness only, on long dense clips;
//!
//! combined by [`fusion`] into `confidence_spoofing`, after a capture-quality gate on the
//! video's H.264 quantiser ([`fusion::CaptureConfig`]). A photo gets the CNN and the screen cues
//! only, and the result says that a photo cannot show liveness the way a video can.

pub mod fft;
pub mod fusion;
pub mod geometry;
pub mod motion;
pub mod parallax;
pub mod rppg;
pub mod screen_cues;
pub mod tracks;

use serde::{Deserialize, Serialize};

pub use fusion::{
    CaptureConfig, CaptureSignal, CnnConfig, FUSION_VERSION, PadAssessment, PadConfig, assess,
};

/// What one signal (or the fusion) concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Evidence of a live presentation.
    Live,
    /// Evidence of a presentation attack.
    Attack,
    /// Not enough data for this signal (e.g. no head motion, clip too short).
    Inconclusive,
}

/// [`assess`] on the frames of a media and their analysis by [`crate::Engine::analyze_frames`]
/// (frames in the same order; the pulse is not evaluated: no extra colour samples), with the
/// video's mean quantiser if known.
pub fn assess_media<F: crate::AsFrame>(
    frames: &[F],
    media: &crate::MediaAnalysis,
    quantiser: Option<f32>,
    cfg: &PadConfig,
) -> PadAssessment {
    let images: Vec<&image::RgbImage> = frames.iter().map(|f| f.image()).collect();
    let analyses: Vec<&crate::FrameAnalysis> = media.frames.iter().map(|(_, a)| a).collect();
    assess(&images, &analyses, &[], quantiser, cfg)
}
