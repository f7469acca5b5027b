//! `/api/folders/{id}/analyses/` and `/api/analyses/{id}`.

use crate::api::json::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::Value;

use super::AppState;
use crate::Result;
use crate::api::extract::{Caller, JsonBody, QueryPairs, path_id};
use crate::app::analyses::{OperatorDecision, StartAnalyses};
use crate::app::views;
use crate::domain::analysis::Analysis;

/// `POST /api/folders/{id}/analyses/` → 201 with the analyses, PROCESSING.
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

/// `GET /api/analyses/{id}`.
pub async fn get(
    state: AppState,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let an = state.0.get_analysis(&a, path_id(&id, "analysis")?).await?;
    Ok(Json(views::analysis(&state.0, &an).await?))
}

/// `PATCH /api/analyses/{id}`: an operator decides an OPERATOR_REQUIRED analysis.
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

/// `GET /api/folders/{id}/analyses/` with `analyse_id`, `type`, `state` filters (and `.exclude`).
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
