//! Faults in the analysis pipeline: a worker that panics mid-analysis, one that keeps failing
//! (poison job), a server killed with SIGKILL while analysing, the storage peer cut off, the
//! data folder's disk full. Each time the job is redone and completes, or ends FAILED with a
//! reason, or the request is refused whole — nothing lost, nothing written twice.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use shared::config::Storage;

/// A server whose failed jobs come back after 1 s, with a worker that panics `panics` times.
async fn app_with_panicky_worker(panics: usize) -> (TestApp, Arc<Counting>) {
    let app = spawn_app_with(|c| {
        c.analysis_retry_delay = Duration::from_secs(1);
        c.analysis_visibility = Duration::from_secs(3);
    })
    .await;
    let analyzer = Arc::new(Counting::new(panics));
    shared::events::spawn_analysis_workers(app.app.clone(), analyzer.clone(), 1);
    (app, analyzer)
}

#[tokio::test]
async fn a_worker_panicking_mid_analysis_is_retried_and_completes() {
    let (app, analyzer) = app_with_panicky_worker(2).await;
    let (_, _, client, _) = app.acme_client_folder().await;
    let hanks = fixture("Tom_Hanks_54745.png");
    let f = folder(
        &app,
        &client,
        vec![("selfie", "selfie.png", hanks, &["photo_selfie"])],
    )
    .await;
    let a = run_one(&app, &client, &f, "quality").await;
    assert_eq!(a["state"], "FINISHED", "{a}");
    assert_eq!(a["resolution_status"], "SUCCESS", "{a}");
    assert_eq!(
        a["results_media"].as_array().unwrap().len(),
        1,
        "one result"
    );
    assert_eq!(
        analyzer.calls.load(Ordering::SeqCst),
        3,
        "two panics, one run"
    );
    // Nothing left queued or parked.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let left = app
        .app
        .analysis_queue
        .receive(10, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_job_that_always_fails_ends_failed_with_a_reason() {
    let (app, analyzer) = app_with_panicky_worker(usize::MAX).await;
    let (_, _, client, f) = app.acme_client_folder().await;
    let fid = f["folder_id"].as_str().unwrap();
    let started = start(&app, &client, fid, &["quality"]).await;
    let a = finished(&app, &client, &started, "").await;
    assert_eq!(a["state"], "FAILED", "{a}");
    assert!(
        a["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("every attempt")),
        "{a}"
    );
    assert_eq!(
        analyzer.calls.load(Ordering::SeqCst),
        app.app.config.analysis_max_receives as usize
    );
    let (_, folder) = app
        .json(Method::GET, &format!("/api/folders/{fid}"), &client, None)
        .await;
    assert_eq!(folder["resolution_status"], "FAILED", "{folder}");
}

/// Starts the `oz-api` binary on `data_dir`; returns it and its address.
fn start_server(data_dir: &std::path::Path) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    start_command(Command::new(env!("CARGO_BIN_EXE_oz-api")), data_dir)
}

/// Runs `command` (the `oz-api` binary, or what execs it) as the server on `data_dir`.
fn start_command(
    mut command: Command,
    data_dir: &std::path::Path,
) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = command
        .env("OZ_BIND", "127.0.0.1:0")
        .env("OZ_DATA_DIR", data_dir)
        .env("OZ_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("OZ_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("OZ_ANALYSIS_VISIBILITY", "3")
        .env("RUST_LOG", "info")
        .env_remove("OZ_STORAGE")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server exited before listening");
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    (child, addr, rx)
}

/// Logs in as the bootstrap ADMIN of the server at `addr`.
async fn admin_token(http: &reqwest::Client, addr: &str) -> String {
    let login: Value = http
        .post(format!("http://{addr}/api/authorize/auth"))
        .json(&json!({"credentials": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_string()
}

/// Starts a `quality` analysis of folder `fid` on the server at `addr`.
async fn start_quality(http: &reqwest::Client, addr: &str, token: &str, fid: &str) {
    let started = http
        .post(format!("http://{addr}/api/folders/{fid}/analyses/"))
        .header("X-Forensic-Access-Token", token)
        .json(&json!({"analyses": [{"type": "quality"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
}

/// Waits for a log line containing `needle`.
fn wait_for_line(rx: &std::sync::mpsc::Receiver<String>, needle: &str) {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no log line with {needle:?}"));
        if line.contains(needle) {
            return;
        }
    }
}

#[tokio::test]
async fn a_server_killed_mid_analysis_redoes_the_job_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr, logs) = start_server(dir.path());
    let mut server = Killed(server);
    let http = reqwest::Client::new();
    let url = |p: &str| format!("http://{addr}{p}");
    let token = admin_token(&http, &addr).await;
    // A video keeps the worker busy for a while: the kill lands mid-analysis.
    let face = image::load_from_memory(&fixture("Tom_Hanks_54745.png"))
        .unwrap()
        .to_rgb8();
    let face = image::imageops::resize(&face, 480, 480, image::imageops::Triangle);
    let frames = vec![face; 24];
    let video = media_decode::testutil::make_mp4(&frames, &Default::default());
    let form = reqwest::multipart::Form::new()
        .part(
            "v",
            reqwest::multipart::Part::bytes(video).file_name("selfie.mp4"),
        )
        .text(
            "payload",
            json!({"media:tags": {"v": ["video_selfie", "video_selfie_blank"]}}).to_string(),
        );
    let created = http
        .post(url("/api/folders/"))
        .header("X-Forensic-Access-Token", &token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let fid = created.json::<Value>().await.unwrap()["folder_id"]
        .as_str()
        .unwrap()
        .to_string();
    start_quality(&http, &addr, &token, &fid).await;
    wait_for_line(&logs, "analysis job started");
    server.0.kill().unwrap();
    server.0.wait().unwrap();

    // The job comes back one visibility period (3 s) after the dead worker's last renewal. (If
    // the kill came just after the result was written, there is nothing to redo: the checks
    // below still hold.)
    let (server, addr, _logs) = start_server(dir.path());
    let _server = Killed(server);
    let url = |p: &str| format!("http://{addr}{p}");
    let token = admin_token(&http, &addr).await;
    let mut folder = Value::Null;
    for _ in 0..600 {
        folder = http
            .get(url("/api/folders/?with_analyses=true"))
            .header("X-Forensic-Access-Token", &token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        if folder["items"][0]["resolution_status"] == "FINISHED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let f = &folder["items"][0];
    assert_eq!(f["resolution_status"], "FINISHED", "{folder}");
    let analyses = f["analyses"].as_array().unwrap();
    assert_eq!(analyses.len(), 1);
    assert_eq!(analyses[0]["state"], "FINISHED");
    assert_eq!(analyses[0]["results_media"].as_array().unwrap().len(), 1);
}

/// A server process killed when the test ends, pass or fail.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Asks for a `quality` analysis of the folder's photo; the answer as it came.
async fn try_start(app: &TestApp, token: &str, fid: &str) -> (reqwest::StatusCode, Value) {
    app.json(
        Method::POST,
        &format!("/api/folders/{fid}/analyses/"),
        token,
        Some(json!({"analyses": [{"type": "quality"}]})),
    )
    .await
}

/// The storage peer (moto, behind a proxy the test controls) goes away mid-run, comes back slow,
/// then well: analyses started before, while slow and after all end, each exactly once; while
/// it is away the API answers 503 with Oz code 12 (retry) — never 401, never a lost write.
#[tokio::test]
async fn a_storage_outage_loses_nothing() {
    if storage() != shared::config::Storage::Aws {
        // The embedded store has no peer to lose.
        return;
    }
    let proxy = proxy::Proxy::start(&shared::testing::moto().url).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path().to_path_buf());
    c.analysis_retry_delay = Duration::from_secs(1);
    c.analysis_visibility = Duration::from_secs(3);
    let mut app = spawn_via(c, Some(&proxy.url)).await;
    app._dir = Some(dir);
    app.start_workers();
    let token = app.admin_token().await;
    let mut folders = Vec::new();
    for _ in 0..3 {
        let f = app.folder_with_photo(&token).await;
        folders.push(f["folder_id"].as_str().unwrap().to_string());
    }
    let mut started = Vec::new();
    // Before: queued, and the worker busy with them when the peer goes.
    for fid in &folders {
        let (s, b) = try_start(&app, &token, fid).await;
        assert_eq!(s, 201, "{b}");
        started.push(b[0]["analyse_id"].as_str().unwrap().to_string());
    }
    proxy.set_down(true);
    let during = app.json(Method::GET, "/api/folders/", &token, None).await;
    assert_error(&during, 503, 12);
    let refused = try_start(&app, &token, &folders[0]).await;
    assert_error(&refused, 503, 12);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Back, but every new connection waits 1 s.
    proxy.set_down(false);
    proxy.set_delay(Duration::from_secs(1));
    let (s, b) = try_start(&app, &token, &folders[1]).await;
    assert_eq!(s, 201, "{b}");
    started.push(b[0]["analyse_id"].as_str().unwrap().to_string());
    proxy.set_delay(Duration::ZERO);
    let (s, b) = try_start(&app, &token, &folders[2]).await;
    assert_eq!(s, 201, "{b}");
    started.push(b[0]["analyse_id"].as_str().unwrap().to_string());

    for id in &started {
        let a = wait(&app, &token, id).await;
        assert_eq!(a["state"], "FINISHED", "{a}");
    }
    assert!(proxy.dropped() > 0, "the outage cut connections");
    // Exactly once: each folder holds the analyses accepted for it and no other.
    let mut listed = Vec::new();
    for fid in &folders {
        let (s, list) = app
            .json(
                Method::GET,
                &format!("/api/folders/{fid}/analyses/"),
                &token,
                None,
            )
            .await;
        assert_eq!(s, 200, "{list}");
        for a in list.as_array().unwrap() {
            assert_eq!(a["state"], "FINISHED", "{a}");
            listed.push(a["analyse_id"].as_str().unwrap().to_string());
        }
    }
    listed.sort();
    let mut want = started.clone();
    want.sort();
    assert_eq!(listed, want);
}

/// The server on a data folder of its own 24 MiB tmpfs, mounted in a user and mount namespace
/// (`unshare`, no privileges needed), so the test can fill that disk without touching the
/// machine's. The test reaches the folder through `/proc/<pid>/root`.
fn start_on_small_disk(
    data_dir: &std::path::Path,
) -> (
    Killed,
    String,
    std::path::PathBuf,
    std::sync::mpsc::Receiver<String>,
) {
    let mut unshare = Command::new("unshare");
    unshare.args([
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        r#"mount -t tmpfs -o size=24m tmpfs "$OZ_DATA_DIR" && exec "$0" serve"#,
        env!("CARGO_BIN_EXE_oz-api"),
    ]);
    let (child, addr, logs) = start_command(unshare, data_dir);
    let seen = std::path::PathBuf::from(format!("/proc/{}/root", child.id())).join(
        data_dir
            .strip_prefix("/")
            .expect("temporary folders are absolute"),
    );
    (Killed(child), addr, seen, logs)
}

/// Fills the disk under `dir` with one file; returns its path.
fn fill_disk(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write as _;
    let path = dir.join("ballast");
    let mut file = std::fs::File::create(&path).expect("ballast file");
    for chunk in [1 << 20, 4096, 1] {
        let bytes = vec![0u8; chunk];
        while file.write_all(&bytes).and_then(|()| file.flush()).is_ok() {}
    }
    path
}

/// Every file name under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        if entry.file_type().unwrap().is_dir() {
            out.extend(files_under(&entry.path()));
        } else {
            out.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    out
}

#[tokio::test]
async fn a_full_disk_refuses_writes_whole_and_corrupts_nothing() {
    if storage() == Storage::Aws {
        // The binary runs on the embedded store in both suite runs; once is enough.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr, disk, _logs) = start_on_small_disk(dir.path());
    let http = reqwest::Client::new();
    let url = |p: &str| format!("http://{addr}{p}");
    let token = admin_token(&http, &addr).await;
    let upload = |photo: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part(
                "selfie",
                reqwest::multipart::Part::bytes(photo).file_name("selfie.jpg"),
            )
            .text(
                "payload",
                json!({"media:tags": {"selfie": ["photo_selfie"]}}).to_string(),
            );
        http.post(url("/api/folders/"))
            .header("X-Forensic-Access-Token", &token)
            .multipart(form)
    };
    let before = jpeg(320, 240);
    let (status, kept) = read(upload(before.clone()).send().await.unwrap()).await;
    assert_eq!(status, 201, "{kept}");

    let ballast = fill_disk(&disk);
    let refused = read(upload(jpeg(640, 480)).send().await.unwrap()).await;
    assert_error(&refused, 507, 12);
    assert!(
        refused.1["error_message"]
            .as_str()
            .unwrap()
            .contains("storage is full"),
        "{}",
        refused.1
    );
    assert!(
        !files_under(&disk).iter().any(|f| f.ends_with(".part")),
        "a partial file was left on the full disk"
    );

    std::fs::remove_file(&ballast).unwrap();
    // Space is back: the same process goes on, and holds exactly what it held before.
    let (status, folders) = read(
        http.get(url("/api/folders/?with_media=true"))
            .header("X-Forensic-Access-Token", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{folders}");
    assert_eq!(
        folders["total_count"], 1,
        "the refused upload left a folder: {folders}"
    );
    assert_eq!(folders["items"][0]["folder_id"], kept["folder_id"]);
    let file_url = folders["items"][0]["media"][0]["original_url"]
        .as_str()
        .expect("original_url");
    let bytes = http
        .get(file_url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        bytes.as_ref(),
        before.as_slice(),
        "the stored photo changed"
    );
    let (status, after) = read(upload(jpeg(640, 480)).send().await.unwrap()).await;
    assert_eq!(status, 201, "{after}");
    let fid = after["folder_id"].as_str().unwrap();
    start_quality(&http, &addr, &token, fid).await;
    let mut analyses = Value::Null;
    for _ in 0..600 {
        analyses = http
            .get(url(&format!("/api/folders/{fid}/analyses/")))
            .header("X-Forensic-Access-Token", &token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if analyses[0]["state"] != "PROCESSING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(analyses[0]["state"], "FINISHED", "{analyses}");
}
