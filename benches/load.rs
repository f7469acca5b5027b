//! Load on the local server: C concurrent clients for S seconds over the everyday calls — login,
//! folder list, photo upload (each makes a folder), folder get, analyses start and poll — on the
//! embedded store (default) or on DynamoDB/S3/SQS served by moto (`--storage aws`), with the
//! analysis worker running the real engine on the same cores. Prints, per endpoint, requests,
//! requests/s and p50/p95/p99 latency, with every non-2xx and 5xx answer counted (goal: 0 and 0).
//!
//! `cargo bench --bench load -- --clients 100 --seconds 60 [--storage aws]` (release), or on the
//! test build's artefacts `cargo bench --profile dev --bench load -- ...`. `--analyse-every N`
//! (default 4): every Nth iteration of a client starts a `quality` analysis of its photo.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use shared::config::Storage;

const ADMIN: (&str, &str) = ("admin@load.local", "load-password-1");

struct Args {
    clients: usize,
    seconds: u64,
    storage: Storage,
    analyse_every: usize,
}

fn args() -> Args {
    let mut a = Args {
        clients: 100,
        seconds: 60,
        storage: Storage::Local,
        analyse_every: 4,
    };
    let argv: Vec<String> = std::env::args().collect();
    for w in argv.windows(2) {
        let n = || w[1].parse::<usize>().expect("a number");
        match w[0].as_str() {
            "--clients" => a.clients = n(),
            "--seconds" => a.seconds = n() as u64,
            "--analyse-every" => a.analyse_every = n().max(1),
            "--storage" => a.storage = w[1].parse().expect("local or aws"),
            _ => {}
        }
    }
    a
}

/// What one endpoint saw.
#[derive(Default)]
struct Calls {
    latencies: Vec<Duration>,
    non_2xx: usize,
    server_errors: usize,
    /// The first few refusals, to print.
    samples: Vec<String>,
}

