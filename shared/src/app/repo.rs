//! How each object is laid out in the single table: its keys, its index entries, and typed
//! get/put helpers over the [`Store`] port.
//!
//! | object  | pk                | sk                  | index 1                         | index 2                     | index 3             |
//! |---------|-------------------|---------------------|---------------------------------|-----------------------------|---------------------|
//! | company | `COMPANY#id`      | `META`              | `COMPANIES` / `name#id`         |                             |                     |
//! | user    | `USER#id`         | `META`              |                                 | `COMPANY#cid#USERS` / `t#id`| `USERS` / `t#id`    |
//! | email   | `EMAIL#email`     | `META`              | (uniqueness claim → user id)    |                             |                     |
//! | session | `SESSION#id`      | `META`              | `USER#uid#SESSIONS` / `id`      |                             |                     |
//! | folder  | `FOLDER#id`       | `META`              | `COMPANY#cid#FOLDERS` / `t#id`  | `USER#uid#FOLDERS` / `t#id` | `FOLDERS` / `t#id`  |
//! | media   | `FOLDER#fid`      | `MEDIA#t#id`        | `MEDIA#id` / `META`             |                             |                     |
//! | upload  | `FOLDER#fid`      | `UPLOAD#id`         | (pending direct upload; TTL)    |                             |                     |
//! | analysis| `FOLDER#fid`      | `ANALYSIS#t#id`     | `ANALYSIS#id` / `META`          |                             |                     |
//! | collection | `COLLECTION#id` | `META`              | `COMPANY#cid#COLLECTIONS` / `t#id` |                          | `COLLECTIONS` / `t#id` |
//! | alias   | `COMPANY#cid`     | `ALIAS#alias`       | (uniqueness claim → collection id) |                          |                     |
//! | person  | `COLLECTION#cid`  | `PERSON#id`         |                                 |                             |                     |
//! | person image | `COLLECTION#cid` | `IMAGE#pid#id` | (holds the face template)       |                             |                     |
//!
//! The collection items are written by `collections.rs`, which keeps their key functions.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::analysis::Analysis;
use crate::domain::clock::time_key;
use crate::domain::objects::{Company, Folder, Media, Session, StoredUser};
use crate::domain::{AnalysisId, CompanyId, FolderId, MediaId, SessionId, UserId};
use crate::ports::{Item, Range, Store, Write};
use crate::{Error, Result};

/// Sort key of singleton items.
pub const META: &str = "META";

fn body<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("domain objects always serialise")
}

/// Decodes an item's body into `T`.
pub fn decode<T: DeserializeOwned>(item: Item) -> Result<T> {
    serde_json::from_value(item.body).map_err(|e| {
        Error::Unexpected(anyhow::anyhow!("corrupt item {} {}: {e}", item.pk, item.sk))
    })
}

fn decode_all<T: DeserializeOwned>(items: Vec<Item>) -> Result<Vec<T>> {
    items.into_iter().map(decode).collect()
}

pub fn company_pk(id: CompanyId) -> String {
    format!("COMPANY#{id}")
}
pub fn user_pk(id: UserId) -> String {
    format!("USER#{id}")
}
pub fn email_pk(email: &str) -> String {
    format!("EMAIL#{}", email.to_lowercase())
}
pub fn session_pk(id: SessionId) -> String {
    format!("SESSION#{id}")
}
pub fn folder_pk(id: FolderId) -> String {
    format!("FOLDER#{id}")
}
pub fn media_index(id: MediaId) -> String {
    format!("MEDIA#{id}")
}

/// The company's item.
pub fn company_item(c: &Company) -> Item {
    Item::new(company_pk(c.company_id), META, body(c)).with_index(
        1,
        "COMPANIES",
        format!("{}#{}", c.name.to_lowercase(), c.company_id),
    )
}

/// The user's item.
pub fn user_item(u: &StoredUser) -> Item {
    let t = format!("{}#{}", time_key(u.user.time_created), u.user.user_id);
    Item::new(user_pk(u.user.user_id), META, body(u))
        .with_index(2, format!("COMPANY#{}#USERS", u.user.company_id), t.clone())
        .with_index(3, "USERS", t)
}

/// The claim that makes an email unique across users.
pub fn email_item(email: &str, user: UserId) -> Item {
    Item::new(
        email_pk(email),
        META,
        serde_json::json!({ "user_id": user }),
    )
}

/// The session's item; it disappears by TTL once its refresh token has expired.
pub fn session_item(s: &Session) -> Item {
    Item::new(session_pk(s.session_id), META, body(s))
        .with_index(
            1,
            format!("USER#{}#SESSIONS", s.user_id),
            s.session_id.to_string(),
        )
        .expiring(s.refresh_expires_at.max(s.expires_at))
}

/// The folder's item.
pub fn folder_item(f: &Folder) -> Item {
    let t = format!("{}#{}", time_key(f.time_created), f.folder_id);
    Item::new(folder_pk(f.folder_id), META, body(f))
        .with_index(1, format!("COMPANY#{}#FOLDERS", f.company_id), t.clone())
        .with_index(2, format!("USER#{}#FOLDERS", f.user_id), t.clone())
        .with_index(3, "FOLDERS", t)
}

/// The media's item, stored in its folder's partition.
pub fn media_item(m: &Media) -> Item {
    Item::new(
        folder_pk(m.folder_id),
        format!("MEDIA#{}#{}", time_key(m.time_created), m.media_id),
        body(m),
    )
    .with_index(1, media_index(m.media_id), META)
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

/// The media with this id.
pub async fn get_media(store: &dyn Store, id: MediaId) -> Result<Media> {
    let mut items = store
        .query_index(1, &media_index(id), &Range::default())
        .await?;
    match items.pop() {
        Some(item) => decode(item),
        None => Err(Error::NotFound("media")),
    }
}

/// The media of a folder, oldest first.
pub async fn folder_media(store: &dyn Store, id: FolderId) -> Result<Vec<Media>> {
    decode_all(
        store
            .query(&folder_pk(id), &Range::prefix("MEDIA#"))
            .await?,
    )
}

/// Every object in index `n` partition `pk`, decoded.
pub async fn list_index<T: DeserializeOwned>(
    store: &dyn Store,
    n: usize,
    pk: &str,
    range: &Range,
) -> Result<Vec<T>> {
    decode_all(store.query_index(n, pk, range).await?)
}

pub fn analysis_index(id: AnalysisId) -> String {
    format!("ANALYSIS#{id}")
}

/// The analysis's item, stored in its folder's partition (deleted with it).
pub fn analysis_item(a: &Analysis) -> Item {
    Item::new(
        folder_pk(a.folder_id),
        format!("ANALYSIS#{}#{}", time_key(a.time_created), a.analysis_id),
        body(a),
    )
    .with_index(1, analysis_index(a.analysis_id), META)
}

/// The analysis with this id.
pub async fn get_analysis(store: &dyn Store, id: AnalysisId) -> Result<Analysis> {
    let mut items = store
        .query_index(1, &analysis_index(id), &Range::default())
        .await?;
    match items.pop() {
        Some(item) => decode(item),
        None => Err(Error::NotFound("analysis")),
    }
}

/// The analyses of a folder, oldest first (a strongly consistent read of its partition).
pub async fn folder_analyses(store: &dyn Store, id: FolderId) -> Result<Vec<Analysis>> {
    decode_all(
        store
            .query(&folder_pk(id), &Range::prefix("ANALYSIS#"))
            .await?,
    )
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
