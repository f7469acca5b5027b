//! What an analysis costs us against the naive peer, side by side in one run: the same ONNX
//! models run the way a Python developer would (`scripts/reference/peer_pipeline.py`:
//! onnxruntime + OpenCV, one thread), on the same selfie + ID-photo pairs of
//! `../shared/data/faces-deepface` and the same generated 3 s 720p video.
//!
//! Ours is measured twice: the engine's stages one by one on one thread (what each costs), and
//! end to end — a photo pair through the Instant API (`quality` + `biometry`, real HTTP to the
//! local server in this process: the process's CPU time, HTTP and JSON included), the video
//! through the analyser the `quality` analysis calls (decode, analysis, PAD). CPU is
//! `CLOCK_THREAD_CPUTIME_ID` per stage and `CLOCK_PROCESS_CPUTIME_ID` end to end; the peer
//! reports `time.process_time()`.
//!
//! `cargo bench --bench peer` (release), or on the test build's artefacts
//! `cargo bench --profile dev --bench peer`. Needs the reference venv
//! (`scripts/fetch-fixtures.sh --reference`) for the peer's columns; `BENCH_PAIRS` (24) and
//! `BENCH_RUNS` (5, video runs) bound the work.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use face_engine::Engine;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use shared::ports::{AnalyzeRequest, Analyzer as _};

mod common;
use common::{ADMIN, token};
/// Issue goals: a photo pair at ≤ 0.8× the peer's CPU, a 3 s 720p video at ≤ 0.35 core-s.
const PHOTO_GOAL: f64 = 0.8;
const VIDEO_GOAL_MS: f64 = 350.0;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of a clock, milliseconds.
fn cpu_ms(clock: libc::clockid_t) -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid out-pointer for the duration of the call.
    unsafe { libc::clock_gettime(clock, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

/// CPU and wall milliseconds, summed over calls.
#[derive(Default, Clone, Copy)]
struct Cost {
    cpu: f64,
    wall: f64,
}

impl Cost {
    fn per(self, n: usize) -> Self {
        Cost {
            cpu: self.cpu / n as f64,
            wall: self.wall / n as f64,
        }
    }
}

/// Runs `f`, adding its cost on `clock` to `into`.
fn timed<T>(clock: libc::clockid_t, into: &mut Cost, f: impl FnOnce() -> T) -> T {
    let (c, w) = (cpu_ms(clock), Instant::now());
    let out = f();
    into.cpu += cpu_ms(clock) - c;
    into.wall += w.elapsed().as_secs_f64() * 1e3;
    out
}

/// The first `n` same-person pairs of `master.csv`.
fn pairs(data: &Path, n: usize) -> Vec<(PathBuf, PathBuf)> {
    let dir = data.join("faces-deepface");
    let csv = std::fs::read_to_string(dir.join("master.csv")).expect("faces-deepface/master.csv");
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.trim().split(',').collect();
            (f.len() == 3 && f[2] == "Yes").then(|| (dir.join(f[0]), dir.join(f[1])))
        })
        .take(n)
        .collect()
}

/// The engine bench's 3 s 1280×720 30 fps H.264 selfie video (the astronaut portrait moving
/// 2 px a frame, keyframe every second).
fn video() -> Vec<u8> {
    let fixtures = std::env::var_os("OZ_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/fixtures"));
    let astronaut = face_engine::io::load_image(&fixtures.join("astronaut.png"), 40_000_000)
        .expect("fixture astronaut.png (scripts/fetch-fixtures.sh)");
    let face = image::imageops::resize(&astronaut, 720, 720, image::imageops::FilterType::Triangle);
    let frames: Vec<image::RgbImage> = (0..90)
        .map(|i| {
            let mut c = image::RgbImage::from_pixel(1280, 720, image::Rgb([110, 120, 130]));
            image::imageops::replace(&mut c, &face, 200 + 2 * i, 0);
            c
        })
        .collect();
    media_decode::testutil::make_mp4(
        &frames,
        &media_decode::testutil::Mp4Opts {
            fps: 30,
            gop: 30,
            ..Default::default()
        },
    )
}

