//! `POST /api/instant/folders/`: the Instant API. The caller is authenticated without the
//! session write ordinary requests make, and the answer carries everything inline (best shots as
//! `data:` URLs), since nothing is stored to link to.

use std::sync::Arc;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine as _;
use serde_json::{Value, json};

use super::AppState;
use crate::api::extract::access_token;
use crate::api::multipart::MultipartUpload;
use crate::app::instant::InstantFolder;
use crate::domain::Actor;
use crate::{App, Error, Result};

/// The authenticated caller, checked read-only (the session's expiry is not slid).
pub struct ReadOnlyCaller(pub Actor);

impl FromRequestParts<Arc<App>> for ReadOnlyCaller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self> {
        let token = access_token(&parts.headers)?;
        if token.is_empty() {
            return Err(Error::AuthNotProvided);
        }
        app.authenticate_read_only(token).await.map(ReadOnlyCaller)
    }
}

/// The folder JSON of an instant request: media without URLs, analyses with their results and
/// best shots inline.
fn view(f: &InstantFolder) -> Value {
    let mut folder = serde_json::to_value(&f.folder).unwrap_or_default();
    let media: Vec<Value> = f
        .media
        .iter()
        .map(|m| {
            let mut v = serde_json::to_value(m).unwrap_or_default();
            if let Value::Object(o) = &mut v {
                o.extend([
                    ("original_url".into(), Value::Null),
                    ("video_url".into(), Value::Null),
                    ("preview_url".into(), Value::Null),
                ]);
            }
            v
        })
        .collect();
    let analyses: Vec<Value> = f
        .analyses
        .iter()
        .map(|(a, shots)| {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            if let Some(list) = v["results_media"].as_array_mut() {
                for r in list {
                    let images: Vec<Value> = shots
                        .iter()
                        .filter(|s| r["source_media_id"] == json!(s.media_id))
                        .map(|s| {
                            let b64 = base64::engine::general_purpose::STANDARD.encode(&s.jpeg);
                            json!({ "original_url": format!("data:image/jpeg;base64,{b64}") })
                        })
                        .collect();
                    if let Value::Object(o) = r {
                        o.remove("output_keys");
                        o.insert("output_images".into(), Value::Array(images));
                    }
                }
            }
            v
        })
        .collect();
    if let Value::Object(o) = &mut folder {
        o.insert("media".into(), Value::Array(media));
        o.insert("analyses".into(), Value::Array(analyses));
    }
    folder
}

/// `POST /api/instant/folders/` → 200 with the analysed folder; nothing is stored.
pub async fn create(
    state: AppState,
    ReadOnlyCaller(a): ReadOnlyCaller,
    MultipartUpload(up): MultipartUpload,
) -> Result<Json<Value>> {
    let done = state.0.instant_folder(&a, up).await?;
    Ok(Json(view(&done)))
}
