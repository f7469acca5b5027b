//! The OpenAPI 3.1 document of every route the router mounts, generated from the code with
//! `utoipa`: `#[utoipa::path]` on each handler (its method, path, parameters, bodies and
//! answers), [`schemas`] for the documents the handlers build as JSON values, [`errors`] for the
//! Oz error answers, and the few operations whose handler serves several paths or methods
//! (`meta_data` on five kinds of object, the webhook secret's GET and POST, the two Lite health
//! paths) added here. Served at `GET /openapi.json`, with a small self-contained viewer at
//! `GET /docs`; checked in as `docs/openapi.json`.
//!
//! The tests hold the document to the code three ways: the checked-in file is what the code
//! generates (`OZ_WRITE_OPENAPI=1 cargo test --workspace --lib openapi` rewrites it); every
//! `.route(..)` in `src/api` has an operation and every operation a route; and real documents,
//! serialised by the code that answers them, have exactly the fields their schemas list.

pub mod errors;
pub mod params;
pub mod schemas;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder, ResponsesBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};

use self::errors::{BadRequest, Forbidden, NotFound, TooLarge, Unauthorized};
use super::lite::handlers as lite;
use super::routes::{
    analyses, auth, collections, companies, files, folders, instant, media, users,
};

/// The document's description: what holds for every operation.
const DESCRIPTION: &str = "\
An Oz-API-compatible facial biometrics server: the Oz API (folders, media, analyses, \
collections), its Instant API, API Lite, and our extensions (marked **ours**).

Every path answers with and without its trailing slash and with a doubled leading slash \
(`//api/...`). JSON bodies are parsed whatever the `Content-Type` says. Lists answer \
`{offset, limit, total_count, items}`. Every 4xx and 5xx answer is the Oz error body \
`{error_code, error_message, error_details}`; a known path with a method it does not serve \
answers 405 code 1, an unknown path 404 code 10, and a body whose declared length is over the \
bound 413 code 14.";

#[derive(OpenApi)]
#[openapi(
    info(title = "Oz-compatible facial biometrics API", description = DESCRIPTION),
    paths(
        auth::login, auth::logout, auth::refresh, auth::version, auth::capture,
        companies::list, companies::create, companies::get, companies::update, companies::delete,
        companies::webhook_secret, rotate_webhook_secret,
        users::list, users::create, users::get, users::update, users::delete,
        folders::list, folders::create, folders::get, folders::delete, folders::add_media,
        folders::create_uploads, folders::list_uploads,
        analyses::start, analyses::list, analyses::get, analyses::decide,
        media::get, media::update, media::file,
        files::get, files::put,
        collections::list, collections::create, collections::get, collections::delete,
        collections::list_persons, collections::create_person, collections::get_person,
        collections::delete_person, collections::list_images, collections::add_images,
        collections::delete_image,
        instant::create, instant::face,
        lite::health, pattern_health, lite::version, lite::detect, lite::extract, lite::compare,
        lite::verify, lite::extract_and_compare,
        document, page,
        crate::api::web::console, crate::api::web::capture, crate::api::web::file,
    ),
    components(schemas(schemas::ErrorBody)),
    modifiers(&Components, &MetaDataOperations, &OptionalBodies, &EveryOperationCanFail),
    security(("token" = []), ("bearer" = [])),
    tags(
        (name = "Auth", description = "Sessions: login, refresh, logout."),
        (name = "Companies", description = "Tenants (ADMIN; a CLIENT ADMIN its own)."),
        (name = "Users", description = "Users and their roles."),
        (name = "Folders", description = "Verification cases: a person's media and the analyses run on them."),
        (name = "Media", description = "The files of a folder."),
        (name = "Direct uploads", description = "**ours**: presigned PUT URLs for files too large for one request."),
        (name = "Analyses", description = "Liveness (quality), 1:1 (biometry) and 1:N (collection) checks."),
        (name = "Metadata", description = "Client `meta_data` of users, folders, media, analyses and collections."),
        (name = "Files", description = "The local stand-ins for S3 presigned URLs; the signature is the credential."),
        (name = "Collections", description = "Blacklists: collections, their persons and the persons' face images."),
        (name = "Instant", description = "Analyses in one request; nothing is stored."),
        (name = "API Lite", description = "Stateless face checks on raw images and templates."),
        (name = "Documentation", description = "This document and its viewer."),
        (name = "Web", description = "**ours**: the console and the liveness capture page, served from the API's origin."),
    ),
)]
pub struct ApiDoc;

