//! [`Analyzer`] on the face engine: decode (bounded), sample frames evenly, detect, score
//! liveness, embed, pick the best shot, check the asked gesture, on a blocking thread.
//! `confidence_spoofing` is the engine's multi-signal PAD fusion (`face_engine::pad`); every
//! signal's value and verdict goes into the evidence under `pad`.

use std::io::Cursor;
use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use bytes::Bytes;
use face_engine::gesture::{Gesture as EngineGesture, GestureConfig};
use face_engine::{AnalyzeOptions, Embedding, Engine, EngineError};
use serde_json::{Value, json};
use shared::domain::tags::Gesture;
use shared::ports::{AnalyzeError, AnalyzeRequest, Analyzer, FaceFindings, GestureOutcome};

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

/// The engine's gesture for the port's.
fn engine_gesture(g: Gesture) -> EngineGesture {
    match g {
        Gesture::Blink => EngineGesture::Blink,
        Gesture::Smile => EngineGesture::Smile,
        Gesture::Left => EngineGesture::Left,
        Gesture::Right => EngineGesture::Right,
        Gesture::Up => EngineGesture::Up,
        Gesture::Down => EngineGesture::Down,
        Gesture::ZoomIn => EngineGesture::ZoomIn,
        Gesture::ZoomOut => EngineGesture::ZoomOut,
        Gesture::Scan => EngineGesture::Scan,
    }
}

fn analyze_blocking(
    engine: &Engine,
    bytes: &[u8],
    req: AnalyzeRequest,
) -> Result<FaceFindings, AnalyzeError> {
    let gesture = req.gesture.map(engine_gesture);
    let cfg = GestureConfig::default();
    // Only what the analysis asks: a photo's `quality` needs no embedding, pose or eyes, its
    // `biometry` no spoof score; pose and eyes for gestures (a video's frames get eyes anyway,
    // for PAD, and pose when its best shot is embedded).
    let wanted = AnalyzeOptions {
        embedding: req.template,
        liveness: req.liveness,
        pose: gesture.is_some(),
        eyes: gesture.is_some(),
    };
    let (decoded, ma) = face_engine::media::analyze_for_gesture(
        engine, bytes, gesture, &cfg, &wanted,
    )
    .map_err(|e| match e {
        EngineError::Decode(_)
        | EngineError::ImageTooLarge { .. }
        | EngineError::ImageTooSmall { .. } => AnalyzeError::Undecodable(e.to_string()),
        other => AnalyzeError::Engine(anyhow::Error::new(other)),
    })?;
    // PAD tracks points across frames (~55 ms per video): only worth it when liveness is asked.
    let pad = req.liveness.then(|| {
        face_engine::media::pad_of(&decoded, &ma, &face_engine::pad::PadConfig::default())
    });
    let gesture = gesture.filter(|_| ma.frames_with_face > 0).map(|g| {
        let v = face_engine::gesture::check_media(g, &ma, &cfg);
        GestureOutcome {
            performed: v.performed,
            reason: v.reason.clone(),
            evidence: serde_json::to_value(&v).unwrap_or_default(),
        }
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
        gesture,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_port_gesture_maps_to_the_engine_gesture_of_the_same_tag() {
        for &(tag, g) in shared::domain::tags::GESTURE_TAGS {
            assert_eq!(
                EngineGesture::from_tag(tag),
                Some(engine_gesture(g)),
                "{tag}"
            );
            assert_eq!(engine_gesture(g).name(), g.name());
        }
    }
}
