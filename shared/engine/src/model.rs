//! Loading one ONNX model into tract with a fixed input shape, optimised and runnable, plus its
//! provenance (file name, SHA-256) for reports.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use crate::error::{EngineError, Result};

/// Provenance of a loaded model, reported with every analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelInfo {
    /// Model name (file stem), e.g. `fr_detect`.
    pub name: String,
    /// First 16 hex digits of the file's SHA-256.
    pub sha256_prefix: String,
    /// Fixed input shape the model was optimised for.
    pub input_shape: Vec<usize>,
    /// Time spent reading, parsing and optimising the model, in milliseconds.
    pub load_ms: f64,
}

/// A model ready to run: optimised tract plan with a fixed input shape. Cheap to share between
/// threads (`run` spawns a fresh state per call).
#[derive(Debug, Clone)]
pub struct Model {
    name: &'static str,
    plan: Arc<TypedRunnableModel>,
    info: ModelInfo,
}

impl Model {
    /// Loads `<dir>/<name>.onnx` with the given fixed input shape.
    pub fn load(dir: &Path, name: &'static str, input_shape: &[usize]) -> Result<Self> {
        let start = std::time::Instant::now();
        let path = dir.join(format!("{name}.onnx"));
        let err = |reason: String| EngineError::ModelLoad {
            name: name.to_string(),
            path: path.clone(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
        let digest = Sha256::digest(&bytes);
        let sha256_prefix: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let plan = tract_onnx::onnx()
            .model_for_read(&mut bytes.as_slice())
            .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| err(format!("{e:#}")))?;
        Ok(Model {
            name,
            plan,
            info: ModelInfo {
                name: name.to_string(),
                sha256_prefix,
                input_shape: input_shape.to_vec(),
                load_ms: start.elapsed().as_secs_f64() * 1e3,
            },
        })
    }

    /// Provenance of this model.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Runs the model on one input given as flat `f32` data in the fixed input shape; returns
    /// every output flattened.
    pub fn run(&self, data: Vec<f32>) -> Result<Vec<Vec<f32>>> {
        let err = |e: TractError| EngineError::Inference {
            model: self.name,
            reason: format!("{e:#}"),
        };
        let input = Tensor::from_shape(&self.info.input_shape, &data).map_err(err)?;
        let outputs = self.plan.run(tvec!(input.into())).map_err(err)?;
        outputs
            .iter()
            .map(|o| {
                o.to_plain_array_view::<f32>()
                    .map(|a| a.iter().copied().collect())
                    .map_err(err)
            })
            .collect()
    }
}

/// Numerically stable softmax.
pub fn softmax(x: &[f32]) -> Vec<f32> {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = x.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|v| v / sum).collect()
}