// Served by `companies::webhook_secret`, which answers GET and POST.
/// Rotate a company's webhook secret
///
/// Replaces the key webhooks of this company are signed with and answers the new one (ADMIN or
/// the company's CLIENT ADMIN).
#[utoipa::path(
    post,
    path = "/api/companies/{id}/webhook_secret",
    tag = "Companies",
    operation_id = "companies_rotate_webhook_secret",
    params(("id" = uuid::Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The new secret", body = schemas::WebhookSecret),
        Unauthorized, Forbidden, NotFound,
    ),
)]
#[allow(dead_code)]
fn rotate_webhook_secret() {}

// Served by `lite::health`, which answers both health paths.
/// Biometry engine health
///
/// `{"status": 0}` once the face engine is loaded, else 503 with `{"status": 3}`. Needs no key.
#[utoipa::path(
    get,
    path = "/v1/face/pattern/health",
    tag = "API Lite",
    operation_id = "lite_pattern_health",
    security(),
    responses(
        (status = 200, description = "The engine is loaded", body = schemas::LiteHealth),
        (status = 503, description = "The engine is loading (status 3)", body = schemas::LiteHealth),
    ),
)]
#[allow(dead_code)]
fn pattern_health() {}

/// The security schemes and the reusable error answers.
struct Components;

