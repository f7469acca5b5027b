//! Active liveness: did a video show the gesture its tag asks for (blink, smile, head turn or
//! nod, zoom, scan)?
//!
//! Each check reads one per-frame signal ([`GestureSample`], extracted from a
//! [`FrameAnalysis`]) and asks for a **change relative to the first frames** of the video (the
//! baseline, when the user still looks at the camera), never for an absolute value: a still photo
//! replayed as a video keeps every signal constant and fails every gesture, whatever pose or
//! expression it shows. What each gesture needs (defaults in [`GestureConfig`]):
//!
//! | gesture | signal | performed when |
//! |---|---|---|
//! | `Blink` | eye closure `min(left, right)` (`fr_eye`), confirmed by the landmark lids | an open frame (≤ 0.3), then a closed one (≥ 0.5, eye opening ≤ 0.8 × the open frames'), then an open one |
//! | `Smile` | mouth width over inter-ocular distance | ≥ 10 % over the baseline in 2 consecutive sampled frames |
//! | `Left` / `Right` | yaw (`fr_pose`) | starts within 20° of frontal, then turns ≥ 12° the asked way |
//! | `Up` / `Down` | pitch | starts within 20° of frontal, then moves ≥ 12° the asked way |
//! | `ZoomIn` / `ZoomOut` | face-box width over frame width | grows (shrinks) ≥ 1.25× from the baseline to its peak, no step back of more than 10 % on the way |
//! | `Scan` | yaw | sweeps ≥ 12° to both sides of the starting pose |
//!
//! Directions: `Left` is the **user's** left as filmed by a camera that does not mirror the
//! image (the face then turns towards the image's right). `fr_pose`'s yaw decreases when the face
//! turns towards the image's right, and its pitch grows when the head tilts up (measured on
//! `selfie-turns-live.mp4`); a mirrored recording swaps left and right ([`GestureConfig::mirrored`]).

use serde::{Deserialize, Serialize};

use crate::engine::{FrameAnalysis, MediaAnalysis};

/// An active-liveness gesture (Oz tags `video_selfie_*`, oz-api.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gesture {
    /// `video_selfie_eyes`: blink.
    Blink,
    /// `video_selfie_smile`.
    Smile,
    /// `video_selfie_left`: turn the head to the user's left.
    Left,
    /// `video_selfie_right`: turn the head to the user's right.
    Right,
    /// `video_selfie_high`: head up.
    Up,
    /// `video_selfie_down`: head down.
    Down,
    /// `video_selfie_zoom_in`: bring the camera closer.
    ZoomIn,
    /// `video_selfie_zoom_out`: move the camera away.
    ZoomOut,
    /// `video_selfie_scan`: turn the head to both sides.
    Scan,
}

impl Gesture {
    /// Every gesture.
    pub const ALL: [Gesture; 9] = [
        Gesture::Blink,
        Gesture::Smile,
        Gesture::Left,
        Gesture::Right,
        Gesture::Up,
        Gesture::Down,
        Gesture::ZoomIn,
        Gesture::ZoomOut,
        Gesture::Scan,
    ];

    /// The gesture a media tag asks for; `None` for passive tags (`video_selfie`,
    /// `video_selfie_blank`, `video_selfie_oneshot`) and every other tag.
    pub fn from_tag(tag: &str) -> Option<Gesture> {
        Gesture::ALL.into_iter().find(|g| g.tag() == tag)
    }

    /// The media tag of this gesture.
    pub fn tag(self) -> &'static str {
        match self {
            Gesture::Blink => "video_selfie_eyes",
            Gesture::Smile => "video_selfie_smile",
            Gesture::Left => "video_selfie_left",
            Gesture::Right => "video_selfie_right",
            Gesture::Up => "video_selfie_high",
            Gesture::Down => "video_selfie_down",
            Gesture::ZoomIn => "video_selfie_zoom_in",
            Gesture::ZoomOut => "video_selfie_zoom_out",
            Gesture::Scan => "video_selfie_scan",
        }
    }

    /// Name as serialised (`blink`, `zoom_in`, …).
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

    /// Frames to sample from a video for this gesture: a blink lasts 100–400 ms, so it needs
    /// about 8 frames per second ([`GestureConfig::blink_fps`]); head motion, smiles and zooms
    /// last a second or more and are seen on the default sampling.
    pub fn frames_for(
        self,
        duration_ms: Option<u64>,
        default: usize,
        cfg: &GestureConfig,
    ) -> usize {
        match (self, duration_ms) {
            (Gesture::Blink, Some(ms)) => ((ms as f32 / 1000.0 * cfg.blink_fps).ceil() as usize)
                .clamp(default, cfg.max_frames.max(default)),
            _ => default,
        }
    }
}

