//! The Instant API over real HTTP with the real face engine: `POST /api/instant/folders/`
//! answers with the analyses' results in the same response, and stores nothing — the table (the
//! session row included), the media files or bucket and the queues are identical before and after.

use std::time::Instant;

use crate::common::*;
use base64::Engine as _;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PATH: &str = "/api/instant/folders/";

/// Sends an instant request with `(form key, file name, bytes, tags)` and `analyses` types.
async fn instant(
    app: &TestApp,
    token: Option<&str>,
    files: Vec<(&str, &str, Vec<u8>, &[&str])>,
    types: &[&str],
) -> (StatusCode, Value) {
    let tags: serde_json::Map<String, Value> = files
        .iter()
        .map(|(k, _, _, t)| (k.to_string(), json!(t)))
        .collect();
    let analyses: Vec<Value> = types.iter().map(|t| json!({"type": t})).collect();
    let mut form = Form::new().text(
        "payload",
        json!({"media:tags": tags, "analyses": analyses}).to_string(),
    );
    for (k, n, b, _) in files {
        form = form.part(k.to_string(), Part::bytes(b).file_name(n.to_string()));
    }
    let mut r = app.client.post(app.url(PATH)).multipart(form);
    if let Some(t) = token {
        r = r.header("X-Forensic-Access-Token", t);
    }
    read(r.send().await.unwrap()).await
}

/// A CLIENT of a new company: `(admin token, company id, client token)`.
async fn client(app: &TestApp) -> (String, String, String) {
    let admin = app.admin_token().await;
    let c = app.create_company(&admin, "Acme").await;
    let (_, client) = app.user(&admin, &c, "CLIENT", "client@acme.com").await;
    (admin, c, client)
}

fn analysis<'a>(folder: &'a Value, kind: &str) -> &'a Value {
    folder["analyses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} analysis in {folder}"))
}

