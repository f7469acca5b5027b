//! Folders: create with media, list with the filters of the Oz API, read, delete.

use serde_json::Value;

use super::media::{NewMedia, Upload};
use super::repo::{self, META};
use super::{App, Page};
use crate::domain::clock::now;
use crate::domain::metadata;
use crate::domain::objects::{Folder, FolderStatus, Media, MetaData, Resolution};
use crate::domain::{Actor, CompanyId, FolderId, Role, UserId};
use crate::ports::{Condition, Write};
use crate::{Error, Result};

/// Filters of `GET /api/folders/`.
#[derive(Debug, Default, Clone)]
pub struct FolderFilter {
    pub page: Page,
    pub newest_first: bool,
    pub time_min: Option<f64>,
    pub time_max: Option<f64>,
    /// `meta_data=key==value`, all must hold.
    pub meta: Vec<(String, String)>,
    pub resolution_status: Option<Vec<String>>,
    pub company_id: Option<CompanyId>,
    pub user_id: Option<UserId>,
}

/// A folder and, when asked for, its media.
#[derive(Debug)]
pub struct FolderView {
    pub folder: Folder,
    pub media: Option<Vec<Media>>,
}

impl App {
    /// Creates a folder holding the uploaded media (validated all together before anything is stored).
    pub async fn create_folder(&self, actor: &Actor, upload: Upload) -> Result<FolderView> {
        actor.require_folder_write()?;
        let t = now();
        let folder = Folder {
            folder_id: FolderId::new(),
            company_id: actor.company_id,
            user_id: actor.user_id,
            resolution_status: FolderStatus::Initial,
            system_resolution: Resolution::Initial,
            meta_data: upload.folder_meta.clone().unwrap_or_default(),
            technical_meta_data: MetaData::new(),
            time_created: t,
            time_updated: t,
        };
        let media = self.prepare_media(&folder, upload, false).await?;
        let stored = self
            .store_media(
                &folder,
                media,
                Some(Write::Put(repo::folder_item(&folder), Condition::NotExists)),
            )
            .await?;
        Ok(FolderView {
            folder,
            media: Some(stored),
        })
    }

    /// Adds uploaded media to an existing folder.
    pub async fn add_media(
        &self,
        actor: &Actor,
        id: FolderId,
        upload: Upload,
    ) -> Result<Vec<Media>> {
        let folder = self.get_folder(actor, id).await?;
        actor.require_folder_write()?;
        if upload.folder_meta.is_some() {
            return Err(Error::InvalidStructure(
                "folder:meta_data is only accepted when creating a folder".into(),
            ));
        }
        let media = self.prepare_media(&folder, upload, false).await?;
        let existing = Write::Put(repo::folder_item(&folder), Condition::Exists);
        self.store_media(&folder, media, Some(existing)).await
    }

    /// Stores the blobs, then the items in one transaction; on failure removes the blobs again.
    async fn store_media(
        &self,
        folder: &Folder,
        media: Vec<NewMedia>,
        also: Option<Write>,
    ) -> Result<Vec<Media>> {
        let mut writes: Vec<Write> = also.into_iter().collect();
        for m in &media {
            self.blobs
                .put(&repo::media_object(&m.media), m.bytes.clone(), m.mime)
                .await?;
            writes.push(Write::Put(repo::media_item(&m.media), Condition::NotExists));
        }
        if let Err(e) = self.store.transact(writes).await {
            for m in &media {
                let _ = self.blobs.delete(&repo::media_object(&m.media)).await;
            }
            return Err(match e {
                crate::ports::StoreError::Conflict => Error::NotFound("folder"),
                other => other.into(),
            });
        }
        tracing::info!(folder_id = %folder.folder_id, count = media.len(), "stored media");
        Ok(media.into_iter().map(|m| m.media).collect())
    }