/// Thresholds of the gesture checks. Each is sized against two things: the jitter a still face
/// shows from frame to frame (landmark noise, a hand-held phone), which must stay below it, and
/// what a deliberate gesture reaches, which must clear it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GestureConfig {
    /// Frames with a face needed before any gesture can be judged.
    pub min_face_frames: usize,
    /// First frames with a face whose median is the starting pose/size/expression.
    pub baseline_frames: usize,
    /// Eye closure (`min` of both eyes' closed probability) at or above which a frame shows
    /// closed eyes. `fr_eye` is decisive: open eyes score < 0.1, closed ones > 0.9.
    pub eye_closed: f32,
    /// Eye closure at or below which a frame shows open eyes (the gap to `eye_closed` keeps one
    /// ambiguous frame from making a blink on its own).
    pub eye_open: f32,
    /// Largest eye opening (landmarks) of a closed frame, relative to the median of the open
    /// frames, for the frame to count as a blink. `fr_eye` alone calls single frames of a swayed
    /// print closed (0.78–0.97, 3 of 31 synthetic prints "blinked") while their lids stay where
    /// they were (ratio 0.98–1.1); real blinks on `talking-blinks.mp4` drop to 0.42–0.75.
    pub blink_opening_ratio: f32,
    /// Relative growth of the mouth width (over the inter-ocular distance) that makes a smile: a
    /// smile widens the mouth by 15–30 %; landmark jitter on a still face stays within ±4 %.
    pub smile_gain: f32,
    /// Consecutive sampled frames (of 8 over the video) the widened mouth must hold: an asked-for
    /// smile lasts a second or more; talking widens the mouth by up to 18–34 % for a moment.
    pub smile_hold_frames: usize,
    /// Largest |yaw| and |pitch| of the starting pose for a turn or nod (the user starts facing
    /// the camera).
    pub frontal_deg: f32,
    /// Yaw change for `Left`/`Right`: deliberate turns measured 13–50° on the test videos
    /// (`fr_pose` reads turns towards the image's left smaller than those to the right); it
    /// jitters by 2–4° on a still face and stayed within ±8° while talking.
    pub turn_deg: f32,
    /// Pitch change for `Up`/`Down` (people nod less far than they turn; pitch jitter is similar).
    pub nod_deg: f32,
    /// Yaw change to each side of the starting pose for `Scan` (a sweep is quicker and shallower
    /// than a held turn: 13–23° each way on `zoom-turns-*.mp4`).
    pub scan_deg: f32,
    /// Relative change of the face width for `ZoomIn`/`ZoomOut`: moving a phone from arm's length
    /// to the face changes it by 30–100 %; a hand-held phone drifts by ±5–10 %.
    pub zoom_gain: f32,
    /// Largest step against the zoom's direction between consecutive sampled frames on the way
    /// to the peak (relative), so an in-and-out wobble is not a zoom.
    pub zoom_step_back: f32,
    /// The camera mirrors the image (a front-camera preview recorded as shown): swaps left and
    /// right.
    pub mirrored: bool,
    /// Sampling rate for `Blink` videos, frames per second.
    pub blink_fps: f32,
    /// Most frames sampled for one gesture video.
    pub max_frames: usize,
}

impl Default for GestureConfig {
    fn default() -> Self {
        GestureConfig {
            min_face_frames: 3,
            baseline_frames: 2,
            eye_closed: 0.5,
            eye_open: 0.3,
            blink_opening_ratio: 0.8,
            smile_gain: 0.10,
            smile_hold_frames: 2,
            frontal_deg: 20.0,
            turn_deg: 12.0,
            nod_deg: 12.0,
            scan_deg: 12.0,
            zoom_gain: 0.25,
            zoom_step_back: 0.10,
            mirrored: false,
            blink_fps: 8.0,
            max_frames: 48,
        }
    }
}

/// Sign of the yaw change when the user turns to their own left (unmirrored image): `fr_pose`'s
/// yaw decreases when the face turns towards the image's right.
pub const USER_LEFT_YAW_SIGN: f32 = -1.0;
/// Sign of the pitch change when the head tilts up.
pub const UP_PITCH_SIGN: f32 = 1.0;

