//! The single table as the services use it: [`layout`] says where every object lives (keys,
//! index entries, object-store keys); the functions here are the typed reads over the [`Store`]
//! port that more than one service needs.

pub mod layout;

use base64::Engine as _;
use serde::de::DeserializeOwned;

pub use layout::*;

use crate::domain::analysis::Analysis;
use crate::domain::collection::StoredPersonImage;
use crate::domain::objects::Media;
use crate::domain::webhook::WebhookDelivery;
use crate::domain::{AnalysisId, CollectionId, FolderId, MediaId, template};
use crate::ports::{Item, Range, Store, Write};
use crate::{Error, Result};

/// Decodes an item's body into `T`.
pub fn decode<T: DeserializeOwned>(item: Item) -> Result<T> {
    serde_json::from_value(item.body).map_err(|e| {
        Error::Unexpected(anyhow::anyhow!("corrupt item {} {}: {e}", item.pk, item.sk))
    })
}

fn decode_all<T: DeserializeOwned>(items: Vec<Item>) -> Result<Vec<T>> {
    items.into_iter().map(decode).collect()
}

/// The object at `(pk, META)`, decoded, or `NotFound(what)`.
pub async fn get_meta<T: DeserializeOwned>(
    store: &dyn Store,
    pk: &str,
    what: &'static str,
) -> Result<T> {
    match store.get(pk, META).await? {
        Some(item) => decode(item),
        None => Err(Error::NotFound(what)),
    }
}

/// The one object an id index partition holds, or `NotFound(what)`.
async fn get_by_id<T: DeserializeOwned>(
    store: &dyn Store,
    k: IndexKey,
    what: &'static str,
) -> Result<T> {
    match index_items(store, &k, &Range::default()).await?.pop() {
        Some(item) => decode(item),
        None => Err(Error::NotFound(what)),
    }
}

/// The media with this id.
pub async fn get_media(store: &dyn Store, id: MediaId) -> Result<Media> {
    get_by_id(store, media_by_id(id), "media").await
}

/// The analysis with this id.
pub async fn get_analysis(store: &dyn Store, id: AnalysisId) -> Result<Analysis> {
    get_by_id(store, analysis_by_id(id), "analysis").await
}

/// The items of partition `pk` whose sort key starts with `prefix`, decoded, in key order.
pub async fn list_prefix<T: DeserializeOwned>(
    store: &dyn Store,
    pk: &str,
    prefix: &str,
) -> Result<Vec<T>> {
    decode_all(store.query(pk, &Range::prefix(prefix)).await?)
}

/// The media of a folder, oldest first.
pub async fn folder_media(store: &dyn Store, id: FolderId) -> Result<Vec<Media>> {
    list_prefix(store, &folder_pk(id), MEDIA_PREFIX).await
}

/// The analyses of a folder, oldest first (a strongly consistent read of its partition).
pub async fn folder_analyses(store: &dyn Store, id: FolderId) -> Result<Vec<Analysis>> {
    list_prefix(store, &folder_pk(id), ANALYSIS_PREFIX).await
}

/// The delivery record of request `group` in folder `folder`, if it has one.
pub async fn webhook_delivery(
    store: &dyn Store,
    folder: FolderId,
    group: AnalysisId,
) -> Result<Option<WebhookDelivery>> {
    match store.get(&folder_pk(folder), &delivery_sk(group)).await? {
        Some(item) => decode(item).map(Some),
        None => Ok(None),
    }
}

/// Every stored image of the collection, with templates (what the search index is built from).
pub async fn stored_images(store: &dyn Store, id: CollectionId) -> Result<Vec<StoredPersonImage>> {
    list_prefix(store, &collection_pk(id), IMAGE_PREFIX).await
}

/// Decodes the template of a stored image.
pub fn image_template(i: &StoredPersonImage) -> Result<Vec<f32>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&i.template)
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("corrupt template: {e}")))?;
    template::decode(&bytes)
}

/// The items in index partition `k` within `range`.
pub async fn index_items(store: &dyn Store, k: &IndexKey, range: &Range) -> Result<Vec<Item>> {
    Ok(store.query_index(k.slot, &k.pk, range).await?)
}

/// Every object in index partition `k` within `range`, decoded.
pub async fn list_index<T: DeserializeOwned>(
    store: &dyn Store,
    k: &IndexKey,
    range: &Range,
) -> Result<Vec<T>> {
    decode_all(index_items(store, k, range).await?)
}

/// Deletes every item of partition `pk`, in transactions of at most 100 writes (DynamoDB's
/// limit). Callers delete the partition's `META` item first, so the object answers 404 while the
/// rest goes.
pub async fn delete_partition(store: &dyn Store, pk: &str) -> Result<()> {
    let rest: Vec<Write> = store
        .query(pk, &Range::default())
        .await?
        .into_iter()
        .map(|item| Write::Delete {
            pk: item.pk,
            sk: item.sk,
        })
        .collect();
    for chunk in rest.chunks(100) {
        store.transact(chunk.to_vec()).await?;
    }
    Ok(())
}
