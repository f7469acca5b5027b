//! JSON shapes of responses that add computed fields (file URLs, nested media) to stored objects.

use serde_json::{Value, json};

use crate::app::folders::FolderView;
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

/// A folder, with `media` and `analyses` when asked for.
pub async fn folder(app: &App, v: &FolderView, with_analyses: bool) -> Result<Value> {
    let mut extra = serde_json::Map::new();
    if let Some(m) = &v.media {
        extra.insert("media".into(), Value::Array(media_list(app, m).await?));
    }
    if with_analyses {
        extra.insert("analyses".into(), Value::Array(Vec::new()));
    }
    Ok(merge(
        serde_json::to_value(&v.folder).unwrap_or_default(),
        Value::Object(extra),
    ))
}

/// `{"items": [...], "total": n}`.
pub fn list(items: Vec<Value>, total: usize) -> Value {
    json!({ "items": items, "total": total })
}
