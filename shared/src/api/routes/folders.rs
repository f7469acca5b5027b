//! `/api/folders/`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::Value;

use super::AppState;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::api::multipart::MultipartUpload;
use crate::api::openapi::errors::{
    BadRequest, Forbidden, NotFound, NotRealized, TooLarge, Unauthorized,
};
use crate::api::openapi::{params, schemas};
use crate::app::folders::FolderFilter;
use crate::app::uploads::{UploadsBody, upload_view};
use crate::app::views::{self, Embed, Listing};
use crate::{Error, Result};

/// Create a folder
///
/// A folder with the uploaded media (it may hold none). With `payload.analyses` (single
/// request) the request is checked before anything is stored, the analyses start at once and
/// the answer waits for them (up to `OZ_SINGLE_REQUEST_WAIT`): 201 with the folder, its media and
/// ended analyses, or 202 with the folder to poll when they take longer.
#[utoipa::path(
    post,
    path = "/api/folders",
    tag = "Folders",
    operation_id = "folders_create",
    request_body(
        description = "Files under any form keys and a JSON `payload` part; or the payload alone as JSON; or nothing (a folder with no file)",
        content(
            (schemas::FolderUpload = "multipart/form-data",
                encoding(("payload" = (content_type = "application/json")))),
            (schemas::FolderPayload = "application/json"),
        ),
    ),
    responses(
        (status = 201, description = "The folder with its media (and, single request, its ended analyses)", body = schemas::Folder),
        (status = 202, description = "Single request whose analyses are still running: the folder to poll", body = schemas::Folder),
        BadRequest, Unauthorized, Forbidden, TooLarge, NotRealized,
    ),
)]
pub async fn create(
    state: AppState,
    Caller(a): Caller,
    MultipartUpload(mut up): MultipartUpload,
) -> Result<(StatusCode, Json<Value>)> {
    let app = &state.0;
    let analyses = up.analyses.take();
    if let Some(req) = &analyses {
        // Refused analyses must not leave a folder behind.
        app.check_analyses_request(&a, a.company_id, req).await?;
    }
    let view = app.create_folder(&a, up).await?;
    let Some(req) = analyses else {
        return Ok((
            StatusCode::CREATED,
            Json(views::folder(app, &view, Embed::default()).await?),
        ));
    };
    let id = view.folder.folder_id;
    let started = app.start_analyses(&a, id, req).await?;
    let ids: Vec<_> = started.iter().map(|x| x.analysis_id).collect();
    let done = app
        .await_analyses(id, &ids, app.config.single_request_wait)
        .await?;
    let view = app.folder_view(&a, id, true).await?;
    let status = if done {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(views::folder(app, &view, Embed::ANALYSES).await?),
    ))
}

/// Add media to a folder
///
/// The multipart of `POST /api/folders` without `payload.analyses` (501: start them with
/// `POST /api/folders/{id}/analyses`); at least one file.
#[utoipa::path(
    post,
    path = "/api/folders/{id}/media",
    tag = "Folders",
    operation_id = "folders_add_media",
    params(("id" = uuid::Uuid, Path, description = "Folder id")),
    request_body(
        description = "Files under any form keys and a JSON `payload` part",
        content(
            (schemas::FolderUpload = "multipart/form-data",
                encoding(("payload" = (content_type = "application/json")))),
        ),
    ),
    responses(
        (status = 201, description = "The new media", body = Vec<schemas::Media>),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, NotRealized,
    ),
)]
pub async fn add_media(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    MultipartUpload(up): MultipartUpload,
) -> Result<(StatusCode, Json<Value>)> {
    // A malformed id is 404 whatever the body says.
    let folder = path_id(&id, "folder")?;
    if up.analyses.is_some() {
        return Err(Error::NotRealized(
            "payload.analyses on added media: start them with POST /api/folders/{id}/analyses/"
                .into(),
        ));
    }
    if up.files.is_empty() {
        return Err(Error::InvalidStructure(
            "send at least one media file (a multipart part with bytes)".into(),
        ));
    }
    let media = state.0.add_media(&a, folder, up).await?;
    Ok((
        StatusCode::CREATED,
        Json(Value::Array(views::media_list(&state.0, &media).await?)),
    ))
}

