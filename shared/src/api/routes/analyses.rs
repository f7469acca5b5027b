//! `/api/folders/{id}/analyses/` and `/api/analyses/{id}`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::Value;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::api::openapi::errors::{
    BadRequest, Forbidden, NotFound, NotRealized, TooLarge, Unauthorized,
};
use crate::api::openapi::{params, schemas};
use crate::app::analyses::{OperatorDecision, StartAnalyses};
use crate::app::views;
use crate::domain::analysis::Analysis;

/// Start analyses
///
/// One job each on the analysis queue; the analyses answer PROCESSING: poll
/// `GET /api/analyses/{id}`, or name a `resolution_endpoint` to be called when all have ended.
#[utoipa::path(
    post,
    path = "/api/folders/{id}/analyses",
    tag = "Analyses",
    operation_id = "analyses_start",
    params(("id" = uuid::Uuid, Path, description = "Folder id")),
    request_body = schemas::StartAnalyses,
    responses(
        (status = 201, description = "The analyses, PROCESSING", body = Vec<schemas::Analysis>),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, NotRealized,
    ),
)]
pub async fn start(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<StartAnalyses>,
) -> Result<(StatusCode, Json<Value>)> {
    let started = state
        .0
        .start_analyses(&a, path_id(&id, "folder")?, req)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Value::Array(views::analyses(&state.0, &started).await?)),
    ))
}

/// Read an analysis
#[utoipa::path(
    get,
    path = "/api/analyses/{id}",
    tag = "Analyses",
    operation_id = "analyses_get",
    params(("id" = uuid::Uuid, Path, description = "Analysis id")),
    responses(
        (status = 200, description = "The analysis", body = schemas::Analysis),
        Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn get(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let an = state.0.get_analysis(&a, path_id(&id, "analysis")?).await?;
    Ok(Json(views::analysis(&state.0, &an).await?))
}

/// Decide an analysis
///
/// An OPERATOR or CLIENT OPERATOR decides an OPERATOR_REQUIRED analysis, once; recorded as
/// `technical_meta_data.operator_decision`, and the folder rolls up again.
#[utoipa::path(
    patch,
    path = "/api/analyses/{id}",
    tag = "Analyses",
    operation_id = "analyses_decide",
    params(("id" = uuid::Uuid, Path, description = "Analysis id")),
    request_body = schemas::OperatorDecision,
    responses(
        (status = 200, description = "The decided analysis", body = schemas::Analysis),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge,
    ),
)]
pub async fn decide(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    JsonBody(d): JsonBody<OperatorDecision>,
) -> Result<Json<Value>> {
    let an = state
        .0
        .decide_analysis(&a, path_id(&id, "analysis")?, d)
        .await?;
    Ok(Json(views::analysis(&state.0, &an).await?))
}

/// Comma lists of `key` and `key.exclude`: does `value` pass them?
fn passes(q: &QueryPairs, key: &str, value: &str) -> bool {
    let list = |k: &str| {
        q.get(k).map(|v| {
            v.split(',')
                .map(|x| x.trim().to_ascii_uppercase())
                .collect::<Vec<_>>()
        })
    };
    let value = value.to_ascii_uppercase();
    list(key).is_none_or(|l| l.contains(&value))
        && list(&format!("{key}.exclude")).is_none_or(|l| !l.contains(&value))
}

fn upper(v: impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// List a folder's analyses
///
/// With `analyse_id`, `type` and `state` filters (and their `.exclude`).
#[utoipa::path(
    get,
    path = "/api/folders/{id}/analyses",
    tag = "Analyses",
    operation_id = "analyses_list",
    params(("id" = uuid::Uuid, Path, description = "Folder id"), params::AnalysesQuery),
    responses(
        (status = 200, description = "The analyses", body = Vec<schemas::Analysis>),
        BadRequest, Unauthorized, Forbidden, NotFound,
    ),
)]
pub async fn list(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
    q: QueryPairs,
) -> Result<Json<Value>> {
    let all = state.0.folder_analyses(&a, path_id(&id, "folder")?).await?;
    let kept: Vec<Analysis> = all
        .into_iter()
        .filter(|x| {
            passes(&q, "analyse_id", &x.analysis_id.to_string())
                && passes(&q, "type", &upper(x.kind))
                && passes(&q, "state", &upper(x.state))
        })
        .collect();
    Ok(Json(Value::Array(views::analyses(&state.0, &kept).await?)))
}
