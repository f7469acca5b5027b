//! Face engine: face detection, landmarks and alignment, embeddings and calibrated comparison,
//! single-frame anti-spoofing fused over frames, per-frame signals (eyes, head pose, mouth,
//! sharpness) and best-shot selection, all on tract-onnx with the faceplugin models in `models/`.
//!
//! Entry point: [`Engine`] (load once, share as `Arc<Engine>`).

#![warn(missing_docs)]

pub mod align;
pub mod best_shot;
pub mod calibration;
pub mod detect;
pub mod embed;
pub mod engine;
pub mod error;
pub mod eval;
pub mod eye;
pub mod gesture;
pub mod gesture_eval;
pub mod io;
pub mod landmarks;
pub mod liveness;
pub mod media;
pub mod model;
pub mod pad;
pub mod pad_eval;
pub mod pose;
pub mod sampling;

pub use calibration::Similarity;
pub use detect::{BBox, DetectConfig, DetectOutcome, Detection};
pub use embed::Embedding;
pub use engine::{
    AnalyzeOptions, AsFrame, Engine, EngineConfig, EngineInfo, FaceAnalysis, FrameAnalysis,
    FrameDepth, MediaAnalysis, StageTimings,
};
pub use error::{EngineError, Result};
