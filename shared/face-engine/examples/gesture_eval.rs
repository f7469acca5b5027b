//! Gesture pass rates on `../shared/data/video` (see `face_engine::gesture_eval`):
//! `cargo run -p face-engine --release --example gesture_eval [-- <data dir>]`.
//!
//! Prints, per gesture, the share of labelled 3 s windows where the check passed and the share
//! of quiet windows (talking, holding still) where a motion gesture wrongly passed; then, on
//! `talking-blinks.mp4`, how many of the blinks seen at 8 fps a 3 s window still catches when
//! sampled with 8, 12, 16 or 24 frames.

use std::path::PathBuf;
use std::time::Instant;

use face_engine::gesture::GestureConfig;
use face_engine::{Engine, FrameDepth, gesture_eval};

fn main() -> anyhow::Result<()> {
    let data = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let videos = data.join("video");
    anyhow::ensure!(videos.is_dir(), "{} absent", videos.display());
    let engine = Engine::from_env()?;
    let cfg = GestureConfig::default();
    let t = Instant::now();
    let traces = gesture_eval::labelled_traces(&engine, &videos, 8.0);
    println!(
        "traces at 8 fps of {} videos in {:.1} s",
        traces.len(),
        t.elapsed().as_secs_f64()
    );
    for k in [8usize, 12] {
        println!(
            "\n3 s windows every {} ms, {k} frames each:",
            gesture_eval::STEP_MS
        );
        print!(
            "{}",
            gesture_eval::table(&gesture_eval::rates(&traces, &cfg, |_| k))
        );
    }
    if std::env::var_os("GESTURE_EVAL_NO_BLINK").is_some() {
        return Ok(());
    }
    let t = Instant::now();
    let bytes = std::fs::read(videos.join("talking-blinks.mp4"))?;
    let frames = gesture_eval::decode_at(&engine, &bytes, 8.0)?;
    let trace = gesture_eval::trace_frames(&engine, &frames, FrameDepth::Eyes)?;
    println!(
        "\nblink, talking-blinks.mp4 ({} frames at 8 fps in {:.1} s): 3 s windows holding a blink \
         seen at 8 fps, caught with k frames per window",
        trace.len(),
        t.elapsed().as_secs_f64()
    );
    for (k, pos, passed) in gesture_eval::blink_rates(&trace, &cfg, &[8, 12, 16, 24]) {
        println!(
            "  k = {k:>2}: {passed}/{pos} ({:.0} %)",
            100.0 * passed as f64 / pos.max(1) as f64
        );
    }
    let t = Instant::now();
    let (pos, passed) = gesture_eval::blink_upload_rates(&engine, &frames, &trace, &cfg, 1_000)?;
    println!(
        "  as an upload (24 frames: 8 full, 16 eyes-only in interpolated boxes), windows every \
         1 s: {passed}/{pos} ({:.0} %) in {:.1} s",
        100.0 * passed as f64 / pos.max(1) as f64,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
