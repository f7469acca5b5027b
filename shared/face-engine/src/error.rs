//! Typed errors of the face engine. "No face found" is *not* an error: it is an outcome
//! ([`crate::detect::DetectOutcome::NoFace`]).

use std::path::PathBuf;

/// Everything that can go wrong while loading models or analysing an image.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A model file could not be read, parsed or optimised.
    #[error("cannot load model {name} from {path}: {reason}")]
    ModelLoad {
        /// Model name, e.g. `fr_detect`.
        name: String,
        /// File that was tried.
        path: PathBuf,
        /// What tract or the file system reported.
        reason: String,
    },
    /// tract failed while running a model (shape mismatch, internal error).
    #[error("inference failed in {model}: {reason}")]
    Inference {
        /// Model name.
        model: &'static str,
        /// What tract reported.
        reason: String,
    },
    /// The image is larger than [`crate::EngineConfig::max_pixels`].
    #[error("image {width}x{height} exceeds the limit of {max_pixels} pixels")]
    ImageTooLarge {
        /// Image width in pixels.
        width: u32,
        /// Image height in pixels.
        height: u32,
        /// Configured limit.
        max_pixels: u64,
    },
    /// The image is empty or too small to hold a face.
    #[error("image {width}x{height} is too small")]
    ImageTooSmall {
        /// Image width in pixels.
        width: u32,
        /// Image height in pixels.
        height: u32,
    },
    /// The media could not be decoded.
    #[error("cannot decode media: {0}")]
    Decode(String),
}

/// Result alias of the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
