//! `/api/users/`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::app::users::{NewUser, UserPatch};
use crate::app::views::{self, Listing};
use crate::domain::objects::User;

pub async fn create(
    state: AppState,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<User>)> {
    Ok((StatusCode::CREATED, Json(state.0.create_user(&a, b).await?)))
}

pub async fn list(state: AppState, Caller(a): Caller, q: QueryPairs) -> Result<Json<Listing>> {
    let company = q.parse("company_id")?;
    let page = q.page()?;
    let (items, total) = state.0.list_users(&a, company, page).await?;
    Ok(Json(views::list_of(&items, page, total)))
}

pub async fn get(state: AppState, Caller(a): Caller, Path(id): Path<String>) -> Result<Json<User>> {
    state.0.get_user(&a, path_id(&id, "user")?).await.map(Json)
}

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

pub async fn delete(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state.0.delete_user(&a, path_id(&id, "user")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
