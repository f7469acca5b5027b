//! API Lite request and response bodies: a raw image, or two multipart parts, either as bytes or
//! (with `Content-Transfer-Encoding: base64`) as base64 text; templates answered the same way.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;

use crate::api::extract::read_bounded;
use crate::{Error, Result};

/// True when the request asks for base64 bodies (`Content-Transfer-Encoding: base64`).
pub fn base64_mode(headers: &HeaderMap) -> bool {
    headers
        .get("content-transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("base64"))
}

/// Decodes base64 text, ignoring whitespace and an optional `data:...;base64,` prefix.
fn from_base64(raw: &[u8], what: &str) -> Result<Bytes> {
    let text = match raw.iter().position(|&b| b == b',') {
        Some(i) if raw.starts_with(b"data:") => &raw[i + 1..],
        _ => raw,
    };
    let clean: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&clean)
        .map(Bytes::from)
        .map_err(|e| Error::InvalidStructure(format!("{what} is not valid base64: {e}")))
}

fn decoded(raw: Bytes, base64: bool, what: &str) -> Result<Bytes> {
    let bytes = if base64 {
        from_base64(&raw, what)?
    } else {
        raw
    };
    if bytes.is_empty() {
        return Err(Error::InvalidStructure(format!("{what} is empty")));
    }
    Ok(bytes)
}

/// The whole body as one binary (an image or a template).
pub async fn single(req: Request, limit: usize) -> Result<Bytes> {
    let base64 = base64_mode(req.headers());
    let raw = read_bounded(req.into_body(), limit).await?;
    decoded(raw, base64, "the request body")
}

/// Exactly two parts of a `multipart/form-data` body, in the order sent, within `limit` bytes
/// together. Part names are free (they are documented, not required).
pub async fn two_parts(req: Request, limit: usize) -> Result<[Bytes; 2]> {
    let base64 = base64_mode(req.headers());
    let mut mp = Multipart::from_request(req, &()).await.map_err(|e| {
        Error::InvalidStructure(format!(
            "expected a multipart/form-data body with two parts: {}",
            e.body_text()
        ))
    })?;
    let mut parts: Vec<Bytes> = Vec::with_capacity(2);
    let mut total = 0usize;
    while let Some(mut field) = mp.next_field().await.map_err(|e| {
        Error::InvalidStructure(format!("malformed multipart body: {}", e.body_text()))
    })? {
        if parts.len() == 2 {
            return Err(Error::InvalidStructure(
                "expected exactly two parts, got more".into(),
            ));
        }
        let name = field.name().unwrap_or("part").to_string();
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| {
            Error::InvalidStructure(format!("malformed multipart body: {}", e.body_text()))
        })? {
            total += chunk.len();
            if total > limit {
                return Err(Error::TooLarge(format!(
                    "body is larger than {limit} bytes"
                )));
            }
            buf.extend_from_slice(&chunk);
        }
        parts.push(decoded(
            Bytes::from(buf),
            base64,
            &format!("part {name:?}"),
        )?);
    }
    match <[Bytes; 2]>::try_from(parts) {
        Ok(two) => Ok(two),
        Err(p) => Err(Error::InvalidStructure(format!(
            "expected exactly two parts, got {}",
            p.len()
        ))),
    }
}

/// A template answer: raw bytes, or base64 text when the request asked for base64.
pub fn binary(bytes: Vec<u8>, base64: bool) -> Response {
    if base64 {
        let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/plain")),
                (
                    header::HeaderName::from_static("content-transfer-encoding"),
                    HeaderValue::from_static("base64"),
                ),
            ],
            Body::from(text),
        )
            .into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )],
            Body::from(bytes),
        )
            .into_response()
    }
}