/// The gesture signals of one frame (`None` where the frame has no face or the signal was not
/// computed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GestureSample {
    /// Frame index in the video.
    pub frame: usize,
    /// Eye closure: the smaller closed probability of the two eyes (both must close).
    pub eye_closed: Option<f32>,
    /// Eye opening from the landmarks ([`crate::landmarks::Landmarks::eye_opening`]): the
    /// geometry that must agree with `eye_closed` for a blink.
    pub eye_opening: Option<f32>,
    /// Inner-lip gap over mouth width (reported; talking moves it too much to prove a smile).
    pub mouth_open: Option<f32>,
    /// Mouth width (corners 48–54) over the distance between the eye centres.
    pub mouth_width: Option<f32>,
    /// Yaw, degrees (`fr_pose`).
    pub yaw: Option<f32>,
    /// Pitch, degrees.
    pub pitch: Option<f32>,
    /// Face-box width over frame width.
    pub face_width: Option<f32>,
    /// Face-box centre, fractions of the frame width and height.
    pub centre: Option<[f32; 2]>,
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

impl GestureSample {
    /// The signals of frame `frame`.
    pub fn of(frame: usize, a: &FrameAnalysis) -> GestureSample {
        let Some(f) = &a.face else {
            return GestureSample {
                frame,
                ..GestureSample::default()
            };
        };
        let five = f.landmarks.five_points();
        let io = dist(five[0], five[1]);
        let p = &f.landmarks.points;
        let mouth_width = (p.len() == 68 && io > 0.0).then(|| dist(p[48], p[54]) / io);
        let b = f.detection.bbox;
        let (w, h) = (a.width.max(1) as f32, a.height.max(1) as f32);
        let (cx, cy) = b.center();
        GestureSample {
            frame,
            eye_closed: f.eyes.map(|e| e.left_closed.min(e.right_closed)),
            eye_opening: (p.len() == 68).then(|| f.landmarks.eye_opening()),
            mouth_open: Some(f.mouth_open_ratio),
            mouth_width,
            yaw: f.pose.map(|p| p.yaw),
            pitch: f.pose.map(|p| p.pitch),
            face_width: Some(b.width() / w),
            centre: Some([cx / w, cy / h]),
        }
    }

    fn has_face(&self) -> bool {
        self.face_width.is_some()
    }
}

/// The signals of every analysed frame, in order.
pub fn samples(media: &MediaAnalysis) -> Vec<GestureSample> {
    media
        .frames
        .iter()
        .map(|(i, a)| GestureSample::of(*i, a))
        .collect()
}

/// Whether a gesture was performed, and the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GestureVerdict {
    /// The gesture asked for.
    pub gesture: Gesture,
    /// It was seen.
    pub performed: bool,
    /// Why, in words, with the measured value and the threshold.
    pub reason: String,
    /// The signal the decision rests on (`eye_closed`, `yaw`, …).
    pub signal: String,
    /// Starting value of the signal (median of the baseline frames); `None` for a blink.
    pub baseline: Option<f32>,
    /// The largest change seen in the asked direction: degrees for turns, nods and scans;
    /// relative growth for a smile; `ratio − 1` for a zoom (0.6 = the face grew, or shrank,
    /// 1.6×); for a blink the highest closure between open frames.
    pub change: Option<f32>,
    /// The change needed.
    pub threshold: f32,
    /// Frames (video indices) that show the gesture.
    pub frames: Vec<usize>,
    /// Every sampled frame's signals.
    pub samples: Vec<GestureSample>,
}

fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `(frame, value)` of one signal over the frames that have it.
fn series(s: &[GestureSample], f: impl Fn(&GestureSample) -> Option<f32>) -> Vec<(usize, f32)> {
    s.iter()
        .filter_map(|x| f(x).map(|v| (x.frame, v)))
        .collect()
}

struct Outcome {
    performed: bool,
    reason: String,
    signal: &'static str,
    baseline: Option<f32>,
    change: Option<f32>,
    threshold: f32,
    frames: Vec<usize>,
}

impl Outcome {
    fn missing(signal: &'static str, threshold: f32, reason: String) -> Outcome {
        Outcome {
            performed: false,
            reason,
            signal,
            baseline: None,
            change: None,
            threshold,
            frames: Vec::new(),
        }
    }
}