    /// The folder, if the caller may see it.
    pub async fn get_folder(&self, actor: &Actor, id: FolderId) -> Result<Folder> {
        let f: Folder = repo::get_meta(&*self.store, &repo::folder_pk(id), "folder").await?;
        if actor.sees_folder(&f) {
            Ok(f)
        } else {
            Err(Error::NotFound("folder"))
        }
    }

    /// The folder with its media when `with_media`.
    pub async fn folder_view(
        &self,
        actor: &Actor,
        id: FolderId,
        with_media: bool,
    ) -> Result<FolderView> {
        let folder = self.get_folder(actor, id).await?;
        let media = if with_media {
            self.complete_folder_uploads(id).await?;
            Some(repo::folder_media(&*self.store, id).await?)
        } else {
            None
        };
        Ok(FolderView { folder, media })
    }

    /// Folders the caller may see, filtered and paged.
    pub async fn list_folders(
        &self,
        actor: &Actor,
        f: &FolderFilter,
        with_media: bool,
    ) -> Result<(Vec<FolderView>, usize)> {
        let range = repo::created_between(f.time_min, f.time_max, f.newest_first);
        let index = match (actor.role, f.company_id) {
            (r, _) if r.sees_own_folders_only() => repo::user_folders(actor.user_id),
            (Role::Admin | Role::Operator, None) => repo::all_folders(),
            (Role::Admin | Role::Operator, Some(c)) => repo::company_folders(c),
            _ => repo::company_folders(actor.company_id),
        };
        let folders: Vec<Folder> = repo::list_index(&*self.store, &index, &range).await?;
        let status_ok = |s: FolderStatus| {
            f.resolution_status.as_ref().is_none_or(|list| {
                let name = serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                list.iter().any(|x| x.eq_ignore_ascii_case(&name))
            })
        };
        let hits: Vec<Folder> = folders
            .into_iter()
            .filter(|x| actor.sees_folder(x))
            .filter(|x| f.company_id.is_none_or(|c| x.company_id == c))
            .filter(|x| f.user_id.is_none_or(|u| x.user_id == u))
            .filter(|x| status_ok(x.resolution_status))
            .filter(|x| {
                f.meta
                    .iter()
                    .all(|(k, v)| metadata::matches(&x.meta_data, k, v))
            })
            .collect();
        let (page, total) = f.page.apply(hits);
        let mut out = Vec::with_capacity(page.len());
        for folder in page {
            let media = if with_media {
                Some(repo::folder_media(&*self.store, folder.folder_id).await?)
            } else {
                None
            };
            out.push(FolderView { folder, media });
        }
        Ok((out, total))
    }

    /// Deletes a folder, its media items and its files.
    pub async fn delete_folder(&self, actor: &Actor, id: FolderId) -> Result<()> {
        let folder = self.get_folder(actor, id).await?;
        actor.require_folder_delete()?;
        let pk = repo::folder_pk(id);
        // The folder item goes first: from then on the folder and its media answer 404, and the
        // rest (media, uploads) goes in transactions of at most 100 writes (DynamoDB's limit).
        self.store.delete(&pk, META).await?;
        repo::delete_partition(&*self.store, &pk).await?;
        self.blobs
            .delete_prefix(&repo::folder_objects(folder.company_id, id))
            .await?;
        tracing::info!(folder_id = %id, "deleted folder");
        Ok(())
    }

    /// Saves a folder's new `meta_data`.
    pub async fn save_folder_meta(
        &self,
        actor: &Actor,
        id: FolderId,
        md: MetaData,
    ) -> Result<MetaData> {
        let mut f = self.get_folder(actor, id).await?;
        actor.require_folder_write()?;
        f.meta_data = md;
        f.time_updated = now();
        self.store
            .put(repo::folder_item(&f), Condition::Exists)
            .await?;
        Ok(f.meta_data)
    }
}

/// Parses `folder:meta_data` of an upload payload.
pub fn folder_meta(v: Value) -> Result<MetaData> {
    metadata::parse(v)
}
