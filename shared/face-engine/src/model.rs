//! Loading one ONNX model into tract with a fixed input shape, optimised and runnable, plus its
//! provenance (file name, SHA-256) and load-time split for reports.
//!
//! Where load time goes (tract 0.23.9): type analysis + decluttering ≈ 60 %, optimisation into
//! linalg kernels ≈ 30 %, protobuf parsing ≈ 10 %. Caching the decluttered model as NNEF
//! (`tract-nnef`, tar) was measured and dropped: reading the NNEF text + tensors costs about as
//! much as parsing and decluttering the ONNX file, and optimising the reloaded graph is slower
//! (tract cannot serialise already-optimised ops), so cold loads got slower, not faster (all six
//! models on one thread: 697 ms from the cache against 667 ms from ONNX, 2026-11-26; the
//! comparison was then dropped from the bench, `cargo bench -p face-engine`).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

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
    /// Load time split by phase.
    #[serde(default)]
    pub phases: LoadPhases,
}

/// Where the load time of one model goes, milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoadPhases {
    /// Reading the ONNX file and hashing it.
    pub read_ms: f64,
    /// Protobuf parse into an inference model, input shape fixed.
    pub parse_ms: f64,
    /// Type analysis and decluttering.
    pub declutter_ms: f64,
    /// Optimisation into linalg kernels and building the runnable plan.
    pub optimize_ms: f64,
}

/// A model ready to run: optimised tract plan with a fixed input shape. Cheap to share between
/// threads (`run` spawns a fresh state per call).
#[derive(Debug, Clone)]
pub struct Model {
    name: &'static str,
    plan: Arc<TypedRunnableModel>,
    info: ModelInfo,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

impl Model {
    /// Loads `<dir>/<name>.onnx` with the given fixed input shape.
    pub fn load(dir: &Path, name: &'static str, input_shape: &[usize]) -> Result<Self> {
        let start = Instant::now();
        let mut phases = LoadPhases::default();
        let path = dir.join(format!("{name}.onnx"));
        let err = |reason: String| EngineError::ModelLoad {
            name: name.to_string(),
            path: path.clone(),
            reason,
        };
        let t = Instant::now();
        let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
        let digest = Sha256::digest(&bytes);
        let sha256_prefix: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        phases.read_ms = ms(t);
        let t = Instant::now();
        let inference = tract_onnx::onnx()
            .model_for_read(&mut bytes.as_slice())
            .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
            .map_err(|e| err(format!("{e:#}")))?;
        phases.parse_ms = ms(t);
        let t = Instant::now();
        let mut typed = inference
            .into_typed()
            .and_then(|m| m.into_decluttered())
            .map_err(|e| err(format!("{e:#}")))?;
        phases.declutter_ms = ms(t);
        // `optimize`, not `into_optimized`: the latter would run the declutter passes again.
        let t = Instant::now();
        let plan = typed
            .optimize()
            .and_then(|()| typed.into_runnable())
            .map_err(|e| err(format!("{e:#}")))?;
        phases.optimize_ms = ms(t);
        Ok(Model {
            name,
            plan,
            info: ModelInfo {
                name: name.to_string(),
                sha256_prefix,
                input_shape: input_shape.to_vec(),
                load_ms: ms(start),
                phases,
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
