//! What a decode returns: technical metadata ([`MediaInfo`]) and frames.

use crate::MediaFormat;

/// The three shapes of face media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// One still photo.
    Image,
    /// A video track (H.264).
    Video,
    /// A ZIP archive of still photos, ordered by entry name.
    ShotSet,
}

/// Technical metadata recorded for an upload.
///
/// `width`/`height` are those of the frames as returned, i.e. after EXIF orientation (images) or
/// the track's rotation matrix (videos) has been applied; for a shot set, those of its first image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MediaInfo {
    /// Container/format sniffed from the magic bytes.
    pub format: MediaFormat,
    /// Image, video or shot set.
    pub kind: MediaKind,
    /// Width in pixels of the (oriented) frames.
    pub width: u32,
    /// Height in pixels of the (oriented) frames.
    pub height: u32,
    /// Duration of a video track in milliseconds; `None` for images and shot sets.
    pub duration_ms: Option<u64>,
    /// Frames in the video track, images in the shot set, or 1 for an image.
    pub frame_count: Option<u32>,
    /// Codec: an RFC 6381 string such as `avc1.64001F` for video, `jpeg`/`png`/`webp` for images
    /// (for a shot set, the distinct image formats joined with `+`).
    pub codec: Option<String>,
    /// Clockwise rotation in degrees (0, 90, 180, 270) that was applied to the stored pixels:
    /// from the `tkhd` matrix (video) or the EXIF orientation (images, first image of a shot set).
    pub rotation_deg: i32,
}

/// One decoded picture.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Position of the frame in presentation order within the whole media (video frame number or
    /// shot number), so sampled frames keep their place.
    pub index: u32,
    /// Presentation time from the video's sample times, in milliseconds from the first frame;
    /// 0 for images and shots.
    pub timestamp_ms: u64,
    /// The pixels, orientation already applied.
    pub image: image::RgbImage,
}

/// Metadata plus the frames selected by the [`crate::Sampling`].
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Same as [`crate::probe`] would return.
    pub info: MediaInfo,
    /// Frames in presentation order.
    pub frames: Vec<Frame>,
    /// Videos: mean H.264 slice quantiser (QP 0–51, higher = coarser) of the pictures decoded;
    /// `None` for images and shot sets, or when no slice header could be read.
    pub quantiser: Option<f32>,
}
