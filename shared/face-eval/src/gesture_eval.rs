//! Gesture pass rates (`face-eval gesture`) on the team's videos (`../shared/data/video`),
//! hand-labelled from their signal traces and frames: 3 s windows (the length of a gesture video)
//! slid over each clip, each window sampled as a gesture upload would be, every gesture checked.
//!
//! - A window is a **positive** for a gesture when it holds a labelled performance of it whole
//!   (from the neutral start to the peak, [`LABELS`]); the pass rate is over those windows.
//! - A window inside a **quiet** span (talking or still, no deliberate gesture, [`QUIET`]) is a
//!   negative for every motion gesture; a pass there is a false pass.
//!
//! Blink has no hand labels: `talking-blinks.mp4` is scored against the blinks `fr_eye` finds at
//! the full trace rate (see `face-eval gesture`), which measures what sparser sampling
//! loses, not the eye model's own misses.

use std::fmt::Write as _;
use std::path::Path;

use face_engine::gesture::{Gesture, GestureConfig, GestureSample, check};
use face_engine::{AnalyzeOptions, Engine, EngineError, FrameDepth, Result};
use media_decode::{Limits, Sampling};
use rayon::prelude::*;

/// A labelled gesture: in `video`, the user faces the camera from `neutral_ms`, starts moving at
/// `from_ms` and reaches the gesture's peak at `to_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    /// File name in `data/video`.
    pub video: &'static str,
    /// The gesture performed.
    pub gesture: Gesture,
    /// Since when the user faces the camera (after the previous gesture), ms.
    pub neutral_ms: u64,
    /// Start of the movement, ms.
    pub from_ms: u64,
    /// The peak, ms.
    pub to_ms: u64,
}

const fn label(
    video: &'static str,
    gesture: Gesture,
    neutral_ms: u64,
    from_ms: u64,
    to_ms: u64,
) -> Label {
    Label {
        video,
        gesture,
        neutral_ms,
        from_ms,
        to_ms,
    }
}

/// Hand labels (read from 4–8 fps traces of yaw, pitch and face width, directions checked on
/// frames). `Left` is the user's left: the face turns towards the image's right.
pub const LABELS: &[Label] = &[
    label("selfie-turns-live.mp4", Gesture::Left, 0, 1_500, 2_300),
    label("selfie-turns-live.mp4", Gesture::Right, 6_000, 7_000, 7_600),
    label(
        "selfie-turns-live.mp4",
        Gesture::Down,
        10_600,
        11_000,
        11_600,
    ),
    label("selfie-turns-live.mp4", Gesture::Up, 14_000, 14_300, 14_900),
    label("zoom-turns-1.mp4", Gesture::Right, 0, 1_700, 2_300),
    label("zoom-turns-1.mp4", Gesture::Left, 3_000, 3_200, 4_000),
    label("zoom-turns-1.mp4", Gesture::Scan, 0, 1_700, 4_000),
    label("zoom-turns-1.mp4", Gesture::Left, 5_800, 6_000, 6_800),
    label("zoom-turns-1.mp4", Gesture::Right, 14_400, 15_600, 16_400),
    label("zoom-turns-2.mp4", Gesture::Right, 0, 1_700, 2_700),
    label("zoom-turns-2.mp4", Gesture::Left, 3_100, 3_200, 4_200),
    label("zoom-turns-2.mp4", Gesture::Scan, 0, 1_700, 4_200),
    label("zoom-turns-2.mp4", Gesture::ZoomIn, 6_400, 6_700, 7_700),
    label("zoom-turns-2.mp4", Gesture::ZoomOut, 8_000, 8_400, 10_800),
    label("zoom-turns-2.mp4", Gesture::Up, 11_000, 13_200, 14_500),
    label("zoom-turns-2.mp4", Gesture::ZoomIn, 14_700, 14_700, 15_800),
    label("talk-zoom-out.mp4", Gesture::Left, 19_500, 20_000, 20_300),
    label("talk-zoom-out.mp4", Gesture::Left, 21_200, 22_100, 22_500),
    label(
        "talk-zoom-out.mp4",
        Gesture::ZoomOut,
        23_300,
        23_700,
        25_000,
    ),
    label("talk-zoom-out.mp4", Gesture::ZoomIn, 26_000, 27_500, 29_300),
    // The live clip replayed on a phone and re-filmed: the head still moves (catching the replay
    // is the spoof score's job, not the gesture check's).
    label(
        "selfie-turns-replay-attack.mp4",
        Gesture::Left,
        3_500,
        4_500,
        5_000,
    ),
    label(
        "selfie-turns-replay-attack.mp4",
        Gesture::Right,
        9_000,
        10_000,
        10_300,
    ),
    label(
        "selfie-turns-replay-attack.mp4",
        Gesture::Up,
        16_900,
        17_200,
        17_700,
    ),
];

