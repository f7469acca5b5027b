//! `/api/media/{id}`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, path_id};
use crate::app::views;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaPatch {
    tags: Vec<String>,
}

pub async fn get(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let m = state.0.get_media(&a, path_id(&id, "media")?).await?;
    Ok(Json(views::media(&state.0, &m).await?))
}

pub async fn update(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MediaPatch>,
) -> Result<Json<Value>> {
    let m = state
        .0
        .set_media_tags(&a, path_id(&id, "media")?, b.tags)
        .await?;
    Ok(Json(views::media(&state.0, &m).await?))
}

/// Redirects to a short-lived signed URL of the file.
pub async fn file(state: AppState, Caller(a): Caller, Path(id): Path<String>) -> Result<Response> {
    let m = state.0.get_media(&a, path_id(&id, "media")?).await?;
    let url = state.0.media_url(&m).await?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, url),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
    )
        .into_response())
}
