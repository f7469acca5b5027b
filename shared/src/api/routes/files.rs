//! `GET /files/{key}?exp=..&sig=..`: the embedded stand-in for an S3 presigned GET. The signature
//! is the credential, so this route takes no token.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::api::extract::QueryPairs;
use crate::{Error, Result};

pub async fn get(state: AppState, Path(key): Path<String>, q: QueryPairs) -> Result<Response> {
    let exp: u64 = q.parse("exp")?.ok_or(Error::AuthNotProvided)?;
    let sig = q.get("sig").ok_or(Error::AuthNotProvided)?;
    if !state.0.file_signer.verify(&key, exp, sig) {
        return Err(if exp < crate::domain::clock::now_secs() as u64 {
            Error::AuthExpired
        } else {
            Error::AuthInvalid("file URL signature is not valid".into())
        });
    }
    let bytes = state.0.blobs.get(&key).await?;
    let mime = media_decode::sniff(&bytes).map_or("application/octet-stream", |f| f.mime());
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}
