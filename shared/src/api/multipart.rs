//! The Oz upload format: `multipart/form-data` with files under any form keys and one JSON part
//! named `payload`. Every part is read with its own bound, so an oversized file is refused as soon
//! as it passes the limit, before it is buffered whole. A part with no bytes is no file (a mobile
//! client appends a skipped capture's key with no value). A body that is not multipart is the
//! payload alone, as JSON, or nothing: a folder with no file.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Request};
use bytes::BytesMut;

use super::extract::{body_timeout, json_error, read_bounded};
use crate::app::media::{Upload, UploadFile};
use crate::config::InputLimits;
use crate::{App, Error, Result};

/// A parsed multipart upload: folder media ([`Upload`]) unless another shape is named.
pub struct MultipartUpload<T = Upload>(pub T);

/// What an upload's file parts and `payload` part turn into.
pub trait FromParts: Sized {
    /// Builds the value, checking the payload's fields.
    fn from_parts(files: Vec<UploadFile>, payload: Option<serde_json::Value>) -> Result<Self>;
}

impl FromParts for Upload {
    fn from_parts(files: Vec<UploadFile>, payload: Option<serde_json::Value>) -> Result<Self> {
        Upload::new(files, payload)
    }
}

impl FromParts for crate::app::collections::PersonUpload {
    fn from_parts(files: Vec<UploadFile>, payload: Option<serde_json::Value>) -> Result<Self> {
        Self::new(files, payload)
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Error {
    if let Some(stalled) = body_timeout(&e) {
        stalled
    } else if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge(format!("request body too large: {}", e.body_text()))
    } else {
        Error::InvalidStructure(format!("malformed multipart body: {}", e.body_text()))
    }
}

impl<T: FromParts> FromRequest<Arc<App>> for MultipartUpload<T> {
    type Rejection = Error;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self> {
        let (files, payload) = read_parts(req, &app.config.limits).await?;
        T::from_parts(files, payload).map(MultipartUpload)
    }
}

/// Reads an upload body into its files and `payload`, each part within its bound.
pub async fn read_parts(
    req: Request,
    limits: &InputLimits,
) -> Result<(Vec<UploadFile>, Option<serde_json::Value>)> {
    let multipart = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        });
    if !multipart {
        let bytes = read_bounded(req.into_body(), limits.max_json_bytes).await?;
        let payload = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(serde_json::from_slice(&bytes).map_err(json_error)?)
        };
        return Ok((Vec::new(), payload));
    }
    let mut mp = Multipart::from_request(req, &()).await.map_err(|e| {
        Error::InvalidStructure(format!(
            "expected a multipart/form-data body with a `payload` part: {}",
            e.body_text()
        ))
    })?;
    let mut files = Vec::new();
    let mut payload = None;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let key = field.name().unwrap_or_default().to_string();
        let is_payload = key == "payload";
        let limit = if is_payload {
            limits.max_json_bytes
        } else {
            limits.max_file_bytes
        };
        if key.is_empty() || key.len() > 128 {
            return Err(Error::InvalidStructure(
                "every multipart part needs a form name of 1 to 128 bytes".into(),
            ));
        }
        let file_name = field.file_name().unwrap_or_default().to_string();
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if buf.len() + chunk.len() > limit {
                let what = if is_payload {
                    "payload part".to_string()
                } else {
                    format!("file {file_name:?}")
                };
                return Err(Error::TooLarge(format!(
                    "{what} is larger than {limit} bytes"
                )));
            }
            buf.extend_from_slice(&chunk);
        }
        if is_payload {
            if payload.is_some() {
                return Err(Error::InvalidStructure(
                    "more than one `payload` part".into(),
                ));
            }
            payload = Some(serde_json::from_slice(&buf).map_err(json_error)?);
        } else if !buf.is_empty() {
            if files.len() == limits.max_files {
                return Err(Error::TooLarge(format!(
                    "at most {} files per request",
                    limits.max_files
                )));
            }
            if files.iter().any(|f: &UploadFile| f.form_key == key) {
                return Err(Error::InvalidStructure(format!(
                    "two files under the form key {key:?}"
                )));
            }
            files.push(UploadFile {
                form_key: key,
                file_name,
                bytes: buf.freeze(),
            });
        }
    }
    Ok((files, payload))
}
