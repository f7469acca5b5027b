//! Face engine: face detection, landmarks and alignment, embeddings and calibrated comparison,
//! single-frame anti-spoofing fused over frames, per-frame signals (eyes, head pose, mouth,
//! sharpness) and best-shot selection, all on tract-onnx with the faceplugin models in `models/`.
//!
//! Entry point: [`Engine`] (load once, share as `Arc<Engine>`).

#![warn(missing_docs)]

/// mimalloc is the process allocator of every binary that links the engine (feature
/// `mimalloc`, on by default). tract's model load is made of many small allocations, copies and
/// frees (graph patches during decluttering); with glibc malloc all six models took 656–677 ms
/// cold on one thread and 449–542 ms on two, with mimalloc 456–559 ms and 375–391 ms (this
/// machine, 2026-11-26; `cargo bench -p face-engine` prints the current numbers).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod align;
pub mod best_shot;
pub mod calibration;
pub mod detect;
pub mod embed;
pub mod engine;
pub mod error;
pub mod eye;
pub mod gesture;
pub mod io;
pub mod landmarks;
pub mod liveness;
pub mod media;
pub mod model;
pub mod pad;
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
