//! The shapes of the API's bodies, for the OpenAPI document only. Handlers build their answers as
//! `serde_json::Value` (`app::views`) or serialise domain structs; these structs describe those
//! documents field for field and are never built at run time. The tests of [`super`] serialise
//! real documents and check that every key they hold is a property here and every required
//! property is there, so a field added to a document without its schema fails a test.

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

/// A free-form JSON object (`meta_data`, `technical_meta_data`, `results_data`, `params`).
pub struct MetaData;

impl PartialSchema for MetaData {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .description(Some(
                "A free-form JSON object. Client `meta_data` is at most 16 KiB and 8 levels deep.",
            ))
            .into()
    }
}

impl ToSchema for MetaData {}

/// The Oz error body of every 4xx and 5xx answer, keys in this order.
#[derive(ToSchema)]
pub struct ErrorBody {
    /// The Oz error code: 0 internal, 1 method not allowed, 2 not realised, 3 malformed body or
    /// missing/unknown field, 4 bad value, 5 wrong type or unrecognised media, 6 no token,
    /// 7 invalid token or key, 8 expired token, 9 role not allowed, 10 not found, 11 a dependency
    /// failed or is not ready, 13 already exists, 14 too large, 15 wrong email or password,
    /// 211 user deactivated.
    #[schema(example = 10)]
    pub error_code: u16,
    /// What was wrong, for people.
    #[schema(example = "folder not found")]
    pub error_message: String,
    /// Always null here (Lamb's field, kept for clients that read it).
    #[schema(required = true)]
    pub error_details: Option<Value>,
}

// ---- enums -------------------------------------------------------------------------------------

/// A user's role (`user_type`). Requests also take the underscore spellings (`CLIENT_ADMIN`),
/// in any case.
#[derive(ToSchema)]
pub enum Role {
    #[schema(rename = "ADMIN")]
    Admin,
    #[schema(rename = "OPERATOR")]
    Operator,
    #[schema(rename = "CLIENT")]
    Client,
    #[schema(rename = "CLIENT ADMIN")]
    ClientAdmin,
    #[schema(rename = "CLIENT OPERATOR")]
    ClientOperator,
    #[schema(rename = "CLIENT SERVICE")]
    ClientService,
}

/// A folder's processing state (`resolution_status`).
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FolderStatus {
    Initial,
    Processing,
    Failed,
    Finished,
}

/// A decision (`system_resolution` of a folder, `resolution_status`/`resolution` of an analysis
/// and of each of its media).
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resolution {
    Initial,
    Processing,
    Failed,
    Success,
    Declined,
    OperatorRequired,
}

/// What a media file is, from its sniffed content: a photo, a video, or a ZIP shot set.
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaType {
    ImageFolder,
    VideoFolder,
    ShotsSet,
}

/// What an analysis checks.
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AnalysisType {
    Quality,
    Biometry,
    Collection,
    Documents,
}

/// An analysis's processing state.
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AnalysisState {
    Processing,
    Failed,
    Finished,
}

/// A direct upload's state: waiting for the bytes, or refused (the object was deleted).
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UploadState {
    Pending,
    Rejected,
}

// ---- objects -----------------------------------------------------------------------------------

/// Decision thresholds of a company (**ours**).
#[derive(ToSchema)]
pub struct Thresholds {
    /// `confidence_spoofing` at or above this is an attack.
    #[schema(example = 0.5)]
    pub liveness: f32,
    /// `min_confidence` at or above this is the same person.
    #[schema(example = 0.85)]
    pub biometry: f32,
    /// When set, biometry scores in `[operator_band, biometry)` are OPERATOR_REQUIRED instead of
    /// DECLINED.
    #[schema(required = true)]
    pub operator_band: Option<f32>,
}

/// A change of thresholds: fields left out take their defaults (0.5, 0.85, null).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsChange {
    /// In (0, 1].
    #[schema(
        required = false,
        example = 0.5,
        exclusive_minimum = 0.0,
        maximum = 1.0
    )]
    pub liveness: f32,
    /// In (0, 1].
    #[schema(
        required = false,
        example = 0.85,
        exclusive_minimum = 0.0,
        maximum = 1.0
    )]
    pub biometry: f32,
    /// In [0, `biometry`).
    #[schema(required = false, minimum = 0.0, maximum = 1.0)]
    pub operator_band: Option<f32>,
}

