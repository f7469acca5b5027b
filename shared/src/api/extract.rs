//! Request extractors that answer in the Oz error format: the authenticated caller, bounded JSON
//! bodies, query strings and path ids.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use tower_http::timeout::{TimeoutBody, TimeoutError};

use crate::app::Page;
use crate::domain::Actor;
use crate::{App, Error, Result};

/// Header names that carry the access token, in the order they are tried.
const TOKEN_HEADERS: [&str; 2] = ["x-forensic-access-token", "x-forensics-access-token"];

/// The access token of a request, from any of the accepted headers.
pub fn access_token(headers: &HeaderMap) -> Result<&str> {
    for name in TOKEN_HEADERS {
        if let Some(v) = headers.get(name) {
            return v
                .to_str()
                .map(str::trim)
                .map_err(|_| Error::AuthInvalid("malformed access token header".into()));
        }
    }
    match headers.get(http::header::AUTHORIZATION) {
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| Error::AuthInvalid("malformed Authorization header".into()))?;
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .map(str::trim)
                .ok_or_else(|| Error::AuthInvalid("Authorization must be `Bearer <token>`".into()))
        }
        None => Err(Error::AuthNotProvided),
    }
}

/// The authenticated caller.
pub struct Caller(pub Actor);

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self> {
        let token = access_token(&parts.headers)?;
        if token.is_empty() {
            return Err(Error::AuthNotProvided);
        }
        let actor = app.authenticate(token).await?;
        actor.check_scope(parts.method.as_str(), parts.uri.path())?;
        Ok(Caller(actor))
    }
}

/// The socket peer of a request to the local server, put there by [`from_connection`].
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub IpAddr);

/// Turns a request as the local server's connection reads it into a routed request: the body
/// becomes an error (answered 408 by the body readers) when it pauses longer than `idle`, and
/// the peer address is attached for [`ClientAddr`].
pub fn from_connection<B>(req: http::Request<B>, peer: IpAddr, idle: Duration) -> Request
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let mut req = req.map(|b| axum::body::Body::new(TimeoutBody::new(idle, b)));
    req.extensions_mut().insert(PeerAddr(peer));
    req
}

/// [`Error::BodyTimeout`] if reading a body failed because it stopped arriving (see
/// [`from_connection`]); the one place both body readers learn it.
pub fn body_timeout(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
    std::iter::successors(Some(e), |e| e.source())
        .any(|e| e.is::<TimeoutError>())
        .then(|| {
            Error::BodyTimeout("the request body stopped arriving before it was complete".into())
        })
}

/// The address of the client: the last `X-Forwarded-For` entry when the configuration trusts
/// it (API Gateway appends the caller's address there), else the socket peer; `None` when
/// neither is known (a Lambda behind a gateway that was not trusted).
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<Arc<App>> for ClientAddr {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self> {
        let forwarded = app
            .config
            .login
            .trust_forwarded_for
            .then(|| parts.headers.get_all("x-forwarded-for").iter().next_back())
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        let peer = parts.extensions.get::<PeerAddr>().map(|p| p.0);
        Ok(Self(forwarded.or(peer)))
    }
}

/// Maps a serde_json error to the Oz code that fits what was wrong.
pub fn json_error(e: serde_json::Error) -> Error {
    use serde_json::error::Category;
    let msg = e.to_string();
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            Error::InvalidStructure(format!("malformed JSON: {msg}"))
        }
        // serde reads a struct from an array too; a list where an object belongs is a type error.
        Category::Data if msg.starts_with("invalid type") || msg.contains("expected struct") => {
            Error::InvalidType(msg)
        }
        Category::Data if msg.starts_with("missing field") || msg.starts_with("unknown field") => {
            Error::InvalidStructure(msg)
        }
        Category::Data => Error::InvalidValue(msg),
    }
}

/// Reads a whole body, refusing it as soon as it passes `limit` bytes.
pub async fn read_bounded(body: axum::body::Body, limit: usize) -> Result<bytes::Bytes> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(Error::TooLarge(format!(
            "body is larger than {limit} bytes"
        ))),
        Err(e) => Err(body_timeout(e.as_ref())
            .unwrap_or_else(|| Error::InvalidStructure(format!("could not read body: {e}")))),
    }
}

/// A JSON body of at most `OZ_MAX_JSON_BYTES`, parsed into `T` with Oz error codes.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<App>> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self> {
        let bytes = read_bounded(req.into_body(), app.config.limits.max_json_bytes).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::InvalidStructure("a JSON body is required".into()));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(json_error)
    }
}

/// The query string as ordered key/value pairs (keys may repeat, e.g. `meta_data`).
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .map(QueryPairs)
            .map_err(|e| Error::invalid(format!("malformed query string: {e}")))
    }
}

impl QueryPairs {
    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `key` parsed as `T`, with an Oz error naming the key when it does not parse.
    pub fn parse<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>> {
        self.get(key)
            .map(|v| {
                v.parse().map_err(|_| {
                    Error::invalid(format!("query parameter {key}={v:?} is not valid"))
                })
            })
            .transpose()
    }

    /// A boolean flag (`true`/`false`/`1`/`0`), `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(v) => Err(Error::invalid(format!(
                "query parameter {key}={v:?} must be true or false"
            ))),
        }
    }

    /// `offset`, `limit` (1 to [`Page::MAX_LIMIT`], or -1 for that many) and `total_omit`.
    pub fn page(&self) -> Result<Page> {
        let limit = match self.parse::<i64>("limit")? {
            None => Page::default().limit,
            Some(-1) => Page::MAX_LIMIT,
            Some(n) if n >= 1 && n as usize <= Page::MAX_LIMIT => n as usize,
            Some(n) => {
                return Err(Error::invalid(format!(
                    "limit={n}: use 1 to {}, or -1 for all (at most {} items)",
                    Page::MAX_LIMIT,
                    Page::MAX_LIMIT
                )));
            }
        };
        Ok(Page {
            // An int64 as the document states; usize would take more.
            offset: match self.parse::<i64>("offset")? {
                None => 0,
                Some(n) if n >= 0 => n as usize,
                Some(n) => {
                    return Err(Error::invalid(format!("offset={n}: use 0 or more")));
                }
            },
            limit,
            total_omit: self.flag("total_omit", false)?,
        })
    }

    /// Time filter `key` in Unix seconds; a value above 10^11 is milliseconds (public Oz clients
    /// send JavaScript's `Date.now()`).
    pub fn time(&self, key: &str) -> Result<Option<f64>> {
        match self.parse::<f64>(key)? {
            Some(t) if !t.is_finite() => Err(Error::invalid(format!(
                "query parameter {key}={t} is not a time"
            ))),
            t => Ok(t.map(|t| if t > 1e11 { t / 1000.0 } else { t })),
        }
    }
}

/// Parses a path id, answering "not found" for anything that is not an id of that kind.
pub fn path_id<T: std::str::FromStr>(raw: &str, what: &'static str) -> Result<T> {
    raw.parse().map_err(|_| Error::NotFound(what))
}
