//! Bounded decoding of the media a face API receives. Content is sniffed from magic bytes, never
//! taken from a file name or a claimed MIME type; every size a header claims is checked against
//! [`Limits`] before anything is allocated for it.
//!
//! - [`probe`]: cheap but honest validation of an upload (full decode of an image, the first
//!   frame of a video, the first image of a shot set) and its technical metadata.
//! - [`decode`]: metadata plus frames chosen by a [`Sampling`].
//! - [`decode_image`]: one still image, EXIF orientation applied.
//!
//! Formats: JPEG, PNG, WebP (`image` 0.25); H.264 in MP4/MOV (`re_mp4` + OpenH264 built from
//! source: not covered by Cisco's patent licence, which covers only Cisco's prebuilt binary);
//! ZIP shot sets of those images. HEVC and WebM are recognised and refused with a clear message.
//! A panic inside a dependency on hostile input is caught and reported as
//! [`DecodeError::Corrupt`].

mod error;
mod guard;
mod info;
mod jpeg;
mod mp4;
#[cfg(test)]
mod properties;
mod recent;
// The H.264 writer: feature `encoder` (`testing` implies it), off in the product.
#[cfg(any(test, feature = "encoder"))]
pub mod mp4_writer;
mod sampling;
mod shotset;
pub mod sniff;
mod still;
mod video;

/// Fixture makers for tests in this and other crates (feature `testing`).
#[cfg(any(test, feature = "testing"))]
pub mod testutil;

pub use error::DecodeError;
pub use info::{Decoded, Frame, MediaInfo, MediaKind};
pub use sampling::{Sampling, pick_evenly};
pub use sniff::{MediaFormat, sniff};
pub use still::decode_image;
pub use video::MAX_TOTAL_SAMPLES;

/// Upper bounds applied to every decode. The defaults suit selfie photos and short selfie videos.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Largest accepted image, in pixels (width × height), for a photo or one video frame.
    pub max_pixels: u64,
    /// Longest accepted video, in milliseconds.
    pub max_duration_ms: u64,
    /// Most frames in one video (all are run through the decoder, whatever the sampling) or
    /// images in one shot set.
    pub max_frames: usize,
    /// Most entries in a ZIP shot set.
    pub max_zip_entries: usize,
    /// Largest total uncompressed size of a ZIP shot set, in bytes.
    pub max_zip_uncompressed: u64,
    /// Largest compression ratio of one ZIP entry (zip-bomb guard).
    pub max_zip_ratio: u64,
    /// Most bytes of RGB pixels one [`decode`] may return (frames × width × height × 3).
    #[serde(default = "default_max_decoded_bytes")]
    pub max_decoded_bytes: u64,
}

fn default_max_decoded_bytes() -> u64 {
    1 << 30
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pixels: 40_000_000,
            max_duration_ms: 60_000,
            max_frames: 1_800,
            max_zip_entries: 300,
            max_zip_uncompressed: 256 * 1024 * 1024,
            max_zip_ratio: 100,
            max_decoded_bytes: default_max_decoded_bytes(),
        }
    }
}

fn webm() -> DecodeError {
    DecodeError::UnsupportedCodec("WebM/VP8/VP9 not supported, send H.264 MP4".into())
}

/// Validates an upload and returns its technical metadata.
///
/// Images are fully decoded (a truncated JPEG fails); MP4s are demuxed, checked (H.264 only,
/// size, duration, frame count, every frame's bytes present) and their first frame decoded; ZIP
/// shot sets have every entry checked (names, sizes, ratio, image magic) and the first decoded.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<MediaInfo, DecodeError> {
    probe_with(bytes, limits, false)
}

/// [`probe`] for bytes this process [`decode`]s next (an upload checked, then analysed in the
/// same request): a still's pixels are held briefly so that the decode does not repeat the work.
pub fn probe_then_decode(bytes: &[u8], limits: &Limits) -> Result<MediaInfo, DecodeError> {
    probe_with(bytes, limits, true)
}

/// Whether [`probe_then_decode`] holds a still for exactly these `bytes`, so that their next
/// [`decode`] does not decode them again (for callers' tests: which of their paths hold one).
pub fn holds_still_for(bytes: &[u8]) -> bool {
    recent::is_held(bytes)
}

fn probe_with(bytes: &[u8], limits: &Limits, keep: bool) -> Result<MediaInfo, DecodeError> {
    guard::guarded("media", || match sniff(bytes) {
        None => Err(DecodeError::Unrecognised),
        Some(f) if f.is_image() => {
            let still = still::decode_still(bytes, limits)?;
            let info = still.info();
            if keep {
                recent::keep(bytes, still);
            }
            Ok(info)
        }
        Some(MediaFormat::Mp4) => video::probe(bytes, limits),
        Some(MediaFormat::Zip) => shotset::probe(bytes, limits),
        Some(_) => Err(webm()),
    })
}

/// Decodes media into frames chosen by `sampling`, with the same validation as [`probe`].
///
/// An image yields one frame (none for `Evenly(0)`); a video its sampled frames in
/// presentation order with timestamps; a shot set its images in entry-name order.
pub fn decode(bytes: &[u8], limits: &Limits, sampling: Sampling) -> Result<Decoded, DecodeError> {
    guard::guarded("media", || match sniff(bytes) {
        None => Err(DecodeError::Unrecognised),
        Some(f) if f.is_image() => {
            let still = match recent::take(bytes) {
                Some(s) => {
                    let name = still::display_name(s.format);
                    still::check_pixels(&name, s.image.width(), s.image.height(), limits)?;
                    s
                }
                None => still::decode_still(bytes, limits)?,
            };
            let info = still.info();
            let frames = if sampling == Sampling::Evenly(0) {
                Vec::new()
            } else {
                vec![Frame {
                    index: 0,
                    timestamp_ms: 0,
                    image: still.image,
                }]
            };
            Ok(Decoded {
                info,
                frames,
                quantiser: None,
            })
        }
        Some(MediaFormat::Mp4) => video::decode(bytes, limits, sampling),
        Some(MediaFormat::Zip) => shotset::decode(bytes, limits, sampling),
        Some(_) => Err(webm()),
    })
}
