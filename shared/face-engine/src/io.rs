//! Loading images from files or bytes for the CLI, tests and benches, through
//! `media_decode::decode_image` (the same decoder the service uses: content-sniffed, EXIF
//! orientation applied, pixel limit checked from the header before decoding).

use std::path::Path;

use image::RgbImage;

use crate::error::{EngineError, Result};

/// Decodes a JPEG/PNG/WebP image to RGB with EXIF orientation applied; images with more than
/// `max_pixels` pixels are refused before their pixels are decoded.
pub fn decode_image_bytes(bytes: &[u8], max_pixels: u64) -> Result<RgbImage> {
    let limits = media_decode::Limits {
        max_pixels,
        ..media_decode::Limits::default()
    };
    media_decode::decode_image(bytes, &limits).map_err(|e| EngineError::Decode(e.to_string()))
}

/// [`decode_image_bytes`] on a file.
pub fn load_image(path: &Path, max_pixels: u64) -> Result<RgbImage> {
    let bytes =
        std::fs::read(path).map_err(|e| EngineError::Decode(format!("{}: {e}", path.display())))?;
    decode_image_bytes(&bytes, max_pixels)
}
