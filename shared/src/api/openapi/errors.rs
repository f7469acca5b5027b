//! The error answers of the document: one reusable response per HTTP status
//! (`#/components/responses/...`), each the Oz error body with the codes it carries, and a
//! marker type per status that an operation lists in its `responses(...)`.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident = $status:literal, $description:literal;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([(
                        $status.to_string(),
                        RefOr::Ref(Ref::from_response_name(stringify!($name))),
                    )])
                }
            }
        )*

        /// Every error response, by name, for `components.responses`.
        pub fn components() -> Vec<(&'static str, Response)> {
            vec![$((stringify!($name), error_response($description))),*]
        }
    };
}

error_responses! {
    /// 400 with the code of what was wrong.
    BadRequest = 400, "Oz code 3 (malformed JSON, multipart or base64; a missing or unknown field), 4 (a value that is not acceptable), 5 (a wrong JSON type; media that is not a recognised image, video or shot set) or 13 (the email or alias is taken).";
    /// 401: no, wrong or expired credentials.
    Unauthorized = 401, "Oz code 6 (no token or key sent), 7 (invalid, forged or revoked token; wrong key or file URL signature), 8 (expired token or URL) or 15 (wrong email or password).";
    /// 403: the caller may not do this.
    Forbidden = 403, "Oz code 9 (the caller's role may not do this) or 211 (the user is deactivated).";
    /// 404: missing, another tenant's, or a malformed id.
    NotFound = 404, "Oz code 10: the object does not exist, belongs to another company, or the id is malformed.";
    /// 413: over a size bound.
    TooLarge = 413, "Oz code 14 (ours: Oz answers 400): a body, file, file count, JSON part, image pixels or video duration over its bound.";
    /// 500: a bug or unforeseen failure.
    Internal = 500, "Oz code 0: an internal error (the cause is logged, not returned).";
    /// 501: a documented feature that is not built.
    NotRealized = 501, "Oz code 2: not realised (`documents` analyses; `payload.analyses` on added media).";
    /// 502: a dependency failed.
    BadGateway = 502, "Oz code 11: a dependency failed (e.g. too many concurrent writes to one collection; retry).";
    /// 503: a dependency is not ready or not reachable; retry.
    Unavailable = 503, "Oz code 11 (ours): the face engine this process needs has not loaded yet; the request waited 20 s for it. Oz code 12 (ours: Oz answers 500): the data store could not be reached; nothing was changed, retry.";
    /// 507: the embedded data folder's disk is full.
    InsufficientStorage = 507, "Oz code 12 (ours): the local server's disk is full; the write was refused whole and nothing of the request was kept. Retry once space is freed.";
    /// 408: the body stopped arriving.
    RequestTimeout = 408, "Oz code 3 (ours): the request body paused longer than the server's read timeout; nothing of the request was kept.";
    /// 429: too many failed logins.
    TooManyRequests = 429, "Oz code 101: too many wrong logins for this account or from this address; `Retry-After` gives the seconds until logins are accepted again.";
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}
