//! API Lite (oz-api.md §5): stateless face checks on raw images and templates — liveness
//! `detect`, template `extract`, `compare`, `verify`, `extract_and_compare`, health and version.
//! No table, no bucket, no sessions: callers are authorised by an API key (`X-Api-Key`, compared
//! in constant time) when one is configured. Served alone by the `lite` Lambda
//! ([`router`]) and next to the full API by the local server ([`routes`]).

mod body;
pub(crate) mod handlers;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::app::AnalyzerSlot;
use crate::app::analyzer_slot::ENGINE_WAIT;
use crate::config::{Config, SecretString};
use crate::domain::analysis::Thresholds;

/// The header API Lite callers put the key in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// What API Lite needs: the engine, the key, the decision thresholds and the body bound.
pub struct Lite {
    pub analyzer: AnalyzerSlot,
    pub api_key: Option<SecretString>,
    pub thresholds: Thresholds,
    /// Largest request body (one image, or two parts of a multipart body).
    pub max_body_bytes: usize,
    /// Decoding bounds for images (`OZ_MAX_IMAGE_PIXELS`).
    pub media_limits: media_decode::Limits,
    /// How long a request waits for the engine to finish loading.
    pub engine_wait: Duration,
}

impl Lite {
    /// API Lite over `analyzer`, configured by `config` (`OZ_LITE_API_KEY`, `OZ_MAX_FILE_BYTES`,
    /// `OZ_MAX_IMAGE_PIXELS`).
    pub fn new(config: &Config, analyzer: AnalyzerSlot) -> Self {
        Self {
            analyzer,
            api_key: config.lite_api_key.clone(),
            thresholds: Thresholds::default(),
            max_body_bytes: config.limits.max_file_bytes,
            media_limits: config.limits.media,
            engine_wait: ENGINE_WAIT,
        }
    }
}

fn digest(s: &[u8]) -> [u8; 32] {
    Sha256::digest(s).into()
}

/// Refuses a request without the configured key: 401 code 6 when absent, code 7 when wrong.
/// Both sides are hashed first so the comparison takes the same time whatever the key's length.
async fn require_key(State(lite): State<Arc<Lite>>, req: Request, next: Next) -> Response {
    if let Some(key) = &lite.api_key {
        let Some(sent) = req.headers().get(API_KEY_HEADER) else {
            return Error::AuthNotProvided.into_response();
        };
        let (a, b) = (digest(sent.as_bytes()), digest(key.expose().as_bytes()));
        let diff = a.iter().zip(b.iter()).fold(0u8, |d, (x, y)| d | (x ^ y));
        if diff != 0 {
            return Error::AuthInvalid("wrong API key".into()).into_response();
        }
    }
    next.run(req).await
}

/// The API Lite routes with `lite` as their state, mountable in any router.
pub fn routes<S: Clone + Send + Sync + 'static>(lite: Arc<Lite>) -> Router<S> {
    // Health answers without the key, so load balancers and probes need no secret.
    let guarded = Router::new()
        .route("/version", get(handlers::version))
        .route("/v1/face/liveness/detect", post(handlers::detect))
        .route("/v1/face/pattern/extract", post(handlers::extract))
        .route("/v1/face/pattern/compare", post(handlers::compare))
        .route("/v1/face/pattern/verify", post(handlers::verify))
        .route(
            "/v1/face/pattern/extract_and_compare",
            post(handlers::extract_and_compare),
        )
        .route_layer(middleware::from_fn_with_state(lite.clone(), require_key));
    Router::new()
        .route("/v1/face/liveness/health", get(handlers::health))
        .route("/v1/face/pattern/health", get(handlers::health))
        .merge(guarded)
        .with_state(lite)
}

/// API Lite alone (the `lite` Lambda), with the layers every function shares.
pub fn router(lite: Arc<Lite>) -> super::router::OzPaths<Router> {
    let max_body = lite.max_body_bytes;
    super::router::with_layers(routes(lite), max_body)
}
