//! `POST /api/instant/folders/`: the Instant API. The caller is authenticated without the
//! session write ordinary requests make, and the answer carries everything inline (best shots as
//! `data:` URLs), since nothing is stored to link to.

use std::sync::Arc;

use crate::api::json::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::Value;

use super::AppState;
use crate::api::extract::access_token;
use crate::api::multipart::MultipartUpload;
use crate::app::views;
use crate::domain::Actor;
use crate::{App, Error, Result};

/// The authenticated caller, checked read-only (the session's expiry is not slid).
pub struct ReadOnlyCaller(pub Actor);

impl FromRequestParts<Arc<App>> for ReadOnlyCaller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self> {
        let token = access_token(&parts.headers)?;
        if token.is_empty() {
            return Err(Error::AuthNotProvided);
        }
        app.authenticate_read_only(token).await.map(ReadOnlyCaller)
    }
}

/// `POST /api/instant/folders/` → 200 with the analysed folder; nothing is stored.
pub async fn create(
    state: AppState,
    ReadOnlyCaller(a): ReadOnlyCaller,
    MultipartUpload(up): MultipartUpload,
) -> Result<Json<Value>> {
    let done = state.0.instant_folder(&a, up).await?;
    Ok(Json(views::instant_folder(&done)))
}
