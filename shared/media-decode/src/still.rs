//! Still images (JPEG, PNG, WebP) through `image` 0.25, EXIF orientation applied.
//!
//! Order of work: sniff, structural JPEG check, header (dimensions) against
//! [`Limits::max_pixels`] before any pixel buffer exists, then a full decode under an
//! `image::Limits` allocation cap.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

use crate::error::{corrupt, too_large};
use crate::{DecodeError, Limits, MediaFormat, MediaInfo, MediaKind, jpeg, sniff};

/// An image decoded for this crate: pixels plus what was done to them.
pub(crate) struct Still {
    pub image: RgbImage,
    pub format: MediaFormat,
    /// Clockwise rotation applied from EXIF (0/90/180/270; flips are applied but not counted).
    pub rotation_deg: i32,
}

impl Still {
    /// Technical metadata of this still as a single-image upload.
    pub fn info(&self) -> MediaInfo {
        MediaInfo {
            format: self.format,
            kind: MediaKind::Image,
            width: self.image.width(),
            height: self.image.height(),
            duration_ms: None,
            frame_count: Some(1),
            codec: Some(codec_name(self.format).to_owned()),
            rotation_deg: self.rotation_deg,
        }
    }
}

/// Decodes a JPEG, PNG or WebP image to RGB with its EXIF orientation applied.
///
/// Dimensions are checked against `limits.max_pixels` from the header before pixels are
/// allocated; a truncated or corrupt file fails with [`DecodeError::Corrupt`].
pub fn decode_image(bytes: &[u8], limits: &Limits) -> Result<RgbImage, DecodeError> {
    crate::guard::guarded("image", || decode_still(bytes, limits).map(|s| s.image))
}

/// The short codec name recorded in [`MediaInfo::codec`].
pub(crate) fn codec_name(format: MediaFormat) -> &'static str {
    match format {
        MediaFormat::Jpeg => "jpeg",
        MediaFormat::Png => "png",
        MediaFormat::Webp => "webp",
        MediaFormat::Mp4 => "mp4",
        MediaFormat::Zip => "zip",
        MediaFormat::Webm => "webm",
    }
}

/// The codec as error messages name it (`JPEG`).
pub(crate) fn display_name(format: MediaFormat) -> String {
    codec_name(format).to_uppercase()
}

/// Full decode of a still image (not guarded; callers guard).
pub(crate) fn decode_still(bytes: &[u8], limits: &Limits) -> Result<Still, DecodeError> {
    let format = match sniff(bytes) {
        Some(f) if f.is_image() => f,
        Some(f) => {
            return Err(DecodeError::UnsupportedCodec(format!(
                "expected a still image (JPEG, PNG or WebP), got {}",
                f.mime()
            )));
        }
        None => return Err(DecodeError::Unrecognised),
    };
    let name = display_name(format);
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(match format {
        MediaFormat::Jpeg => ImageFormat::Jpeg,
        MediaFormat::Png => ImageFormat::Png,
        _ => ImageFormat::WebP,
    });
    let mut cap = image::Limits::default();
    // Worst case in memory: a 16-bit RGBA decode (8 B/px) plus the RGB copy (3 B/px).
    cap.max_alloc = Some(
        limits
            .max_pixels
            .saturating_mul(11)
            .saturating_add(16 << 20),
    );
    // Headers first without limits so the dimension check below gives the precise message.
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(|e| map_err(&name, e))?;
    let (w, h) = decoder.dimensions();
    check_pixels(&name, w, h, limits)?;
    decoder.set_limits(cap).map_err(|e| map_err(&name, e))?;
    if format == MediaFormat::Jpeg {
        jpeg::check_structure(bytes)?;
    }
    // A malformed EXIF block is not worth refusing the photo for.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let decoded = DynamicImage::from_decoder(decoder).map_err(|e| map_err(&name, e))?;
    let mut image = DynamicImage::ImageRgb8(decoded.into_rgb8());
    image.apply_orientation(orientation);
    Ok(Still {
        image: image.into_rgb8(),
        format,
        rotation_deg: rotation_of(orientation),
    })
}