/// A tenant.
#[derive(ToSchema)]
pub struct Company {
    pub company_id: Uuid,
    pub name: String,
    pub in_deletion: bool,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    /// **ours**: the company's decision thresholds.
    pub analysis_thresholds: Thresholds,
    /// Unix seconds.
    pub time_created: f64,
    /// Unix seconds.
    pub time_updated: f64,
}

/// A user (the password is write-only and never shown).
#[derive(ToSchema)]
pub struct User {
    pub user_id: Uuid,
    pub company_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub middle_name: String,
    pub user_type: Role,
    pub is_active: bool,
    pub can_start_analysis_biometry: bool,
    pub can_start_analysis_quality: bool,
    pub can_start_analysis_collection: bool,
    pub can_start_analysis_documents: bool,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
}

/// What a login or refresh answers.
#[derive(ToSchema)]
pub struct TokenPair {
    /// Send it as `X-Forensic-Access-Token`.
    pub access_token: String,
    /// Single-use refresh token, for `POST /api/authorize/refresh`.
    pub expire_token: String,
    /// When the session idles out (Unix seconds), unless used before.
    pub expire_date: i64,
    pub user: User,
}

/// A media file of a folder.
#[derive(ToSchema)]
pub struct Media {
    pub media_id: Uuid,
    pub folder_id: Uuid,
    pub company_id: Uuid,
    pub user_id: Uuid,
    /// The file name the client sent.
    pub original_name: String,
    pub media_type: MediaType,
    /// Oz tags (`photo_selfie`, `video_selfie_blank`, `photo_id_front`, ...).
    pub tags: Vec<String>,
    pub meta_data: MetaData,
    /// format, mime_type, width, height, duration, frame_count, codec, rotation, size, sha256.
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
    /// A short-lived URL of the file (null in Instant answers: nothing was stored).
    #[schema(required = true)]
    pub original_url: Option<String>,
    /// The same URL for videos, else null.
    #[schema(required = true)]
    pub video_url: Option<String>,
    /// Always null.
    #[schema(required = true)]
    pub preview_url: Option<String>,
}

/// An image an analysis produced (the best shot).
#[derive(ToSchema)]
pub struct OutputImage {
    /// A short-lived URL, or a `data:image/jpeg;base64,...` URL in Instant answers.
    pub original_url: String,
}

/// One media's outcome within an analysis.
#[derive(ToSchema)]
pub struct ResultMedia {
    #[schema(required = true)]
    pub source_media_id: Option<Uuid>,
    /// Scores and evidence: `confidence_spoofing` (quality), `pairs`/`min_confidence`/
    /// `max_confidence` (biometry), `person_id`/`confidence`/`candidates` (collection), ...
    pub results_data: MetaData,
    /// This media's own decision.
    #[schema(required = true)]
    pub resolution_status: Option<Resolution>,
    /// Why this media has no score (e.g. no face found).
    #[schema(required = true)]
    pub error_message: Option<String>,
    pub output_images: Vec<OutputImage>,
}

/// The collection a `collection` analysis searched.
#[derive(ToSchema)]
pub struct CollectionTag {
    pub collection_id: Uuid,
    pub alias: String,
}

/// An analysis. `analyse_id` repeats `analysis_id` and `resolution` repeats
/// `resolution_status`: Oz clients read those spellings.
#[derive(ToSchema)]
pub struct Analysis {
    pub analysis_id: Uuid,
    /// The same value as `analysis_id`.
    pub analyse_id: Uuid,
    pub folder_id: Uuid,
    pub company_id: Uuid,
    pub user_id: Uuid,
    /// Shared by the analyses one request started; their webhook fires when all have ended.
    pub group_id: Uuid,
    #[schema(rename = "type")]
    pub kind: AnalysisType,
    pub state: AnalysisState,
    pub resolution_status: Resolution,
    /// The same value as `resolution_status`.
    pub resolution: Resolution,
    pub source_media: Vec<Uuid>,
    pub results_media: Vec<ResultMedia>,
    pub results_data: MetaData,
    pub params: MetaData,
    #[schema(required = true)]
    pub error_code: Option<i64>,
    #[schema(required = true)]
    pub error_message: Option<String>,
    /// Models (with sha256), calibration, thresholds and processing time, once the engine ran.
    pub engine: Value,
    #[schema(required = true)]
    pub resolution_endpoint: Option<String>,
    /// Only on `collection` analyses.
    #[schema(required = false)]
    pub collection: CollectionTag,
    pub meta_data: MetaData,
    /// `operator_decision` once an operator decided; `webhook` (`state`, `attempts`) when the
    /// request named a `resolution_endpoint`.
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
}

