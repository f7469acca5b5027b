//! Which routes each Lambda function serves, and the layers every deployment shares: path
//! normalisation, body bounds, panic capture, Oz-shaped 404/405, and a log line per request.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use tower::Service;
use tower_http::catch_panic::CatchPanicLayer;

use super::error::{error_response, method_not_allowed, unknown_path};
use super::routes::{
    analyses, auth, collections, companies, files, folders, instant, media, metadata, users,
};
use super::{openapi, web};
use crate::{App, Error};

/// A Lambda function of the API; the local server mounts all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// Login, refresh, logout, versions, the OpenAPI document with its viewer, and the console
    /// and capture pages.
    Auth,
    /// Companies and users.
    Admin,
    /// Folders, media, files.
    Folders,
    /// Blacklist collections, persons and person images (enrolment runs the face engine).
    Collections,
    /// The Instant API: analyses in one request, nothing stored.
    Instant,
    /// API Lite: stateless face checks, keyed by `OZ_LITE_API_KEY`.
    Lite,
}

impl Function {
    /// Every function.
    pub const ALL: [Function; 6] = [
        Self::Auth,
        Self::Admin,
        Self::Folders,
        Self::Collections,
        Self::Instant,
        Self::Lite,
    ];

    fn routes(self, app: &Arc<App>) -> Router<Arc<App>> {
        match self {
            Self::Auth => Router::new()
                .route(
                    "/api/authorize/auth",
                    post(auth::login).delete(auth::logout),
                )
                .route("/api/authorize/refresh", post(auth::refresh))
                .route("/api/authorize/capture", post(auth::capture))
                .route("/api/version", get(auth::version))
                .route("/openapi.json", get(openapi::document))
                .route("/docs", get(openapi::page))
                .route("/", get(web::console))
                .route("/capture", get(web::capture))
                .route("/web/{file}", get(web::file)),
            Self::Admin => Router::new()
                .route(
                    "/api/companies",
                    get(companies::list).post(companies::create),
                )
                .route(
                    "/api/companies/{id}",
                    get(companies::get)
                        .patch(companies::update)
                        .delete(companies::delete),
                )
                .route(
                    "/api/companies/{id}/webhook_secret",
                    get(companies::webhook_secret).post(companies::webhook_secret),
                )
                .route("/api/users", get(users::list).post(users::create))
                .route(
                    "/api/users/{id}",
                    get(users::get).patch(users::update).delete(users::delete),
                )
                .route("/api/users/{id}/meta_data", meta_data()),
            Self::Folders => Router::new()
                .route("/api/folders", get(folders::list).post(folders::create))
                .route(
                    "/api/folders/{id}",
                    get(folders::get).delete(folders::delete),
                )
                .route("/api/folders/{id}/media", post(folders::add_media))
                .route(
                    "/api/folders/{id}/analyses",
                    post(analyses::start).get(analyses::list),
                )
                .route(
                    "/api/analyses/{id}",
                    get(analyses::get).patch(analyses::decide),
                )
                .route("/api/analyses/{id}/meta_data", meta_data())
                .route(
                    "/api/folders/{id}/media/uploads",
                    post(folders::create_uploads).get(folders::list_uploads),
                )
                .route("/api/folders/{id}/meta_data", meta_data())
                .route("/api/media/{id}", get(media::get).patch(media::update))
                .route("/api/media/{id}/file", get(media::file))
                .route("/api/media/{id}/meta_data", meta_data())
                .route("/files/{*key}", get(files::get).put(files::put)),
            Self::Collections => Router::new()
                .route(
                    "/api/collections",
                    get(collections::list).post(collections::create),
                )
                .route(
                    "/api/collections/{id}",
                    get(collections::get).delete(collections::delete),
                )
                .route("/api/collections/{id}/meta_data", meta_data())
                .route(
                    "/api/collections/{cid}/persons",
                    get(collections::list_persons).post(collections::create_person),
                )
                .route(
                    "/api/collections/{cid}/persons/{pid}",
                    get(collections::get_person).delete(collections::delete_person),
                )
                .route(
                    "/api/collections/{cid}/persons/{pid}/images",
                    get(collections::list_images).post(collections::add_images),
                )
                .route(
                    "/api/collections/{cid}/persons/{pid}/images/{iid}",
                    axum::routing::delete(collections::delete_image),
                ),
            Self::Instant => Router::new()
                .route("/api/instant/folders", post(instant::create))
                .route("/api/instant/face", post(instant::face)),
            Self::Lite => super::lite::routes(Arc::new(super::lite::Lite::new(
                &app.config,
                app.analyzer.clone(),
            ))),
        }
    }
}

