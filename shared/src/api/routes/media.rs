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
use crate::api::openapi::errors::{BadRequest, Forbidden, NotFound, TooLarge, Unauthorized};
use crate::api::openapi::schemas;
use crate::app::views;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaPatch {
    tags: Vec<String>,
}

/// Read a media
///
/// With short-lived URLs of its file (`original_url`, and `video_url` for videos).
#[utoipa::path(
    get,
    path = "/api/media/{id}",
    tag = "Media",
    operation_id = "media_get",
    params(("id" = uuid::Uuid, Path, description = "Media id")),
    responses(
        (status = 200, description = "The media", body = schemas::Media),
        Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn get(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let m = state.0.get_media(&a, path_id(&id, "media")?).await?;
    Ok(Json(views::media(&state.0, &m).await?))
}

/// Change a media's tags
#[utoipa::path(
    patch,
    path = "/api/media/{id}",
    tag = "Media",
    operation_id = "media_update",
    params(("id" = uuid::Uuid, Path, description = "Media id")),
    request_body = schemas::MediaPatch,
    responses(
        (status = 200, description = "The media", body = schemas::Media),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge,
    ),
)]
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

/// Download a media's file
///
/// Redirects to a short-lived signed URL of the file (`OZ_FILE_URL_TTL` seconds): S3 presigned
/// on AWS, `/files/...` locally.
#[utoipa::path(
    get,
    path = "/api/media/{id}/file",
    tag = "Media",
    operation_id = "media_file",
    params(("id" = uuid::Uuid, Path, description = "Media id")),
    responses(
        (status = 302, description = "The file's signed URL",
            headers(("Location" = String, description = "The signed URL"))),
        Unauthorized, Forbidden, NotFound,
    ),
)]
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
