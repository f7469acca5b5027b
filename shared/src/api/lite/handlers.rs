//! API Lite handlers. Images are sniffed (JPEG, PNG or WebP only) before the engine sees them;
//! templates are read by [`crate::domain::template`].

use std::sync::Arc;

use crate::api::json::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use media_decode::{DecodeError, MediaKind};
use serde_json::{Value, json};

use super::Lite;
use super::body::{base64_mode, binary, single, two_parts};
use crate::domain::template;
use crate::ports::{AnalyzeError, AnalyzeRequest, Analyzer, FaceFindings};
use crate::{Error, Result};

type LiteState = State<Arc<Lite>>;

const NOT_AN_IMAGE: &str = "API Lite takes a JPEG, PNG or WebP image";

/// Checks that `bytes` are an image this API takes, before any decoding work.
fn check_image(lite: &Lite, bytes: &[u8], what: &str) -> Result<()> {
    match media_decode::probe(bytes, &lite.media_limits) {
        Ok(info) if info.kind == MediaKind::Image => Ok(()),
        Ok(_) | Err(DecodeError::Unrecognised) => {
            Err(Error::InvalidType(format!("{what}: {NOT_AN_IMAGE}")))
        }
        Err(DecodeError::LimitExceeded(m)) => Err(Error::TooLarge(format!("{what}: {m}"))),
        Err(e) => Err(Error::invalid(format!("{what} cannot be decoded: {e}"))),
    }
}

/// The face in image `bytes`, with what `req` asks for; a clear 400 when there is none.
async fn face(
    lite: &Lite,
    analyzer: &dyn Analyzer,
    bytes: Bytes,
    req: AnalyzeRequest,
    what: &str,
) -> Result<FaceFindings> {
    check_image(lite, &bytes, what)?;
    let f = analyzer.analyze(bytes, req).await.map_err(|e| match e {
        AnalyzeError::Undecodable(m) => Error::invalid(format!("{what} cannot be decoded: {m}")),
        AnalyzeError::Engine(e) => Error::Unexpected(e.context("face engine failed")),
    })?;
    if f.frames_with_face == 0 {
        return Err(Error::invalid(format!("no face found in {what}")));
    }
    Ok(f)
}

const TEMPLATE: AnalyzeRequest = AnalyzeRequest {
    liveness: false,
    template: true,
    best_shot: false,
    gesture: None,
};

/// The template of the face in image `bytes`.
async fn embedding(
    lite: &Lite,
    analyzer: &dyn Analyzer,
    bytes: Bytes,
    what: &str,
) -> Result<Vec<f32>> {
    face(lite, analyzer, bytes, TEMPLATE, what)
        .await?
        .template
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("the engine gave no template")))
}

/// `{"score", "decision"}` for two templates, decided by the biometry threshold.
fn decision(lite: &Lite, analyzer: &dyn Analyzer, a: &[f32], b: &[f32]) -> Json<Value> {
    let score = analyzer.similarity(a, b);
    let approved = score >= lite.thresholds.biometry;
    Json(json!({
        "score": score,
        "decision": if approved { "approved" } else { "declined" },
    }))
}

/// `GET /v1/face/{liveness,pattern}/health`: `{"status": 0}` once the engine is loaded, else
/// 503 with `{"status": 3}` (Oz's "inoperative").
pub async fn health(State(lite): LiteState) -> Response {
    match lite.analyzer.try_get() {
        Some(_) => Json(json!({"status": 0, "message": ""})).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": 3, "message": "the face engine is loading"})),
        )
            .into_response(),
    }
}

/// `GET /version`: this build and the loaded models (name and SHA-256 prefix as version).
pub async fn version(State(lite): LiteState) -> Result<Json<Value>> {
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    let info = analyzer.info();
    let models: Vec<Value> = info["models"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|m| json!({"name": m["name"], "version": m["sha256_prefix"]}))
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(json!({
        "core": env!("CARGO_PKG_VERSION"),
        "tfss": info["engine_version"],
        "models": models,
        "template_format": {"magic": "OZFT", "version": template::VERSION, "dimension": template::DIM},
    })))
}

/// `POST /v1/face/liveness/detect`: one image → `{"passed", "score", "confidence_spoofing"}`;
/// `score` is the probability that the face is live (1 − `confidence_spoofing`).
pub async fn detect(State(lite): LiteState, req: Request) -> Result<Json<Value>> {
    let bytes = single(req, lite.max_body_bytes).await?;
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    let req = AnalyzeRequest {
        liveness: true,
        template: false,
        best_shot: false,
        gesture: None,
    };
    let f = face(&lite, &*analyzer, bytes, req, "the image").await?;
    let spoof = f
        .confidence_spoofing
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("the engine gave no liveness score")))?;
    Ok(Json(json!({
        "passed": spoof < lite.thresholds.liveness,
        "score": 1.0 - spoof,
        "confidence_spoofing": spoof,
    })))
}

/// `POST /v1/face/pattern/extract`: one image → its template (bytes, or base64 text).
pub async fn extract(State(lite): LiteState, req: Request) -> Result<Response> {
    let base64 = base64_mode(req.headers());
    let bytes = single(req, lite.max_body_bytes).await?;
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    let e = embedding(&lite, &*analyzer, bytes, "the image").await?;
    Ok(binary(template::encode(&e)?, base64))
}

/// `POST /v1/face/pattern/compare`: two templates (multipart) → score and decision.
pub async fn compare(State(lite): LiteState, req: Request) -> Result<Json<Value>> {
    let [a, b] = two_parts(req, lite.max_body_bytes).await?;
    let (a, b) = (template::decode(&a)?, template::decode(&b)?);
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    Ok(decision(&lite, &*analyzer, &a, &b))
}

/// `POST /v1/face/pattern/verify`: an image and a template (multipart, either order; the
/// template is the part starting with its magic bytes) → score and decision.
pub async fn verify(State(lite): LiteState, req: Request) -> Result<Json<Value>> {
    let [a, b] = two_parts(req, lite.max_body_bytes).await?;
    let (image, tpl) = match (template::looks_like(&a), template::looks_like(&b)) {
        (false, true) => (a, b),
        (true, false) => (b, a),
        _ => {
            return Err(Error::invalid(
                "verify takes one image part and one template part",
            ));
        }
    };
    let tpl = template::decode(&tpl)?;
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    let e = embedding(&lite, &*analyzer, image, "the image").await?;
    Ok(decision(&lite, &*analyzer, &e, &tpl))
}

/// `POST /v1/face/pattern/extract_and_compare`: two images (multipart) → score and decision.
pub async fn extract_and_compare(State(lite): LiteState, req: Request) -> Result<Json<Value>> {
    let [a, b] = two_parts(req, lite.max_body_bytes).await?;
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    let ea = embedding(&lite, &*analyzer, a, "the first image").await?;
    let eb = embedding(&lite, &*analyzer, b, "the second image").await?;
    Ok(decision(&lite, &*analyzer, &ea, &eb))
}