/// Checks `gesture` on the per-frame signals `samples` (frames in video order).
pub fn check(gesture: Gesture, samples: &[GestureSample], cfg: &GestureConfig) -> GestureVerdict {
    let faces = samples.iter().filter(|s| s.has_face()).count();
    let o = if faces < cfg.min_face_frames.max(1) {
        Outcome::missing(
            "face",
            cfg.min_face_frames as f32,
            format!(
                "a face in {faces} of {} sampled frames; {} needed to judge a gesture",
                samples.len(),
                cfg.min_face_frames
            ),
        )
    } else {
        let left = if cfg.mirrored {
            -USER_LEFT_YAW_SIGN
        } else {
            USER_LEFT_YAW_SIGN
        };
        match gesture {
            Gesture::Blink => blink(samples, cfg),
            Gesture::Smile => smile(samples, cfg),
            Gesture::Left => turn(samples, cfg, "yaw", left, cfg.turn_deg, "to the left"),
            Gesture::Right => turn(samples, cfg, "yaw", -left, cfg.turn_deg, "to the right"),
            Gesture::Up => turn(samples, cfg, "pitch", UP_PITCH_SIGN, cfg.nod_deg, "up"),
            Gesture::Down => turn(samples, cfg, "pitch", -UP_PITCH_SIGN, cfg.nod_deg, "down"),
            Gesture::ZoomIn => zoom(samples, cfg, true),
            Gesture::ZoomOut => zoom(samples, cfg, false),
            Gesture::Scan => scan(samples, cfg),
        }
    };
    GestureVerdict {
        gesture,
        performed: o.performed,
        reason: o.reason,
        signal: o.signal.to_string(),
        baseline: o.baseline,
        change: o.change,
        threshold: o.threshold,
        frames: o.frames,
        samples: samples.to_vec(),
    }
}

/// [`check`] on the frames of an engine analysis.
pub fn check_media(gesture: Gesture, media: &MediaAnalysis, cfg: &GestureConfig) -> GestureVerdict {
    check(gesture, &samples(media), cfg)
}

fn baseline(v: &[(usize, f32)], cfg: &GestureConfig) -> f32 {
    let k = cfg.baseline_frames.clamp(1, v.len());
    let mut b: Vec<f32> = v[..k].iter().map(|x| x.1).collect();
    median(&mut b)
}

fn blink(s: &[GestureSample], cfg: &GestureConfig) -> Outcome {
    let c = series(s, |x| x.eye_closed);
    if c.len() < 3 {
        return Outcome::missing(
            "eye_closed",
            cfg.eye_closed,
            "eye state known in fewer than 3 frames".into(),
        );
    }
    let first_open = c.iter().position(|x| x.1 <= cfg.eye_open);
    let last_open = c.iter().rposition(|x| x.1 <= cfg.eye_open);
    let mut open_openings: Vec<f32> = s
        .iter()
        .filter(|x| x.eye_closed.is_some_and(|e| e <= cfg.eye_open))
        .filter_map(|x| x.eye_opening)
        .collect();
    let open_median = (!open_openings.is_empty()).then(|| median(&mut open_openings));
    // The lids must move too: a frame without landmarks, or before any open frame has them,
    // cannot confirm it.
    let lids_closed = |frame: usize| {
        let opening = s
            .iter()
            .find(|x| x.frame == frame)
            .and_then(|x| x.eye_opening);
        opening
            .zip(open_median)
            .is_some_and(|(o, m)| o <= cfg.blink_opening_ratio * m)
    };
    let (closed, peak) = match (first_open, last_open) {
        (Some(a), Some(b)) if b > a + 1 => {
            let between = &c[a + 1..b];
            let closed: Vec<usize> = between
                .iter()
                .filter(|x| x.1 >= cfg.eye_closed && lids_closed(x.0))
                .map(|x| x.0)
                .collect();
            let peak = between.iter().map(|x| x.1).fold(0.0, f32::max);
            (closed, Some(peak))
        }
        _ => (Vec::new(), None),
    };
    let performed = !closed.is_empty();
    let reason = if performed {
        format!(
            "eyes closed (closure ≥ {}) in frame(s) {closed:?} between open frames (≤ {})",
            cfg.eye_closed, cfg.eye_open
        )
    } else if first_open.is_none() {
        format!(
            "eyes never open (closure ≤ {}) in the sampled frames",
            cfg.eye_open
        )
    } else {
        format!(
            "no frame with closed eyes (closure ≥ {} and lid opening ≤ {} of the open frames') \
             between open frames; highest closure {:.2}",
            cfg.eye_closed,
            cfg.blink_opening_ratio,
            peak.unwrap_or(0.0)
        )
    };
    Outcome {
        performed,
        reason,
        signal: "eye_closed",
        baseline: None,
        change: peak,
        threshold: cfg.eye_closed,
        frames: closed,
    }
}

