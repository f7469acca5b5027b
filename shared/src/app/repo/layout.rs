//! Where every object lives: its table keys, its secondary-index entries, and its files in the
//! object store. Nothing else spells a key.
//!
//! | object  | pk                | sk                  | index 1                         | index 2                     | index 3             |
//! |---------|-------------------|---------------------|---------------------------------|-----------------------------|---------------------|
//! | company | `COMPANY#id`      | `META`              | `COMPANIES` / `name#id`         |                             |                     |
//! | webhook secret | `COMPANY#id` | `WEBHOOK_SECRET` |                                 |                             |                     |
//! | user    | `USER#id`         | `META`              |                                 | `COMPANY#cid#USERS` / `t#id`| `USERS` / `t#id`    |
//! | email   | `EMAIL#email`     | `META`              | (uniqueness claim → user id)    |                             |                     |
//! | session | `SESSION#id`      | `META`              | `USER#uid#SESSIONS` / `id`      |                             |                     |
//! | login failures | `LOGIN_FAILURES#ACCOUNT#email` or `#ADDRESS#ip` | `META` | (count in the window; TTL) |          |                     |
//! | folder  | `FOLDER#id`       | `META`              | `COMPANY#cid#FOLDERS` / `t#id`  | `USER#uid#FOLDERS` / `t#id` | `FOLDERS` / `t#id`  |
//! | media   | `FOLDER#fid`      | `MEDIA#t#id`        | `MEDIA#id` / `META`             |                             |                     |
//! | upload  | `FOLDER#fid`      | `UPLOAD#id`         | (pending direct upload; TTL)    |                             |                     |
//! | analysis| `FOLDER#fid`      | `ANALYSIS#t#id`     | `ANALYSIS#id` / `META`          |                             |                     |
//! | webhook delivery | `FOLDER#fid` | `WEBHOOK#group` | (one per request with a `resolution_endpoint`) |          |                     |
//! | collection | `COLLECTION#id` | `META`             | `COMPANY#cid#COLLECTIONS` / `t#id` |                          | `COLLECTIONS` / `t#id` |
//! | alias   | `COMPANY#cid`     | `ALIAS#alias`       | (uniqueness claim → collection id) |                          |                     |
//! | person  | `COLLECTION#cid`  | `PERSON#id`         |                                 |                             |                     |
//! | person image | `COLLECTION#cid` | `IMAGE#pid#id` | (holds the face template)       |                             |                     |
//!
//! `t` is [`time_key`] of the creation time, so index ranges are time ranges. Everything of a
//! folder shares its partition and is deleted with it.
//!
//! Object store: `cid/fid/mid` (a media, or a direct upload's bytes), `cid/fid/analyses/aid/mid-best.jpg`
//! (a best shot), `cid/collections/colid/pid/iid` (a person image). A folder's and a collection's
//! files each share one prefix.

use serde::Serialize;
use serde_json::json;

use crate::domain::analysis::Analysis;
use crate::domain::clock::time_key;
use crate::domain::collection::{Collection, Person, PersonImage, StoredPersonImage};
use crate::domain::objects::{Company, Folder, Media, PendingUpload, Session, StoredUser};
use crate::domain::webhook::WebhookDelivery;
use crate::domain::{
    AnalysisId, CollectionId, CompanyId, FolderId, MediaId, PersonId, PersonImageId, SessionId,
    UserId,
};
use crate::ports::{Item, Range};

/// Sort key of singleton items.
pub const META: &str = "META";
/// Sort key of a company's webhook secret, an item of its own so no company view can show it.
pub const WEBHOOK_SECRET: &str = "WEBHOOK_SECRET";
/// Sort-key prefixes of the items in a folder's partition.
pub const MEDIA_PREFIX: &str = "MEDIA#";
pub const ANALYSIS_PREFIX: &str = "ANALYSIS#";
pub const UPLOAD_PREFIX: &str = "UPLOAD#";
/// Sort-key prefixes of the items in a collection's partition.
pub const PERSON_PREFIX: &str = "PERSON#";
pub const IMAGE_PREFIX: &str = "IMAGE#";

/// A partition of one secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    /// Index slot, 1-based.
    pub slot: usize,
    pub pk: String,
}

fn index(slot: usize, pk: impl Into<String>) -> IndexKey {
    IndexKey {
        slot,
        pk: pk.into(),
    }
}

fn body<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("domain objects always serialise")
}

// ---- partition keys ----