/// The peer's report, or why there is none.
fn peer(pairs_file: &Path, video: &Path, runs: usize) -> Result<Value, String> {
    let venv = std::env::var_os("OZ_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let out = Command::new(venv.join("bin/python"))
        .arg(repo().join("scripts/reference/peer_pipeline.py"))
        .arg(repo().join("models"))
        .arg(pairs_file)
        .arg(video)
        .arg(runs.to_string())
        .arg(face_engine::media::DEFAULT_FRAMES.to_string())
        .output()
        .map_err(|e| format!("{}: {e}", venv.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} (scripts/fetch-fixtures.sh --reference installs onnxruntime and OpenCV)",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn peer_cost(v: &Value) -> Option<Cost> {
    Some(Cost {
        cpu: v["cpu_ms"].as_f64()?,
        wall: v["wall_ms"].as_f64()?,
    })
}

/// Our engine's stages on both photos of every pair, one thread, warm; per pair.
fn photo_stages(engine: &Engine, pairs: &[(PathBuf, PathBuf)]) -> Vec<(&'static str, Cost)> {
    let t = libc::CLOCK_THREAD_CPUTIME_ID;
    let limits = face_engine::media::limits(engine);
    let mut stages = ["decode", "detect", "landmarks", "align + embed", "liveness"]
        .map(|name| (name, Cost::default()));
    for (a, b) in pairs {
        for p in [a, b] {
            let bytes = std::fs::read(p).unwrap();
            let img = timed(t, &mut stages[0].1, || {
                media_decode::decode_image(&bytes, &limits).unwrap()
            });
            let faces = timed(t, &mut stages[1].1, || engine.detect(&img).unwrap());
            let Some(face) = faces.faces().first().copied() else {
                continue;
            };
            let lm = timed(t, &mut stages[2].1, || {
                engine.landmarks_for(&img, &face.bbox).unwrap()
            });
            timed(t, &mut stages[3].1, || {
                engine.embed_with_landmarks(&img, &lm).unwrap()
            });
            timed(t, &mut stages[4].1, || {
                engine.spoof_score_for(&img, &face.bbox).unwrap()
            });
        }
    }
    stages.map(|(n, c)| (n, c.per(pairs.len()))).to_vec()
}

/// Our video path, stage by stage on one thread (decode, analysis, PAD), per run.
fn video_stages(engine: &Engine, mp4: &[u8], runs: usize) -> Vec<(&'static str, Cost)> {
    let t = libc::CLOCK_THREAD_CPUTIME_ID;
    let limits = face_engine::media::limits(engine);
    // What the `quality` analysis asks of a video.
    let want = face_engine::AnalyzeOptions {
        embedding: false,
        liveness: true,
        pose: false,
        eyes: false,
    };
    let mut stages = [
        ("decode", Cost::default()),
        ("analyse frames", Cost::default()),
        ("PAD", Cost::default()),
    ];
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    single.install(|| {
        for _ in 0..runs {
            let sampling = media_decode::Sampling::Evenly(face_engine::media::DEFAULT_FRAMES);
            let d = timed(t, &mut stages[0].1, || {
                media_decode::decode(mp4, &limits, sampling).unwrap()
            });
            let m = timed(t, &mut stages[1].1, || {
                face_engine::media::analyze_sampled(engine, &d.frames, &want).unwrap()
            });
            timed(t, &mut stages[2].1, || {
                face_engine::media::pad_of(&d, &m, &face_engine::pad::PadConfig::default())
            });
        }
    });
    stages.map(|(n, c)| (n, c.per(runs))).to_vec()
}

/// One Instant request: selfie + ID photo, `quality` + `biometry`; the biometry score.
async fn instant(http: &reqwest::Client, base: &str, token: &str, a: &[u8], b: &[u8]) -> Value {
    let payload = json!({
        "media:tags": {"selfie": ["photo_selfie"], "id": ["photo_id_front"]},
        "analyses": [{"type": "quality"}, {"type": "biometry"}],
    });
    let form = Form::new()
        .text("payload", payload.to_string())
        .part("selfie", Part::bytes(a.to_vec()).file_name("selfie.jpg"))
        .part("id", Part::bytes(b.to_vec()).file_name("id.jpg"));
    let r = http
        .post(format!("{base}/api/instant/folders/"))
        .header("X-Forensic-Access-Token", token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "instant: {}", r.status());
    r.json().await.unwrap()
}

fn row(stage: &str, ours: Cost, peer: Option<Cost>, goal: Option<f64>) {
    let ratio = peer.map(|p| ours.cpu / p.cpu);
    let cell = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1}"));
    let verdict = match (ratio, goal) {
        (Some(r), Some(g)) => format!("goal ≤ {g}×: {}", if r <= g { "met" } else { "NOT met" }),
        _ => String::new(),
    };
    println!(
        "{stage:<44} {:>9.1} {:>9.1} {:>9} {:>9} {:>8} {verdict}",
        ours.cpu,
        ours.wall,
        cell(peer.map(|p| p.cpu)),
        cell(peer.map(|p| p.wall)),
        ratio.map_or("—".to_string(), |r| format!("{r:.2}×")),
    );
}

fn header(title: &str) {
    println!("\n{title}");
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "stage (ms)", "ours CPU", "ours wall", "peer CPU", "peer wall", "CPU ×"
    );
}