/// Spans without a deliberate gesture (talking or holding still): `(video, from_ms, to_ms)`.
pub const QUIET: &[(&str, u64, u64)] = &[
    ("talk-zoom-out.mp4", 0, 17_000),
    ("selfie-turns-live.mp4", 16_700, 20_700),
    ("zoom-turns-2.mp4", 17_200, 19_000),
];

/// The gestures a quiet span is a negative for: all but the blink (people blink while talking).
/// Talking is no smile, though a talker may smile now and then unlabelled.
pub const QUIET_NEGATIVE: [Gesture; 8] = [
    Gesture::Smile,
    Gesture::Left,
    Gesture::Right,
    Gesture::Up,
    Gesture::Down,
    Gesture::ZoomIn,
    Gesture::ZoomOut,
    Gesture::Scan,
];

/// One video's signals at a fixed rate: `(timestamp ms, signals)`.
pub type Trace = Vec<(u64, GestureSample)>;

/// Decodes `bytes` at about `fps` frames per second (any length: the upload limits are lifted).
pub fn decode_at(engine: &Engine, bytes: &[u8], fps: f32) -> Result<Vec<media_decode::Frame>> {
    let limits = Limits {
        max_duration_ms: 600_000,
        max_frames: 20_000,
        max_decoded_bytes: 3 << 30,
        max_pixels: engine.config().max_pixels,
        ..Limits::default()
    };
    let info =
        media_decode::probe(bytes, &limits).map_err(|e| EngineError::Decode(e.to_string()))?;
    let n = (info.duration_ms.unwrap_or(1000) as f32 / 1000.0 * fps).ceil() as usize;
    Ok(
        media_decode::decode(bytes, &limits, Sampling::Evenly(n.max(2)))
            .map_err(|e| EngineError::Decode(e.to_string()))?
            .frames,
    )
}

/// Every frame's gesture signals (`depth` [`FrameDepth::Eyes`] skips the pose and detects the
/// face in each frame).
pub fn trace_frames(
    engine: &Engine,
    frames: &[media_decode::Frame],
    depth: FrameDepth,
) -> Result<Trace> {
    let opts = AnalyzeOptions {
        embedding: false,
        liveness: false,
        pose: true,
        eyes: true,
    };
    frames
        .par_iter()
        .map(|f| {
            let a = engine.analyze_frame_at(&f.image, &opts, depth)?;
            Ok((f.timestamp_ms, GestureSample::of(f.index as usize, &a)))
        })
        .collect()
}

/// [`decode_at`] then [`trace_frames`].
pub fn trace(engine: &Engine, bytes: &[u8], fps: f32, depth: FrameDepth) -> Result<Trace> {
    trace_frames(engine, &decode_at(engine, bytes, fps)?, depth)
}

/// The blink check as an upload gets it ([`face_engine::media::analyze_sampled`]: 8 frames
/// analysed fully, the others for eyes in the face box interpolated between them) on the 3 s
/// windows every `step_ms` of `frames` that hold a blink seen at the full trace rate (as in
/// [`blink_rates`]); returns `(positives, passed)`.
pub fn blink_upload_rates(
    engine: &Engine,
    frames: &[media_decode::Frame],
    trace: &Trace,
    cfg: &GestureConfig,
    step_ms: u64,
) -> Result<(usize, usize)> {
    let end = trace.last().map_or(0, |x| x.0);
    let (mut pos, mut passed) = (0, 0);
    let mut from = 0;
    while from + WINDOW_MS <= end {
        let core = window(trace, from + 300, WINDOW_MS - 600, usize::MAX);
        if check(Gesture::Blink, &core, cfg).performed {
            let w: Vec<&media_decode::Frame> = frames
                .iter()
                .filter(|f| f.timestamp_ms >= from && f.timestamp_ms < from + WINDOW_MS)
                .collect();
            let m = face_engine::media::analyze_sampled(
                engine,
                &w,
                &face_engine::AnalyzeOptions::default(),
            )?;
            pos += 1;
            passed += face_engine::gesture::check_media(Gesture::Blink, &m, cfg).performed as usize;
        }
        from += step_ms;
    }
    Ok((pos, passed))
}

/// Frames of `trace` inside `[from, from + len)`, thinned to `k` evenly spread ones (as a
/// `k`-frame sampling of a video of that length would pick).
pub fn window(trace: &Trace, from: u64, len: u64, k: usize) -> Vec<GestureSample> {
    let inside: Vec<GestureSample> = trace
        .iter()
        .filter(|(t, _)| *t >= from && *t < from + len)
        .map(|x| x.1)
        .collect();
    if inside.len() <= k || k < 2 {
        return inside;
    }
    let n = inside.len();
    let mut idx: Vec<usize> = (0..k).map(|i| i * (n - 1) / (k - 1)).collect();
    idx.dedup();
    idx.into_iter().map(|i| inside[i]).collect()
}

