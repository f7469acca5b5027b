//! `/api/companies/`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::Value;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::api::openapi::errors::{BadRequest, Forbidden, NotFound, TooLarge, Unauthorized};
use crate::api::openapi::{params, schemas};
use crate::app::companies::{CompanyPatch, NewCompany};
use crate::app::views::{self, Listing};
use crate::domain::objects::Company;

/// Create a company
///
/// ADMIN only.
#[utoipa::path(
    post,
    path = "/api/companies",
    tag = "Companies",
    operation_id = "companies_create",
    request_body = schemas::NewCompany,
    responses(
        (status = 201, description = "The company", body = schemas::Company),
        BadRequest, Unauthorized, Forbidden, TooLarge,
    ),
)]
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

/// List companies
///
/// The companies the caller may see (ADMIN and OPERATOR all, others their own).
#[utoipa::path(
    get,
    path = "/api/companies",
    tag = "Companies",
    operation_id = "companies_list",
    params(params::PageQuery, params::CompanyQuery),
    responses(
        (status = 200, description = "A page of companies", body = schemas::CompanyList),
        BadRequest, Unauthorized, Forbidden,
    ),
)]
pub async fn list(state: AppState, Caller(a): Caller, q: QueryPairs) -> Result<Json<Listing>> {
    let page = q.page()?;
    let (items, total) = state
        .0
        .list_companies(&a, q.get("search_text"), page)
        .await?;
    Ok(Json(views::list_of(&items, page, total)))
}

/// Read a company
#[utoipa::path(
    get,
    path = "/api/companies/{id}",
    tag = "Companies",
    operation_id = "companies_get",
    params(("id" = uuid::Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The company", body = schemas::Company),
        Unauthorized, Forbidden, NotFound,
    ),
)]
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

/// Change a company
///
/// Its name, `meta_data` and (**ours**) decision thresholds; absent fields stay as they are.
#[utoipa::path(
    patch,
    path = "/api/companies/{id}",
    tag = "Companies",
    operation_id = "companies_update",
    params(("id" = uuid::Uuid, Path, description = "Company id")),
    request_body = schemas::CompanyPatch,
    responses(
        (status = 200, description = "The company", body = schemas::Company),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge,
    ),
)]
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

/// Delete a company
///
/// A company with users cannot be deleted (400).
#[utoipa::path(
    delete,
    path = "/api/companies/{id}",
    tag = "Companies",
    operation_id = "companies_delete",
    params(("id" = uuid::Uuid, Path, description = "Company id")),
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
    state.0.delete_company(&a, path_id(&id, "company")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Read a company's webhook secret
///
/// **ours**: the key webhooks of this company are signed with, created on first read (ADMIN or
/// the company's CLIENT ADMIN). The same handler answers `POST`, which replaces it.
#[utoipa::path(
    get,
    path = "/api/companies/{id}/webhook_secret",
    tag = "Companies",
    operation_id = "companies_webhook_secret",
    params(("id" = uuid::Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The secret", body = schemas::WebhookSecret),
        Unauthorized, Forbidden, NotFound,
    ),
)]
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