/// One verification case: the media of one person and the analyses run on them.
#[derive(ToSchema)]
pub struct Folder {
    pub folder_id: Uuid,
    pub company_id: Uuid,
    pub user_id: Uuid,
    pub resolution_status: FolderStatus,
    /// The folder's decision, rolled up from its analyses.
    pub system_resolution: Resolution,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
    /// With `with_media` (lists: default false; one folder: default true).
    #[schema(required = false)]
    pub media: Vec<Media>,
    /// With `with_analyses`, in single-request and Instant answers, and in webhooks.
    #[schema(required = false)]
    pub analyses: Vec<Analysis>,
    /// With `with_user`.
    #[schema(required = false)]
    pub user: User,
    /// With `with_company`.
    #[schema(required = false)]
    pub company: Company,
}

/// A direct upload not (yet) turned into a media.
#[derive(ToSchema)]
pub struct PendingUpload {
    /// The id the media will have.
    pub media_id: Uuid,
    pub folder_id: Uuid,
    pub original_name: String,
    pub content_type: String,
    pub size: u64,
    pub tags: Vec<String>,
    pub state: UploadState,
    /// Why the bytes were refused (REJECTED).
    #[schema(required = true)]
    pub reason: Option<String>,
    pub time_created: f64,
    /// Unix seconds after which the URL no longer accepts the bytes.
    pub url_expires_at: i64,
}

/// A created direct upload: PUT the bytes to `url` with exactly `headers`, no token.
#[derive(ToSchema)]
pub struct UploadTicket {
    pub media_id: Uuid,
    pub folder_id: Uuid,
    pub original_name: String,
    pub content_type: String,
    pub size: u64,
    pub tags: Vec<String>,
    pub state: UploadState,
    #[schema(required = true)]
    pub reason: Option<String>,
    pub time_created: f64,
    pub url_expires_at: i64,
    #[schema(example = "PUT")]
    pub method: String,
    pub url: String,
    /// Content type and exact length: both are signed.
    pub headers: BTreeMap<String, String>,
}

/// A blacklist collection of one company.
#[derive(ToSchema)]
pub struct Collection {
    pub collection_id: Uuid,
    pub company_id: Uuid,
    /// Unique within the company, case-insensitive.
    pub alias: String,
    pub description: String,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    /// **ours**: bumped by every enrolment and deletion.
    pub revision: u64,
    pub time_created: f64,
    pub time_updated: f64,
}

/// A face image of a person.
#[derive(ToSchema)]
pub struct PersonImage {
    pub person_image_id: Uuid,
    pub person_id: Uuid,
    pub collection_id: Uuid,
    pub company_id: Uuid,
    pub original_name: String,
    /// The image's `media:tags`, as enrolled.
    pub tags: Vec<String>,
    /// width, height, size, sha256 and `face_box`.
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
    /// A short-lived URL of the image.
    pub original_url: String,
}

/// A person of a collection.
#[derive(ToSchema)]
pub struct Person {
    pub person_id: Uuid,
    pub collection_id: Uuid,
    pub company_id: Uuid,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    pub image_count: u32,
    pub time_created: f64,
    pub time_updated: f64,
    /// On `GET .../persons/{pid}` and on creation.
    #[schema(required = false)]
    pub images: Vec<PersonImage>,
}

macro_rules! listing {
    ($($(#[$doc:meta])* $name:ident of $item:ty;)*) => {$(
        $(#[$doc])*
        #[derive(ToSchema)]
        pub struct $name {
            pub offset: usize,
            pub limit: usize,
            /// Left out with `total_omit=true`.
            #[schema(required = false)]
            pub total_count: usize,
            pub items: Vec<$item>,
        }
    )*};
}

listing! {
    /// A page of companies.
    CompanyList of Company;
    /// A page of users.
    UserList of User;
    /// A page of folders.
    FolderList of Folder;
    /// A page of collections.
    CollectionList of Collection;
    /// A page of persons (without their images).
    PersonList of Person;
    /// A page of a person's images.
    PersonImageList of PersonImage;
}

/// The versions this server speaks.
#[derive(ToSchema)]
pub struct Version {
    /// This build.
    pub core: String,
    #[schema(example = "6.0")]
    pub api: String,
    pub service: String,
}

/// A company's webhook signing key (the HMAC key is this string as shown).
#[derive(ToSchema)]
pub struct WebhookSecret {
    pub webhook_secret: String,
}

// ---- request bodies ----------------------------------------------------------------------------

/// Login credentials.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
}

/// Body of `POST /api/authorize/auth`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub credentials: Credentials,
}

