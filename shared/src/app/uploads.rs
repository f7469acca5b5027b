//! Direct uploads: the client asks for presigned PUT URLs, sends the bytes straight to the object
//! store (S3, or the local server's `/files`), and the media becomes usable once the object exists
//! and its sniffed content passes the same checks as a multipart upload. Completion runs on the
//! store's "object created" notice (the `uploads` Lambda on S3 events; the local PUT route) and,
//! as a fallback, whenever the folder is read, so a lost event delays a media but never loses it.

use serde::Deserialize;
use serde_json::Value;

use super::App;
use super::media::UploadFile;
use super::repo::{self, decode};
use crate::domain::clock::{now, now_secs};
use crate::domain::objects::{Folder, Media, PendingUpload, UploadState};
use crate::domain::{Actor, FolderId, MediaId, metadata, tags};
use crate::ports::{Condition, PresignedPut, StoreError, Write};
use crate::{Error, Result};

/// Content types a direct upload may declare, with the sniffed type each must turn out to be.
const CONTENT_TYPES: [(&str, &str); 6] = [
    ("image/jpeg", "image/jpeg"),
    ("image/png", "image/png"),
    ("image/webp", "image/webp"),
    ("video/mp4", "video/mp4"),
    ("video/quicktime", "video/mp4"),
    ("application/zip", "application/zip"),
];

/// How long an unfinished upload's record outlives its URL before the store's TTL removes it.
const PENDING_GRACE_SECS: i64 = 24 * 3600;

/// One file the client is about to upload (`POST /api/folders/{id}/media/uploads/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// File name, kept as the media's `original_name` (`key` in oz-api.md's sketch).
    #[serde(alias = "key")]
    pub name: String,
    /// Declared content type; the sniffed content must match it.
    pub content_type: String,
    /// Exact size in bytes; the URL accepts no other length.
    pub size: u64,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub meta_data: Option<Value>,
}

/// A created upload: the record and where to send the bytes.
#[derive(Debug, Clone)]
pub struct UploadTicket {
    pub upload: PendingUpload,
    pub put: PresignedPut,
}

/// What completing an upload found.
#[derive(Debug)]
pub enum Completion {
    /// The bytes have not arrived (or the upload is unknown).
    Waiting,
    /// The media exists now (made by this call or an earlier one).
    Accepted(Box<Media>),
    /// The bytes were refused.
    Rejected(String),
}

impl App {
    /// Creates presigned upload URLs for `files` in folder `id`; each file becomes a media once
    /// its bytes arrive and pass the content checks.
    pub async fn create_uploads(
        &self,
        actor: &Actor,
        id: FolderId,
        files: Vec<UploadRequest>,
    ) -> Result<Vec<UploadTicket>> {
        let folder = self.get_folder(actor, id).await?;
        actor.require_folder_write()?;
        let limits = &self.config.limits;
        if files.is_empty() {
            return Err(Error::invalid("files must name at least one file"));
        }
        if files.len() > limits.max_files {
            return Err(Error::TooLarge(format!(
                "at most {} files per upload",
                limits.max_files
            )));
        }
        let ttl = self.config.file_url_ttl;
        let t = now();
        let mut tickets = Vec::with_capacity(files.len());
        for f in files {
            let upload = self.new_upload(&folder, f, t, ttl.as_secs() as i64)?;
            let put = self
                .blobs
                .presign_put(
                    &repo::upload_object(&upload),
                    &upload.content_type,
                    upload.size,
                    ttl,
                )
                .await?;
            tickets.push(UploadTicket { upload, put });
        }
        let writes = tickets
            .iter()
            .map(|t| {
                Write::Put(
                    repo::upload_item(&t.upload, PENDING_GRACE_SECS),
                    Condition::NotExists,
                )
            })
            .collect();
        self.store.transact(writes).await?;
        Ok(tickets)
    }

    fn new_upload(
        &self,
        folder: &Folder,
        f: UploadRequest,
        t: f64,
        ttl: i64,
    ) -> Result<PendingUpload> {
        let max = self.config.limits.max_file_bytes as u64;
        let name = crate::domain::trimmed_within(&f.name, 255)
            .ok_or_else(|| Error::invalid("name must be 1 to 255 characters"))?;
        if !CONTENT_TYPES.iter().any(|(c, _)| *c == f.content_type) {
            return Err(Error::InvalidType(format!(
                "content_type {:?} is not one of {}",
                f.content_type,
                CONTENT_TYPES.map(|(c, _)| c).join(", ")
            )));
        }
        if f.size == 0 {
            return Err(Error::invalid(format!("file {name:?} is empty")));
        }
        if f.size > max {
            return Err(Error::TooLarge(format!(
                "file {name:?} is {} bytes; the limit is {max}",
                f.size
            )));
        }
        let is_photo = f.content_type.starts_with("image/");
        Ok(PendingUpload {
            media_id: MediaId::new(),
            folder_id: folder.folder_id,
            company_id: folder.company_id,
            user_id: folder.user_id,
            original_name: name.to_string(),
            tags: tags::validate(&f.tags, is_photo)?,
            meta_data: f
                .meta_data
                .map(metadata::parse)
                .transpose()?
                .unwrap_or_default(),
            content_type: f.content_type,
            size: f.size,
            state: UploadState::Pending,
            reason: None,
            time_created: t,
            url_expires_at: now_secs() + ttl,
        })
    }

    /// The folder's unfinished uploads, after completing those whose bytes have arrived.
    pub async fn list_uploads(&self, actor: &Actor, id: FolderId) -> Result<Vec<PendingUpload>> {
        self.get_folder(actor, id).await?;
        self.complete_folder_uploads(id).await?;
        self.pending_uploads(id).await
    }

