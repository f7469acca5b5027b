//! The media tags of the Oz API (§4) and which media types each fits.

use crate::{Error, Result};

/// Tags that only make sense on a video (or a shot set, which is a frame sequence).
pub const VIDEO_TAGS: &[&str] = &[
    "video_selfie",
    "video_selfie_left",
    "video_selfie_right",
    "video_selfie_down",
    "video_selfie_high",
    "video_selfie_smile",
    "video_selfie_eyes",
    "video_selfie_scan",
    "video_selfie_zoom_in",
    "video_selfie_zoom_out",
    "video_selfie_blank",
    "video_selfie_oneshot",
];

/// Tags that only make sense on a still photo.
pub const PHOTO_TAGS: &[&str] = &[
    "photo_selfie",
    "photo_id",
    "photo_id_front",
    "photo_id_back",
];

/// Tags that fit any media.
pub const ANY_TAGS: &[&str] = &["orientation_portrait", "orientation_landscape"];

/// An active-liveness gesture a video's tag asks for (oz-api.md §4). `video_selfie`,
/// `video_selfie_blank` and `video_selfie_oneshot` ask for none (passive liveness).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gesture {
    /// `video_selfie_eyes`.
    Blink,
    /// `video_selfie_smile`.
    Smile,
    /// `video_selfie_left`: the user turns their head to their left.
    Left,
    /// `video_selfie_right`.
    Right,
    /// `video_selfie_high`: head up.
    Up,
    /// `video_selfie_down`.
    Down,
    /// `video_selfie_zoom_in`: the camera comes closer.
    ZoomIn,
    /// `video_selfie_zoom_out`.
    ZoomOut,
    /// `video_selfie_scan`: the head turns to both sides.
    Scan,
}

/// The gesture tags and what they ask for.
pub const GESTURE_TAGS: &[(&str, Gesture)] = &[
    ("video_selfie_eyes", Gesture::Blink),
    ("video_selfie_smile", Gesture::Smile),
    ("video_selfie_left", Gesture::Left),
    ("video_selfie_right", Gesture::Right),
    ("video_selfie_high", Gesture::Up),
    ("video_selfie_down", Gesture::Down),
    ("video_selfie_zoom_in", Gesture::ZoomIn),
    ("video_selfie_zoom_out", Gesture::ZoomOut),
    ("video_selfie_scan", Gesture::Scan),
];

impl Gesture {
    /// Name as serialised in results (`blink`, `zoom_in`, …).
    pub fn name(self) -> &'static str {
        match self {
            Gesture::Blink => "blink",
            Gesture::Smile => "smile",
            Gesture::Left => "left",
            Gesture::Right => "right",
            Gesture::Up => "up",
            Gesture::Down => "down",
            Gesture::ZoomIn => "zoom_in",
            Gesture::ZoomOut => "zoom_out",
            Gesture::Scan => "scan",
        }
    }
}

/// The gesture a media's tags ask for: the first gesture tag, if any.
pub fn gesture_of(tags: &[String]) -> Option<Gesture> {
    tags.iter()
        .find_map(|t| GESTURE_TAGS.iter().find(|(g, _)| g == t).map(|x| x.1))
}

/// Most tags one media may carry.
pub const MAX_TAGS: usize = 16;

/// Checks `tags` against the tag list and against the media kind; returns them deduplicated.
pub fn validate(tags: &[String], is_photo: bool) -> Result<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(format!("at most {MAX_TAGS} tags per media")));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let video = VIDEO_TAGS.contains(&t.as_str());
        let photo = PHOTO_TAGS.contains(&t.as_str());
        if !video && !photo && !ANY_TAGS.contains(&t.as_str()) {
            return Err(Error::invalid(format!("unknown tag {t:?}")));
        }
        if video && is_photo {
            return Err(Error::invalid(format!(
                "tag {t:?} needs a video or shot set, but the media is a photo"
            )));
        }
        if photo && !is_photo {
            return Err(Error::invalid(format!(
                "tag {t:?} needs a photo, but the media is a video or shot set"
            )));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_fit_their_media() {
        let v = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            validate(&v(&["photo_id", "photo_id"]), true).unwrap(),
            v(&["photo_id"])
        );
        assert!(validate(&v(&["video_selfie_eyes"]), false).is_ok());
        assert!(validate(&v(&["video_selfie"]), true).is_err());
        assert!(validate(&v(&["photo_selfie"]), false).is_err());
        assert!(validate(&v(&["selfie"]), true).is_err());
    }

    #[test]
    fn gesture_tags_ask_for_gestures_and_passive_tags_for_none() {
        let v = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            gesture_of(&v(&["video_selfie", "video_selfie_eyes"])),
            Some(Gesture::Blink)
        );
        assert_eq!(gesture_of(&v(&["video_selfie_high"])), Some(Gesture::Up));
        for passive in ["video_selfie", "video_selfie_blank", "video_selfie_oneshot"] {
            assert_eq!(gesture_of(&v(&[passive, "orientation_portrait"])), None);
        }
        for (tag, g) in GESTURE_TAGS {
            assert!(VIDEO_TAGS.contains(tag));
            assert_eq!(serde_json::to_value(g).unwrap(), g.name());
        }
    }
}