pub fn company_pk(id: CompanyId) -> String {
    format!("COMPANY#{id}")
}
pub fn user_pk(id: UserId) -> String {
    format!("USER#{id}")
}
pub fn email_pk(email: &str) -> String {
    format!("EMAIL#{}", email.to_lowercase())
}
/// Failed logins for one account (`email`, any case) within the throttling window.
pub fn account_failures_pk(email: &str) -> String {
    format!("LOGIN_FAILURES#ACCOUNT#{}", email.to_lowercase())
}
/// Failed logins from one client address within the throttling window.
pub fn address_failures_pk(addr: std::net::IpAddr) -> String {
    format!("LOGIN_FAILURES#ADDRESS#{addr}")
}
pub fn session_pk(id: SessionId) -> String {
    format!("SESSION#{id}")
}
pub fn folder_pk(id: FolderId) -> String {
    format!("FOLDER#{id}")
}
pub fn collection_pk(id: CollectionId) -> String {
    format!("COLLECTION#{id}")
}

// ---- sort keys ----

pub fn upload_sk(id: MediaId) -> String {
    format!("{UPLOAD_PREFIX}{id}")
}
pub fn delivery_sk(group: AnalysisId) -> String {
    format!("WEBHOOK#{group}")
}
pub fn alias_sk(alias: &str) -> String {
    format!("ALIAS#{}", alias.to_lowercase())
}
pub fn person_sk(id: PersonId) -> String {
    format!("{PERSON_PREFIX}{id}")
}
pub fn image_sk(person: PersonId, id: PersonImageId) -> String {
    format!("{IMAGE_PREFIX}{person}#{id}")
}
/// The sort-key prefix of one person's images.
pub fn person_images_prefix(person: PersonId) -> String {
    format!("{IMAGE_PREFIX}{person}#")
}

// ---- index partitions ----

/// Every company, by name.
pub fn all_companies() -> IndexKey {
    index(1, "COMPANIES")
}
/// Every user, newest last.
pub fn all_users() -> IndexKey {
    index(3, "USERS")
}
/// The users of a company.
pub fn company_users(c: CompanyId) -> IndexKey {
    index(2, format!("COMPANY#{c}#USERS"))
}
/// The sessions of a user.
pub fn user_sessions(u: UserId) -> IndexKey {
    index(1, format!("USER#{u}#SESSIONS"))
}
/// Every folder, by creation time.
pub fn all_folders() -> IndexKey {
    index(3, "FOLDERS")
}
/// The folders of a company.
pub fn company_folders(c: CompanyId) -> IndexKey {
    index(1, format!("COMPANY#{c}#FOLDERS"))
}
/// The folders a user created.
pub fn user_folders(u: UserId) -> IndexKey {
    index(2, format!("USER#{u}#FOLDERS"))
}
/// Every collection, by creation time.
pub fn all_collections() -> IndexKey {
    index(3, "COLLECTIONS")
}
/// The collections of a company.
pub fn company_collections(c: CompanyId) -> IndexKey {
    index(1, format!("COMPANY#{c}#COLLECTIONS"))
}
/// The media with this id (one item).
pub fn media_by_id(id: MediaId) -> IndexKey {
    index(1, format!("MEDIA#{id}"))
}
/// The analysis with this id (one item).
pub fn analysis_by_id(id: AnalysisId) -> IndexKey {
    index(1, format!("ANALYSIS#{id}"))
}

/// The entries of a time-ordered index (sort key `t#id`) created between `min` and `max`
/// (inclusive, Unix seconds).
pub fn created_between(min: Option<f64>, max: Option<f64>, newest_first: bool) -> Range {
    Range {
        prefix: None,
        from: min.map(time_key),
        // `~` sorts after the `#id` suffix, so an entry created exactly at `max` is included.
        to: max.map(|t| format!("{}~", time_key(t))),
        descending: newest_first,
    }
}

fn with(item: Item, k: IndexKey, sk: impl Into<String>) -> Item {
    item.with_index(k.slot, k.pk, sk)
}

// ---- items ----

/// The company's item.
pub fn company_item(c: &Company) -> Item {
    let name = format!("{}#{}", c.name.to_lowercase(), c.company_id);
    with(
        Item::new(company_pk(c.company_id), META, body(c)),
        all_companies(),
        name,
    )
}

/// The company's webhook secret.
pub fn webhook_secret_item(id: CompanyId, secret: &str) -> Item {
    Item::new(company_pk(id), WEBHOOK_SECRET, json!({ "secret": secret }))
}

/// The user's item.
pub fn user_item(u: &StoredUser) -> Item {
    let t = format!("{}#{}", time_key(u.user.time_created), u.user.user_id);
    let item = Item::new(user_pk(u.user.user_id), META, body(u));
    let item = with(item, company_users(u.user.company_id), t.clone());
    with(item, all_users(), t)
}

/// The claim that makes an email unique across users.
pub fn email_item(email: &str, user: UserId) -> Item {
    Item::new(email_pk(email), META, json!({ "user_id": user }))
}

/// The session's item; it disappears by TTL once its refresh token has expired.
pub fn session_item(s: &Session) -> Item {
    let item = Item::new(session_pk(s.session_id), META, body(s));
    with(item, user_sessions(s.user_id), s.session_id.to_string())
        .expiring(s.refresh_expires_at.max(s.expires_at))
}