/// Parses the filters of `GET /api/folders/`.
fn filter(q: &QueryPairs) -> Result<FolderFilter> {
    let newest_first = match q.get("sorting") {
        None | Some("-time_created") => true,
        Some("time_created") => false,
        Some(other) => {
            return Err(Error::invalid(format!(
                "sorting={other:?}: use time_created or -time_created"
            )));
        }
    };
    let mut meta = Vec::new();
    for (k, v) in &q.0 {
        if k == "meta_data" {
            let (key, value) = v.split_once("==").ok_or_else(|| {
                Error::invalid(format!("meta_data={v:?}: use meta_data=key==value"))
            })?;
            meta.push((key.to_string(), value.to_string()));
        }
    }
    Ok(FolderFilter {
        page: q.page()?,
        newest_first,
        time_min: q.time("time_created.min")?,
        time_max: q.time("time_created.max")?,
        meta,
        resolution_status: q
            .get("resolution_status")
            .map(|s| s.split(',').map(|x| x.trim().to_string()).collect()),
        company_id: q.parse("company_id")?,
        user_id: q.parse("user_id")?,
    })
}

/// The `with_analyses`, `with_user` and `with_company` flags.
fn embed(q: &QueryPairs) -> Result<Embed> {
    Ok(Embed {
        analyses: q.flag("with_analyses", false)?,
        user: q.flag("with_user", false)?,
        company: q.flag("with_company", false)?,
    })
}

/// List folders
///
/// Newest first by default; CLIENT and CLIENT SERVICE see only the folders they created.
#[utoipa::path(
    get,
    path = "/api/folders",
    tag = "Folders",
    operation_id = "folders_list",
    params(params::PageQuery, params::FolderListQuery),
    responses(
        (status = 200, description = "A page of folders", body = schemas::FolderList),
        BadRequest, Unauthorized, Forbidden,
    ),
)]
pub async fn list(state: AppState, Caller(a): Caller, q: QueryPairs) -> Result<Json<Listing>> {
    let f = filter(&q)?;
    let embed = embed(&q)?;
    let (views_, total) = state
        .0
        .list_folders(&a, &f, q.flag("with_media", false)?)
        .await?;
    let mut items = Vec::with_capacity(views_.len());
    for v in &views_ {
        items.push(views::folder(&state.0, v, embed).await?);
    }
    Ok(Json(views::list(items, f.page, total)))
}

/// Read a folder
///
/// With its media by default. Also completes direct uploads whose bytes have arrived.
#[utoipa::path(
    get,
    path = "/api/folders/{id}",
    tag = "Folders",
    operation_id = "folders_get",
    params(("id" = uuid::Uuid, Path, description = "Folder id"), params::FolderQuery),
    responses(
        (status = 200, description = "The folder", body = schemas::Folder),
        BadRequest, Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn get(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    q: QueryPairs,
) -> Result<Json<Value>> {
    let view = state
        .0
        .folder_view(&a, path_id(&id, "folder")?, q.flag("with_media", true)?)
        .await?;
    Ok(Json(views::folder(&state.0, &view, embed(&q)?).await?))
}

/// Delete a folder
///
/// The folder, its media items and their files. CLIENT and CLIENT SERVICE may not.
#[utoipa::path(
    delete,
    path = "/api/folders/{id}",
    tag = "Folders",
    operation_id = "folders_delete",
    params(("id" = uuid::Uuid, Path, description = "Folder id")),
    responses(
        (status = 204, description = "Deleted"),
        Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn delete(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state.0.delete_folder(&a, path_id(&id, "folder")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start direct uploads
///
/// **ours**: one presigned PUT URL per file. The client PUTs the bytes with no token; the media
/// appears once the object exists and its sniffed content passes the multipart checks.
#[utoipa::path(
    post,
    path = "/api/folders/{id}/media/uploads",
    tag = "Direct uploads",
    operation_id = "folders_create_uploads",
    params(("id" = uuid::Uuid, Path, description = "Folder id")),
    request_body = schemas::UploadsBody,
    responses(
        (status = 201, description = "One ticket per file", body = Vec<schemas::UploadTicket>),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge,
    ),
)]
pub async fn create_uploads(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UploadsBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let tickets = state
        .0
        .create_uploads(&a, path_id(&id, "folder")?, body.files)
        .await?;
    let items = tickets
        .iter()
        .map(|t| upload_view(&t.upload, Some(&t.put)))
        .collect();
    Ok((StatusCode::CREATED, Json(Value::Array(items))))
}

/// List unfinished direct uploads
///
/// **ours**: uploads not yet (PENDING) or never (REJECTED, with the reason) turned into media.
#[utoipa::path(
    get,
    path = "/api/folders/{id}/media/uploads",
    tag = "Direct uploads",
    operation_id = "folders_list_uploads",
    params(("id" = uuid::Uuid, Path, description = "Folder id")),
    responses(
        (status = 200, description = "The uploads", body = Vec<schemas::PendingUpload>),
        Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn list_uploads(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let uploads = state.0.list_uploads(&a, path_id(&id, "folder")?).await?;
    Ok(Json(Value::Array(
        uploads.iter().map(|u| upload_view(u, None)).collect(),
    )))
}
