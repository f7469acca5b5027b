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
use crate::api::openapi::errors::{
    BadRequest, Forbidden, NotRealized, TooLarge, Unauthorized, Unavailable,
};
use crate::api::openapi::schemas;
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
        let actor = app.authenticate_read_only(token).await?;
        actor.check_scope(parts.method.as_str(), parts.uri.path())?;
        Ok(ReadOnlyCaller(actor))
    }
}

/// Analyse media in one request
///
/// The multipart of `POST /api/folders` with `payload.analyses` (required; `source_media` is
/// refused: tags choose the media). Runs the analyses and answers the folder as polling would
/// show it, best shots inline as `data:` URLs. Nothing is stored, and the session's expiry is
/// not moved.
#[utoipa::path(
    post,
    path = "/api/instant/folders",
    tag = "Instant",
    operation_id = "instant_create",
    request_body(
        description = "Files under any form keys and a JSON `payload` part with `analyses`",
        content(
            (schemas::FolderUpload = "multipart/form-data",
                encoding(("payload" = (content_type = "application/json")))),
        ),
    ),
    responses(
        (status = 200, description = "The analysed folder (generated ids; media without URLs)", body = schemas::Folder),
        BadRequest, Unauthorized, Forbidden, TooLarge, NotRealized, Unavailable,
    ),
)]
pub async fn create(
    state: AppState,
    ReadOnlyCaller(a): ReadOnlyCaller,
    MultipartUpload(up): MultipartUpload,
) -> Result<Json<Value>> {
    let done = state.0.instant_folder(&a, up).await?;
    Ok(Json(views::instant_folder(&done)))
}

/// Find the face in a camera frame
///
/// **ours**: one JPEG, PNG or WebP image as the raw body → the frame's size, how many faces
/// (0, 1, or 2 for more), and the largest face's box `[x1, y1, x2, y2]` in pixels. Only the
/// detector runs; nothing is stored. The capture page calls it about twice a second on a
/// small frame for its live hints (no face, too far, more than one face).
#[utoipa::path(
    post,
    path = "/api/instant/face",
    tag = "Instant",
    operation_id = "instant_face",
    request_body(
        description = "One JPEG, PNG or WebP image",
        content(
            (schemas::Binary = "image/jpeg"),
            (schemas::Binary = "image/png"),
            (schemas::Binary = "image/webp"),
        ),
    ),
    responses(
        (status = 200, description = "Where the face is", body = schemas::FaceCheck),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ),
)]
pub async fn face(
    state: AppState,
    ReadOnlyCaller(_): ReadOnlyCaller,
    body: axum::body::Bytes,
) -> Result<Json<crate::app::instant::FaceCheck>> {
    state.0.face_check(body).await.map(Json)
}
