//! The stored objects of the Oz API. These structs are both what the store keeps (as JSON) and
//! what responses show, except for secrets, which live in wrapper structs that never leave the store.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CompanyId, FolderId, MediaId, Role, SessionId, UserId};

/// Free-form JSON object attached by clients.
pub type MetaData = Map<String, Value>;

/// A tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Company {
    pub company_id: CompanyId,
    pub name: String,
    pub in_deletion: bool,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    /// **ours**: the company's decision thresholds (defaults until changed).
    #[serde(default)]
    pub analysis_thresholds: crate::domain::analysis::Thresholds,
    pub time_created: f64,
    pub time_updated: f64,
}

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub user_id: UserId,
    pub company_id: CompanyId,
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

/// A user with its password hash, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredUser {
    #[serde(flatten)]
    pub user: User,
    pub password_hash: String,
}

/// A login session. The access token names it; the refresh token's hash is kept to rotate it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub session_id: SessionId,
    pub user_id: UserId,
    /// Unix seconds after which the session is idle-expired; moved forward on use (sliding).
    pub expires_at: i64,
    /// Unix seconds after which the refresh token no longer works.
    pub refresh_expires_at: i64,
    pub refresh_hash: String,
    /// Set on a session created by a refresh: the session it replaces, revoked on first use.
    pub replaces: Option<SessionId>,
    /// Set once this session's refresh token has been spent.
    pub refreshed: bool,
    pub long_lived: bool,
    /// Set on a capture session (**ours**, `POST /api/authorize/capture`): the one folder it may
    /// add media to, analyse and read. Such a session has a fixed expiry and no refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_scope: Option<FolderId>,
}

/// Folder processing state (`resolution_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FolderStatus {
    Initial,
    Processing,
    Failed,
    Finished,
}

/// Folder decision (`system_resolution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resolution {
    Initial,
    Processing,
    Failed,
    Success,
    Declined,
    OperatorRequired,
}

/// One verification case: the media of one person plus the analyses run on them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Folder {
    pub folder_id: FolderId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub resolution_status: FolderStatus,
    pub system_resolution: Resolution,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
}

/// What a media file is, from its sniffed content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaType {
    ImageFolder,
    VideoFolder,
    ShotsSet,
}

/// A media file of a folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Media {
    pub media_id: MediaId,
    pub folder_id: FolderId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub original_name: String,
    pub media_type: MediaType,
    pub tags: Vec<String>,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
}

/// State of a direct upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UploadState {
    /// Waiting for the bytes.
    Pending,
    /// The bytes arrived and were refused; `reason` says why. The object was deleted.
    Rejected,
}

/// A direct upload not (yet) turned into a media, stored in its folder's partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingUpload {
    pub media_id: MediaId,
    pub folder_id: FolderId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub original_name: String,
    pub content_type: String,
    pub size: u64,
    pub tags: Vec<String>,
    pub meta_data: MetaData,
    pub state: UploadState,
    pub reason: Option<String>,
    pub time_created: f64,
    /// Unix seconds after which the URL no longer accepts the bytes.
    pub url_expires_at: i64,
}
