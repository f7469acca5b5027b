//! `oz-api engine …`: the face engine from the command line, JSON output.
//!
//! - `compare A B` — 1:1 match of the primary faces of two photos.
//! - `liveness FILE` — `confidence_spoofing` of a photo, video or shot set: the multi-signal PAD
//!   fusion the quality analysis uses, with every signal and the single-frame CNN.
//! - `detect FILE` — faces, landmarks-derived signals and timings.
//!
//! Every output carries the engine info (model names, SHA-256 prefixes, thresholds). The
//! accuracy report over `../shared/data` is `face-eval report` (crate `shared/face-eval`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use face_engine::{AnalyzeOptions, Engine, io};
use serde_json::json;

/// Arguments of `oz-api engine`.
#[derive(Debug, clap::Args)]
pub struct EngineArgs {
    /// Folder with the ONNX models (default: `$OZ_MODELS_DIR`, `./models`, or the repository's).
    #[arg(long, global = true)]
    models: Option<PathBuf>,
    #[command(subcommand)]
    cmd: EngineCmd,
}

#[derive(Debug, clap::Subcommand)]
enum EngineCmd {
    /// Compare the primary faces of two photos (cosine, calibrated score, match at 0.85).
    Compare {
        /// First photo.
        a: PathBuf,
        /// Second photo.
        b: PathBuf,
    },
    /// Anti-spoofing: confidence_spoofing of a photo, or fused over the frames of a video.
    Liveness {
        /// Photo (JPEG/PNG/WebP) or video (MP4/MOV) or ZIP shot set.
        file: PathBuf,
    },
    /// Detect faces and report per-face signals.
    Detect {
        /// Photo.
        file: PathBuf,
    },
}

fn load_engine(models: Option<&Path>) -> anyhow::Result<Engine> {
    Ok(match models {
        Some(dir) => Engine::load(dir)?,
        None => Engine::from_env()?,
    })
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn print(v: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Runs an `engine` subcommand.
pub fn run(args: EngineArgs) -> anyhow::Result<()> {
    let t_load = Instant::now();
    let engine = load_engine(args.models.as_deref())?;
    let load_ms = ms(t_load);
    let max_pixels = engine.config().max_pixels;
    match args.cmd {
        EngineCmd::Compare { a, b } => {
            let t = Instant::now();
            let opts = AnalyzeOptions {
                embedding: true,
                liveness: false,
                pose: false,
                eyes: false,
            };
            let analyze = |p: &Path| -> anyhow::Result<_> {
                let img = io::load_image(p, max_pixels).with_context(|| p.display().to_string())?;
                Ok(engine.analyze_frame(&img, &opts)?)
            };
            let (fa, fb) = (analyze(&a)?, analyze(&b)?);
            let emb =
                |f: &face_engine::FrameAnalysis| f.face.as_ref().and_then(|x| x.embedding.clone());
            let side = |p: &Path, f: &face_engine::FrameAnalysis| {
                json!({
                    "file": p,
                    "faces": f.detections.len(),
                    "primary_box": f.face.as_ref().map(|x| x.detection),
                    "timings_ms": f.timings,
                })
            };
            let similarity = match (emb(&fa), emb(&fb)) {
                (Some(x), Some(y)) => Some(engine.compare(&x, &y)),
                _ => None,
            };
            print(&json!({
                "a": side(&a, &fa),
                "b": side(&b, &fb),
                "outcome": if similarity.is_some() { "compared" } else { "no_face" },
                "similarity": similarity,
                "match": similarity.map(|s| engine.is_match(&s)),
                "threshold": engine.config().match_threshold,
                "total_ms": ms(t),
                "model_load_ms": load_ms,
                "engine": engine.info(),
            }))
        }
        EngineCmd::Liveness { file } => {
            let t = Instant::now();
            let bytes = std::fs::read(&file).with_context(|| file.display().to_string())?;
            let (decoded, media) = face_engine::media::analyze_for_gesture(
                &engine,
                &bytes,
                None,
                &face_engine::gesture::GestureConfig::default(),
                &face_engine::AnalyzeOptions::default(),
            )?;
            // The decision the quality analysis makes: the multi-signal PAD fusion.
            let pad = face_engine::media::pad_of(
                &decoded,
                &media,
                &face_engine::pad::PadConfig::default(),
            );
            let spoof = media.spoof.as_ref().map(|_| pad.confidence_spoofing);
            print(&json!({
                "file": file,
                "frames": media.frames.len(),
                "frames_with_face": media.frames_with_face,
                "outcome": if spoof.is_some() { "analyzed" } else { "no_face" },
                "confidence_spoofing": spoof,
                "is_attack": spoof.map(|s| engine.is_attack(s)),
                "threshold": engine.config().spoof_threshold,
                "pad": pad,
                "cnn": media.spoof,
                "per_frame": media.frames.iter().map(|(i, f)| json!({
                    "index": i,
                    "faces": f.detections.len(),
                    "box": f.face.as_ref().map(|x| x.detection),
                    "spoof_score": f.face.as_ref().and_then(|x| x.spoof_score),
                })).collect::<Vec<_>>(),
                "best_shot": media.best_shot,
                "total_ms": ms(t),
                "model_load_ms": load_ms,
                "engine": engine.info(),
            }))
        }
        EngineCmd::Detect { file } => {
            let t = Instant::now();
            let img =
                io::load_image(&file, max_pixels).with_context(|| file.display().to_string())?;
            let decode_ms = ms(t);
            let opts = AnalyzeOptions {
                embedding: false,
                liveness: true,
                pose: true,
                eyes: true,
            };
            let a = engine.analyze_frame(&img, &opts)?;
            let face = a.face.as_ref().map(|f| {
                json!({
                    "box": f.detection,
                    "face_size_px": f.face_size_px,
                    "pose": f.pose,
                    "eyes": f.eyes,
                    "mouth_open_ratio": f.mouth_open_ratio,
                    "sharpness": f.sharpness,
                    "quality": f.quality,
                    "spoof_score": f.spoof_score,
                    "five_points": f.landmarks.five_points(),
                })
            });
            print(&json!({
                "file": file,
                "width": a.width,
                "height": a.height,
                "outcome": if a.detections.is_empty() { "no_face" } else { "faces" },
                "faces": a.detections,
                "multiple_faces": a.multiple_faces(),
                "primary": a.primary,
                "primary_face": face,
                "decode_ms": decode_ms,
                "timings_ms": a.timings,
                "model_load_ms": load_ms,
                "engine": engine.info(),
            }))
        }
    }
}
