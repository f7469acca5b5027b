//! Gesture checks end to end through the media entry point (`media::analyze_for_gesture`) on
//! H.264 videos generated from a face still with known transforms — zoom in and out by scaling,
//! an in-plane shift, the still replayed (constant, and with hand-held jitter). The pass rates on
//! the hand-labelled real videos are tested in `face-eval` (tests/gesture.rs).
//!
//! Needs the fixture photos of `scripts/fetch-fixtures.sh` (see tests/engine.rs).

use std::collections::BTreeSet;

use face_engine::gesture::{Gesture, GestureConfig, GestureVerdict, check_media};
use face_engine::{Engine, media};
use image::RgbImage;
use media_decode::testutil::{Mp4Opts, make_mp4};

use face_eval::data::{engine, fixture};

/// Frames of a 3 s, 8 fps, 640×480 video: the astronaut portrait scaled to `side(t)` pixels and
/// centred at `centre(t)` on a grey canvas, `t` in 0..=1 over the clip.
fn clip(side: impl Fn(f32) -> f32, centre: impl Fn(f32) -> (f32, f32)) -> Vec<RgbImage> {
    let still = fixture("astronaut.png");
    (0..24)
        .map(|i| {
            let t = i as f32 / 23.0;
            let s = side(t).round() as u32;
            let face = image::imageops::resize(&still, s, s, image::imageops::FilterType::Triangle);
            let (cx, cy) = centre(t);
            let mut canvas = RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
            image::imageops::replace(
                &mut canvas,
                &face,
                (cx - s as f32 / 2.0).round() as i64,
                (cy - s as f32 / 2.0).round() as i64,
            );
            canvas
        })
        .collect()
}

fn mp4(frames: &[RgbImage]) -> Vec<u8> {
    make_mp4(
        frames,
        &Mp4Opts {
            fps: 8,
            ..Mp4Opts::default()
        },
    )
}

/// Every gesture checked on `video` as an upload tagged with it would be (a blink on the dense
/// sampling, the others on the default one); returns the verdicts.
fn verdicts(e: &Engine, video: &[u8]) -> Vec<GestureVerdict> {
    let cfg = GestureConfig::default();
    let all = face_engine::AnalyzeOptions::default();
    let (_, dense) =
        media::analyze_for_gesture(e, video, Some(Gesture::Blink), &cfg, &all).unwrap();
    let (_, sparse) =
        media::analyze_for_gesture(e, video, Some(Gesture::Left), &cfg, &all).unwrap();
    assert_eq!(dense.frames.len(), 24, "blink: 8 fps over 3 s");
    assert_eq!(sparse.frames.len(), media::DEFAULT_FRAMES);
    // Dense frames between the fully analysed ones carry eyes and mouth, no pose or spoof score.
    let full = dense
        .frames
        .iter()
        .filter(|(_, a)| a.face.as_ref().is_some_and(|f| f.spoof_score.is_some()))
        .count();
    let eyes = dense
        .frames
        .iter()
        .filter(|(_, a)| a.face.as_ref().is_some_and(|f| f.eyes.is_some()))
        .count();
    assert!(
        full <= media::DEFAULT_FRAMES && eyes > full,
        "{full} full, {eyes} with eyes"
    );
    assert_eq!(dense.spoof.as_ref().map(|s| s.frames), Some(full));
    Gesture::ALL
        .into_iter()
        .map(|g| {
            let m = if g == Gesture::Blink { &dense } else { &sparse };
            check_media(g, m, &cfg)
        })
        .collect()
}

fn performed(name: &str, v: &[GestureVerdict]) -> BTreeSet<&'static str> {
    for x in v {
        eprintln!(
            "{name:<12} {:<8} {:<5} {}",
            x.gesture.name(),
            x.performed,
            x.reason
        );
    }
    v.iter()
        .filter(|x| x.performed)
        .map(|x| x.gesture.name())
        .collect()
}

const CENTRE: (f32, f32) = (320.0, 240.0);

#[test]
fn zoom_in_and_out_by_scaling_pass_only_their_zoom() {
    let e = engine();
    let v = verdicts(&e, &mp4(&clip(|t| 260.0 + 200.0 * t, |_| CENTRE)));
    assert_eq!(performed("zoom in", &v), BTreeSet::from(["zoom_in"]));
    let zin = v.iter().find(|x| x.gesture == Gesture::ZoomIn).unwrap();
    // Known transform: the face grows 460/260 = 1.77×; the first two frames are the baseline.
    let gain = zin.change.unwrap();
    assert!((0.55..0.85).contains(&gain), "gain {gain}");
    assert!(!zin.frames.is_empty() && zin.samples.len() == media::DEFAULT_FRAMES);

    let v = verdicts(&e, &mp4(&clip(|t| 460.0 - 200.0 * t, |_| CENTRE)));
    assert_eq!(performed("zoom out", &v), BTreeSet::from(["zoom_out"]));
}

#[test]
fn an_in_plane_shift_is_no_gesture() {
    let e = engine();
    let v = verdicts(
        &e,
        &mp4(&clip(|_| 300.0, |t| (190.0 + 260.0 * t, 240.0 - 30.0 * t))),
    );
    assert_eq!(performed("shift", &v), BTreeSet::new());
}

#[test]
fn a_still_photo_replayed_fails_every_gesture() {
    let e = engine();
    let v = verdicts(&e, &mp4(&clip(|_| 320.0, |_| CENTRE)));
    assert_eq!(performed("still", &v), BTreeSet::new());
    for x in &v {
        assert!(!x.reason.is_empty() && !x.samples.is_empty(), "{x:?}");
    }
    // Held by a shaky hand: ±3 % size, a few pixels of drift.
    let wobble = |t: f32| (t * 37.0).sin();
    let v = verdicts(
        &e,
        &mp4(&clip(
            |t| 320.0 * (1.0 + 0.03 * wobble(t)),
            |t| (320.0 + 6.0 * wobble(t + 0.3), 240.0 + 4.0 * wobble(t + 0.7)),
        )),
    );
    assert_eq!(performed("still+hand", &v), BTreeSet::new());
}