/// Every endpoint's calls, by name, for one client (merged at the end).
#[derive(Default)]
struct Stats(BTreeMap<&'static str, Calls>);

impl Stats {
    /// Sends `req`, records it under `name`; the body as JSON when the status is 2xx.
    async fn call(&mut self, name: &'static str, req: reqwest::RequestBuilder) -> Option<Value> {
        let started = Instant::now();
        let answer = req.send().await;
        let calls = self.0.entry(name).or_default();
        let (status, body) = match answer {
            Ok(r) => {
                let status = r.status();
                (status, r.text().await.unwrap_or_default())
            }
            Err(e) => (
                StatusCode::from_u16(599).unwrap(),
                format!("transport: {e}"),
            ),
        };
        calls.latencies.push(started.elapsed());
        if status.is_success() {
            return serde_json::from_str(&body).ok();
        }
        calls.non_2xx += 1;
        if status.is_server_error() {
            calls.server_errors += 1;
        }
        if calls.samples.len() < 3 {
            calls.samples.push(format!("{status} {body:.200}"));
        }
        None
    }

    fn merge(&mut self, other: Stats) {
        for (name, c) in other.0 {
            let mine = self.0.entry(name).or_default();
            mine.latencies.extend(c.latencies);
            mine.non_2xx += c.non_2xx;
            mine.server_errors += c.server_errors;
            mine.samples
                .extend(c.samples.into_iter().take(3 - mine.samples.len().min(3)));
        }
    }
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A 640×480 JPEG with no face: uploads and analyses run in full, the engine ends quickly.
fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn login(stats: &mut Stats, http: &reqwest::Client, base: &str) -> Option<String> {
    let req = http
        .post(format!("{base}/api/authorize/auth"))
        .json(&json!({"credentials": {"email": ADMIN.0, "password": ADMIN.1}}));
    let pair = stats.call("POST /api/authorize/auth", req).await?;
    pair["access_token"].as_str().map(str::to_string)
}

/// One client's loop until `deadline`.
async fn client(
    http: reqwest::Client,
    base: String,
    photo: Arc<Vec<u8>>,
    deadline: Instant,
    analyse_every: usize,
) -> Stats {
    let mut stats = Stats::default();
    let mut token = None;
    let mut i = 0usize;
    while Instant::now() < deadline {
        i += 1;
        // A fresh session now and then, as a client whose token idled out.
        if token.is_none() || i.is_multiple_of(25) {
            token = login(&mut stats, &http, &base).await;
        }
        let Some(t) = token.clone() else { continue };
        let auth = |r: reqwest::RequestBuilder| r.header("X-Forensic-Access-Token", &t);
        stats
            .call(
                "GET /api/folders/",
                auth(http.get(format!("{base}/api/folders/?limit=10"))),
            )
            .await;
        let form = Form::new()
            .part("photo", Part::bytes(photo.to_vec()).file_name("photo.jpg"))
            .text("payload", r#"{"media:tags": {"photo": ["photo_selfie"]}}"#);
        let folder = stats
            .call(
                "POST /api/folders/ (photo)",
                auth(http.post(format!("{base}/api/folders/")).multipart(form)),
            )
            .await;
        let Some(fid) = folder.and_then(|f| f["folder_id"].as_str().map(str::to_string)) else {
            continue;
        };
        stats
            .call(
                "GET /api/folders/{id}",
                auth(http.get(format!("{base}/api/folders/{fid}"))),
            )
            .await;
        if i.is_multiple_of(analyse_every) {
            let body = json!({"analyses": [{"type": "quality"}]});
            let started = stats
                .call(
                    "POST /api/folders/{id}/analyses/",
                    auth(
                        http.post(format!("{base}/api/folders/{fid}/analyses/"))
                            .json(&body),
                    ),
                )
                .await;
            let id = started.and_then(|a| a[0]["analysis_id"].as_str().map(str::to_string));
            if let Some(id) = id {
                stats
                    .call(
                        "GET /api/analyses/{id}",
                        auth(http.get(format!("{base}/api/analyses/{id}"))),
                    )
                    .await;
            }
        }
    }
    stats
}

async fn start_server(args: &Args, dir: &std::path::Path) -> (String, Arc<shared::App>) {
    let mut config = shared::Config::from_env().expect("config");
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.data_dir = dir.to_path_buf();
    config.admin = Some((ADMIN.0.into(), ADMIN.1.into()));
    config.storage = args.storage;
    // Every client logs in from 127.0.0.1 with the right password; nothing to throttle.
    let listener = tokio::net::TcpListener::bind(config.bind).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = match args.storage {
        Storage::Local => shared::wiring::local(config, base.clone()).await,
        Storage::Aws => {
            let moto = shared::testing::moto();
            config.aws = moto.resources(&dir.display().to_string());
            config.jwt_secret = Some("load-bench-secret-load-bench-secret".into());
            shared::wiring::aws(config, &moto.sdk_config().await).await
        }
    }
    .expect("app");
    let served = app.clone();
    tokio::spawn(async move { oz_api::serve::serve_app(listener, served, None).await });
    (base, app)
}

#[tokio::main]
async fn main() {
    let args = args();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = tempfile::tempdir().unwrap();
    let (base, app) = start_server(&args, dir.path()).await;
    let analyzer = Arc::new(
        face_analyzer::EngineAnalyzer::load()
            .await
            .expect("face models"),
    );
    app.analyzer.set(analyzer.clone());
    shared::events::spawn_analysis_workers(app.clone(), analyzer, 1);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()
        .unwrap();
    let photo = Arc::new(photo());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..args.clients)
        .map(|_| {
            tokio::spawn(client(
                http.clone(),
                base.clone(),
                photo.clone(),
                deadline,
                args.analyse_every,
            ))
        })
        .collect();
    let mut stats = Stats::default();
    for t in tasks {
        stats.merge(t.await.unwrap());
    }
    let wall = started.elapsed().as_secs_f64();

    println!(
        "\nload: {} clients for {} s on the {:?} store, {} core(s), one analysis worker; \
         a quality analysis every {} iterations",
        args.clients, args.seconds, args.storage, cores, args.analyse_every
    );
    println!("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | non-2xx | 5xx |");
    println!("|---|---|---|---|---|---|---|---|");
    let (mut total, mut non_2xx, mut server_errors) = (0, 0, 0);
    for (name, c) in &mut stats.0 {
        c.latencies.sort();
        total += c.latencies.len();
        non_2xx += c.non_2xx;
        server_errors += c.server_errors;
        println!(
            "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
            c.latencies.len(),
            c.latencies.len() as f64 / wall,
            percentile_ms(&c.latencies, 0.50),
            percentile_ms(&c.latencies, 0.95),
            percentile_ms(&c.latencies, 0.99),
            c.non_2xx,
            c.server_errors
        );
    }
    println!(
        "| all | {total} | {:.1} | | | | {non_2xx} | {server_errors} |",
        total as f64 / wall
    );
    let met = if non_2xx == 0 && server_errors == 0 {
        "met"
    } else {
        "NOT met"
    };
    println!("goal 0 errors and 0 5xx: {met}");
    for (name, c) in &stats.0 {
        for s in &c.samples {
            println!("  {name}: {s}");
        }
    }
}
