//! The JSON documents the API hands out: stored objects with what is computed on the way out
//! (file URLs, nested media and analyses, the webhook state). One shape for every caller: the
//! HTTP routes, the webhook body and the Instant API's answer differ only in where the file URLs
//! come from (presigned, or `data:` URLs of what was never stored).

use base64::Engine as _;
use serde_json::{Value, json};

use super::Page;
use super::collections::PersonView;
use super::evaluate::BestShot;
use super::folders::FolderView;
use super::instant::InstantFolder;
use super::repo;
use crate::domain::analysis::Analysis;
use crate::domain::collection::PersonImage;
use crate::domain::objects::{Company, Folder, Media, MediaType, StoredUser};
use crate::{App, Result};

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

fn value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// A media's document; `url` is where its file can be read (`None` when it was never stored).
fn media_document(m: &Media, url: Option<String>) -> Value {
    let video = url
        .clone()
        .filter(|_| m.media_type == MediaType::VideoFolder);
    merge(
        value(m),
        json!({ "original_url": url, "video_url": video, "preview_url": null }),
    )
}

/// An analysis's document; `images[i]` are the URLs of `results_media[i]`'s output images (best
/// shots), `webhook` the delivery state of its request.
fn analysis_document(a: &Analysis, images: Vec<Vec<String>>, webhook: Option<Value>) -> Value {
    let mut v = value(a);
    // Oz clients read the id as `analyse_id` and poll `resolution`; both spellings carry the
    // same values.
    v["analyse_id"] = value(&a.analysis_id);
    v["resolution"] = value(&a.resolution_status);
    if let Some(w) = webhook {
        v["technical_meta_data"]["webhook"] = w;
    }
    if let Some(list) = v["results_media"].as_array_mut() {
        for (r, urls) in list.iter_mut().zip(images) {
            if let Value::Object(o) = r {
                o.remove("output_keys");
                let urls = urls.into_iter().map(|u| json!({ "original_url": u }));
                o.insert("output_images".into(), urls.collect());
            }
        }
    }
    v
}

/// A folder's document, with `media` and `analyses` when given.
fn folder_document(f: &Folder, media: Option<Vec<Value>>, analyses: Option<Vec<Value>>) -> Value {
    let mut extra = serde_json::Map::new();
    if let Some(m) = media {
        extra.insert("media".into(), Value::Array(m));
    }
    if let Some(a) = analyses {
        extra.insert("analyses".into(), Value::Array(a));
    }
    merge(value(f), Value::Object(extra))
}

/// A short-lived URL that reads object `key`.
async fn url(app: &App, key: &str) -> Result<String> {
    Ok(app.blobs.presign_get(key, app.config.file_url_ttl).await?)
}

/// A media with its short-lived file URLs.
pub async fn media(app: &App, m: &Media) -> Result<Value> {
    Ok(media_document(m, Some(app.media_url(m).await?)))
}

/// Several media.
pub async fn media_list(app: &App, list: &[Media]) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        out.push(media(app, m).await?);
    }
    Ok(out)
}

/// A person image with a short-lived URL to its file.
pub async fn person_image(app: &App, i: &PersonImage) -> Result<Value> {
    let u = url(app, &repo::person_image_object(i)).await?;
    Ok(merge(value(i), json!({ "original_url": u })))
}

/// Several person images.
pub async fn person_images(app: &App, list: &[PersonImage]) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(list.len());
    for i in list {
        out.push(person_image(app, i).await?);
    }
    Ok(out)
}

/// A person, with `images` when the view holds them.
pub async fn person(app: &App, v: &PersonView) -> Result<Value> {
    let mut p = value(&v.person);
    if let Some(images) = &v.images {
        p = merge(p, json!({ "images": person_images(app, images).await? }));
    }
    Ok(p)
}

/// What a folder document holds besides the folder and the media its view holds (the
/// `with_analyses`, `with_user`, `with_company` flags of the Oz API).
#[derive(Debug, Default, Clone, Copy)]
pub struct Embed {
    pub analyses: bool,
    pub user: bool,
    pub company: bool,
}

