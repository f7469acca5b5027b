//! `POST/DELETE /api/authorize/auth`, `POST /api/authorize/refresh`, and `GET /api/version`
//! (what Oz on-prem health checks call before logging in).

use crate::api::json::Json;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, ClientAddr, JsonBody, access_token};
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
pub struct Refresh {
    expire_token: String,
}

pub async fn login(
    state: AppState,
    ClientAddr(client): ClientAddr,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<TokenPair>> {
    let c = &body.credentials;
    state.0.login(&c.email, &c.password, client).await.map(Json)
}

pub async fn refresh(
    state: AppState,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Refresh>,
) -> Result<Json<TokenPair>> {
    let token = access_token(&headers)?;
    state.0.refresh(token, &body.expire_token).await.map(Json)
}

/// The versions this server speaks; no token needed.
pub async fn version() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "core": env!("CARGO_PKG_VERSION"),
        "api": "6.0",
        "service": "oz-compatible facial biometrics",
    }))
}

pub async fn logout(state: AppState, Caller(actor): Caller) -> Result<StatusCode> {
    state.0.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