fn smile(s: &[GestureSample], cfg: &GestureConfig) -> Outcome {
    let w = series(s, |x| x.mouth_width);
    if w.len() < cfg.min_face_frames.max(2) {
        return Outcome::missing(
            "mouth_width",
            cfg.smile_gain,
            "mouth width known in too few frames".into(),
        );
    }
    let b = baseline(&w, cfg);
    let gains: Vec<(usize, f32)> = w.iter().map(|&(f, v)| (f, v / b - 1.0)).collect();
    rise(
        "mouth_width",
        b,
        &gains,
        cfg.smile_gain,
        cfg.smile_hold_frames,
        "the mouth widened",
        "%",
    )
}

/// Frames whose change (already signed so the asked direction is positive) reaches `threshold`;
/// performed when at least `hold` consecutive sampled frames do.
#[allow(clippy::too_many_arguments)]
fn rise(
    signal: &'static str,
    base: f32,
    change: &[(usize, f32)],
    threshold: f32,
    hold: usize,
    what: &str,
    unit: &str,
) -> Outcome {
    let frames: Vec<usize> = change
        .iter()
        .filter(|x| x.1 >= threshold)
        .map(|x| x.0)
        .collect();
    let longest = change
        .iter()
        .fold((0usize, 0usize), |(run, best), x| {
            let run = if x.1 >= threshold { run + 1 } else { 0 };
            (run, best.max(run))
        })
        .1;
    let best = change.iter().map(|x| x.1).fold(f32::NEG_INFINITY, f32::max);
    let fmt = |v: f32| {
        if unit == "%" {
            format!("{:.0} %", v * 100.0)
        } else {
            format!("{v:.1}{unit}")
        }
    };
    let performed = !frames.is_empty() && longest >= hold.max(1);
    let reason = if performed {
        format!(
            "{what} by up to {} (needed {}) in frame(s) {frames:?}",
            fmt(best),
            fmt(threshold)
        )
    } else if !frames.is_empty() {
        format!(
            "{what} by up to {} (needed {}) in frame(s) {frames:?}, but not over {} consecutive \
             sampled frames",
            fmt(best),
            fmt(threshold),
            hold
        )
    } else {
        format!(
            "{what} by at most {} (needed {})",
            fmt(best.max(0.0)),
            fmt(threshold)
        )
    };
    Outcome {
        performed,
        reason,
        signal,
        baseline: Some(base),
        change: Some(best),
        threshold,
        frames: if performed { frames } else { Vec::new() },
    }
}

fn angle_of(signal: &str) -> impl Fn(&GestureSample) -> Option<f32> + '_ {
    move |x: &GestureSample| if signal == "yaw" { x.yaw } else { x.pitch }
}

fn turn(
    s: &[GestureSample],
    cfg: &GestureConfig,
    signal: &'static str,
    sign: f32,
    threshold: f32,
    way: &str,
) -> Outcome {
    let a = series(s, angle_of(signal));
    if a.len() < cfg.min_face_frames.max(2) {
        return Outcome::missing(
            signal,
            threshold,
            format!("{signal} known in too few frames"),
        );
    }
    let b = baseline(&a, cfg);
    // The starting pose: the baseline, and the other angle at the start too.
    let other = series(s, angle_of(if signal == "yaw" { "pitch" } else { "yaw" }));
    let ob = if other.is_empty() {
        0.0
    } else {
        baseline(&other, cfg)
    };
    if b.abs() > cfg.frontal_deg || ob.abs() > cfg.frontal_deg {
        let mut o = Outcome::missing(
            signal,
            threshold,
            format!(
                "the video does not start facing the camera (yaw/pitch {:.1}°/{:.1}°, limit ±{}°)",
                if signal == "yaw" { b } else { ob },
                if signal == "yaw" { ob } else { b },
                cfg.frontal_deg
            ),
        );
        o.baseline = Some(b);
        return o;
    }
    let change: Vec<(usize, f32)> = a.iter().map(|&(f, v)| (f, sign * (v - b))).collect();
    let what = format!("the head turned {way} ({signal} moved from {b:.1}°)");
    rise(signal, b, &change, threshold, 1, &what, "°")
}

