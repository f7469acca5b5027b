//! `POST/DELETE /api/authorize/auth`, `POST /api/authorize/refresh`, and `GET /api/version`
//! (what Oz on-prem health checks call before logging in).

use crate::api::json::Json;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, ClientAddr, JsonBody, access_token};
use crate::api::openapi::errors::{
    BadRequest, Forbidden, NotFound, TooLarge, TooManyRequests, Unauthorized,
};
use crate::api::openapi::schemas;
use crate::app::auth::TokenPair;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    credentials: Credentials,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureRequest {
    folder_id: Option<crate::domain::FolderId>,
    #[serde(default = "default_capture_ttl")]
    ttl: u64,
    meta_data: Option<crate::domain::objects::MetaData>,
}

fn default_capture_ttl() -> u64 {
    600
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    expire_token: String,
}

/// Log in
///
/// Opens a session: an access token (sent as `X-Forensic-Access-Token`) and a single-use
/// refresh token. CLIENT SERVICE sessions are long-lived. Wrong passwords are counted per
/// account and per client address; at the limit logins answer 429 code 101 with `Retry-After`.
#[utoipa::path(
    post,
    path = "/api/authorize/auth",
    tag = "Auth",
    operation_id = "auth_login",
    security(),
    request_body = schemas::Login,
    responses(
        (status = 200, description = "The session's tokens and user", body = schemas::TokenPair),
        BadRequest, Unauthorized, Forbidden, TooLarge, TooManyRequests,
    ),
)]
pub async fn login(
    state: AppState,
    ClientAddr(client): ClientAddr,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<TokenPair>> {
    let c = &body.credentials;
    state.0.login(&c.email, &c.password, client).await.map(Json)
}

/// Refresh a session
///
/// Rotates the pair: the old access token (in the header) works until the new pair is first
/// used; an `expire_token` is single-use.
#[utoipa::path(
    post,
    path = "/api/authorize/refresh",
    tag = "Auth",
    operation_id = "auth_refresh",
    request_body = schemas::Refresh,
    responses(
        (status = 200, description = "The new tokens", body = schemas::TokenPair),
        BadRequest, Unauthorized, Forbidden, TooLarge,
    ),
)]
pub async fn refresh(
    state: AppState,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Refresh>,
) -> Result<Json<TokenPair>> {
    let token = access_token(&headers)?;
    state.0.refresh(token, &body.expire_token).await.map(Json)
}

/// Versions
///
/// The versions this server speaks, for health checks; no token needed.
#[utoipa::path(
    get,
    path = "/api/version",
    tag = "Auth",
    operation_id = "auth_version",
    security(),
    responses((status = 200, description = "The versions", body = schemas::Version)),
)]
pub async fn version() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "core": env!("CARGO_PKG_VERSION"),
        "api": "6.0",
        "service": "oz-compatible facial biometrics",
    }))
}

/// Log out
///
/// Closes the caller's session.
#[utoipa::path(
    delete,
    path = "/api/authorize/auth",
    tag = "Auth",
    operation_id = "auth_logout",
    responses(
        (status = 204, description = "The session is closed"),
        Unauthorized, Forbidden,
    ),
)]
pub async fn logout(state: AppState, Caller(actor): Caller) -> Result<StatusCode> {
    state.0.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a capture token
///
/// **ours**: a short-lived access token for one folder, for a browser's capture page: it may add
/// media to that folder, start and read its analyses, read the folder and find a face in a
/// camera frame — nothing else (403 code 9). Without `folder_id` a new empty folder of the
/// caller's is made (with `meta_data`). `ttl` in seconds, 60–3600 (default 600); the token is
/// not extended by use and cannot be refreshed. Operators cannot issue one.
#[utoipa::path(
    post,
    path = "/api/authorize/capture",
    tag = "Auth",
    operation_id = "auth_capture",
    request_body = schemas::CaptureRequest,
    responses(
        (status = 200, description = "The capture token and its folder", body = schemas::CaptureToken),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge,
    ),
)]
pub async fn capture(
    state: AppState,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<CaptureRequest>,
) -> Result<Json<crate::app::auth::CaptureToken>> {
    state
        .0
        .capture_token(
            &actor,
            body.folder_id,
            body.meta_data,
            std::time::Duration::from_secs(body.ttl),
        )
        .await
        .map(Json)
}