/// Refuses a body whose declared length is over `limit` before reading any of it.
async fn declared_length(limit: usize, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return axum::response::IntoResponse::into_response(Error::TooLarge(format!(
            "request body is larger than {limit} bytes"
        )));
    }
    next.run(req).await
}

/// One structured log line per request: method, path (never the query, which may hold a signature),
/// status and latency.
async fn log_request(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let started = Instant::now();
    let res = next.run(req).await;
    tracing::info!(%method, %path, status = res.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    res
}

/// A service whose requests reach their route whatever form of the path an Oz client sends: with
/// or without the trailing slash, and with the doubled leading slash (`//api/...`) of a client
/// whose host is configured with a trailing slash.
#[derive(Debug, Clone)]
pub struct OzPaths<S>(S);

impl<S, B> Service<http::Request<B>> for OzPaths<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        if let Some(uri) = normalised(req.uri()) {
            *req.uri_mut() = uri;
        }
        self.0.call(req)
    }
}

/// `uri` with one leading slash and no trailing one, when that differs from it.
fn normalised(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let clean = format!("/{}", path.trim_start_matches('/').trim_end_matches('/'));
    if clean == path {
        return None;
    }
    let pq = match uri.query() {
        Some(q) => format!("{clean}?{q}"),
        None => clean,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(pq.parse().ok()?);
    Uri::from_parts(parts).ok()
}

/// The HTTP service for `functions`, with the shared layers.
pub fn router(app: Arc<App>, functions: &[Function]) -> OzPaths<Router> {
    let mut r = Router::new();
    for f in functions {
        r = r.merge(f.routes(&app));
    }
    let max_body = app.config.limits.max_body_bytes;
    with_layers(r.with_state(app), max_body)
}

/// The `meta_data` routes: one handler reads (GET), replaces (POST), merges (PATCH) and clears
/// (DELETE); any other method is 405 like everywhere else.
fn meta_data() -> MethodRouter<Arc<App>> {
    get(metadata::handle)
        .post(metadata::handle)
        .patch(metadata::handle)
        .delete(metadata::handle)
}

/// The layers every function shares, around routes whose state is set: Oz-shaped 404/405, body
/// bounds, panic capture, request log, path normalisation.
pub fn with_layers(r: Router, max_body: usize) -> OzPaths<Router> {
    let r = r
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            declared_length(max_body, req, next)
        }))
        .layer(CatchPanicLayer::custom(|_| {
            error_response(
                0,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error".into(),
            )
        }))
        .layer(middleware::from_fn(log_request));
    OzPaths(r)
}

#[cfg(test)]
mod tests {
    use super::normalised;

    #[test]
    fn every_oz_form_of_a_path_is_one_path() {
        let n = |s: &str| normalised(&s.parse().unwrap()).map(|u| u.to_string());
        assert_eq!(n("/api/folders/"), Some("/api/folders".into()));
        assert_eq!(
            n("//api/folders/?limit=5"),
            Some("/api/folders?limit=5".into())
        );
        assert_eq!(
            n("http://h//api/authorize/auth"),
            Some("http://h/api/authorize/auth".into())
        );
        assert_eq!(n("/api/folders"), None);
        assert_eq!(n("/"), None);
        assert_eq!(n("/files/a//b"), None, "only the ends change");
    }
}