    async fn pending_uploads(&self, id: FolderId) -> Result<Vec<PendingUpload>> {
        repo::list_prefix(&*self.store, &repo::folder_pk(id), repo::UPLOAD_PREFIX).await
    }

    /// Completes every pending upload of folder `id` whose bytes have arrived.
    pub(crate) async fn complete_folder_uploads(&self, id: FolderId) -> Result<()> {
        for u in self.pending_uploads(id).await? {
            if u.state == UploadState::Pending {
                self.complete_upload(u.folder_id, u.media_id).await?;
            }
        }
        Ok(())
    }

    /// Completes the upload whose object key is `key` (from an object-created notice); keys
    /// that name no upload are ignored.
    pub async fn complete_uploaded_object(&self, key: &str) -> Result<Completion> {
        let mut parts = key.split('/');
        let ids = (parts.next(), parts.next(), parts.next(), parts.next());
        let (Some(_), Some(folder), Some(media), None) = ids else {
            return Ok(Completion::Waiting);
        };
        match (folder.parse(), media.parse()) {
            (Ok(f), Ok(m)) => self.complete_upload(f, m).await,
            _ => Ok(Completion::Waiting),
        }
    }

    /// Turns upload `media` of `folder` into a media if its bytes are there and acceptable.
    /// Idempotent and safe to run concurrently: the media is created under a not-exists
    /// condition, so the S3 event and a folder read racing each other make one media.
    pub async fn complete_upload(&self, folder: FolderId, media: MediaId) -> Result<Completion> {
        let pk = repo::folder_pk(folder);
        let Some(item) = self.store.get(&pk, &repo::upload_sk(media)).await? else {
            return Ok(match repo::get_media(&*self.store, media).await {
                Ok(m) if m.folder_id == folder => Completion::Accepted(Box::new(m)),
                _ => Completion::Waiting,
            });
        };
        let upload: PendingUpload = decode(item)?;
        if let (UploadState::Rejected, Some(r)) = (upload.state, &upload.reason) {
            return Ok(Completion::Rejected(r.clone()));
        }
        let key = repo::upload_object(&upload);
        let Some(size) = self.blobs.head(&key).await? else {
            return Ok(Completion::Waiting);
        };
        match self.check_upload(&upload, size).await {
            Ok(m) => {
                let writes = vec![
                    Write::Delete {
                        pk: pk.clone(),
                        sk: repo::upload_sk(media),
                    },
                    Write::Put(repo::media_item(&m), Condition::NotExists),
                ];
                match self.store.transact(writes).await {
                    Ok(()) | Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e.into()),
                }
                tracing::info!(folder_id = %folder, media_id = %media, "direct upload accepted");
                Ok(Completion::Accepted(Box::new(m)))
            }
            Err(e) => {
                let reason = e.to_string();
                tracing::info!(folder_id = %folder, media_id = %media, %reason, "direct upload rejected");
                self.blobs.delete(&key).await?;
                let rejected = PendingUpload {
                    state: UploadState::Rejected,
                    reason: Some(reason.clone()),
                    ..upload
                };
                self.store
                    .put(
                        repo::upload_item(&rejected, PENDING_GRACE_SECS),
                        Condition::Exists,
                    )
                    .await?;
                Ok(Completion::Rejected(reason))
            }
        }
    }

    /// Reads the uploaded bytes and runs the multipart upload's content checks on them.
    async fn check_upload(&self, u: &PendingUpload, size: u64) -> Result<Media> {
        if size != u.size {
            return Err(Error::invalid(format!(
                "{} bytes arrived; {} were declared",
                size, u.size
            )));
        }
        let bytes = self.blobs.get(&repo::upload_object(u)).await?;
        let folder: Folder =
            repo::get_meta(&*self.store, &repo::folder_pk(u.folder_id), "folder").await?;
        let file = UploadFile {
            form_key: u.original_name.clone(),
            file_name: u.original_name.clone(),
            bytes,
        };
        let limits = self.config.limits;
        let (tags, meta, id) = (u.tags.clone(), u.meta_data.clone(), u.media_id);
        let new = tokio::task::spawn_blocking(move || {
            super::media::check_file(&folder, file, tags, meta, &limits, id, false)
        })
        .await
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("upload check task failed: {e}")))??;
        let expected = CONTENT_TYPES
            .iter()
            .find(|(c, _)| *c == u.content_type)
            .map(|(_, sniffed)| *sniffed);
        if expected != Some(new.mime) {
            return Err(Error::InvalidType(format!(
                "declared {} but the content is {}",
                u.content_type, new.mime
            )));
        }
        let mut m = new.media;
        m.time_created = u.time_created;
        Ok(m)
    }
}

/// The JSON the API answers for tickets and uploads.
pub fn upload_view(u: &PendingUpload, put: Option<&PresignedPut>) -> Value {
    let mut v = serde_json::json!({
        "media_id": u.media_id,
        "folder_id": u.folder_id,
        "original_name": u.original_name,
        "content_type": u.content_type,
        "size": u.size,
        "tags": u.tags,
        "state": u.state,
        "reason": u.reason,
        "time_created": u.time_created,
        "url_expires_at": u.url_expires_at,
    });
    if let Some(p) = put {
        v["method"] = "PUT".into();
        v["url"] = p.url.clone().into();
        v["headers"] = serde_json::to_value(&p.headers).unwrap_or_default();
    }
    v
}

/// Unused fields are refused, so a typo in `files[]` is an error, not a silent default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadsBody {
    pub files: Vec<UploadRequest>,
}
