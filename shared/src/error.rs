//! The one error type of the domain and services. Each variant maps to exactly one Oz error code
//! and HTTP status (see `api::error`), so the mapping lives in one place.

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while serving a request, by what the client did (or did not) do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed body, missing or unknown field (Oz code 3).
    #[error("{0}")]
    InvalidStructure(String),
    /// A well-formed value that is not acceptable (Oz code 4).
    #[error("{0}")]
    InvalidValue(String),
    /// A value of the wrong JSON type or an unrecognised media type (Oz code 5).
    #[error("{0}")]
    InvalidType(String),
    /// Body, file or count over a configured bound (Oz code 14, HTTP 413).
    #[error("{0}")]
    TooLarge(String),
    /// No credentials were sent (Oz code 6).
    #[error("authentication token not provided")]
    AuthNotProvided,
    /// Credentials were sent but are wrong, forged or revoked (Oz code 7).
    #[error("{0}")]
    AuthInvalid(String),
    /// The token or session is past its expiry (Oz code 8).
    #[error("authentication token expired")]
    AuthExpired,
    /// Login with a wrong email or password (Oz code 15).
    #[error("wrong email or password")]
    WrongCredentials,
    /// The user is deactivated (Oz code 211).
    #[error("user is deactivated")]
    UserBlocked,
    /// Too many wrong logins for the account or from the client address (Oz code 101, HTTP
    /// 429); the client may try again after this many seconds (`Retry-After`).
    #[error("too many failed logins; try again in {0} s")]
    Throttled(u64),
    /// The request body stopped arriving before it was complete (Oz code 3, HTTP 408; **ours**).
    #[error("{0}")]
    BodyTimeout(String),
    /// The caller is known but its role may not do this (Oz code 9).
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist or belongs to another tenant (Oz code 10).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value (an email, an alias) is taken (Oz code 13).
    #[error("{0}")]
    AlreadyExists(String),
    /// A documented feature that is not built (Oz code 2).
    #[error("{0}")]
    NotRealized(String),
    /// A dependency (storage, queue, model) failed (Oz code 11).
    #[error("external service failed: {0}")]
    External(String),
    /// A dependency this process needs is not ready yet, e.g. the face engine still loading
    /// (Oz code 11, HTTP 503; **ours**).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The metadata store failed or could not be reached (Oz code 12, HTTP 503 so clients and
    /// proxies retry; **ours**: Oz answers 500); the cause chain is logged, not returned.
    #[error("the data store is unavailable; retry later")]
    Storage(anyhow::Error),
    /// The disk under the embedded data folder is full (Oz code 12, HTTP 507; **ours**): the
    /// write was refused whole, nothing of the request was kept.
    #[error("the server's storage is full; nothing was kept, retry once space is freed")]
    StorageFull(anyhow::Error),
    /// A bug or an unforeseen failure (Oz code 0); the cause chain is logged, not returned.
    #[error("internal error")]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    /// Shorthand for [`Error::InvalidValue`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidValue(msg.into())
    }

    /// A storage backend's failure: [`Error::StorageFull`] when a disk is full, else
    /// [`Error::Storage`].
    pub fn storage(e: anyhow::Error) -> Self {
        if crate::local::disk_full(&e) {
            Self::StorageFull(e)
        } else {
            Self::Storage(e)
        }
    }

    /// Shorthand for [`Error::Forbidden`].
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }
}

impl From<crate::ports::StoreError> for Error {
    fn from(e: crate::ports::StoreError) -> Self {
        match e {
            crate::ports::StoreError::Conflict => {
                Self::InvalidValue("the object was changed concurrently; retry".into())
            }
            crate::ports::StoreError::Backend(e) => Self::storage(e),
        }
    }
}
