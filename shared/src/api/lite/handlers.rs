//! API Lite handlers. Images are sniffed (JPEG, PNG or WebP only) before the engine sees them;
//! templates are read by [`crate::domain::template`].

use std::sync::Arc;

use crate::api::json::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Lite;
use super::body::{base64_mode, binary, single, two_parts};
use crate::api::openapi::errors::{BadRequest, TooLarge, Unauthorized, Unavailable};
use crate::api::openapi::{params, schemas};
use crate::app::media::{engine_error, probe_still};
use crate::domain::template;
use crate::ports::{AnalyzeRequest, Analyzer, FaceFindings};
use crate::{Error, Result};

type LiteState = State<Arc<Lite>>;

const NOT_AN_IMAGE: &str = "API Lite takes a JPEG, PNG or WebP image";

/// Checks that `bytes` are an image this API takes, before any decoding work.
fn check_image(lite: &Lite, bytes: &[u8], what: &str) -> Result<()> {
    probe_still(bytes, &lite.media_limits, what, NOT_AN_IMAGE).map(|_| ())
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
    let f = analyzer
        .analyze(bytes, req)
        .await
        .map_err(|e| engine_error(what, e))?;
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

/// Liveness engine health
///
/// `{"status": 0}` once the face engine is loaded, else 503 with `{"status": 3}` (Oz's
/// "inoperative"). Needs no key. The same handler answers `GET /v1/face/pattern/health`.
#[utoipa::path(
    get,
    path = "/v1/face/liveness/health",
    tag = "API Lite",
    operation_id = "lite_liveness_health",
    security(),
    responses(
        (status = 200, description = "The engine is loaded", body = schemas::LiteHealth),
        (status = 503, description = "The engine is loading (status 3)", body = schemas::LiteHealth),
    ),
)]
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

/// API Lite versions
///
/// This build and the loaded models (name and SHA-256 prefix as version).
#[utoipa::path(
    get,
    path = "/version",
    tag = "API Lite",
    operation_id = "lite_version",
    security(("api_key" = []), ()),
    responses(
        (status = 200, description = "The versions", body = schemas::LiteVersion),
        Unauthorized, Unavailable,
    ),
)]
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

/// Liveness of one image
///
/// `score` is the probability that the face is live (1 − `confidence_spoofing`); `passed` is
/// `confidence_spoofing` < 0.5. No face, or an undecodable image: 400 code 4.
#[utoipa::path(
    post,
    path = "/v1/face/liveness/detect",
    tag = "API Lite",
    operation_id = "lite_detect",
    security(("api_key" = []), ()),
    params(params::LiteEncoding),
    request_body(
        description = "One JPEG, PNG or WebP image: its bytes, or base64 text with `Content-Transfer-Encoding: base64`",
        content(
            (schemas::Binary = "application/octet-stream"),
            (schemas::Binary = "image/jpeg"),
            (schemas::Binary = "image/png"),
            (schemas::Binary = "image/webp"),
            (String = "text/plain"),
        ),
    ),
    responses(
        (status = 200, description = "The liveness result", body = schemas::LiteLiveness),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ),
)]
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

/// Extract a face template
///
/// One image → the template of its face (format in docs/engine.md): bytes, or base64 text when
/// the request was base64.
#[utoipa::path(
    post,
    path = "/v1/face/pattern/extract",
    tag = "API Lite",
    operation_id = "lite_extract",
    security(("api_key" = []), ()),
    params(params::LiteEncoding),
    request_body(
        description = "One JPEG, PNG or WebP image: its bytes, or base64 text with `Content-Transfer-Encoding: base64`",
        content(
            (schemas::Binary = "application/octet-stream"),
            (schemas::Binary = "image/jpeg"),
            (schemas::Binary = "image/png"),
            (schemas::Binary = "image/webp"),
            (String = "text/plain"),
        ),
    ),
    responses(
        (status = 200, description = "The template",
            content(
                (schemas::Binary = "application/octet-stream"),
                (String = "text/plain"),
            )),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ),
)]
pub async fn extract(State(lite): LiteState, req: Request) -> Result<Response> {
    let base64 = base64_mode(req.headers());
    let bytes = single(req, lite.max_body_bytes).await?;
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    let e = embedding(&lite, &*analyzer, bytes, "the image").await?;
    Ok(binary(template::encode(&e)?, base64))
}

/// Compare two templates
#[utoipa::path(
    post,
    path = "/v1/face/pattern/compare",
    tag = "API Lite",
    operation_id = "lite_compare",
    security(("api_key" = []), ()),
    params(params::LiteEncoding),
    request_body(
        description = "Two templates, as bytes (or base64 text with `Content-Transfer-Encoding: base64`)",
        content((schemas::LiteTwoTemplates = "multipart/form-data")),
    ),
    responses(
        (status = 200, description = "The score and decision", body = schemas::LiteDecision),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ),
)]
pub async fn compare(State(lite): LiteState, req: Request) -> Result<Json<Value>> {
    let [a, b] = two_parts(req, lite.max_body_bytes).await?;
    let (a, b) = (template::decode(&a)?, template::decode(&b)?);
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    Ok(decision(&lite, &*analyzer, &a, &b))
}

/// Verify an image against a template
///
/// An image and a template, in either order: the part starting with the template magic is the
/// template.
#[utoipa::path(
    post,
    path = "/v1/face/pattern/verify",
    tag = "API Lite",
    operation_id = "lite_verify",
    security(("api_key" = []), ()),
    params(params::LiteEncoding),
    request_body(
        description = "An image and a template, as bytes (or base64 text with `Content-Transfer-Encoding: base64`)",
        content((schemas::LiteImageAndTemplate = "multipart/form-data")),
    ),
    responses(
        (status = 200, description = "The score and decision", body = schemas::LiteDecision),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ),
)]
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

/// Compare the faces of two images
#[utoipa::path(
    post,
    path = "/v1/face/pattern/extract_and_compare",
    tag = "API Lite",
    operation_id = "lite_extract_and_compare",
    security(("api_key" = []), ()),
    params(params::LiteEncoding),
    request_body(
        description = "Two images, as bytes (or base64 text with `Content-Transfer-Encoding: base64`)",
        content((schemas::LiteTwoImages = "multipart/form-data")),
    ),
    responses(
        (status = 200, description = "The score and decision", body = schemas::LiteDecision),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ),
)]
pub async fn extract_and_compare(State(lite): LiteState, req: Request) -> Result<Json<Value>> {
    let [a, b] = two_parts(req, lite.max_body_bytes).await?;
    let analyzer = lite.analyzer.get(lite.engine_wait).await?;
    let ea = embedding(&lite, &*analyzer, a, "the first image").await?;
    let eb = embedding(&lite, &*analyzer, b, "the second image").await?;
    Ok(decision(&lite, &*analyzer, &ea, &eb))
}