/// Refuses `w × h` above `limits.max_pixels` (and empty images).
pub(crate) fn check_pixels(what: &str, w: u32, h: u32, limits: &Limits) -> Result<(), DecodeError> {
    let pixels = u64::from(w) * u64::from(h);
    if pixels == 0 {
        return Err(corrupt(format!("{what} declares an empty {w}×{h} picture")));
    }
    if pixels > limits.max_pixels {
        return Err(too_large(format!(
            "{what} is {w}×{h} = {pixels} pixels; limit max_pixels = {}",
            limits.max_pixels
        )));
    }
    Ok(())
}

fn rotation_of(o: Orientation) -> i32 {
    match o {
        Orientation::Rotate90 | Orientation::Rotate90FlipH => 90,
        Orientation::Rotate180 | Orientation::FlipVertical => 180,
        Orientation::Rotate270 | Orientation::Rotate270FlipH => 270,
        Orientation::NoTransforms | Orientation::FlipHorizontal => 0,
    }
}

fn map_err(name: &str, e: ImageError) -> DecodeError {
    match e {
        ImageError::Limits(l) => too_large(format!(
            "{name} decoding needs more memory than limit max_pixels allows ({l})"
        )),
        ImageError::Unsupported(u) => {
            DecodeError::UnsupportedCodec(format!("{name} variant not supported: {u}"))
        }
        other => corrupt(format!("{name} is corrupt or truncated: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn decodes_png_jpeg_webp() {
        let img = testutil::pattern(64, 48, 10);
        for fmt in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let bytes = testutil::encode(&img, fmt);
            let out = decode_image(&bytes, &limits()).unwrap();
            assert_eq!(out.dimensions(), (64, 48), "{fmt:?}");
            // The bright square is where it was drawn.
            assert!(out.get_pixel(14, 14)[0] > 200, "{fmt:?}");
            assert!(out.get_pixel(50, 40)[0] < 80, "{fmt:?}");
        }
    }

    #[test]
    fn exif_orientation_is_applied() {
        let img = testutil::pattern(64, 48, 10);
        let jpeg = testutil::with_exif_orientation(&testutil::encode(&img, ImageFormat::Jpeg), 6);
        let still = decode_still(&jpeg, &limits()).unwrap();
        assert_eq!(still.image.dimensions(), (48, 64));
        assert_eq!(still.rotation_deg, 90);
        // Rotated 90° clockwise: the square at x≈10..18, y≈10..18 moves to the top right.
        assert!(still.image.get_pixel(48 - 1 - 14, 14)[0] > 200);
        assert_eq!(still.info().width, 48);
    }

    #[test]
    fn truncated_images_are_corrupt() {
        let img = testutil::noise(96, 64);
        for fmt in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let bytes = testutil::encode(&img, fmt);
            // A PNG missing only (part of) its 12-byte IEND still holds all pixels: accepted.
            for cut in [bytes.len() / 2, bytes.len() - 16] {
                let res = decode_image(&bytes[..cut], &limits()).map(|i| i.dimensions());
                assert!(
                    matches!(res, Err(DecodeError::Corrupt(_))),
                    "{fmt:?} cut {cut}/{}: {res:?}",
                    bytes.len()
                );
            }
        }
    }

    #[test]
    fn absurd_dimensions_are_refused_before_allocation() {
        let png = testutil::png_claiming(100_000, 100_000);
        match decode_image(&png, &limits()) {
            Err(DecodeError::LimitExceeded(m)) => {
                assert!(
                    m.contains("100000×100000") && m.contains("max_pixels"),
                    "{m}"
                )
            }
            other => panic!("{other:?}"),
        }
        let jpeg = testutil::jpeg_claiming(65_000, 65_000);
        match decode_image(&jpeg, &limits()) {
            Err(DecodeError::LimitExceeded(m)) => assert!(m.contains("65000×65000"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn non_images_are_refused() {
        assert!(matches!(
            decode_image(&testutil::random_bytes(4096, 7), &limits()),
            Err(DecodeError::Unrecognised)
        ));
        assert!(matches!(
            decode_image(b"\x1a\x45\xdf\xa3rest", &limits()),
            Err(DecodeError::UnsupportedCodec(_))
        ));
    }
}
