//! `/api/collections/`: collections, their persons and the persons' images.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::Value;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::api::multipart::MultipartUpload;
use crate::app::collections::{NewCollection, PersonUpload};
use crate::app::views::{self, Listing};
use crate::domain::collection::Collection;
use crate::domain::{CollectionId, PersonId, PersonImageId};

fn ids(cid: &str, pid: &str) -> Result<(CollectionId, PersonId)> {
    Ok((path_id(cid, "collection")?, path_id(pid, "person")?))
}

pub async fn create(
    state: AppState,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewCollection>,
) -> Result<(StatusCode, Json<Collection>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.0.create_collection(&a, b).await?),
    ))
}

pub async fn list(state: AppState, Caller(a): Caller, q: QueryPairs) -> Result<Json<Listing>> {
    let page = q.page()?;
    let (items, total) = state
        .0
        .list_collections(&a, q.parse("company_id")?, q.get("alias"), page)
        .await?;
    Ok(Json(views::list_of(&items, page, total)))
}

pub async fn get(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<Json<Collection>> {
    let id = path_id(&id, "collection")?;
    state.0.get_collection(&a, id).await.map(Json)
}

pub async fn delete(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = path_id(&id, "collection")?;
    state.0.delete_collection(&a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/collections/{cid}/persons/`: a person with its images (multipart, like folders)
/// and `person:meta_data`.
pub async fn create_person(
    state: AppState,
    Caller(a): Caller,
    Path(cid): Path<String>,
    MultipartUpload(up): MultipartUpload<PersonUpload>,
) -> Result<(StatusCode, Json<Value>)> {
    let cid = path_id(&cid, "collection")?;
    let view = state.0.create_person(&a, cid, up).await?;
    Ok((
        StatusCode::CREATED,
        Json(views::person(&state.0, &view).await?),
    ))
}

pub async fn list_persons(
    state: AppState,
    Caller(a): Caller,
    Path(cid): Path<String>,
    q: QueryPairs,
) -> Result<Json<Listing>> {
    let cid = path_id(&cid, "collection")?;
    let page = q.page()?;
    let (items, total) = state.0.list_persons(&a, cid, page).await?;
    Ok(Json(views::list_of(&items, page, total)))
}

pub async fn get_person(
    state: AppState,
    Caller(a): Caller,
    Path((cid, pid)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let (cid, pid) = ids(&cid, &pid)?;
    let view = state.0.person_view(&a, cid, pid).await?;
    Ok(Json(views::person(&state.0, &view).await?))
}

pub async fn delete_person(
    state: AppState,
    Caller(a): Caller,
    Path((cid, pid)): Path<(String, String)>,
) -> Result<StatusCode> {
    let (cid, pid) = ids(&cid, &pid)?;
    state.0.delete_person(&a, cid, pid).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_images(
    state: AppState,
    Caller(a): Caller,
    Path((cid, pid)): Path<(String, String)>,
    q: QueryPairs,
) -> Result<Json<Listing>> {
    let (cid, pid) = ids(&cid, &pid)?;
    state.0.get_person(&a, cid, pid).await?;
    let page = q.page()?;
    let (images, total) = page.apply(state.0.person_images(&a, cid, pid).await?);
    Ok(Json(views::list(
        views::person_images(&state.0, &images).await?,
        page,
        total,
    )))
}

pub async fn add_images(
    state: AppState,
    Caller(a): Caller,
    Path((cid, pid)): Path<(String, String)>,
    MultipartUpload(up): MultipartUpload<PersonUpload>,
) -> Result<(StatusCode, Json<Value>)> {
    let (cid, pid) = ids(&cid, &pid)?;
    let images = state.0.add_person_images(&a, cid, pid, up).await?;
    Ok((
        StatusCode::CREATED,
        Json(Value::Array(views::person_images(&state.0, &images).await?)),
    ))
}

pub async fn delete_image(
    state: AppState,
    Caller(a): Caller,
    Path((cid, pid, iid)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    let (cid, pid) = ids(&cid, &pid)?;
    let iid: PersonImageId = path_id(&iid, "person image")?;
    state.0.delete_person_image(&a, cid, pid, iid).await?;
    Ok(StatusCode::NO_CONTENT)
}