impl Embed {
    /// The folder with its analyses: what single requests and webhooks answer.
    pub const ANALYSES: Self = Self {
        analyses: true,
        user: false,
        company: false,
    };
}

/// A folder, with `media` when the view holds them and what `embed` asks for.
pub async fn folder(app: &App, v: &FolderView, embed: Embed) -> Result<Value> {
    let media = match &v.media {
        Some(m) => Some(media_list(app, m).await?),
        None => None,
    };
    let analyses = if embed.analyses {
        let list = repo::folder_analyses(&*app.store, v.folder.folder_id).await?;
        Some(analyses(app, &list).await?)
    } else {
        None
    };
    let mut doc = folder_document(&v.folder, media, analyses);
    if embed.user {
        let u: StoredUser =
            repo::get_meta(&*app.store, &repo::user_pk(v.folder.user_id), "user").await?;
        doc["user"] = value(&u.user);
    }
    if embed.company {
        let c: Company = repo::get_meta(
            &*app.store,
            &repo::company_pk(v.folder.company_id),
            "company",
        )
        .await?;
        doc["company"] = value(&c);
    }
    Ok(doc)
}

/// An analysis, with short-lived URLs for its output images (best shots) and, when its request
/// named a `resolution_endpoint`, the webhook delivery (`technical_meta_data.webhook`).
pub async fn analysis(app: &App, a: &Analysis) -> Result<Value> {
    let webhook = if a.resolution_endpoint.is_some() {
        Some(
            match repo::webhook_delivery(&*app.store, a.folder_id, a.group_id).await? {
                Some(d) => json!({ "state": d.state, "attempts": d.attempts }),
                // Not queued yet: some analysis of the request is still running.
                None => json!({ "state": "WAITING", "attempts": [] }),
            },
        )
    } else {
        None
    };
    let mut images = Vec::with_capacity(a.results_media.len());
    for r in &a.results_media {
        let mut urls = Vec::with_capacity(r.output_keys.len());
        for key in &r.output_keys {
            urls.push(url(app, key).await?);
        }
        images.push(urls);
    }
    Ok(analysis_document(a, images, webhook))
}

/// Several analyses.
pub async fn analyses(app: &App, list: &[Analysis]) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        out.push(analysis(app, a).await?);
    }
    Ok(out)
}

/// The folder of an Instant request: nothing was stored, so media have no URLs and best shots
/// come inline as `data:` URLs.
pub fn instant_folder(f: &InstantFolder) -> Value {
    let media = f.media.iter().map(|m| media_document(m, None)).collect();
    let analyses = f
        .analyses
        .iter()
        .map(|(a, shots)| {
            let images = a
                .results_media
                .iter()
                .map(|r| {
                    shots
                        .iter()
                        .filter(|s| r.source_media_id == Some(s.media_id))
                        .map(data_url)
                        .collect()
                })
                .collect();
            analysis_document(a, images, None)
        })
        .collect();
    folder_document(&f.folder, Some(media), Some(analyses))
}

fn data_url(s: &BestShot) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(&s.jpeg);
    format!("data:image/jpeg;base64,{b64}")
}

/// A list answer in Lamb's pagination shape: `{"offset", "limit", "total_count", "items"}`.
#[derive(Debug, serde::Serialize)]
pub struct Listing {
    pub offset: usize,
    pub limit: usize,
    /// Left out when the client asked `total_omit=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<usize>,
    pub items: Vec<Value>,
}

/// The page `page` of a list of `total` items.
pub fn list(items: Vec<Value>, page: Page, total: usize) -> Listing {
    Listing {
        offset: page.offset,
        limit: page.limit,
        total_count: (!page.total_omit).then_some(total),
        items,
    }
}

/// A list page of stored objects shown as they are.
pub fn list_of<T: serde::Serialize>(items: &[T], page: Page, total: usize) -> Listing {
    list(items.iter().map(value).collect(), page, total)
}