/// Pass counts of one gesture.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Rates {
    /// Windows holding a labelled performance.
    pub positives: usize,
    /// Of those, windows where the check passed.
    pub passed: usize,
    /// Quiet windows (every gesture but the blink).
    pub negatives: usize,
    /// Of those, windows where the check passed.
    pub false_passes: usize,
}

/// Window length (a typical gesture video), ms.
pub const WINDOW_MS: u64 = 3_000;
/// Longest wait from the start of a gesture video to the start of the movement, ms.
pub const LEAD_MS: u64 = 1_500;
/// Step between windows, ms.
pub const STEP_MS: u64 = 250;

/// Pass rates per gesture over the labelled videos whose traces are given (`(file name, trace)`),
/// each window sampled with `frames(gesture)` frames.
pub fn rates(
    traces: &[(&str, Trace)],
    cfg: &GestureConfig,
    frames: impl Fn(Gesture) -> usize,
) -> Vec<(Gesture, Rates)> {
    Gesture::ALL
        .into_iter()
        .map(|g| {
            let mut r = Rates::default();
            let k = frames(g);
            for (video, trace) in traces {
                for l in LABELS
                    .iter()
                    .filter(|l| l.video == *video && l.gesture == g)
                {
                    // Every window that starts while the user faces the camera, 0.2–1.5 s before
                    // the movement (a gesture video starts with the user facing the camera and
                    // asked to move), and ends after the peak.
                    let first = (l.to_ms + 200)
                        .saturating_sub(WINDOW_MS)
                        .max(l.from_ms.saturating_sub(LEAD_MS))
                        .max(l.neutral_ms);
                    let mut from = first.div_ceil(STEP_MS) * STEP_MS;
                    while from + 200 <= l.from_ms {
                        r.positives += 1;
                        let v = check(g, &window(trace, from, WINDOW_MS, k), cfg);
                        if !v.performed && std::env::var_os("GESTURE_EVAL_VERBOSE").is_some() {
                            eprintln!("{video} {} at {from} ms: {}", g.name(), v.reason);
                        }
                        r.passed += v.performed as usize;
                        from += STEP_MS;
                    }
                }
                if !QUIET_NEGATIVE.contains(&g) {
                    continue;
                }
                for &(_, a, b) in QUIET.iter().filter(|q| q.0 == *video) {
                    let mut from = a;
                    while from + WINDOW_MS <= b {
                        r.negatives += 1;
                        r.false_passes +=
                            check(g, &window(trace, from, WINDOW_MS, k), cfg).performed as usize;
                        from += STEP_MS;
                    }
                }
            }
            (g, r)
        })
        .collect()
}

/// Blink windows of a trace: 3 s windows every `STEP_MS` that hold a blink seen at the full
/// trace rate (a closed frame between open ones, away from the window's edges by 300 ms) count
/// as positives; returns `(positives, passed with k frames per window)` for each `k`.
pub fn blink_rates(trace: &Trace, cfg: &GestureConfig, ks: &[usize]) -> Vec<(usize, usize, usize)> {
    let end = trace.last().map_or(0, |x| x.0);
    let mut out: Vec<(usize, usize, usize)> = ks.iter().map(|&k| (k, 0, 0)).collect();
    let mut from = 0;
    while from + WINDOW_MS <= end {
        let core = window(trace, from + 300, WINDOW_MS - 600, usize::MAX);
        let reference = check(Gesture::Blink, &core, cfg).performed;
        if reference {
            for o in out.iter_mut() {
                o.1 += 1;
                o.2 += check(Gesture::Blink, &window(trace, from, WINDOW_MS, o.0), cfg).performed
                    as usize;
            }
        }
        from += STEP_MS;
    }
    out
}

/// Traces of the labelled videos found in `video_dir`, at `fps`.
pub fn labelled_traces(engine: &Engine, video_dir: &Path, fps: f32) -> Vec<(&'static str, Trace)> {
    let mut names: Vec<&'static str> = LABELS.iter().map(|l| l.video).collect();
    names.extend(QUIET.iter().map(|q| q.0));
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let bytes = std::fs::read(video_dir.join(name)).ok()?;
            match trace(engine, &bytes, fps, FrameDepth::Full) {
                Ok(t) => Some((name, t)),
                Err(e) => {
                    eprintln!("{name}: {e}");
                    None
                }
            }
        })
        .collect()
}

/// A table of [`rates`].
pub fn table(rows: &[(Gesture, Rates)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<9} {:>17} {:>22}",
        "gesture", "labelled: passed", "quiet: false passes"
    );
    for (g, r) in rows {
        let pct = |a: usize, b: usize| {
            if b == 0 {
                "—".to_string()
            } else {
                format!("{a}/{b} ({:.0} %)", 100.0 * a as f64 / b as f64)
            }
        };
        let _ = writeln!(
            s,
            "{:<9} {:>17} {:>22}",
            g.name(),
            pct(r.passed, r.positives),
            pct(r.false_passes, r.negatives)
        );
    }
    s
}