#[tokio::test]
async fn genuine_selfie_and_id_pass_and_nothing_is_stored() {
    let app = spawn_app().await;
    let engine = std::sync::Arc::new(Counting::new(0));
    app.app.analyzer.set(engine.clone());
    let (_, _, _) = client(&app).await;
    // A refreshed pair: its first ordinary use deletes the pair it replaced and slides its
    // expiry, so an authentication that writes would show in the snapshot.
    let login = app.login("client@acme.com", PASSWORD).await;
    let pair: Value = login.json().await.unwrap();
    let (s, fresh) = app
        .json(
            Method::POST,
            "/api/authorize/refresh/",
            pair["access_token"].as_str().unwrap(),
            Some(json!({"expire_token": pair["expire_token"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{fresh}");
    let token = fresh["access_token"].as_str().unwrap();

    let hanks = fixture("Tom_Hanks_54745.png");
    let before = snapshot(&app).await;
    let started = Instant::now();
    let (s, f) = instant(
        &app,
        Some(token),
        vec![
            ("selfie", "selfie.png", hanks.clone(), &["photo_selfie"]),
            ("id", "id.jpg", id_photo_of(&hanks), &["photo_id_front"]),
        ],
        &["quality", "biometry"],
    )
    .await;
    eprintln!("instant request: {} ms", started.elapsed().as_millis());
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(
        engine.calls.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "each media goes through the engine once for both analyses"
    );
    let after = snapshot(&app).await;
    assert_eq!(
        after.diff(&before),
        Vec::<String>::new(),
        "the instant request stored something"
    );

    assert!(f["folder_id"].is_string(), "{f}");
    assert_eq!(
        (
            f["resolution_status"].as_str(),
            f["system_resolution"].as_str()
        ),
        (Some("FINISHED"), Some("SUCCESS")),
        "{f}"
    );
    let media = f["media"].as_array().unwrap();
    assert_eq!(media.len(), 2);
    for m in media {
        assert!(
            m["original_url"].is_null(),
            "no URL: nothing is stored: {m}"
        );
        assert!(m["technical_meta_data"]["sha256"].is_string(), "{m}");
    }
    let selfie_id = &media
        .iter()
        .find(|m| m["original_name"] == "selfie.png")
        .unwrap()["media_id"];

    let q = analysis(&f, "QUALITY");
    assert_eq!(
        (q["state"].as_str(), q["resolution_status"].as_str()),
        (Some("FINISHED"), Some("SUCCESS")),
        "{q}"
    );
    let r = &q["results_media"][0];
    assert_eq!(&r["source_media_id"], selfie_id);
    assert!(r["results_data"]["confidence_spoofing"].as_f64().unwrap() < 0.5);
    assert!(r.get("output_keys").is_none(), "{r}");
    let url = r["output_images"][0]["original_url"].as_str().unwrap();
    let b64 = url
        .strip_prefix("data:image/jpeg;base64,")
        .unwrap_or_else(|| panic!("best shot is not a JPEG data URL: {}", &url[..40]));
    let jpeg = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let shot = image::load_from_memory(&jpeg).expect("best shot decodes");
    assert!(shot.width() > 0);
    assert!(q["engine"]["thresholds"]["liveness"].is_number(), "{q}");

    let b = analysis(&f, "BIOMETRY");
    assert_eq!(b["resolution_status"], "SUCCESS", "{b}");
    assert!(
        b["results_data"]["min_confidence"].as_f64().unwrap() >= 0.85,
        "{b}"
    );

    // The instant folder does not exist afterwards.
    let (s, _) = app
        .json(
            Method::GET,
            &format!("/api/folders/{}", f["folder_id"].as_str().unwrap()),
            token,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // ...and that ordinary request did write (the refreshed session retired the old one): the
    // snapshot sees writes.
    assert_ne!(
        snapshot(&app).await.diff(&before),
        Vec::<String>::new(),
        "the snapshot misses writes"
    );
}

#[tokio::test]
async fn attacks_and_different_people_are_declined() {
    let app = spawn_app().await;
    app.load_engine();
    let (_, _, token) = client(&app).await;

    let (s, f) = instant(
        &app,
        Some(&token),
        vec![
            (
                "a",
                "hanks.png",
                fixture("Tom_Hanks_54745.png"),
                &["photo_selfie"],
            ),
            (
                "b",
                "astronaut.png",
                fixture("astronaut.png"),
                &["photo_id_front"],
            ),
        ],
        &["biometry"],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let b = analysis(&f, "BIOMETRY");
    assert_eq!(b["resolution_status"], "DECLINED", "{b}");
    assert!(
        b["results_data"]["max_confidence"].as_f64().unwrap() < 0.5,
        "{b}"
    );
    assert_eq!(f["system_resolution"], "DECLINED", "{f}");

    let Some(replay) = shared_data("pad/attacks/miniai-monitor-replay.jpg") else {
        return;
    };
    let (s, f) = instant(
        &app,
        Some(&token),
        vec![("p", "replay.jpg", replay, &["photo_selfie"])],
        &["quality"],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let q = analysis(&f, "QUALITY");
    assert_eq!(q["resolution_status"], "DECLINED", "{q}");
    assert!(
        q["results_media"][0]["results_data"]["confidence_spoofing"]
            .as_f64()
            .unwrap()
            >= 0.5,
        "{q}"
    );
    assert_eq!(f["system_resolution"], "DECLINED");
}

#[tokio::test]
async fn a_media_without_a_face_gets_its_reason() {
    let app = spawn_app().await;
    app.load_engine();
    let (_, _, token) = client(&app).await;
    let (s, f) = instant(
        &app,
        Some(&token),
        vec![("s", "blank.jpg", jpeg(320, 240), &["photo_selfie"])],
        &["quality", "biometry"],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let q = analysis(&f, "QUALITY");
    assert_eq!(q["resolution_status"], "DECLINED", "{q}");
    let reason = q["results_media"][0]["error_message"].as_str().unwrap();
    assert!(reason.contains("no face"), "{reason}");
    let b = analysis(&f, "BIOMETRY");
    assert_eq!(b["state"], "FAILED", "{b}");
    assert!(
        b["error_message"].as_str().unwrap().contains("at least 2"),
        "{b}"
    );
    assert_eq!(
        (
            f["resolution_status"].as_str(),
            f["system_resolution"].as_str()
        ),
        (Some("FAILED"), Some("FAILED"))
    );
}

#[tokio::test]
async fn bad_requests_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    app.load_engine();
    let (admin, c, token) = client(&app).await;
    let (_, operator) = app.user(&admin, &c, "OPERATOR", "op@acme.com").await;
    let photo = || vec![("s", "s.jpg", jpeg(64, 48), &["photo_selfie"][..])];
    let before = snapshot(&app).await;

    assert_error(&instant(&app, None, photo(), &["quality"]).await, 401, 6);
    assert_error(
        &instant(&app, Some("not-a-token"), photo(), &["quality"]).await,
        401,
        7,
    );
    assert_error(
        &instant(&app, Some(&operator), photo(), &["quality"]).await,
        403,
        9,
    );
    assert_error(
        &instant(&app, Some(&token), photo(), &["documents"]).await,
        501,
        2,
    );
    assert_error(
        &instant(&app, Some(&token), photo(), &["collection"]).await,
        400,
        3,
    );
    assert_error(&instant(&app, Some(&token), photo(), &[]).await, 400, 4);
    // Corrupt media: bytes that are no image, and a JPEG cut short.
    let corrupt = vec![(
        "s",
        "s.jpg",
        b"not an image at all".to_vec(),
        &["photo_selfie"][..],
    )];
    assert_error(
        &instant(&app, Some(&token), corrupt, &["quality"]).await,
        400,
        5,
    );
    let mut cut = jpeg(64, 48);
    cut.truncate(cut.len() / 3);
    let got = instant(
        &app,
        Some(&token),
        vec![("s", "s.jpg", cut, &["photo_selfie"][..])],
        &["quality"],
    )
    .await;
    assert_eq!(got.0, StatusCode::BAD_REQUEST, "{}", got.1);
    // Over the per-file bound (4 MiB in the test config).
    let big = vec![("s", "s.jpg", vec![0xFF; 5 << 20], &["photo_selfie"][..])];
    assert_error(
        &instant(&app, Some(&token), big, &["quality"]).await,
        413,
        14,
    );
    // Without analyses there is nothing to answer.
    let (s, b) = app
        .upload(PATH, &token, vec![("s", "s.jpg", jpeg(64, 48))], None)
        .await;
    assert_error(&(s, b), 400, 3);
    assert_eq!(
        snapshot(&app).await.diff(&before),
        Vec::<String>::new(),
        "a refused request stored something"
    );
}

#[tokio::test]
async fn an_expired_session_is_refused_without_a_write() {
    let app = spawn_app_with(|c| c.session_ttl = std::time::Duration::from_secs(1)).await;
    app.load_engine();
    let token = app.admin_token().await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let before = snapshot(&app).await;
    let photo = vec![("s", "s.jpg", jpeg(64, 48), &["photo_selfie"][..])];
    assert_error(
        &instant(&app, Some(&token), photo, &["quality"]).await,
        401,
        8,
    );
    assert_eq!(snapshot(&app).await.diff(&before), Vec::<String>::new());
}

/// Everything this test binary logs, at the most verbose level of our crates.
fn captured_logs() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
        std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = buf.clone();
        let writer = move || Sink(sink.clone());
        tracing_subscriber::fmt()
            .with_env_filter("info,shared=trace,oz_api=trace,face_analyzer=trace")
            .with_writer(writer)
            .with_ansi(false)
            .init();
        buf
    })
    .clone()
}

struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_log_line_carries_the_media() {
    let logs = captured_logs();
    let app = spawn_app().await;
    app.load_engine();
    let (_, _, client) = client(&app).await;
    let hanks = fixture("Tom_Hanks_54745.png");
    let name = "private-selfie-5f1c2e.png";
    let (s, f) = instant(
        &app,
        Some(&client),
        vec![("selfie", name, hanks.clone(), &["photo_selfie"])],
        &["quality"],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
    // The capture works: the request and the analysis were logged.
    assert!(text.contains("instant folder analysed"), "{text}");
    let sha = f["media"][0]["technical_meta_data"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&hanks[..48]);
    for secret in [name, sha.as_str(), &b64[..32]] {
        assert!(!text.contains(secret), "the logs carry {secret:?}");
    }
}