/// Body of `POST /api/authorize/refresh`; the current access token goes in the header.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    pub expire_token: String,
}

/// Body of `POST /api/companies`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCompany {
    /// 1 to 200 characters, not all blank (kept trimmed).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    pub meta_data: Option<MetaData>,
}

/// Body of `PATCH /api/companies/{id}`; absent fields stay as they are.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    /// 1 to 200 characters, not all blank (kept trimmed).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    pub meta_data: Option<MetaData>,
    /// **ours**: ADMIN or the company's CLIENT ADMIN.
    pub analysis_thresholds: Option<ThresholdsChange>,
}

/// Body of `POST /api/users`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// An email address (kept lower-case).
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 8 to 256 characters.
    #[schema(format = Password, min_length = 8, max_length = 256)]
    pub password: String,
    pub user_type: Option<Role>,
    /// ADMIN names the company; others create in their own.
    pub company_id: Option<Uuid>,
    #[schema(required = false, max_length = 100)]
    pub first_name: String,
    #[schema(required = false, max_length = 100)]
    pub last_name: String,
    #[schema(required = false, max_length = 100)]
    pub middle_name: String,
    pub is_active: Option<bool>,
    /// Pre-6.0 spelling: `CLIENT` + `is_admin` means CLIENT ADMIN.
    pub is_admin: Option<bool>,
    /// Pre-6.0 spelling: `CLIENT` + `is_service` means CLIENT SERVICE.
    pub is_service: Option<bool>,
    pub can_start_analysis_biometry: Option<bool>,
    pub can_start_analysis_quality: Option<bool>,
    pub can_start_analysis_collection: Option<bool>,
    pub can_start_analysis_documents: Option<bool>,
    pub meta_data: Option<MetaData>,
}

/// Body of `PATCH /api/users/{id}`; absent fields stay as they are. Changing the password or
/// deactivating closes the user's sessions.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(format = Password, min_length = 8, max_length = 256)]
    pub password: Option<String>,
    pub user_type: Option<Role>,
    #[schema(max_length = 100)]
    pub first_name: Option<String>,
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    #[schema(max_length = 100)]
    pub middle_name: Option<String>,
    pub is_active: Option<bool>,
    pub can_start_analysis_biometry: Option<bool>,
    pub can_start_analysis_quality: Option<bool>,
    pub can_start_analysis_collection: Option<bool>,
    pub can_start_analysis_documents: Option<bool>,
    pub meta_data: Option<MetaData>,
}

/// One analysis to start.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalysisRequest {
    /// `quality` (also `liveness`), `biometry`, `collection` or `documents` (not realised: 501),
    /// in any case.
    #[schema(rename = "type", inline)]
    pub kind: RequestedType,
    /// The media to analyse (default: every media the type takes). Also read from
    /// `params.source_media`.
    pub source_media: Option<Vec<Uuid>>,
    /// biometry: `threshold_min`, `threshold_max`; quality: `extract_best_shot`; collection:
    /// `collection_id` (a UUID or an alias) or `alias`, `decision_threshold`, `decision_count`,
    /// `top_k`.
    pub params: Option<MetaData>,
    pub meta_data: Option<MetaData>,
}

/// An analysis type as a request names it (also in upper case).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RequestedType {
    Quality,
    Liveness,
    Biometry,
    Collection,
    Documents,
}

/// Body of `POST /api/folders/{id}/analyses`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartAnalyses {
    #[schema(min_items = 1, max_items = 10)]
    pub analyses: Vec<AnalysisRequest>,
    /// Where the folder is POSTed (signed) once every analysis of this request has ended.
    pub resolution_endpoint: Option<String>,
}

/// An operator's decision.
#[derive(ToSchema)]
pub enum Decided {
    #[schema(rename = "SUCCESS")]
    Success,
    #[schema(rename = "DECLINED")]
    Declined,
}

/// Body of `PATCH /api/analyses/{id}`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorDecision {
    pub resolution_status: Decided,
}

/// Body of `PATCH /api/media/{id}`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaPatch {
    /// Replaces the media's tags (checked against the Oz tag list and the media kind).
    pub tags: Vec<String>,
}

