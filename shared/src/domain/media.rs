//! Media classification from sniffed, validated content.

use media_decode::{MediaInfo, MediaKind};
use serde_json::{Value, json};

use super::objects::{MediaType, MetaData};

/// The Oz media type for decoded content.
pub fn media_type(info: &MediaInfo) -> MediaType {
    match info.kind {
        MediaKind::Image => MediaType::ImageFolder,
        MediaKind::Video => MediaType::VideoFolder,
        MediaKind::ShotSet => MediaType::ShotsSet,
    }
}

/// The system-owned `technical_meta_data` recorded for an upload.
pub fn technical_meta_data(info: &MediaInfo, size: usize, sha256: &str) -> MetaData {
    let v = json!({
        "format": info.format,
        "mime_type": info.format.mime(),
        "width": info.width,
        "height": info.height,
        "duration": info.duration_ms.map(|d| d as f64 / 1000.0),
        "frame_count": info.frame_count,
        "codec": info.codec,
        "rotation": info.rotation_deg,
        "size": size,
        "sha256": sha256,
    });
    match v {
        Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => MetaData::new(),
    }
}
