//! Engine benchmark (`cargo bench -p face-engine`): model load time, per-stage and end-to-end
//! latency for a photo liveness check + 1:1 match on ONE thread (warm, median of N), peak RSS,
//! and the same models through onnxruntime (1 thread) for comparison when the Python venv with
//! onnxruntime exists (`$OZ_VENV`, default `<repo>/.venv`; see scripts/fetch-fixtures.sh
//! --reference).
//!
//! Goals: photo liveness + 1:1 match ≤ 150 ms on one core; all models loaded ≤ 400 ms.
//! `BENCH_N` sets the number of timed runs (default 30).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Instant;

use face_engine::{AnalyzeOptions, Engine, detect, embed, eye, io, landmarks, liveness, pose};
use image::RgbImage;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn median_ms(n: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let mut t: Vec<f64> = (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn fixture(name: &str) -> RgbImage {
    let dir = std::env::var_os("OZ_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/fixtures"));
    let p = dir.join(name);
    assert!(
        p.is_file(),
        "{} missing: run scripts/fetch-fixtures.sh",
        p.display()
    );
    io::load_image(&p, 40_000_000).unwrap()
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    out
}

fn ort_baseline(models: &Path, n: usize) -> Result<serde_json::Value, String> {
    let venv = std::env::var_os("OZ_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let venv = if venv.is_relative() {
        repo().join(venv)
    } else {
        venv
    };
    let python = venv.join("bin/python");
    if !python.is_file() {
        return Err(format!(
            "no venv at {} (run scripts/fetch-fixtures.sh --reference)",
            venv.display()
        ));
    }
    let out = std::process::Command::new(python)
        .arg(repo().join("scripts/reference/ort_bench.py"))
        .arg(models)
        .arg(n.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn main() {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let models = repo().join("models");
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();

    // Cold load, all six models, one thread (first load in this process).
    let t = Instant::now();
    let engine = single
        .install(|| Engine::load(&models))
        .expect("models load");
    let load_1t = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let _again = Engine::load(&models).unwrap();
    let load_par = t.elapsed().as_secs_f64() * 1e3;
    drop(_again);

    // A 1280×960 selfie-like JPEG (the astronaut portrait, upscaled) and a reference photo.
    let astronaut = fixture("astronaut.png");
    let selfie =
        image::imageops::resize(&astronaut, 1280, 960, image::imageops::FilterType::Triangle);
    let selfie_jpg = jpeg(&selfie);
    let reference_jpg = jpeg(&image::imageops::flip_horizontal(&astronaut));
    let img = io::decode_image_bytes(&selfie_jpg, 40_000_000).unwrap();
    let m = |name| engine.model(name).unwrap();
    let cfg = engine.config().detect;
    let face = detect::detect(m("fr_detect"), &img, &cfg).unwrap().faces()[0];
    let lm = landmarks::landmarks(m("fr_landmark"), &img, &face.bbox).unwrap();

    let mut rows: Vec<(String, f64)> = Vec::new();
    single.install(|| {
        rows.push((
            "decode 1280x960 JPEG".into(),
            median_ms(n, || {
                io::decode_image_bytes(&selfie_jpg, 40_000_000).unwrap();
            }),
        ));
        rows.push((
            "detect (fr_detect)".into(),
            median_ms(n, || {
                detect::detect(m("fr_detect"), &img, &cfg).unwrap();
            }),
        ));
        rows.push((
            "landmarks (fr_landmark)".into(),
            median_ms(n, || {
                landmarks::landmarks(m("fr_landmark"), &img, &face.bbox).unwrap();
            }),
        ));
        rows.push((
            "align + embed (fr_feature)".into(),
            median_ms(n, || {
                embed::embed(m("fr_feature"), &img, &lm).unwrap();
            }),
        ));
        rows.push((
            "liveness (fr_liveness)".into(),
            median_ms(n, || {
                liveness::spoof_score(m("fr_liveness"), &img, &face.bbox).unwrap();
            }),
        ));
        rows.push((
            "eyes, both (fr_eye)".into(),
            median_ms(n, || {
                eye::eye_state(m("fr_eye"), &img, &lm).unwrap();
            }),
        ));
        rows.push((
            "pose (fr_pose)".into(),
            median_ms(n, || {
                pose::head_pose(m("fr_pose"), &img, &face.bbox).unwrap();
            }),
        ));
        let e2e = median_ms(n, || {
            let a = io::decode_image_bytes(&selfie_jpg, 40_000_000).unwrap();
            let b = io::decode_image_bytes(&reference_jpg, 40_000_000).unwrap();
            let opts = AnalyzeOptions {
                embedding: true,
                liveness: true,
                signals: false,
            };
            let fa = engine.analyze_frame(&a, &opts).unwrap().face.unwrap();
            let opts = AnalyzeOptions {
                embedding: true,
                liveness: false,
                signals: false,
            };
            let fb = engine.analyze_frame(&b, &opts).unwrap().face.unwrap();
            let s = engine.compare(
                fa.embedding.as_ref().unwrap(),
                fb.embedding.as_ref().unwrap(),
            );
            assert!(engine.is_match(&s));
        });
        rows.push(("END TO END photo liveness + 1:1 match".into(), e2e));
        let full = median_ms(n, || {
            engine
                .analyze_frame(&img, &AnalyzeOptions::default())
                .unwrap();
        });
        rows.push(("analyze_frame, all models (decoded)".into(), full));
    });

    println!("face-engine benchmark: {n} runs, median, 1 thread, warm");
    println!("{:<42} {:>10}", "stage", "ms");
    println!(
        "{:<42} {:>10.1}",
        "model load, cold, all six, 1 thread", load_1t
    );
    println!(
        "{:<42} {:>10.1}",
        "model load, all six, 2 threads", load_par
    );
    for m in &engine.info().models {
        println!(
            "{:<42} {:>10.1}",
            format!("  load {} (1 thread)", m.name),
            m.load_ms
        );
    }
    for (k, v) in &rows {
        println!("{k:<42} {v:>10.1}");
    }
    if let Some(rss) = peak_rss_mib() {
        println!("{:<42} {:>10.1}", "peak RSS (VmHWM), MiB", rss);
    }
    let e2e = rows.iter().find(|(k, _)| k.starts_with("END")).unwrap().1;
    println!(
        "goals: end to end {:.1} ms (≤ 150: {}), load {:.1} ms (≤ 400: {})",
        e2e,
        if e2e <= 150.0 { "met" } else { "NOT met" },
        load_1t,
        if load_1t <= 400.0 { "met" } else { "NOT met" }
    );

    video_bench(&engine);

    // Inference only, ours vs onnxruntime, same inputs shapes, 1 thread.
    let mut ours: BTreeMap<&str, f64> = BTreeMap::new();
    single.install(|| {
        for name in [
            "fr_detect",
            "fr_landmark",
            "fr_feature",
            "fr_liveness",
            "fr_eye",
            "fr_pose",
        ] {
            let model = m(name);
            let len: usize = model.info().input_shape.iter().product();
            let data: Vec<f32> = (0..len)
                .map(|i| ((i * 7919) % 255) as f32 / 255.0)
                .collect();
            ours.insert(
                name,
                median_ms(n, || {
                    model.run(data.clone()).unwrap();
                }),
            );
        }
    });
    match ort_baseline(&models, n) {
        Ok(v) => {
            println!(
                "\ninference only, 1 thread: tract vs onnxruntime {}",
                v["onnxruntime"]
            );
            println!(
                "{:<14} {:>10} {:>12} {:>8}",
                "model", "tract ms", "ort ms", "ratio"
            );
            for (name, t) in &ours {
                let o = v["models"][name].as_f64().unwrap_or(f64::NAN);
                println!("{name:<14} {t:>10.2} {o:>12.2} {:>8.2}", t / o);
            }
            let o_load = v["load_ms"].as_f64().unwrap_or(f64::NAN);
            println!(
                "{:<14} {load_1t:>10.1} {o_load:>12.1} {:>8.2}",
                "load all",
                load_1t / o_load
            );
        }
        Err(e) => println!("\nonnxruntime comparison skipped: {e}"),
    }
}

/// Video liveness: decode 16 evenly spread frames of a clip with media-decode and analyse them
/// (rayon over both cores), when `../shared/data/video` is present.
fn video_bench(engine: &Engine) {
    let data = std::env::var_os("OZ_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"));
    let path = data.join("video/selfie-turns-live.mp4");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("\nvideo bench skipped: {} absent", path.display());
        return;
    };
    let limits = face_engine::media::limits(engine);
    let n = 5;
    let mut info = None;
    let decode = median_ms(n, || {
        let d = media_decode::decode(&bytes, &limits, media_decode::Sampling::Evenly(16)).unwrap();
        info = Some((
            d.info.width,
            d.info.height,
            d.info.duration_ms,
            d.frames.len(),
        ));
    });
    let decoded =
        media_decode::decode(&bytes, &limits, media_decode::Sampling::Evenly(16)).unwrap();
    let analyze = median_ms(n, || {
        engine.analyze_frames(&decoded.frames).unwrap();
    });
    let (w, h, dur, frames) = info.unwrap();
    println!(
        "\nvideo liveness, {} ({w}x{h}, {:.1} s), {frames} frames sampled, median of {n}, 2 threads",
        path.file_name().unwrap().to_string_lossy(),
        dur.unwrap_or(0) as f64 / 1e3
    );
    println!("{:<42} {:>10.1}", "decode + sample (media-decode)", decode);
    println!(
        "{:<42} {:>10.1}",
        "analyze_frames (all models, fused)", analyze
    );
    println!("{:<42} {:>10.1}", "total", decode + analyze);
}
