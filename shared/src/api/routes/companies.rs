//! `/api/companies/`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::Value;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::app::companies::{CompanyPatch, NewCompany};
use crate::app::views::{self, Listing};
use crate::domain::objects::Company;

pub async fn create(
    state: AppState,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewCompany>,
) -> Result<(StatusCode, Json<Company>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.0.create_company(&a, b).await?),
    ))
}

pub async fn list(state: AppState, Caller(a): Caller, q: QueryPairs) -> Result<Json<Listing>> {
    let page = q.page()?;
    let (items, total) = state
        .0
        .list_companies(&a, q.get("search_text"), page)
        .await?;
    Ok(Json(views::list_of(&items, page, total)))
}

pub async fn get(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<Json<Company>> {
    state
        .0
        .get_company(&a, path_id(&id, "company")?)
        .await
        .map(Json)
}

pub async fn update(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CompanyPatch>,
) -> Result<Json<Company>> {
    state
        .0
        .update_company(&a, path_id(&id, "company")?, b)
        .await
        .map(Json)
}

pub async fn delete(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state.0.delete_company(&a, path_id(&id, "company")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/companies/{id}/webhook_secret` (ours): the key webhooks of this company are signed
/// with; `POST` replaces it.
pub async fn webhook_secret(
    state: AppState,
    Caller(a): Caller,
    method: axum::http::Method,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let rotate = method == axum::http::Method::POST;
    let secret = state
        .0
        .company_webhook_secret(&a, path_id(&id, "company")?, rotate)
        .await?;
    Ok(Json(serde_json::json!({ "webhook_secret": secret })))
}