/// The folder's item.
pub fn folder_item(f: &Folder) -> Item {
    let t = format!("{}#{}", time_key(f.time_created), f.folder_id);
    let item = Item::new(folder_pk(f.folder_id), META, body(f));
    let item = with(item, company_folders(f.company_id), t.clone());
    let item = with(item, user_folders(f.user_id), t.clone());
    with(item, all_folders(), t)
}

/// The media's item, stored in its folder's partition.
pub fn media_item(m: &Media) -> Item {
    let sk = format!("{MEDIA_PREFIX}{}#{}", time_key(m.time_created), m.media_id);
    with(
        Item::new(folder_pk(m.folder_id), sk, body(m)),
        media_by_id(m.media_id),
        META,
    )
}

/// The analysis's item, stored in its folder's partition (deleted with it).
pub fn analysis_item(a: &Analysis) -> Item {
    let sk = format!(
        "{ANALYSIS_PREFIX}{}#{}",
        time_key(a.time_created),
        a.analysis_id
    );
    with(
        Item::new(folder_pk(a.folder_id), sk, body(a)),
        analysis_by_id(a.analysis_id),
        META,
    )
}

/// A pending direct upload, in its folder's partition; the store's TTL removes it `grace_secs`
/// after its URL expired.
pub fn upload_item(u: &PendingUpload, grace_secs: i64) -> Item {
    Item::new(folder_pk(u.folder_id), upload_sk(u.media_id), body(u))
        .expiring(u.url_expires_at + grace_secs)
}

/// The delivery record of one request's webhook, in its folder's partition.
pub fn delivery_item(d: &WebhookDelivery) -> Item {
    Item::new(folder_pk(d.folder_id), delivery_sk(d.group_id), body(d))
}

/// The collection's item.
pub fn collection_item(c: &Collection) -> Item {
    let t = format!("{}#{}", time_key(c.time_created), c.collection_id);
    let item = Item::new(collection_pk(c.collection_id), META, body(c));
    let item = with(item, company_collections(c.company_id), t.clone());
    with(item, all_collections(), t)
}

/// The claim that makes an alias unique within its company; it names the collection.
pub fn alias_item(c: &Collection) -> Item {
    Item::new(
        company_pk(c.company_id),
        alias_sk(&c.alias),
        json!({ "collection_id": c.collection_id }),
    )
}

/// A person of a collection.
pub fn person_item(p: &Person) -> Item {
    Item::new(
        collection_pk(p.collection_id),
        person_sk(p.person_id),
        body(p),
    )
}

/// A person image with its template.
pub fn image_item(i: &StoredPersonImage) -> Item {
    Item::new(
        collection_pk(i.image.collection_id),
        image_sk(i.image.person_id, i.image.person_image_id),
        body(i),
    )
}

// ---- object store ----

fn folder_file(company: CompanyId, folder: FolderId, media: MediaId) -> String {
    format!("{}{media}", folder_objects(company, folder))
}
/// The object key of a media's file.
pub fn media_object(m: &Media) -> String {
    folder_file(m.company_id, m.folder_id, m.media_id)
}
/// Where a direct upload's bytes go; the media keeps this key once accepted.
pub fn upload_object(u: &PendingUpload) -> String {
    folder_file(u.company_id, u.folder_id, u.media_id)
}
/// The prefix every file of a folder shares.
pub fn folder_objects(company: CompanyId, folder: FolderId) -> String {
    format!("{company}/{folder}/")
}
/// The object key of the best shot analysis `a` took from media `media`.
pub fn best_shot_object(a: &Analysis, media: MediaId) -> String {
    format!(
        "{}/{}/analyses/{}/{media}-best.jpg",
        a.company_id, a.folder_id, a.analysis_id
    )
}
/// The object key of a person image's file.
pub fn person_image_object(i: &PersonImage) -> String {
    format!(
        "{}{}/{}",
        collection_objects(i.company_id, i.collection_id),
        i.person_id,
        i.person_image_id
    )
}
/// The prefix every file of a collection shares.
pub fn collection_objects(company: CompanyId, collection: CollectionId) -> String {
    format!("{company}/collections/{collection}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys are stored data: changing one orphans what is already written.
    #[test]
    fn keys_keep_their_spelling() {
        let (c, f, m) = (CompanyId::new(), FolderId::new(), MediaId::new());
        assert_eq!(folder_file(c, f, m), format!("{c}/{f}/{m}"));
        assert!(folder_file(c, f, m).starts_with(&folder_objects(c, f)));
        let col = CollectionId::new();
        assert_eq!(collection_pk(col), format!("COLLECTION#{col}"));
        assert_eq!(alias_sk("Black List"), "ALIAS#black list");
        let p = PersonId::new();
        assert!(image_sk(p, PersonImageId::new()).starts_with(&person_images_prefix(p)));
        assert!(person_images_prefix(p).starts_with(IMAGE_PREFIX));
    }
}
