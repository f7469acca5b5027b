//! End-to-end throughput of the local server: N folders driven concurrently over real HTTP
//! (upload → start `quality` + `biometry` → poll until both end), on the embedded store with the
//! in-process worker pool. Prints analyses per minute, per core, and the p50/p95 latency from
//! upload to the last result, beside Oz's published figure (34 analyses/min on a 16-core server,
//! i.e. 2.1 per core-minute).
//!
//! `cargo bench --bench pipeline` (release), or on the test build's warm artefacts
//! `cargo bench --profile dev --bench pipeline`. Options after `--`: `--folders N` (default 16),
//! `--concurrency C` (default 4), `--workers W` (default: one per core).

use std::sync::Arc;
use std::time::{Duration, Instant};

use image::RgbImage;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

mod common;
use common::{ADMIN, token};
/// Oz Forensics' performance guide: 34 analyses per minute on a 16-core server.
const OZ_PER_CORE_MINUTE: f64 = 34.0 / 16.0;

struct Args {
    folders: usize,
    concurrency: usize,
    workers: usize,
}

fn args() -> Args {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut a = Args {
        folders: 16,
        concurrency: 4,
        workers: cores,
    };
    let argv: Vec<String> = std::env::args().collect();
    for w in argv.windows(2) {
        let n = || w[1].parse::<usize>().expect("a number");
        match w[0].as_str() {
            "--folders" => a.folders = n(),
            "--concurrency" => a.concurrency = n(),
            "--workers" => a.workers = n(),
            _ => {}
        }
    }
    a
}

fn fixture(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("OZ_FIXTURES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".cache/fixtures")
        });
    std::fs::read(dir.join(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e} (run scripts/fetch-fixtures.sh)"))
}

/// The media of one folder: a selfie and an ID photo of the same person.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, &'static str, Vec<u8>, &'static str)>,
}

fn cases() -> Vec<Case> {
    let face = image::load_from_memory(&fixture("Tom_Hanks_54745.png"))
        .unwrap()
        .to_rgb8();
    let mut id = std::io::Cursor::new(Vec::new());
    image::imageops::resize(&face, 96, 96, image::imageops::FilterType::Triangle)
        .write_to(&mut id, image::ImageFormat::Jpeg)
        .unwrap();
    let id = id.into_inner();
    let mut selfie = std::io::Cursor::new(Vec::new());
    image::imageops::resize(&face, 640, 640, image::imageops::FilterType::Triangle)
        .write_to(&mut selfie, image::ImageFormat::Jpeg)
        .unwrap();
    // A 3 s 720p 30 fps H.264 selfie video: the face moving 2 px per frame.
    let big = image::imageops::resize(&face, 480, 480, image::imageops::FilterType::Triangle);
    let frames: Vec<RgbImage> = (0..90)
        .map(|i| {
            let mut c = RgbImage::from_pixel(1280, 720, image::Rgb([110, 120, 130]));
            image::imageops::replace(&mut c, &big, 300 + 2 * i, 120);
            c
        })
        .collect();
    let video = media_decode::testutil::make_mp4(
        &frames,
        &media_decode::testutil::Mp4Opts {
            fps: 30,
            gop: 30,
            ..Default::default()
        },
    );
    vec![
        Case {
            name: "photo selfie + ID photo",
            files: vec![
                ("selfie", "selfie.jpg", selfie.into_inner(), "photo_selfie"),
                ("id", "id.jpg", id.clone(), "photo_id_front"),
            ],
        },
        Case {
            name: "3 s 720p video selfie + ID photo",
            files: vec![
                ("selfie", "selfie.mp4", video, "video_selfie"),
                ("id", "id.jpg", id, "photo_id_front"),
            ],
        },
    ]
}

/// One folder through the whole flow; returns its latency.
async fn one_folder(http: &reqwest::Client, base: &str, token: &str, case: &Case) -> Duration {
    let started = Instant::now();
    let mut form = Form::new();
    let mut tags = serde_json::Map::new();
    for (key, name, bytes, tag) in &case.files {
        form = form.part(*key, Part::bytes(bytes.clone()).file_name(*name));
        tags.insert((*key).into(), json!([tag]));
    }
    form = form.text("payload", json!({"media:tags": tags}).to_string());
    let folder: Value = http
        .post(format!("{base}/api/folders/"))
        .header("X-Forensic-Access-Token", token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fid = folder["folder_id"].as_str().expect("folder created");
    let analyses: Value = http
        .post(format!("{base}/api/folders/{fid}/analyses/"))
        .header("X-Forensic-Access-Token", token)
        .json(&json!({"analyses": [{"type": "quality"}, {"type": "biometry"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for a in analyses.as_array().expect("analyses started") {
        let id = a["analysis_id"].as_str().unwrap();
        loop {
            let a: Value = http
                .get(format!("{base}/api/analyses/{id}"))
                .header("X-Forensic-Access-Token", token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if a["state"] != "PROCESSING" {
                assert_eq!(a["state"], "FINISHED", "{a}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    started.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let args = args();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = tempfile::tempdir().unwrap();
    let mut config = shared::Config::from_env().expect("config");
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.data_dir = dir.path().to_path_buf();
    config.admin = Some((ADMIN.0.into(), ADMIN.1.into()));
    config.analysis_workers = args.workers;
    config.storage = shared::config::Storage::Local;
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(oz_api::serve::run(config, Some(tx)));
    let base = format!("http://{}", rx.await.unwrap());
    let http = reqwest::Client::new();
    let token = Arc::new(token(&http, &base).await);
    let cases = cases();

    // Warm-up: the engine loads in the background; one folder waits for it.
    one_folder(&http, &base, &token, &cases[0]).await;

    println!(
        "\npipeline: {} folders per case, {} at a time, {} worker(s), {} core(s); each folder = \
         upload 2 media, quality + biometry, poll to the end",
        args.folders, args.concurrency, args.workers, cores
    );
    println!(
        "| case | analyses | wall s | analyses/min | per core-min | vs Oz (2.1/core-min) | p50 s | p95 s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for case in &cases {
        let case = Arc::new(Case {
            name: case.name,
            files: case.files.clone(),
        });
        let sem = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..args.folders {
            let (http, base, token, case, sem) = (
                http.clone(),
                base.clone(),
                token.clone(),
                case.clone(),
                sem.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await.unwrap();
                one_folder(&http, &base, &token, &case).await
            }));
        }
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.push(t.await.unwrap());
        }
        let wall = started.elapsed().as_secs_f64();
        latencies.sort();
        let analyses = 2 * args.folders;
        let per_min = analyses as f64 / wall * 60.0;
        let per_core = per_min / cores as f64;
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1}× | {:.2} | {:.2} |",
            case.name,
            analyses,
            wall,
            per_min,
            per_core,
            per_core / OZ_PER_CORE_MINUTE,
            percentile(&latencies, 0.5).as_secs_f64(),
            percentile(&latencies, 0.95).as_secs_f64(),
        );
    }
}
