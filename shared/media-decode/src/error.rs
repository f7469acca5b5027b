//! The one error type of the crate: what is wrong with the media, in words a client can act on.

use thiserror::Error;

/// Why media was refused. Every message names the problem and, for limits, which limit was hit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The bytes are none of the accepted formats (JPEG, PNG, WebP, MP4/MOV, ZIP shot set).
    #[error(
        "unrecognised media: expected a JPEG, PNG or WebP image, an H.264 MP4/MOV video or a ZIP of images"
    )]
    Unrecognised,
    /// A recognised container holding a codec (or content) this crate does not decode.
    #[error("unsupported media: {0}")]
    UnsupportedCodec(String),
    /// Malformed, truncated or internally inconsistent data; also refused ZIP entry names.
    #[error("corrupt media: {0}")]
    Corrupt(String),
    /// The media is well formed but bigger than a [`crate::Limits`] bound allows.
    #[error("media too large: {0}")]
    LimitExceeded(String),
}

impl DecodeError {
    /// A short stable code for logs and API error bodies:
    /// `unrecognised`, `unsupported_codec`, `corrupt` or `limit_exceeded`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unrecognised => "unrecognised",
            Self::UnsupportedCodec(_) => "unsupported_codec",
            Self::Corrupt(_) => "corrupt",
            Self::LimitExceeded(_) => "limit_exceeded",
        }
    }
}

/// Shorthand for `DecodeError::Corrupt(msg.into())`.
pub(crate) fn corrupt(msg: impl Into<String>) -> DecodeError {
    DecodeError::Corrupt(msg.into())
}

/// Shorthand for `DecodeError::LimitExceeded(msg.into())`.
pub(crate) fn too_large(msg: impl Into<String>) -> DecodeError {
    DecodeError::LimitExceeded(msg.into())
}
