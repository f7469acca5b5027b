//! Uploaded media: the multipart payload's rules, content checks, and media reads and edits.

use std::collections::BTreeMap;

use bytes::Bytes;
use media_decode::DecodeError;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::App;
use super::repo;
use crate::config::InputLimits;
use crate::domain::clock::now;
use crate::domain::media::{media_type, technical_meta_data};
use crate::domain::objects::{Folder, Media, MediaType, MetaData};
use crate::domain::{Actor, MediaId, metadata, tags};
use crate::ports::Condition;
use crate::{Error, Result};

/// One file part of a multipart upload.
#[derive(Debug, Clone)]
pub struct UploadFile {
    pub form_key: String,
    pub file_name: String,
    pub bytes: Bytes,
}

/// A parsed upload: files plus what the `payload` part says about them.
#[derive(Debug, Default)]
pub struct Upload {
    pub files: Vec<UploadFile>,
    pub tags: BTreeMap<String, Vec<String>>,
    pub media_meta: BTreeMap<String, MetaData>,
    pub folder_meta: Option<MetaData>,
    /// The single-request `analyses` (with the payload's `resolution_endpoint`).
    pub analyses: Option<crate::app::analyses::StartAnalyses>,
}

/// A media ready to store: the object and its bytes.
pub struct NewMedia {
    pub media: Media,
    pub bytes: Bytes,
    pub mime: &'static str,
}

fn keyed_object(
    payload: &mut serde_json::Map<String, Value>,
    key: &str,
) -> Result<BTreeMap<String, Value>> {
    match payload.remove(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => Ok(m.into_iter().collect()),
        Some(_) => Err(Error::InvalidType(format!(
            "payload {key:?} must be an object keyed by form field"
        ))),
    }
}

/// The payload's `media:tags`: a list of tags per form key.
pub(crate) fn media_tags(
    payload: &mut serde_json::Map<String, Value>,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut tags = BTreeMap::new();
    for (k, v) in keyed_object(payload, "media:tags")? {
        let list: Vec<String> = serde_json::from_value(v)
            .map_err(|_| Error::InvalidType(format!("media:tags.{k} must be a list of strings")))?;
        tags.insert(k, list);
    }
    Ok(tags)
}

impl Upload {
    /// Builds an upload from its file parts and the `payload` JSON part.
    pub fn new(files: Vec<UploadFile>, payload: Option<Value>) -> Result<Self> {
        let mut payload = match payload {
            None => serde_json::Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(Error::InvalidType("payload must be a JSON object".into())),
        };
        let mut tags = media_tags(&mut payload)?;
        let mut media_meta = BTreeMap::new();
        for (k, v) in keyed_object(&mut payload, "media:meta_data")? {
            media_meta.insert(k, metadata::parse(v)?);
        }
        let folder_meta = payload
            .remove("folder:meta_data")
            .filter(|v| !v.is_null())
            .map(metadata::parse)
            .transpose()?;
        let endpoint = payload
            .remove("resolution_endpoint")
            .filter(|v| !v.is_null());
        let analyses = match payload.remove("analyses").filter(|v| !v.is_null()) {
            None if endpoint.is_some() => {
                return Err(Error::InvalidStructure(
                    "payload.resolution_endpoint needs payload.analyses".into(),
                ));
            }
            None => None,
            Some(list) => {
                let req = serde_json::json!({ "analyses": list, "resolution_endpoint": endpoint });
                Some(
                    serde_json::from_value(req)
                        .map_err(|e| Error::InvalidStructure(format!("payload.analyses: {e}")))?,
                )
            }
        };
        if let Some(k) = payload.keys().next() {
            return Err(Error::InvalidStructure(format!(
                "unknown payload field {k:?}"
            )));
        }
        // A key that carries no file is ignored, not refused: a React Native client appends the
        // form key with no value when the user skipped that capture.
        let sent = |k: &String| files.iter().any(|f| &f.form_key == k);
        tags.retain(|k, _| sent(k));
        media_meta.retain(|k, _| sent(k));
        Ok(Self {
            files,
            tags,
            media_meta,
            folder_meta,
            analyses,
        })
    }
}

/// Turns a decoder refusal into the API error for file `name`.
fn decode_error(name: &str, e: DecodeError) -> Error {
    match e {
        DecodeError::Unrecognised => Error::InvalidType(format!(
            "file {name:?} is not a JPEG, PNG or WebP image, an MP4/MOV video or a ZIP shot set"
        )),
        DecodeError::UnsupportedCodec(m) => Error::InvalidType(format!("file {name:?}: {m}")),
        DecodeError::LimitExceeded(m) => Error::TooLarge(format!("file {name:?}: {m}")),
        other => Error::invalid(format!("file {name:?} cannot be decoded: {other}")),
    }
}

