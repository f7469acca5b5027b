//! `GET /files/{key}?exp=..&sig=..` and `PUT /files/{key}?exp=..&ct=..&len=..&sig=..`: the
//! embedded stand-ins for S3 presigned GET and PUT. The signature is the credential, so these
//! routes take no token.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::api::extract::{QueryPairs, read_bounded};
use crate::api::openapi::errors::{BadRequest, NotFound, TooLarge, Unauthorized};
use crate::api::openapi::{params, schemas};
use crate::local::fs_blobs::put_subject;
use crate::{Error, Result};

/// Checks the URL's `exp` and `sig` against `subject`.
fn verify(state: &AppState, subject: &str, q: &QueryPairs) -> Result<()> {
    let exp: u64 = q.parse("exp")?.ok_or(Error::AuthNotProvided)?;
    let sig = q.get("sig").ok_or(Error::AuthNotProvided)?;
    if state.0.file_signer.verify(subject, exp, sig) {
        return Ok(());
    }
    Err(if exp < crate::domain::clock::now_secs() as u64 {
        Error::AuthExpired
    } else {
        Error::AuthInvalid("file URL signature is not valid".into())
    })
}

/// Read a stored file
///
/// The local stand-in for an S3 presigned GET; the signature is the credential.
#[utoipa::path(
    get,
    path = "/files/{key}",
    tag = "Files",
    operation_id = "files_get",
    security(),
    params(
        ("key" = String, Path, description = "The object key (it may hold slashes)"),
        params::FileGetQuery,
    ),
    responses(
        (status = 200, description = "The file, with its sniffed content type",
            content_type = "application/octet-stream", body = schemas::Binary),
        BadRequest, Unauthorized, NotFound,
    ),
)]
pub async fn get(state: AppState, Path(key): Path<String>, q: QueryPairs) -> Result<Response> {
    verify(&state, &key, &q)?;
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

/// Upload a file
///
/// The local stand-in for an S3 presigned PUT: stores the bytes (content type and exact length
/// are signed), then completes the direct upload as an S3 event would.
#[utoipa::path(
    put,
    path = "/files/{key}",
    tag = "Files",
    operation_id = "files_put",
    security(),
    params(
        ("key" = String, Path, description = "The object key (it may hold slashes)"),
        params::FilePutQuery,
    ),
    request_body(
        description = "The bytes, with the signed Content-Type and exact length",
        content((schemas::Binary = "*/*")),
    ),
    responses(
        (status = 200, description = "Stored"),
        BadRequest, Unauthorized, TooLarge,
    ),
)]
pub async fn put(
    state: AppState,
    Path(key): Path<String>,
    q: QueryPairs,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    let ct = q.get("ct").ok_or(Error::AuthNotProvided)?;
    let len: u64 = q.parse("len")?.ok_or(Error::AuthNotProvided)?;
    verify(&state, &put_subject(&key, ct, len), &q)?;
    let sent_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if sent_type != Some(ct) {
        return Err(Error::AuthInvalid(format!(
            "this URL accepts Content-Type {ct}, not {sent_type:?}"
        )));
    }
    let bytes = read_bounded(body, len as usize).await?;
    if bytes.len() as u64 != len {
        return Err(Error::invalid(format!(
            "this URL accepts exactly {len} bytes, {} arrived",
            bytes.len()
        )));
    }
    state.0.blobs.put(&key, bytes, ct).await?;
    if let Err(e) = state.0.complete_uploaded_object(&key).await {
        // The bytes are stored; the next read of the folder retries the completion.
        tracing::warn!(%key, error = %e, "completing direct upload failed");
    }
    Ok(StatusCode::OK)
}