#[tokio::main]
async fn main() {
    let data = std::env::var_os("OZ_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"));
    if !data.join("faces-deepface/master.csv").is_file() {
        println!("skipping: no {}/faces-deepface", data.display());
        return;
    }
    let pairs = pairs(&data, env_usize("BENCH_PAIRS", 24));
    let runs = env_usize("BENCH_RUNS", 5);
    let dir = tempfile::tempdir().unwrap();
    let tsv: String = pairs
        .iter()
        .map(|(a, b)| format!("{}\t{}\n", a.display(), b.display()))
        .collect();
    std::fs::write(dir.path().join("pairs.tsv"), tsv).unwrap();
    let mp4 = video();
    std::fs::write(dir.path().join("video.mp4"), &mp4).unwrap();

    let peer = peer(
        &dir.path().join("pairs.tsv"),
        &dir.path().join("video.mp4"),
        runs,
    );
    match &peer {
        Ok(p) => println!(
            "peer: onnxruntime {}, OpenCV {}, one thread; model load {:.0} ms",
            p["onnxruntime"].as_str().unwrap_or("?"),
            p["opencv"].as_str().unwrap_or("?"),
            p["load_ms"].as_f64().unwrap_or(0.0)
        ),
        Err(e) => println!("peer not run: {e}"),
    }
    let peer = peer.ok();
    let peer_stage = |part: &str, stage: &str| {
        peer.as_ref()
            .and_then(|p| peer_cost(&p[part]["stages"][stage]))
    };
    let peer_total = |part: &str| peer.as_ref().and_then(|p| peer_cost(&p[part]["total"]));

    let engine = Engine::load(&repo().join("models")).expect("models load");
    photo_stages(&engine, &pairs[..1]); // warm-up
    let stages = photo_stages(&engine, &pairs);
    header(&format!(
        "photo pair (selfie + ID photo), per pair, {} pairs of faces-deepface",
        pairs.len()
    ));
    let mut sum = Cost::default();
    for (name, c) in &stages {
        row(name, *c, peer_stage("photo", name), None);
        sum.cpu += c.cpu;
        sum.wall += c.wall;
    }
    row("engine stages, both photos", sum, peer_total("photo"), None);

    // Through the API: the local server in this process, one analysis worker.
    let mut config = shared::Config::from_env().expect("config");
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.data_dir = dir.path().join("data");
    config.admin = Some((ADMIN.0.into(), ADMIN.1.into()));
    config.storage = shared::config::Storage::Local;
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(oz_api::serve::run(config, Some(tx)));
    let base = format!("http://{}", rx.await.unwrap());
    let http = reqwest::Client::new();
    let token = token(&http, &base).await;
    let photos: Vec<(Vec<u8>, Vec<u8>)> = pairs
        .iter()
        .map(|(a, b)| (std::fs::read(a).unwrap(), std::fs::read(b).unwrap()))
        .collect();
    // Warm-up (the engine loads in the background after the server starts).
    loop {
        let r = instant(&http, &base, &token, &photos[0].0, &photos[0].1).await;
        if r["analyses"][0]["state"] == "FINISHED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let mut api = Cost::default();
    for (a, b) in &photos {
        let (c, w) = (cpu_ms(libc::CLOCK_PROCESS_CPUTIME_ID), Instant::now());
        let r = instant(&http, &base, &token, a, b).await;
        api.cpu += cpu_ms(libc::CLOCK_PROCESS_CPUTIME_ID) - c;
        api.wall += w.elapsed().as_secs_f64() * 1e3;
        for x in r["analyses"].as_array().expect("analyses") {
            assert_eq!(x["state"], "FINISHED", "{x}");
        }
    }
    row(
        "END TO END Instant API quality + biometry",
        api.per(photos.len()),
        peer_total("photo"),
        Some(PHOTO_GOAL),
    );

    // The video: stages on one thread, then end to end through the analyser on every core.
    let stages = video_stages(&engine, &mp4, runs);
    header(&format!(
        "3 s 1280x720 video, passive liveness ({} frames), per run, {runs} runs",
        face_engine::media::DEFAULT_FRAMES
    ));
    let mut sum = Cost::default();
    for (name, c) in &stages {
        let peer_name = match *name {
            "analyse frames" => None,
            other => Some(other),
        };
        row(
            name,
            *c,
            peer_name.and_then(|n| peer_stage("video", n)),
            None,
        );
        sum.cpu += c.cpu;
        sum.wall += c.wall;
    }
    if let Some(p) = &peer {
        for stage in ["detect", "landmarks", "liveness"] {
            if let Some(c) = peer_cost(&p["video"]["stages"][stage]) {
                println!(
                    "{:<44} {:>9} {:>9} {:>9.1} {:>9.1}",
                    format!("  peer {stage}"),
                    "",
                    "",
                    c.cpu,
                    c.wall
                );
            }
        }
    }
    row("video stages, one thread", sum, peer_total("video"), None);
    let analyzer = face_analyzer::EngineAnalyzer::new(engine);
    let req = AnalyzeRequest {
        liveness: true,
        best_shot: true,
        ..AnalyzeRequest::default()
    };
    let bytes = bytes::Bytes::from(mp4);
    let mut e2e = Cost::default();
    for _ in 0..runs {
        let (c, w) = (cpu_ms(libc::CLOCK_PROCESS_CPUTIME_ID), Instant::now());
        let f = analyzer.analyze(bytes.clone(), req).await.unwrap();
        e2e.cpu += cpu_ms(libc::CLOCK_PROCESS_CPUTIME_ID) - c;
        e2e.wall += w.elapsed().as_secs_f64() * 1e3;
        assert!(f.confidence_spoofing.is_some(), "no PAD on the video");
    }
    let e2e = e2e.per(runs);
    row(
        "END TO END video (quality analyser)",
        e2e,
        peer_total("video"),
        None,
    );
    println!(
        "video core-seconds: {:.3} (goal ≤ {:.2}: {})",
        e2e.cpu / 1e3,
        VIDEO_GOAL_MS / 1e3,
        if e2e.cpu <= VIDEO_GOAL_MS {
            "met"
        } else {
            "NOT met"
        }
    );
}