/// `bytes` probed as one still image before any decoding work (API Lite, the face check):
/// `what` names it in errors, `not_an_image` is the refusal of anything else.
pub(crate) fn probe_still(
    bytes: &[u8],
    limits: &media_decode::Limits,
    what: &str,
    not_an_image: &str,
) -> Result<media_decode::MediaInfo> {
    match media_decode::probe_then_decode(bytes, limits) {
        Ok(info) if info.kind == media_decode::MediaKind::Image => Ok(info),
        Ok(_) | Err(DecodeError::Unrecognised) => {
            Err(Error::InvalidType(format!("{what}: {not_an_image}")))
        }
        Err(DecodeError::LimitExceeded(m)) => Err(Error::TooLarge(format!("{what}: {m}"))),
        Err(e) => Err(Error::invalid(format!("{what} cannot be decoded: {e}"))),
    }
}

/// The engine's failure on `what` as the API answers it.
pub(crate) fn engine_error(what: &str, e: crate::ports::AnalyzeError) -> Error {
    match e {
        crate::ports::AnalyzeError::Undecodable(m) => {
            Error::invalid(format!("{what} cannot be decoded: {m}"))
        }
        crate::ports::AnalyzeError::Engine(e) => Error::Unexpected(e.context("face engine failed")),
    }
}

/// A file whose content was sniffed and checked against the limits.
pub(crate) struct CheckedContent {
    /// The file name, or its form key when it has none.
    pub name: String,
    pub media_type: MediaType,
    pub mime: &'static str,
    pub technical_meta_data: MetaData,
}

/// Sniffs and bounds one file's content (CPU-bound: decodes headers and probes the content).
/// `analysed_now`: this process analyses the file right after (a still's pixels are then held
/// for that decode, [`media_decode::probe_then_decode`]).
pub(crate) fn checked_content(
    f: &UploadFile,
    limits: &InputLimits,
    analysed_now: bool,
) -> Result<CheckedContent> {
    let name = if f.file_name.is_empty() {
        f.form_key.clone()
    } else {
        f.file_name.clone()
    };
    if f.bytes.is_empty() {
        return Err(Error::invalid(format!("file {name:?} is empty")));
    }
    let probe = if analysed_now {
        media_decode::probe_then_decode
    } else {
        media_decode::probe
    };
    let info = probe(&f.bytes, &limits.media).map_err(|e| decode_error(&name, e))?;
    let sha = hex::encode(Sha256::digest(&f.bytes));
    Ok(CheckedContent {
        media_type: media_type(&info),
        mime: info.format.mime(),
        technical_meta_data: technical_meta_data(&info, f.bytes.len(), &sha),
        name,
    })
}

/// Checks one file's content and builds its media object `id` (CPU-bound: decodes the content).
/// `analysed_now` as for [`checked_content`].
pub(crate) fn check_file(
    folder: &Folder,
    f: UploadFile,
    tags: Vec<String>,
    meta: MetaData,
    limits: &InputLimits,
    id: MediaId,
    analysed_now: bool,
) -> Result<NewMedia> {
    let c = checked_content(&f, limits, analysed_now)?;
    let tags = tags::validate(&tags, c.media_type == MediaType::ImageFolder)?;
    let t = now();
    Ok(NewMedia {
        mime: c.mime,
        media: Media {
            media_id: id,
            folder_id: folder.folder_id,
            company_id: folder.company_id,
            user_id: folder.user_id,
            original_name: c.name.chars().take(255).collect(),
            media_type: c.media_type,
            tags,
            meta_data: meta,
            technical_meta_data: c.technical_meta_data,
            time_created: t,
            time_updated: t,
        },
        bytes: f.bytes,
    })
}

