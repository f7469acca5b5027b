//! The `meta_data` sub-resource shared by users, folders, media, analyses and collections: read, replace,
//! merge, clear.

use super::App;
use crate::Result;
use crate::domain::metadata;
use crate::domain::objects::MetaData;
use crate::domain::{Actor, AnalysisId, CollectionId, FolderId, MediaId, UserId};

/// Which object's `meta_data` a request addresses.
#[derive(Debug, Clone, Copy)]
pub enum MetaTarget {
    User(UserId),
    Folder(FolderId),
    Media(MediaId),
    Analysis(AnalysisId),
    Collection(CollectionId),
}

/// What to do with it.
#[derive(Debug)]
pub enum MetaChange {
    Replace(MetaData),
    Merge(MetaData),
    Clear,
}

impl App {
    /// The object's current `meta_data`.
    pub async fn get_meta(&self, actor: &Actor, target: MetaTarget) -> Result<MetaData> {
        Ok(match target {
            MetaTarget::User(id) => self.get_user(actor, id).await?.meta_data,
            MetaTarget::Folder(id) => self.get_folder(actor, id).await?.meta_data,
            MetaTarget::Media(id) => self.get_media(actor, id).await?.meta_data,
            MetaTarget::Analysis(id) => self.get_analysis(actor, id).await?.meta_data,
            MetaTarget::Collection(id) => self.get_collection(actor, id).await?.meta_data,
        })
    }

    /// Applies `change` and returns the new `meta_data`.
    pub async fn change_meta(
        &self,
        actor: &Actor,
        target: MetaTarget,
        change: MetaChange,
    ) -> Result<MetaData> {
        let current = self.get_meta(actor, target).await?;
        let next = match change {
            MetaChange::Replace(m) => m,
            MetaChange::Merge(patch) => metadata::merge(&current, patch)?,
            MetaChange::Clear => MetaData::new(),
        };
        match target {
            MetaTarget::User(id) => self.save_user_meta(actor, id, next).await,
            MetaTarget::Folder(id) => self.save_folder_meta(actor, id, next).await,
            MetaTarget::Media(id) => self.save_media_meta(actor, id, next).await,
            MetaTarget::Analysis(id) => self.save_analysis_meta(actor, id, next).await,
            MetaTarget::Collection(id) => self.save_collection_meta(actor, id, next).await,
        }
    }
}
