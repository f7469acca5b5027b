//! `/api/users/`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::api::openapi::errors::{BadRequest, Forbidden, NotFound, TooLarge, Unauthorized};
use crate::api::openapi::{params, schemas};
use crate::app::users::{NewUser, UserPatch};
use crate::app::views::{self, Listing};
use crate::domain::objects::User;

/// Create a user
///
/// ADMIN in any company, CLIENT ADMIN in its own. A taken email is 400 code 13.
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "Users",
    operation_id = "users_create",
    request_body = schemas::NewUser,
    responses(
        (status = 201, description = "The user", body = schemas::User),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge,
    ),
)]
pub async fn create(
    state: AppState,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<User>)> {
    Ok((StatusCode::CREATED, Json(state.0.create_user(&a, b).await?)))
}

/// List users
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "Users",
    operation_id = "users_list",
    params(params::PageQuery, params::UserQuery),
    responses(
        (status = 200, description = "A page of users", body = schemas::UserList),
        BadRequest, Unauthorized, Forbidden,
    ),
)]
pub async fn list(state: AppState, Caller(a): Caller, q: QueryPairs) -> Result<Json<Listing>> {
    let company = q.parse("company_id")?;
    let page = q.page()?;
    let (items, total) = state.0.list_users(&a, company, page).await?;
    Ok(Json(views::list_of(&items, page, total)))
}

/// Read a user
#[utoipa::path(
    get,
    path = "/api/users/{id}",
    tag = "Users",
    operation_id = "users_get",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = schemas::User),
        Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn get(state: AppState, Caller(a): Caller, Path(id): Path<String>) -> Result<Json<User>> {
    state.0.get_user(&a, path_id(&id, "user")?).await.map(Json)
}

/// Change a user
///
/// Absent fields stay as they are; changing the password or deactivating closes the user's
/// sessions.
#[utoipa::path(
    patch,
    path = "/api/users/{id}",
    tag = "Users",
    operation_id = "users_update",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    request_body = schemas::UserPatch,
    responses(
        (status = 200, description = "The user", body = schemas::User),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge,
    ),
)]
pub async fn update(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<UserPatch>,
) -> Result<Json<User>> {
    state
        .0
        .update_user(&a, path_id(&id, "user")?, b)
        .await
        .map(Json)
}

/// Delete a user
#[utoipa::path(
    delete,
    path = "/api/users/{id}",
    tag = "Users",
    operation_id = "users_delete",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        BadRequest, Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn delete(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state.0.delete_user(&a, path_id(&id, "user")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