impl App {
    /// Validates every file of `upload` for `folder`; any bad file refuses the whole upload.
    /// `analysed_now`: this request analyses the files next (the Instant API), so the stills'
    /// pixels are held for that decode ([`checked_content`]).
    pub(crate) async fn prepare_media(
        &self,
        folder: &Folder,
        upload: Upload,
        analysed_now: bool,
    ) -> Result<Vec<NewMedia>> {
        if upload.files.is_empty() {
            return Ok(Vec::new());
        }
        let limits = self.config.limits;
        let folder = folder.clone();
        tokio::task::spawn_blocking(move || {
            let Upload {
                files,
                mut tags,
                mut media_meta,
                ..
            } = upload;
            files
                .into_iter()
                .map(|f| {
                    let t = tags.remove(&f.form_key).unwrap_or_default();
                    let m = media_meta.remove(&f.form_key).unwrap_or_default();
                    check_file(&folder, f, t, m, &limits, MediaId::new(), analysed_now)
                })
                .collect()
        })
        .await
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("media check task failed: {e}")))?
    }

    /// The media, if the caller may see its folder.
    pub async fn get_media(&self, actor: &Actor, id: MediaId) -> Result<Media> {
        let m = repo::get_media(&*self.store, id).await?;
        self.get_folder(actor, m.folder_id)
            .await
            .map_err(|_| Error::NotFound("media"))?;
        Ok(m)
    }

    /// Replaces the media's tags.
    pub async fn set_media_tags(
        &self,
        actor: &Actor,
        id: MediaId,
        new_tags: Vec<String>,
    ) -> Result<Media> {
        let mut m = self.get_media(actor, id).await?;
        actor.require_folder_write()?;
        m.tags = tags::validate(&new_tags, m.media_type == MediaType::ImageFolder)?;
        m.time_updated = now();
        self.store
            .put(repo::media_item(&m), Condition::Exists)
            .await?;
        Ok(m)
    }

    /// Saves a media's new `meta_data`.
    pub async fn save_media_meta(
        &self,
        actor: &Actor,
        id: MediaId,
        md: MetaData,
    ) -> Result<MetaData> {
        let mut m = self.get_media(actor, id).await?;
        actor.require_folder_write()?;
        m.meta_data = md;
        m.time_updated = now();
        self.store
            .put(repo::media_item(&m), Condition::Exists)
            .await?;
        Ok(m.meta_data)
    }

    /// A short-lived URL to the media's bytes.
    pub async fn media_url(&self, m: &Media) -> Result<String> {
        Ok(self
            .blobs
            .presign_get(&repo::media_object(m), self.config.file_url_ttl)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::objects::{FolderStatus, Resolution};
    use crate::domain::{CompanyId, FolderId, UserId};

    /// A 4 × 4 RGB PNG.
    const PNG: [u8; 103] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0x26,
        0x93, 0x09, 0x29, 0x00, 0x00, 0x00, 0x2e, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
        0x60, 0x60, 0xb0, 0xb1, 0xb1, 0xa9, 0xa8, 0xa8, 0xd8, 0xb2, 0x65, 0x0b, 0x83, 0x9c, 0x9c,
        0x5c, 0x54, 0x54, 0xd4, 0xb4, 0x69, 0xd3, 0x2e, 0x5d, 0xba, 0x84, 0x10, 0xfe, 0xf0, 0xe1,
        0x03, 0x03, 0x5c, 0x98, 0x8f, 0x8f, 0x0f, 0x00, 0x06, 0xda, 0x16, 0x51, 0x1d, 0xe4, 0xb4,
        0x4f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    fn check(bytes: Vec<u8>, analysed_now: bool) -> Result<NewMedia> {
        let t = now();
        let folder = Folder {
            folder_id: FolderId::new(),
            company_id: CompanyId::new(),
            user_id: UserId::new(),
            resolution_status: FolderStatus::Initial,
            system_resolution: Resolution::Initial,
            meta_data: MetaData::new(),
            technical_meta_data: MetaData::new(),
            time_created: t,
            time_updated: t,
        };
        let limits = crate::properties::limits();
        let file = UploadFile {
            form_key: "photo".into(),
            file_name: "photo.png".into(),
            bytes: bytes.into(),
        };
        check_file(
            &folder,
            file,
            vec![],
            MetaData::new(),
            &limits,
            MediaId::new(),
            analysed_now,
        )
    }

    /// Each test gets bytes of its own: the held stills are process-wide.
    fn png_with_trailer(tag: u8) -> Vec<u8> {
        let mut v = PNG.to_vec();
        v.extend_from_slice(&[tag; 8]);
        v
    }

    #[test]
    fn a_file_analysed_in_the_same_request_keeps_its_pixels_for_that_decode() {
        // The Instant API's path: without the hold every photo is decoded twice (~17 ms each).
        let bytes = png_with_trailer(1);
        let m = check(bytes.clone(), true).unwrap();
        assert_eq!(m.media.media_type, MediaType::ImageFolder);
        assert!(media_decode::holds_still_for(&bytes));
    }

    #[test]
    fn a_stored_file_holds_nothing() {
        let bytes = png_with_trailer(2);
        check(bytes.clone(), false).unwrap();
        assert!(!media_decode::holds_still_for(&bytes));
    }
}