fn scan(s: &[GestureSample], cfg: &GestureConfig) -> Outcome {
    let a = series(s, |x| x.yaw);
    if a.len() < cfg.min_face_frames.max(3) {
        return Outcome::missing("yaw", cfg.scan_deg, "yaw known in too few frames".into());
    }
    let b = baseline(&a, cfg);
    let hi = a.iter().map(|x| x.1 - b).fold(f32::NEG_INFINITY, f32::max);
    let lo = a.iter().map(|x| x.1 - b).fold(f32::INFINITY, f32::min);
    let side = |x: &(usize, f32)| (x.1 - b).abs() >= cfg.scan_deg;
    let frames: Vec<usize> = a.iter().filter(|x| side(x)).map(|x| x.0).collect();
    let reach = hi.min(-lo);
    let performed = reach >= cfg.scan_deg;
    let reason = format!(
        "yaw swept {lo:+.1}° / {hi:+.1}° around the starting {b:.1}° (needed ±{}° both ways)",
        cfg.scan_deg
    );
    Outcome {
        performed,
        reason,
        signal: "yaw",
        baseline: Some(b),
        change: Some(reach),
        threshold: cfg.scan_deg,
        frames: if performed { frames } else { Vec::new() },
    }
}

fn zoom(s: &[GestureSample], cfg: &GestureConfig, inward: bool) -> Outcome {
    let w = series(s, |x| x.face_width);
    let b = baseline(&w, cfg);
    // Ratio in the asked direction: > 1 means the face grew (zoom in) or shrank (zoom out).
    let r: Vec<(usize, f32)> = w
        .iter()
        .map(|&(f, v)| (f, if inward { v / b } else { b / v.max(1e-6) }))
        .collect();
    let peak = r
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.1.total_cmp(&y.1.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let worst_back = r[..=peak]
        .windows(2)
        .map(|p| 1.0 - p[1].1 / p[0].1)
        .fold(0.0f32, f32::max);
    let gain = r[peak].1 - 1.0;
    let frames: Vec<usize> = r
        .iter()
        .filter(|x| x.1 - 1.0 >= cfg.zoom_gain)
        .map(|x| x.0)
        .collect();
    let steady = worst_back <= cfg.zoom_step_back;
    let performed = gain >= cfg.zoom_gain && steady;
    let dir = if inward { "grew" } else { "shrank" };
    let reason = if performed {
        format!(
            "the face {dir} {:.2}× (needed {:.2}×) by frame {}, steadily",
            gain + 1.0,
            cfg.zoom_gain + 1.0,
            r[peak].0
        )
    } else if gain >= cfg.zoom_gain {
        format!(
            "the face {dir} {:.2}× but stepped back by {:.0} % on the way (at most {:.0} %)",
            gain + 1.0,
            worst_back * 100.0,
            cfg.zoom_step_back * 100.0
        )
    } else {
        format!(
            "the face {dir} at most {:.2}× (needed {:.2}×)",
            gain.max(0.0) + 1.0,
            cfg.zoom_gain + 1.0
        )
    };
    Outcome {
        performed,
        reason,
        signal: "face_width",
        baseline: Some(b),
        change: Some(gain),
        threshold: cfg.zoom_gain,
        frames: if performed { frames } else { Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frontal face: eyes open, mouth closed, 30 % of the frame wide, centred.
    fn neutral(frame: usize) -> GestureSample {
        GestureSample {
            frame,
            eye_closed: Some(0.02),
            eye_opening: Some(0.3),
            mouth_open: Some(0.02),
            mouth_width: Some(0.9),
            yaw: Some(3.0),
            pitch: Some(-4.0),
            face_width: Some(0.3),
            centre: Some([0.5, 0.45]),
        }
    }

    fn clip(n: usize, f: impl Fn(usize, &mut GestureSample)) -> Vec<GestureSample> {
        (0..n)
            .map(|i| {
                let mut s = neutral(i * 4);
                f(i, &mut s);
                s
            })
            .collect()
    }

    fn passes(s: &[GestureSample]) -> Vec<Gesture> {
        let cfg = GestureConfig::default();
        Gesture::ALL
            .into_iter()
            .filter(|&g| check(g, s, &cfg).performed)
            .collect()
    }

    #[test]
    fn tags_map_to_gestures_and_passive_tags_to_none() {
        assert_eq!(Gesture::from_tag("video_selfie_eyes"), Some(Gesture::Blink));
        assert_eq!(Gesture::from_tag("video_selfie_high"), Some(Gesture::Up));
        assert_eq!(
            Gesture::from_tag("video_selfie_zoom_out"),
            Some(Gesture::ZoomOut)
        );
        for t in [
            "video_selfie",
            "video_selfie_blank",
            "video_selfie_oneshot",
            "photo_selfie",
        ] {
            assert_eq!(Gesture::from_tag(t), None, "{t}");
        }
        for g in Gesture::ALL {
            assert_eq!(Gesture::from_tag(g.tag()), Some(g));
            assert_eq!(serde_json::to_value(g).unwrap(), g.name());
        }
    }

    #[test]
    fn a_constant_sequence_fails_every_gesture() {
        assert_eq!(passes(&clip(8, |_, _| {})), vec![]);
        // Also with eyes shut throughout, a wide smile throughout, a turned head throughout.
        assert_eq!(
            passes(&clip(8, |_, s| {
                s.eye_closed = Some(0.97);
                s.mouth_width = Some(1.3);
                s.yaw = Some(-35.0);
                s.face_width = Some(0.8);
            })),
            vec![]
        );
    }

    #[test]
    fn jitter_of_a_still_face_fails_every_gesture() {
        let wobble = |i: usize| [0.0f32, 1.0, -1.0, 0.5, -0.5, 1.0, 0.0, -1.0][i % 8];
        let s = clip(24, |i, s| {
            let k = wobble(i);
            s.eye_closed = Some(0.05 + 0.1 * k.abs());
            s.mouth_width = Some(0.9 * (1.0 + 0.04 * k));
            s.yaw = s.yaw.map(|v| v + 4.0 * k);
            s.pitch = s.pitch.map(|v| v + 4.0 * k);
            s.face_width = Some(0.3 * (1.0 + 0.06 * k));
        });
        assert_eq!(passes(&s), vec![]);
    }

    #[test]
    fn blink_needs_open_closed_open() {
        let cfg = GestureConfig::default();
        let s = clip(12, |i, s| {
            if i == 5 || i == 6 {
                s.eye_closed = Some(0.95);
                s.eye_opening = Some(0.15);
            }
        });
        let v = check(Gesture::Blink, &s, &cfg);
        assert!(v.performed, "{}", v.reason);
        assert_eq!(v.frames, vec![20, 24]);
        // Closed at the end only (no reopening), or from the start (never open before): no blink.
        for closed in [9..12, 0..3] {
            let s = clip(12, |i, s| {
                if closed.contains(&i) {
                    s.eye_closed = Some(0.95);
                }
            });
            let v = check(Gesture::Blink, &s, &cfg);
            assert!(!v.performed, "{:?}: {}", closed, v.reason);
        }
        // The eye model alone is not enough: lids that stay open (a print's) are no blink.
        let s = clip(12, |i, s| {
            if i == 5 || i == 6 {
                s.eye_closed = Some(0.95);
                s.eye_opening = Some(0.29);
            }
        });
        let v = check(Gesture::Blink, &s, &cfg);
        assert!(
            !v.performed && v.reason.contains("lid opening"),
            "{}",
            v.reason
        );
        // A half-closed squint is not a blink.
        let s = clip(12, |i, s| {
            if i == 5 {
                s.eye_closed = Some(0.4);
            }
        });
        assert!(!check(Gesture::Blink, &s, &cfg).performed);
    }

    #[test]
    fn smile_widens_the_mouth() {
        let cfg = GestureConfig::default();
        let s = clip(8, |i, s| {
            s.mouth_width = Some(0.9 * (1.0 + 0.03 * i as f32))
        });
        let v = check(Gesture::Smile, &s, &cfg);
        assert!(v.performed, "{}", v.reason);
        assert_eq!(v.signal, "mouth_width");
        // A momentary widening (a word) is not held: no smile.
        let s = clip(8, |i, s| {
            if i == 4 || i == 6 {
                s.mouth_width = Some(0.9 * 1.2);
            }
        });
        let v = check(Gesture::Smile, &s, &cfg);
        assert!(
            !v.performed && v.reason.contains("consecutive"),
            "{}",
            v.reason
        );
        // Opening the mouth (talking) is not a smile.
        let s = clip(8, |i, s| s.mouth_open = Some(0.05 * i as f32));
        assert!(!check(Gesture::Smile, &s, &cfg).performed);
    }

    #[test]
    fn turns_and_nods_go_the_asked_way_from_a_frontal_start() {
        let cfg = GestureConfig::default();
        let user_left = clip(8, |i, s| {
            s.yaw = Some(3.0 + USER_LEFT_YAW_SIGN * 6.0 * i as f32);
        });
        assert_eq!(passes(&user_left), vec![Gesture::Left]);
        let v = check(Gesture::Left, &user_left, &cfg);
        assert_eq!(v.frames, vec![12, 16, 20, 24, 28]);
        assert!((v.change.unwrap() - 39.0).abs() < 1e-3, "{v:?}");
        // Mirrored camera: the same images are a turn to the right.
        let m = GestureConfig {
            mirrored: true,
            ..cfg
        };
        assert!(check(Gesture::Right, &user_left, &m).performed);
        assert!(!check(Gesture::Left, &user_left, &m).performed);

        let user_right = clip(8, |i, s| {
            s.yaw = Some(3.0 - USER_LEFT_YAW_SIGN * 6.0 * i as f32);
        });
        assert_eq!(passes(&user_right), vec![Gesture::Right]);
        let up = clip(8, |i, s| {
            s.pitch = Some(-4.0 + UP_PITCH_SIGN * 3.0 * i as f32)
        });
        assert_eq!(passes(&up), vec![Gesture::Up]);
        let down = clip(8, |i, s| {
            s.pitch = Some(-4.0 - UP_PITCH_SIGN * 3.0 * i as f32)
        });
        assert_eq!(passes(&down), vec![Gesture::Down]);
        // Starting already turned away is not a turn, even if the head moves further.
        let turned = clip(8, |i, s| s.yaw = Some(-30.0 - 3.0 * i as f32));
        let v = check(Gesture::Left, &turned, &cfg);
        assert!(!v.performed && v.reason.contains("start"), "{}", v.reason);
    }

    #[test]
    fn scan_sweeps_both_sides() {
        let sweep = [0.0f32, 0.0, 25.0, 10.0, 0.0, -10.0, -25.0, -10.0, 0.0];
        let s = clip(9, |i, s| s.yaw = Some(3.0 + sweep[i]));
        let p = passes(&s);
        assert!(p.contains(&Gesture::Scan), "{p:?}");
        // One side only is a turn, not a scan.
        let s = clip(9, |i, s| s.yaw = Some(3.0 + sweep[i].abs()));
        assert!(!passes(&s).contains(&Gesture::Scan));
    }

    #[test]
    fn zoom_needs_a_steady_size_change() {
        let cfg = GestureConfig::default();
        let grow = clip(8, |i, s| s.face_width = Some(0.3 * (1.0 + 0.08 * i as f32)));
        assert_eq!(passes(&grow), vec![Gesture::ZoomIn]);
        let shrink = clip(8, |i, s| s.face_width = Some(0.3 / (1.0 + 0.08 * i as f32)));
        assert_eq!(passes(&shrink), vec![Gesture::ZoomOut]);
        let v = check(Gesture::ZoomOut, &shrink, &cfg);
        assert!(v.change.unwrap() > 0.45, "{v:?}");
        // In and out and in again: not steady.
        let wobble = [1.0f32, 1.2, 0.95, 1.3, 1.45, 1.0, 1.1, 1.2];
        let s = clip(8, |i, s| s.face_width = Some(0.3 * wobble[i]));
        let v = check(Gesture::ZoomIn, &s, &cfg);
        assert!(
            !v.performed && v.reason.contains("stepped back"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn too_few_faces_fail_with_the_reason() {
        let s = clip(8, |i, s| {
            if i > 1 {
                *s = GestureSample {
                    frame: s.frame,
                    ..GestureSample::default()
                };
            }
        });
        let v = check(Gesture::Blink, &s, &GestureConfig::default());
        assert!(
            !v.performed && v.reason.contains("a face in 2 of 8"),
            "{}",
            v.reason
        );
    }
}
