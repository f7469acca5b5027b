//! Query parameters of the document, as the handlers read them from `QueryPairs` (never built at
//! run time). Ids in paths are declared on each operation.

#![allow(dead_code)]

use utoipa::IntoParams;
use uuid::Uuid;

/// Lamb's pagination, on every list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<u64>,
    /// Page size: 1 to 5000 (default 100), or -1 for 5000.
    #[param(schema_with = limit)]
    limit: Option<i64>,
    /// `true` leaves `total_count` out of the answer.
    total_omit: Option<bool>,
}

/// `limit`: -1, or 1 to 5000 (0 is refused).
fn limit() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let int = || {
        ObjectBuilder::new().schema_type(Type::Integer).format(Some(
            utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64),
        ))
    };
    OneOfBuilder::new()
        .item(int().minimum(Some(1)).maximum(Some(5000)))
        .item(int().enum_values(Some([-1])))
        .into()
}

/// `meta_data`: repeated `key==value` strings.
fn meta_data_pairs() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("==")),
        )
        .into()
}

/// Filters of `GET /api/companies`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompanyQuery {
    /// Part of the company name.
    search_text: Option<String>,
}

/// Filters of `GET /api/users`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    company_id: Option<Uuid>,
}

/// Filters of `GET /api/collections`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CollectionQuery {
    company_id: Option<Uuid>,
    /// The collection's alias (case-insensitive).
    alias: Option<String>,
}

/// Newest or oldest first.
#[derive(utoipa::ToSchema)]
pub enum Sorting {
    #[schema(rename = "-time_created")]
    NewestFirst,
    #[schema(rename = "time_created")]
    OldestFirst,
}

/// Filters and embeds of `GET /api/folders`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FolderListQuery {
    /// Default `-time_created` (newest first).
    #[param(inline)]
    sorting: Option<Sorting>,
    /// Unix seconds (a value above 10^11 is milliseconds).
    #[param(rename = "time_created.min")]
    time_created_min: Option<f64>,
    /// Unix seconds (a value above 10^11 is milliseconds).
    #[param(rename = "time_created.max")]
    time_created_max: Option<f64>,
    /// `key==value`, repeatable: folders whose `meta_data` holds every pair.
    #[param(style = Form, explode, schema_with = meta_data_pairs)]
    meta_data: Option<Vec<String>>,
    /// A comma list of folder states (`INITIAL`, `PROCESSING`, `FAILED`, `FINISHED`).
    resolution_status: Option<String>,
    company_id: Option<Uuid>,
    user_id: Option<Uuid>,
    /// Embed each folder's media (default false).
    with_media: Option<bool>,
    /// Embed each folder's analyses.
    with_analyses: Option<bool>,
    /// Embed the user who created the folder.
    with_user: Option<bool>,
    /// Embed the folder's company.
    with_company: Option<bool>,
}

/// Embeds of `GET /api/folders/{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FolderQuery {
    /// Embed the folder's media (default true).
    with_media: Option<bool>,
    /// Embed the folder's analyses.
    with_analyses: Option<bool>,
    /// Embed the user who created the folder.
    with_user: Option<bool>,
    /// Embed the folder's company.
    with_company: Option<bool>,
}

/// Filters of `GET /api/folders/{id}/analyses`: comma lists, case-insensitive.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalysesQuery {
    /// Analysis ids to keep.
    analyse_id: Option<String>,
    /// Analysis ids to leave out.
    #[param(rename = "analyse_id.exclude")]
    analyse_id_exclude: Option<String>,
    /// Types to keep (`QUALITY`, `BIOMETRY`, `COLLECTION`, `DOCUMENTS`).
    #[param(rename = "type")]
    kind: Option<String>,
    /// Types to leave out.
    #[param(rename = "type.exclude")]
    kind_exclude: Option<String>,
    /// States to keep (`PROCESSING`, `FAILED`, `FINISHED`).
    state: Option<String>,
    /// States to leave out.
    #[param(rename = "state.exclude")]
    state_exclude: Option<String>,
}

/// The signature of a presigned GET.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileGetQuery {
    /// Expiry, Unix seconds.
    exp: u64,
    /// HMAC-SHA256 of the key and expiry.
    sig: String,
}

/// The signature of a presigned PUT: content type and exact length are signed.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilePutQuery {
    /// Expiry, Unix seconds.
    exp: u64,
    /// The only Content-Type the URL accepts.
    ct: String,
    /// The exact body length the URL accepts.
    len: u64,
    /// HMAC-SHA256 of the key, content type, length and expiry.
    sig: String,
}

/// API Lite's transfer encoding.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct LiteEncoding {
    /// `base64`: the body (or each part) is base64 text (whitespace and a `data:...;base64,`
    /// prefix are tolerated) and a template answer comes back as base64 text.
    #[param(rename = "Content-Transfer-Encoding")]
    content_transfer_encoding: Option<String>,
}
