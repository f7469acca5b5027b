//! Multi-signal PAD (`face_engine::pad`) end to end: a still print, the photo path and, when
//! `../shared/data` exists, the team's whole live and replay videos sampled as an upload. The
//! generated hand-held print attacks and the clips of the evaluation are tested in `face-eval`
//! (tests/pad.rs).
//!
//! Needs the fixture photos of `scripts/fetch-fixtures.sh` (see tests/engine.rs).

use face_engine::media::{DEFAULT_FRAMES, limits};
use face_engine::pad::{PadAssessment, PadConfig, Verdict, assess, assess_media};
use face_engine::{AnalyzeOptions, Engine};
use image::RgbImage;
use media_decode::Sampling;

use face_eval::data::{engine, fixture, print_still, shared_data};

fn assess_frames(e: &Engine, frames: &[RgbImage]) -> PadAssessment {
    let media = e.analyze_frames(frames).unwrap();
    assess_media(frames, &media, None, &PadConfig::default())
}

#[test]
fn a_still_print_is_declined_as_a_static_presentation() {
    let e = engine();
    let frames = vec![print_still(); 4];
    let a = assess_frames(&e, &frames);
    let p = a.parallax.as_ref().unwrap();
    assert_eq!(p.verdict, Verdict::Inconclusive, "{p:?}");
    assert_eq!(
        a.deciding_signal.as_deref(),
        Some("static_presentation"),
        "{a:?}"
    );
    assert_eq!(a.decision, Verdict::Attack);
    assert!(a.notes.iter().any(|n| n.contains("static presentation")));
}

#[test]
fn photo_keeps_cnn_and_screen_cues_and_says_it_cannot_prove_liveness() {
    let e = engine();
    let img = fixture("Tom_Hanks_54745.png");
    let fa = e.analyze_frame(&img, &AnalyzeOptions::default()).unwrap();
    let a = assess(&[&img], &[&fa], &[], None, &PadConfig::default());
    assert_eq!(a.media, "photo");
    assert!(a.parallax.is_none() && a.non_rigid_motion.is_none() && a.pulse.is_none());
    assert!(a.cnn.is_some() && a.screen.is_some());
    assert!(
        a.notes[0].contains("cannot prove liveness"),
        "{:?}",
        a.notes
    );
    assert!(a.confidence_spoofing >= a.cnn.as_ref().unwrap().score);
    // A genuine photo stays accepted (the quality analysis' API test relies on it).
    assert_eq!(a.decision, Verdict::Live, "{a:?}");
}

/// What the quality analysis does with an upload: [`DEFAULT_FRAMES`] frames over the whole
/// video (21 s here, so the frames are ≈3 s apart and tracks rarely survive a turn).
fn whole_video(name: &str) -> Option<PadAssessment> {
    let bytes = std::fs::read(shared_data()?.join("video").join(name)).ok()?;
    let e = engine();
    let decoded =
        media_decode::decode(&bytes, &limits(&e), Sampling::Evenly(DEFAULT_FRAMES)).unwrap();
    let media = e.analyze_frames(&decoded.frames).unwrap();
    Some(assess_media(
        &decoded.frames,
        &media,
        decoded.quantiser,
        &PadConfig::default(),
    ))
}

#[test]
fn whole_live_video_passes_and_whole_replay_is_declined() {
    let (Some(live), Some(replay)) = (
        whole_video("selfie-turns-live.mp4"),
        whole_video("selfie-turns-replay-attack.mp4"),
    ) else {
        return;
    };
    assert_eq!(live.decision, Verdict::Live, "{live:?}");
    assert_eq!(replay.decision, Verdict::Attack, "{replay:?}");
}