impl Modify for Components {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Forensic-Access-Token",
                "The `access_token` of a login or refresh. `X-Forensics-Access-Token` is \
                 accepted too.",
            ))),
        );
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The same access token as `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "API Lite's key (`OZ_LITE_API_KEY`): required when one is configured (always on \
                 the `lite` Lambda); the local server serves Lite open without one.",
            ))),
        );
        for (name, response) in errors::components() {
            c.responses.insert(name.to_string(), response.into());
        }
    }
}

/// The objects that carry client `meta_data`: path segment, what the id names.
const META_DATA_OWNERS: [(&str, &str); 5] = [
    ("users", "User"),
    ("folders", "Folder"),
    ("media", "Media"),
    ("analyses", "Analysis"),
    ("collections", "Collection"),
];

/// `GET/POST/PATCH/DELETE /api/{kind}/{id}/meta_data`: one handler (`routes::metadata::handle`,
/// mounted with `any`) serves the four methods on five paths, so its operations are built here.
struct MetaDataOperations;

impl Modify for MetaDataOperations {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let meta = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("MetaData")))
                .build()
        };
        for (kind, what) in META_DATA_OWNERS {
            let path = format!("/api/{kind}/{{id}}/meta_data");
            let id = ParameterBuilder::new()
                .name("id")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(format!("{what} id")))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
                ))
                .build();
            let ops = [
                (
                    HttpMethod::Get,
                    "get",
                    "Read",
                    "The object's `meta_data`.",
                    200,
                ),
                (
                    HttpMethod::Post,
                    "replace",
                    "Replace",
                    "Replaces the whole `meta_data` object.",
                    201,
                ),
                (
                    HttpMethod::Patch,
                    "merge",
                    "Merge into",
                    "Merges keys into `meta_data`; a key set to `null` is removed.",
                    200,
                ),
                (
                    HttpMethod::Delete,
                    "clear",
                    "Clear",
                    "Empties `meta_data`.",
                    204,
                ),
            ];
            for (method, verb, title, description, status) in ops {
                let mut responses = ResponsesBuilder::new();
                responses = if status == 204 {
                    responses.response("204", ResponseBuilder::new().description("Cleared"))
                } else {
                    responses.response(
                        status.to_string(),
                        ResponseBuilder::new()
                            .description("The object's `meta_data`")
                            .content("application/json", meta()),
                    )
                };
                let writes = method != HttpMethod::Get;
                if writes {
                    responses = responses.responses_from_into_responses::<BadRequest>();
                }
                responses = responses
                    .responses_from_into_responses::<Unauthorized>()
                    .responses_from_into_responses::<Forbidden>()
                    .responses_from_into_responses::<NotFound>();
                if writes {
                    responses = responses.responses_from_into_responses::<TooLarge>();
                }
                let mut op = OperationBuilder::new()
                    .tag("Metadata")
                    .operation_id(Some(format!("{kind}_meta_data_{verb}")))
                    .summary(Some(format!(
                        "{title} the meta_data of a {}",
                        what.to_lowercase()
                    )))
                    .description(Some(format!(
                        "{description} Objects up to 16 KiB and 8 levels deep; an analysis's \
                         `meta_data` can change once it has ended (while PROCESSING: 400 code 4)."
                    )))
                    .parameter(id.clone())
                    .responses(responses.build());
                if matches!(method, HttpMethod::Post | HttpMethod::Patch) {
                    op = op.request_body(Some(
                        RequestBodyBuilder::new()
                            .required(Some(Required::True))
                            .content("application/json", meta())
                            .build(),
                    ));
                }
                api.paths
                    .add_path_operation(&path, vec![method], op.build());
            }
        }
    }
}

/// Operations whose body may be left out: `POST /api/folders` with no body is a folder with no
/// file (utoipa marks every body it is given as required).
const OPTIONAL_BODIES: [&str; 1] = ["folders_create"];

struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for item in api.paths.paths.values_mut() {
            for op in [&mut item.post, &mut item.put, &mut item.patch]
                .into_iter()
                .flatten()
            {
                let optional = op
                    .operation_id
                    .as_deref()
                    .is_some_and(|id| OPTIONAL_BODIES.contains(&id));
                if let (true, Some(body)) = (optional, op.request_body.as_mut()) {
                    body.required = Some(Required::False);
                }
            }
        }
    }
}

/// Every operation can answer 500 code 0 (handler errors, and panics caught by the router), 503
/// (the store unreachable, the engine loading) and 507 (the local disk full; sessions and
/// uploads write even on reads); one with a body, 408 when it stalls.
struct EveryOperationCanFail;

impl Modify for EveryOperationCanFail {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for item in api.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses.responses.extend(errors::Internal::responses());
                op.responses
                    .responses
                    .extend(errors::Unavailable::responses());
                op.responses
                    .responses
                    .extend(errors::InsufficientStorage::responses());
                if op.request_body.is_some() {
                    op.responses
                        .responses
                        .extend(errors::RequestTimeout::responses());
                }
            }
        }
    }
}

/// The document, as pretty-printed JSON with a final newline (what `docs/openapi.json` holds).
pub fn document_json() -> String {
    let mut s = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    s.push('\n');
    s
}

static DOCUMENT: LazyLock<String> = LazyLock::new(document_json);

/// The OpenAPI document
///
/// This document: every operation of the API, its parameters, bodies and answers. Needs no token.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "Documentation",
    operation_id = "openapi_document",
    security(),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn document() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// The viewer page: plain HTML and JavaScript that fetch `/openapi.json`; nothing else loads.
const PAGE: &str = include_str!("docs.html");

/// The API reference page
///
/// A self-contained page that lists every operation of `/openapi.json` with its parameters and
/// schemas. Needs no token; loads nothing from elsewhere.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "Documentation",
    operation_id = "openapi_page",
    security(),
    responses((status = 200, description = "An HTML page", content_type = "text/html")),
)]
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        PAGE,
    )
        .into_response()
}
