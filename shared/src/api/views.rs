//! JSON shapes of responses that add computed fields (file URLs, nested media) to stored objects.

use serde_json::{Value, json};

use crate::app::collections::PersonView;
use crate::app::folders::FolderView;
use crate::domain::analysis::Analysis;
use crate::domain::collection::PersonImage;
use crate::domain::objects::{Media, MediaType};
use crate::{App, Result};

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

/// A media with its short-lived file URLs.
pub async fn media(app: &App, m: &Media) -> Result<Value> {
    let url = app.media_url(m).await?;
    let video = (m.media_type == MediaType::VideoFolder).then(|| url.clone());
    Ok(merge(
        serde_json::to_value(m).unwrap_or_default(),
        json!({ "original_url": url, "video_url": video, "preview_url": null }),
    ))
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
    let url = app.person_image_url(i).await?;
    Ok(merge(
        serde_json::to_value(i).unwrap_or_default(),
        json!({ "original_url": url }),
    ))
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
    let mut p = serde_json::to_value(&v.person).unwrap_or_default();
    if let Some(images) = &v.images {
        p = merge(p, json!({ "images": person_images(app, images).await? }));
    }
    Ok(p)
}

/// A folder, with `media` and `analyses` when asked for.
pub async fn folder(app: &App, v: &FolderView, with_analyses: bool) -> Result<Value> {
    let mut extra = serde_json::Map::new();
    if let Some(m) = &v.media {
        extra.insert("media".into(), Value::Array(media_list(app, m).await?));
    }
    if with_analyses {
        let list = crate::app::repo::folder_analyses(&*app.store, v.folder.folder_id).await?;
        extra.insert("analyses".into(), Value::Array(analyses(app, &list).await?));
    }
    Ok(merge(
        serde_json::to_value(&v.folder).unwrap_or_default(),
        Value::Object(extra),
    ))
}

/// An analysis, with short-lived URLs for its output images (best shots) and, when its request
/// named a `resolution_endpoint`, the webhook delivery (`technical_meta_data.webhook`).
pub async fn analysis(app: &App, a: &Analysis) -> Result<Value> {
    let mut v = serde_json::to_value(a).unwrap_or_default();
    if a.resolution_endpoint.is_some() {
        let webhook = match app.webhook_delivery(a.folder_id, a.group_id).await? {
            Some(d) => json!({ "state": d.state, "attempts": d.attempts }),
            // Not queued yet: some analysis of the request is still running.
            None => json!({ "state": "WAITING", "attempts": [] }),
        };
        v["technical_meta_data"]["webhook"] = webhook;
    }
    for (i, r) in a.results_media.iter().enumerate() {
        let mut images = Vec::with_capacity(r.output_keys.len());
        for key in &r.output_keys {
            let url = app.blobs.presign_get(key, app.config.file_url_ttl).await?;
            images.push(json!({ "original_url": url }));
        }
        let rm = &mut v["results_media"][i];
        if let Value::Object(o) = rm {
            o.remove("output_keys");
            o.insert("output_images".into(), Value::Array(images));
        }
    }
    Ok(v)
}

/// Several analyses.
pub async fn analyses(app: &App, list: &[Analysis]) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        out.push(analysis(app, a).await?);
    }
    Ok(out)
}

/// `{"items": [...], "total": n}`.
pub fn list(items: Vec<Value>, total: usize) -> Value {
    json!({ "items": items, "total": total })
}

/// A list page of stored objects shown as they are.
pub fn list_of<T: serde::Serialize>(items: &[T], total: usize) -> Value {
    list(
        items
            .iter()
            .map(|x| serde_json::to_value(x).unwrap_or_default())
            .collect(),
        total,
    )
}