/// One file about to be uploaded directly.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// File name, kept as `original_name` (also accepted as `key`); 1 to 255 characters, not
    /// all blank.
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub name: String,
    /// The sniffed content must match.
    #[schema(inline)]
    pub content_type: UploadContentType,
    /// Exact size in bytes, at most the file bound (`OZ_MAX_FILE_BYTES`, default 50 MiB).
    #[schema(minimum = 1)]
    pub size: u64,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub meta_data: Option<MetaData>,
}

/// What a direct upload may declare.
#[derive(ToSchema)]
pub enum UploadContentType {
    #[schema(rename = "image/jpeg")]
    Jpeg,
    #[schema(rename = "image/png")]
    Png,
    #[schema(rename = "image/webp")]
    Webp,
    #[schema(rename = "video/mp4")]
    Mp4,
    #[schema(rename = "video/quicktime")]
    QuickTime,
    #[schema(rename = "application/zip")]
    Zip,
}

/// Body of `POST /api/folders/{id}/media/uploads`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadsBody {
    /// At most the upload file bound (`OZ_MAX_FILES`, default 10).
    #[schema(min_items = 1)]
    pub files: Vec<UploadRequest>,
}

/// Body of `POST /api/collections`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCollection {
    /// Unique per company, case-insensitive; 1 to 128 printable characters, not all blank (kept
    /// trimmed).
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub alias: String,
    /// ADMIN may name any company, CLIENT ADMIN only its own.
    pub company_id: Option<Uuid>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    pub meta_data: Option<MetaData>,
}

/// The `payload` part of a folder upload: what to do with the files, keyed by their form names.
#[derive(ToSchema)]
pub struct FolderPayload {
    /// Tags of each file, by form key.
    #[schema(rename = "media:tags", required = false)]
    pub media_tags: BTreeMap<String, Vec<String>>,
    /// `meta_data` of each file, by form key.
    #[schema(rename = "media:meta_data", required = false)]
    pub media_meta_data: BTreeMap<String, MetaData>,
    #[schema(rename = "folder:meta_data", required = false)]
    pub folder_meta_data: MetaData,
    /// Single request: analyses started at once (`POST /api/folders`), or run in the request
    /// (Instant API, where it is required and `source_media` is refused).
    #[schema(required = false)]
    pub analyses: Vec<AnalysisRequest>,
    /// With `analyses` (not on the Instant API).
    #[schema(required = false)]
    pub resolution_endpoint: String,
}

/// The `payload` part of a person upload.
#[derive(ToSchema)]
pub struct PersonPayload {
    /// Photo tags of each image, by form key.
    #[schema(rename = "media:tags", required = false)]
    pub media_tags: BTreeMap<String, Vec<String>>,
    /// Only when creating the person.
    #[schema(rename = "person:meta_data", required = false)]
    pub person_meta_data: MetaData,
}

/// A binary part or body.
fn binary() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/octet-stream")
}

/// Raw bytes (a file, an image, a template).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        binary().description(Some("Raw bytes.")).into()
    }
}

impl ToSchema for Binary {}

/// A multipart form of files under any form keys and one JSON part named `payload`.
fn upload_form(payload: RefOr<Schema>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property("payload", payload)
        .additional_properties(Some(binary().description(Some(
            "A file (form key 1 to 128 bytes; a part with no bytes is no file).",
        ))))
        .into()
}

/// `multipart/form-data` of `POST /api/folders`, `/api/folders/{id}/media` and the Instant API.
pub struct FolderUpload;

impl PartialSchema for FolderUpload {
    fn schema() -> RefOr<Schema> {
        upload_form(
            RefOr::Ref(utoipa::openapi::Ref::from_schema_name("FolderPayload")),
            "Files under any form keys (JPEG, PNG, WebP, MP4/MOV with H.264, ZIP shot sets; the \
             type is sniffed from the bytes) and a JSON part `payload`. A body that is not \
             multipart is read as the payload alone.",
        )
    }
}

impl ToSchema for FolderUpload {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((FolderPayload::name().into(), FolderPayload::schema()));
        FolderPayload::schemas(schemas);
    }
}

/// `multipart/form-data` of person and person image uploads.
pub struct PersonUpload;

