//! `GET/POST/PATCH/DELETE /api/{users,folders,media,analyses,collections}/{id}/meta_data`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::AppState;
use crate::api::extract::{Caller, path_id, read_bounded};
use crate::app::metadata::{MetaChange, MetaTarget};
use crate::domain::metadata;
use crate::{Error, Result};

fn target(kind: &str, id: &str) -> Result<MetaTarget> {
    Ok(match kind {
        "users" => MetaTarget::User(path_id(id, "user")?),
        "folders" => MetaTarget::Folder(path_id(id, "folder")?),
        "media" => MetaTarget::Media(path_id(id, "media")?),
        "analyses" => MetaTarget::Analysis(path_id(id, "analysis")?),
        "collections" => MetaTarget::Collection(path_id(id, "collection")?),
        _ => return Err(Error::NotFound("path")),
    })
}

/// One handler for the four methods: the object kind comes from the path.
pub async fn handle(
    state: AppState,
    Caller(a): Caller,
    method: Method,
    uri: axum::http::Uri,
    Path(id): Path<String>,
    body: axum::body::Body,
) -> Result<Response> {
    let kind = uri.path().split('/').nth(2).unwrap_or_default();
    let t = target(kind, &id)?;
    if method == Method::GET {
        return Ok(Json(state.0.get_meta(&a, t).await?).into_response());
    }
    let change = if method == Method::DELETE {
        MetaChange::Clear
    } else {
        let bytes = read_bounded(body, state.0.config.limits.max_json_bytes).await?;
        let v: Value = serde_json::from_slice(&bytes).map_err(crate::api::extract::json_error)?;
        let md = metadata::parse(v)?;
        if method == Method::PATCH {
            MetaChange::Merge(md)
        } else {
            MetaChange::Replace(md)
        }
    };
    let md = state.0.change_meta(&a, t, change).await?;
    Ok(match method {
        Method::DELETE => StatusCode::NO_CONTENT.into_response(),
        Method::POST => (StatusCode::CREATED, Json(md)).into_response(),
        _ => Json(md).into_response(),
    })
}
