//! The Oz error body (Lamb's `{"error_code", "error_message", "error_details"}`, in that order)
//! and the HTTP status of each [`Error`] variant. This is the only place that knows the mapping.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::json::Json;

use crate::Error;

impl Error {
    /// The Oz `error_code` and HTTP status.
    pub fn code_and_status(&self) -> (u16, StatusCode) {
        match self {
            Error::Unexpected(_) => (0, StatusCode::INTERNAL_SERVER_ERROR),
            Error::Storage(_) => (12, StatusCode::SERVICE_UNAVAILABLE),
            Error::StorageFull(_) => (12, StatusCode::INSUFFICIENT_STORAGE),
            Error::NotRealized(_) => (2, StatusCode::NOT_IMPLEMENTED),
            Error::InvalidStructure(_) => (3, StatusCode::BAD_REQUEST),
            Error::InvalidValue(_) => (4, StatusCode::BAD_REQUEST),
            // Oz answers 400; a proxy or client library reads 413 better (**ours**).
            Error::TooLarge(_) => (14, StatusCode::PAYLOAD_TOO_LARGE),
            Error::InvalidType(_) => (5, StatusCode::BAD_REQUEST),
            Error::AuthNotProvided => (6, StatusCode::UNAUTHORIZED),
            Error::AuthInvalid(_) => (7, StatusCode::UNAUTHORIZED),
            Error::AuthExpired => (8, StatusCode::UNAUTHORIZED),
            Error::WrongCredentials => (15, StatusCode::UNAUTHORIZED),
            Error::UserBlocked => (211, StatusCode::FORBIDDEN),
            Error::Throttled(_) => (101, StatusCode::TOO_MANY_REQUESTS),
            Error::BodyTimeout(_) => (3, StatusCode::REQUEST_TIMEOUT),
            Error::Forbidden(_) => (9, StatusCode::FORBIDDEN),
            Error::NotFound(_) => (10, StatusCode::NOT_FOUND),
            Error::AlreadyExists(_) => (13, StatusCode::BAD_REQUEST),
            Error::External(_) => (11, StatusCode::BAD_GATEWAY),
            Error::Unavailable(_) => (11, StatusCode::SERVICE_UNAVAILABLE),
        }
    }
}

/// The error body; a struct, so the keys keep Lamb's order.
#[derive(Serialize)]
struct ErrorBody {
    error_code: u16,
    error_message: String,
    error_details: Option<Value>,
}

/// A response with the Oz error body.
pub fn error_response(code: u16, status: StatusCode, message: String) -> Response {
    let body = ErrorBody {
        error_code: code,
        error_message: message,
        error_details: None,
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (code, status) = self.code_and_status();
        match &self {
            Error::Unexpected(e) => tracing::error!(error = format!("{e:#}"), "unexpected error"),
            Error::Storage(e) => tracing::error!(error = format!("{e:#}"), "data store failed"),
            Error::StorageFull(e) => tracing::error!(error = format!("{e:#}"), "storage full"),
            Error::External(e) => tracing::error!(error = %e, "external service failed"),
            Error::Unavailable(e) => tracing::warn!(error = %e, "service unavailable"),
            _ => tracing::debug!(code, error = %self, "request refused"),
        }
        let mut response = error_response(code, status, self.to_string());
        if let Error::Throttled(secs) = self {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// 405 for a known path with the wrong method.
pub async fn method_not_allowed() -> Response {
    error_response(
        1,
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this path".into(),
    )
}

/// 404 for an unknown path.
pub async fn unknown_path() -> Response {
    Error::NotFound("path").into_response()
}