impl PartialSchema for PersonUpload {
    fn schema() -> RefOr<Schema> {
        upload_form(
            RefOr::Ref(utoipa::openapi::Ref::from_schema_name("PersonPayload")),
            "Face images (photos with exactly one face) under any form keys and a JSON part \
             `payload`; one bad image refuses the whole request.",
        )
    }
}

impl ToSchema for PersonUpload {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((PersonPayload::name().into(), PersonPayload::schema()));
        PersonPayload::schemas(schemas);
    }
}

// ---- API Lite ----------------------------------------------------------------------------------

/// A model the Lite engine loaded.
#[derive(ToSchema)]
pub struct LiteModel {
    pub name: String,
    /// The first characters of the model file's SHA-256.
    pub version: String,
}

/// The template format (**ours**).
#[derive(ToSchema)]
pub struct TemplateFormat {
    #[schema(example = "OZFT")]
    pub magic: String,
    pub version: u32,
    pub dimension: u32,
}

/// API Lite versions.
#[derive(ToSchema)]
pub struct LiteVersion {
    pub core: String,
    /// The face engine's version.
    pub tfss: Value,
    pub models: Vec<LiteModel>,
    pub template_format: TemplateFormat,
}

/// API Lite health: status 0 once the engine is loaded, 3 (inoperative, with 503) before.
#[derive(ToSchema)]
pub struct LiteHealth {
    #[schema(example = 0)]
    pub status: u8,
    pub message: String,
}

/// Liveness of one image.
#[derive(ToSchema)]
pub struct LiteLiveness {
    /// `confidence_spoofing` < 0.5.
    pub passed: bool,
    /// Probability that the face is live: 1 − `confidence_spoofing`.
    pub score: f32,
    pub confidence_spoofing: f32,
}

/// A comparison's decision.
#[derive(ToSchema)]
pub enum LiteDecisionValue {
    #[schema(rename = "approved")]
    Approved,
    #[schema(rename = "declined")]
    Declined,
}

/// A 1:1 comparison: the biometry score and its 0.85 threshold.
#[derive(ToSchema)]
pub struct LiteDecision {
    pub score: f32,
    pub decision: LiteDecisionValue,
}

/// Two binary parts of a `multipart/form-data` body (names free; these are the documented ones).
fn two_parts(a: &str, b: &str, description: &str) -> RefOr<Schema> {
    let part = |what: &str| binary().description(Some(what.to_string()));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property(a, part(a))
        .property(b, part(b))
        .required(a)
        .required(b)
        .into()
}

macro_rules! lite_form {
    ($($(#[$doc:meta])* $name:ident($a:literal, $b:literal, $what:literal);)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                two_parts($a, $b, $what)
            }
        }

        impl ToSchema for $name {}
    )*};
}

lite_form! {
    /// Two templates.
    LiteTwoTemplates("template_1", "template_2", "Exactly two parts, both templates.");
    /// An image and a template.
    LiteImageAndTemplate("image", "template", "Exactly two parts, in either order: the part \
        starting with the template magic is the template.");
    /// Two images.
    LiteTwoImages("image_1", "image_2", "Exactly two parts, both JPEG, PNG or WebP images.");
}

/// Where the face is in a camera frame (**ours**, `POST /api/instant/face`).
#[derive(ToSchema)]
pub struct FaceCheck {
    /// The frame's width in pixels.
    pub width: u32,
    /// The frame's height in pixels.
    pub height: u32,
    /// Faces found: 0, 1, or 2 for more than one.
    pub faces: u8,
    /// The largest face as `[x1, y1, x2, y2]` in pixels; null when there is none.
    pub face: Option<Vec<f32>>,
}

/// A capture token's request (**ours**, `POST /api/authorize/capture`).
#[derive(ToSchema)]
pub struct CaptureRequest {
    /// The folder the capture adds media to; omitted: a new empty folder of the caller's.
    pub folder_id: Option<Uuid>,
    /// Seconds the token lives, 60–3600 (default 600).
    #[schema(minimum = 60, maximum = 3600)]
    pub ttl: Option<u64>,
    /// `meta_data` of the new folder (only without `folder_id`).
    pub meta_data: Option<MetaData>,
}

/// A capture token (**ours**): it may add media to its folder, analyse and read it, nothing else.
#[derive(ToSchema)]
pub struct CaptureToken {
    /// Send it as `X-Forensic-Access-Token`.
    pub access_token: String,
    /// When it stops working (Unix seconds); not extended by use, no refresh.
    pub expire_date: i64,
    pub folder_id: Uuid,
}
