//! `/api/collections/`: collections, their persons and the persons' images.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::Value;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::api::multipart::MultipartUpload;
use crate::api::openapi::errors::{
    BadGateway, BadRequest, Forbidden, NotFound, TooLarge, Unauthorized, Unavailable,
};
use crate::api::openapi::{params, schemas};
use crate::app::collections::{NewCollection, PersonUpload};
use crate::app::views::{self, Listing};
use crate::domain::collection::Collection;
use crate::domain::{CollectionId, PersonId, PersonImageId};

fn ids(cid: &str, pid: &str) -> Result<(CollectionId, PersonId)> {
    Ok((path_id(cid, "collection")?, path_id(pid, "person")?))
}

/// Create a collection
///
/// ADMIN in any company, CLIENT ADMIN in its own; a taken alias is 400 code 13.
#[utoipa::path(
    post,
    path = "/api/collections",
    tag = "Collections",
    operation_id = "collections_create",
    request_body = schemas::NewCollection,
    responses(
        (status = 201, description = "The collection", body = schemas::Collection),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge,
    ),
)]
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

/// List collections
///
/// `?alias=` finds one by alias (case-insensitive); CLIENT and CLIENT SERVICE may list their
/// company's.
#[utoipa::path(
    get,
    path = "/api/collections",
    tag = "Collections",
    operation_id = "collections_list",
    params(params::PageQuery, params::CollectionQuery),
    responses(
        (status = 200, description = "A page of collections", body = schemas::CollectionList),
        BadRequest, Unauthorized, Forbidden,
    ),
)]
pub async fn list(state: AppState, Caller(a): Caller, q: QueryPairs) -> Result<Json<Listing>> {
    let page = q.page()?;
    let (items, total) = state
        .0
        .list_collections(&a, q.parse("company_id")?, q.get("alias"), page)
        .await?;
    Ok(Json(views::list_of(&items, page, total)))
}

/// Read a collection
#[utoipa::path(
    get,
    path = "/api/collections/{id}",
    tag = "Collections",
    operation_id = "collections_get",
    params(("id" = uuid::Uuid, Path, description = "Collection id")),
    responses(
        (status = 200, description = "The collection", body = schemas::Collection),
        Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn get(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<Json<Collection>> {
    let id = path_id(&id, "collection")?;
    state.0.get_collection(&a, id).await.map(Json)
}

/// Delete a collection
///
/// With its persons and images.
#[utoipa::path(
    delete,
    path = "/api/collections/{id}",
    tag = "Collections",
    operation_id = "collections_delete",
    params(("id" = uuid::Uuid, Path, description = "Collection id")),
    responses(
        (status = 204, description = "Deleted"),
        Unauthorized, Forbidden, NotFound, BadGateway,
    ),
)]
pub async fn delete(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = path_id(&id, "collection")?;
    state.0.delete_collection(&a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enrol a person
///
/// A person with one or more face images (each a photo with exactly one face; one bad image
/// refuses the whole request and stores nothing) and `person:meta_data`.
#[utoipa::path(
    post,
    path = "/api/collections/{cid}/persons",
    tag = "Collections",
    operation_id = "collections_create_person",
    params(("cid" = uuid::Uuid, Path, description = "Collection id")),
    request_body(
        description = "Face images under any form keys and a JSON `payload` part",
        content(
            (schemas::PersonUpload = "multipart/form-data",
                encoding(("payload" = (content_type = "application/json")))),
        ),
    ),
    responses(
        (status = 201, description = "The person with its images", body = schemas::Person),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, BadGateway, Unavailable,
    ),
)]
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

/// List a collection's persons
#[utoipa::path(
    get,
    path = "/api/collections/{cid}/persons",
    tag = "Collections",
    operation_id = "collections_list_persons",
    params(("cid" = uuid::Uuid, Path, description = "Collection id"), params::PageQuery),
    responses(
        (status = 200, description = "A page of persons", body = schemas::PersonList),
        BadRequest, Unauthorized, Forbidden, NotFound,
    ),
)]
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

/// Read a person
#[utoipa::path(
    get,
    path = "/api/collections/{cid}/persons/{pid}",
    tag = "Collections",
    operation_id = "collections_get_person",
    params(("cid" = uuid::Uuid, Path, description = "Collection id"), ("pid" = uuid::Uuid, Path, description = "Person id")),
    responses(
        (status = 200, description = "The person with its images", body = schemas::Person),
        Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn get_person(
    state: AppState,
    Caller(a): Caller,
    Path((cid, pid)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let (cid, pid) = ids(&cid, &pid)?;
    let view = state.0.person_view(&a, cid, pid).await?;
    Ok(Json(views::person(&state.0, &view).await?))
}

/// Delete a person
///
/// With its images; out of search at once.
#[utoipa::path(
    delete,
    path = "/api/collections/{cid}/persons/{pid}",
    tag = "Collections",
    operation_id = "collections_delete_person",
    params(("cid" = uuid::Uuid, Path, description = "Collection id"), ("pid" = uuid::Uuid, Path, description = "Person id")),
    responses(
        (status = 204, description = "Deleted; out of search at once"),
        Unauthorized, Forbidden, NotFound, BadGateway,
    ),
)]
pub async fn delete_person(
    state: AppState,
    Caller(a): Caller,
    Path((cid, pid)): Path<(String, String)>,
) -> Result<StatusCode> {
    let (cid, pid) = ids(&cid, &pid)?;
    state.0.delete_person(&a, cid, pid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a person's images
#[utoipa::path(
    get,
    path = "/api/collections/{cid}/persons/{pid}/images",
    tag = "Collections",
    operation_id = "collections_list_images",
    params(("cid" = uuid::Uuid, Path, description = "Collection id"), ("pid" = uuid::Uuid, Path, description = "Person id"), params::PageQuery),
    responses(
        (status = 200, description = "A page of images", body = schemas::PersonImageList),
        BadRequest, Unauthorized, Forbidden, NotFound,
    ),
)]
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

/// Add face images to a person
///
/// At most 50 images per person; `person:meta_data` is refused here.
#[utoipa::path(
    post,
    path = "/api/collections/{cid}/persons/{pid}/images",
    tag = "Collections",
    operation_id = "collections_add_images",
    params(("cid" = uuid::Uuid, Path, description = "Collection id"), ("pid" = uuid::Uuid, Path, description = "Person id")),
    request_body(
        description = "Face images under any form keys and a JSON `payload` part",
        content(
            (schemas::PersonUpload = "multipart/form-data",
                encoding(("payload" = (content_type = "application/json")))),
        ),
    ),
    responses(
        (status = 201, description = "The new images", body = Vec<schemas::PersonImage>),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, BadGateway, Unavailable,
    ),
)]
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

/// Delete a person image
#[utoipa::path(
    delete,
    path = "/api/collections/{cid}/persons/{pid}/images/{iid}",
    tag = "Collections",
    operation_id = "collections_delete_image",
    params(("cid" = uuid::Uuid, Path, description = "Collection id"), ("pid" = uuid::Uuid, Path, description = "Person id"), ("iid" = uuid::Uuid, Path, description = "Person image id")),
    responses(
        (status = 204, description = "Deleted; out of search at once"),
        Unauthorized, Forbidden, NotFound, BadGateway,
    ),
)]
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
