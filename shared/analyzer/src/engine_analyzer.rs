//! [`Analyzer`] on the face engine: decode (bounded), sample frames evenly, detect, score
//! liveness, embed, pick the best shot, on a blocking thread. `confidence_spoofing` is the
//! engine's multi-signal PAD fusion (`face_engine::pad`); every signal's value and verdict goes
//! into the evidence under `pad`.

use std::io::Cursor;
use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use bytes::Bytes;
use face_engine::{Embedding, Engine, EngineError};
use media_decode::Sampling;
use serde_json::{Value, json};
use shared::ports::{AnalyzeError, AnalyzeRequest, Analyzer, FaceFindings};

/// The face engine, shared by every job of the process.
pub struct EngineAnalyzer {
    engine: Arc<Engine>,
    info: Value,
}

impl EngineAnalyzer {
    /// Wraps a loaded engine.
    pub fn new(engine: Engine) -> Self {
        let info = serde_json::to_value(engine.info()).unwrap_or_default();
        Self {
            engine: Arc::new(engine),
            info,
        }
    }

    /// The wrapped engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Loads the models from `OZ_MODELS_DIR` (or `models/`) on a blocking thread.
    pub async fn load() -> anyhow::Result<Self> {
        let engine = tokio::task::spawn_blocking(Engine::from_env)
            .await
            .context("engine load task")?
            .context("loading face models")?;
        Ok(Self::new(engine))
    }
}

fn jpeg(img: &image::RgbImage) -> anyhow::Result<Bytes> {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .context("encoding best shot")?;
    Ok(Bytes::from(out.into_inner()))
}

fn analyze_blocking(
    engine: &Engine,
    bytes: &[u8],
    req: AnalyzeRequest,
) -> Result<FaceFindings, AnalyzeError> {
    let limits = face_engine::media::limits(engine);
    let decoded = media_decode::decode(
        bytes,
        &limits,
        Sampling::Evenly(face_engine::media::DEFAULT_FRAMES),
    )
    .map_err(|e| AnalyzeError::Undecodable(e.to_string()))?;
    let ma = engine
        .analyze_frames(&decoded.frames)
        .map_err(|e| match e {
            EngineError::ImageTooLarge { .. } | EngineError::ImageTooSmall { .. } => {
                AnalyzeError::Undecodable(e.to_string())
            }
            other => AnalyzeError::Engine(anyhow::Error::new(other)),
        })?;
    // PAD tracks points across frames (~55 ms per video): only worth it when liveness is asked.
    let pad = req.liveness.then(|| {
        face_engine::pad::assess_media(
            &decoded.frames,
            &ma,
            &face_engine::pad::PadConfig::default(),
        )
    });
    let best = ma.best_shot;
    let best_shot_jpeg = match best.filter(|_| req.best_shot) {
        Some(b) => decoded
            .frames
            .iter()
            .find(|f| f.index as usize == b.frame_index)
            .map(|f| jpeg(&f.image))
            .transpose()?,
        None => None,
    };
    let per_frame: Vec<Value> = ma
        .frames
        .iter()
        .map(|(i, f)| {
            json!({
                "frame": i,
                "faces": f.detections.len(),
                "confidence_spoofing": f.face.as_ref().and_then(|x| x.spoof_score),
            })
        })
        .collect();
    Ok(FaceFindings {
        frames: ma.frames.len(),
        frames_with_face: ma.frames_with_face,
        frames_with_multiple_faces: ma.frames_with_multiple_faces,
        confidence_spoofing: ma
            .spoof
            .as_ref()
            .and(pad.as_ref())
            .map(|p| p.confidence_spoofing),
        template: ma.embedding.map(|e| e.0).filter(|_| req.template),
        best_frame: best.map(|b| (b.frame_index, [b.bbox.x1, b.bbox.y1, b.bbox.x2, b.bbox.y2])),
        best_shot_jpeg,
        evidence: json!({
            "spoof_fusion": ma.spoof,
            "pad": pad,
            "frames": per_frame,
            "engine_ms": ma.total_ms,
        }),
    })
}

#[async_trait]
impl Analyzer for EngineAnalyzer {
    fn info(&self) -> Value {
        self.info.clone()
    }

    async fn analyze(
        &self,
        bytes: Bytes,
        req: AnalyzeRequest,
    ) -> Result<FaceFindings, AnalyzeError> {
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || analyze_blocking(&engine, &bytes, req))
            .await
            .map_err(|e| AnalyzeError::Engine(anyhow::anyhow!("analysis task failed: {e}")))?
    }

    fn similarity(&self, a: &[f32], b: &[f32]) -> f32 {
        self.engine
            .compare(
                &Embedding::from_raw(a.to_vec()),
                &Embedding::from_raw(b.to_vec()),
            )
            .score
    }

    fn calibrated(&self, cosine: f32) -> f32 {
        face_engine::calibration::calibrated_score(cosine)
    }
}
