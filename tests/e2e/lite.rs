//! API Lite over real HTTP with the real face engine: liveness `detect`, templates `extract` →
//! `compare` / `verify`, `extract_and_compare`, base64 bodies, health and version, bad input and
//! the API key. API Lite stores nothing and has no sessions, so these run on the default store.

use crate::common;

use std::time::Instant;

use crate::common::*;
use base64::Engine as _;
use reqwest::multipart::{Form, Part};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

const KEY: &str = "lite-test-key-0123456789abcdef0123456789";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Status and raw body.
async fn send(r: RequestBuilder) -> (StatusCode, Vec<u8>) {
    let r = r.send().await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)))
}

fn post(app: &TestApp, path: &str, body: Vec<u8>) -> RequestBuilder {
    app.client
        .post(app.url(path))
        .header("content-type", "image/jpeg")
        .body(body)
}

fn two(app: &TestApp, path: &str, names: [&str; 2], a: Vec<u8>, b: Vec<u8>) -> RequestBuilder {
    let form = Form::new()
        .part(names[0].to_string(), Part::bytes(a))
        .part(names[1].to_string(), Part::bytes(b));
    app.client.post(app.url(path)).multipart(form)
}

/// The template of `image`.
async fn extract(app: &TestApp, image: Vec<u8>) -> Vec<u8> {
    let (s, body) = send(post(app, "/v1/face/pattern/extract", image)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    body
}

/// `{"score", "decision"}` of a two-part request.
async fn scored(r: RequestBuilder) -> (f64, String) {
    let (s, body) = send(r).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let v = json(&body);
    (
        v["score"].as_f64().unwrap(),
        v["decision"].as_str().unwrap().to_string(),
    )
}

#[track_caller]
fn assert_oz_error(got: &(StatusCode, Vec<u8>), status: u16, code: i64) {
    assert_error(&(got.0, json(&got.1)), status, code);
}

async fn lite_app() -> TestApp {
    let app = spawn_app().await;
    app.load_engine();
    app
}

#[tokio::test]
async fn detect_passes_a_live_face_and_declines_a_replay() {
    let app = lite_app().await;
    let hanks = fixture("Tom_Hanks_54745.png");
    send(post(&app, "/v1/face/liveness/detect", hanks.clone())).await; // warm-up
    let started = Instant::now();
    let (s, body) = send(post(&app, "/v1/face/liveness/detect", hanks)).await;
    eprintln!("lite detect: {} ms", started.elapsed().as_millis());
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let v = json(&body);
    assert_eq!(v["passed"], true, "{v}");
    let (score, spoof) = (
        v["score"].as_f64().unwrap(),
        v["confidence_spoofing"].as_f64().unwrap(),
    );
    assert!(score > 0.5, "score is the liveness probability: {v}");
    assert!((score + spoof - 1.0).abs() < 1e-6, "{v}");

    let Some(replay) = shared_data("pad/attacks/miniai-monitor-replay.jpg") else {
        return;
    };
    let (s, body) = send(post(&app, "/v1/face/liveness/detect", replay)).await;
    assert_eq!(s, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["passed"], false, "{v}");
    assert!(v["score"].as_f64().unwrap() < 0.5, "{v}");
}

#[tokio::test]
async fn templates_match_the_same_person_only() {
    let app = lite_app().await;
    let hanks = fixture("Tom_Hanks_54745.png");
    let hanks_id = id_photo_of(&hanks);
    let astronaut = fixture("astronaut.png");

    let t_hanks = extract(&app, hanks.clone()).await;
    assert_eq!(t_hanks.len(), 8 + 4 * 192);
    assert_eq!(&t_hanks[..4], b"OZFT");
    assert_eq!(&t_hanks[4..8], &[2, 0, 192, 0], "version 2, 192 values");
    let t_id = extract(&app, hanks_id.clone()).await;
    let t_astro = extract(&app, astronaut.clone()).await;

    let compare = "/v1/face/pattern/compare";
    let names = ["template_1", "template_2"];
    let (same, d) = scored(two(&app, compare, names, t_hanks.clone(), t_id.clone())).await;
    assert!(same >= 0.85, "{same}");
    assert_eq!(d, "approved");
    let (diff, d) = scored(two(&app, compare, names, t_hanks.clone(), t_astro.clone())).await;
    assert!(diff < 0.5, "{diff}");
    assert_eq!(d, "declined");

    // verify: image and template, in either order.
    let verify = "/v1/face/pattern/verify";
    let (s, d) = scored(two(
        &app,
        verify,
        ["image", "template"],
        hanks_id.clone(),
        t_hanks.clone(),
    ))
    .await;
    assert!(s >= 0.85 && d == "approved", "{s} {d}");
    let (s, d) = scored(two(
        &app,
        verify,
        ["template", "image"],
        t_astro.clone(),
        hanks_id.clone(),
    ))
    .await;
    assert!(s < 0.5 && d == "declined", "{s} {d}");

    let both = "/v1/face/pattern/extract_and_compare";
    let names = ["image_1", "image_2"];
    let started = Instant::now();
    let (s, d) = scored(two(&app, both, names, hanks.clone(), hanks_id)).await;
    eprintln!(
        "lite extract_and_compare: {} ms",
        started.elapsed().as_millis()
    );
    assert!(s >= 0.85 && d == "approved", "{s} {d}");
    let (s, d) = scored(two(&app, both, names, hanks, astronaut)).await;
    assert!(s < 0.5 && d == "declined", "{s} {d}");
}

#[tokio::test]
async fn base64_bodies_in_and_out() {
    let app = lite_app().await;
    let hanks = fixture("Tom_Hanks_54745.png");
    let raw = extract(&app, hanks.clone()).await;

    let (s, body) = send(
        post(
            &app,
            "/v1/face/pattern/extract",
            B64.encode(&hanks).into_bytes(),
        )
        .header("Content-Transfer-Encoding", "base64"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let text = String::from_utf8(body).expect("a base64 answer is text");
    let decoded = B64.decode(text.trim()).unwrap();
    assert_eq!(decoded.len(), raw.len());
    assert_eq!(&decoded[..8], &raw[..8]);

    let (score, d) = scored(
        two(
            &app,
            "/v1/face/pattern/compare",
            ["template_1", "template_2"],
            B64.encode(&decoded).into_bytes(),
            B64.encode(&raw).into_bytes(),
        )
        .header("Content-Transfer-Encoding", "base64"),
    )
    .await;
    assert!(score > 0.99 && d == "approved", "{score} {d}");

    let (s, body) = send(
        post(
            &app,
            "/v1/face/liveness/detect",
            B64.encode(&hanks).into_bytes(),
        )
        .header("Content-Transfer-Encoding", "base64"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body)["passed"], true);

    // Raw bytes sent as if base64: refused, not misread.
    let got = send(
        post(&app, "/v1/face/liveness/detect", hanks).header("Content-Transfer-Encoding", "base64"),
    )
    .await;
    assert_oz_error(&got, 400, 3);
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let app = lite_app().await;
    let (s, body) = send(app.client.get(app.url("/v1/face/pattern/health"))).await;
    assert_eq!(
        (s, json(&body)["status"].as_i64()),
        (StatusCode::OK, Some(0))
    );
    let (s, body) = send(app.client.get(app.url("/v1/face/liveness/health/"))).await;
    assert_eq!(
        (s, json(&body)["status"].as_i64()),
        (StatusCode::OK, Some(0))
    );
    let (s, body) = send(app.client.get(app.url("/version"))).await;
    assert_eq!(s, StatusCode::OK);
    let v = json(&body);
    assert!(
        v["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "mobilefacenet_b1"),
        "{v}"
    );

    let detect = "/v1/face/liveness/detect";
    assert_oz_error(&send(post(&app, detect, Vec::new())).await, 400, 3);
    assert_oz_error(
        &send(post(&app, detect, b"garbage bytes".to_vec())).await,
        400,
        5,
    );
    let no_face = send(post(&app, detect, jpeg(320, 240))).await;
    assert_oz_error(&no_face, 400, 4);
    assert!(String::from_utf8_lossy(&no_face.1).contains("no face"));
    assert_oz_error(
        &send(post(&app, "/v1/face/pattern/extract", mp4())).await,
        400,
        5,
    );

    let t = extract(&app, fixture("Tom_Hanks_54745.png")).await;
    let compare = "/v1/face/pattern/compare";
    let names = ["template_1", "template_2"];
    let short = t[..t.len() - 4].to_vec();
    assert_oz_error(
        &send(two(&app, compare, names, t.clone(), short)).await,
        400,
        4,
    );
    let mut magic = t.clone();
    magic[0] = b'X';
    assert_oz_error(
        &send(two(&app, compare, names, magic, t.clone())).await,
        400,
        4,
    );
    // A version-1 template (the 512-d embedder before 2026-12-04) is refused, not compared.
    let mut v1 = t.clone();
    v1[4] = 1;
    assert_oz_error(
        &send(two(&app, compare, names, t.clone(), v1)).await,
        400,
        4,
    );
    let one = Form::new().part("template_1", Part::bytes(t.clone()));
    assert_oz_error(
        &send(app.client.post(app.url(compare)).multipart(one)).await,
        400,
        3,
    );
    // verify needs one image and one template.
    let verify = "/v1/face/pattern/verify";
    assert_oz_error(&send(two(&app, verify, names, t.clone(), t)).await, 400, 4);

    assert_oz_error(&send(app.client.get(app.url(detect))).await, 405, 1);
    assert_oz_error(
        &send(app.client.get(app.url("/v1/face/pattern/nothing"))).await,
        404,
        10,
    );
    // Over the body bound (OZ_MAX_FILE_BYTES, 4 MiB in the test config).
    assert_oz_error(
        &send(post(&app, detect, vec![0xFF; 5 << 20])).await,
        413,
        14,
    );
}

#[tokio::test]
async fn the_api_key_is_required_when_configured() {
    let app =
        spawn_app_with(|c| c.lite_api_key = Some(shared::config::SecretString::new(KEY))).await;
    app.load_engine();
    let image = || fixture("Tom_Hanks_54745.png");
    let detect = "/v1/face/liveness/detect";
    assert_oz_error(&send(post(&app, detect, image())).await, 401, 6);
    assert_oz_error(
        &send(post(&app, detect, image()).header("X-Api-Key", "wrong")).await,
        401,
        7,
    );
    assert_oz_error(&send(app.client.get(app.url("/version"))).await, 401, 6);
    let (s, _) = send(post(&app, detect, image()).header("X-Api-Key", KEY)).await;
    assert_eq!(s, StatusCode::OK);
    // Health stays open for probes.
    let (s, _) = send(app.client.get(app.url("/v1/face/pattern/health"))).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn health_says_inoperative_until_the_engine_loads() {
    let app = spawn_app().await;
    let (s, body) = send(app.client.get(app.url("/v1/face/liveness/health"))).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(&body)["status"], 3);
    app.load_engine();
    let (s, _) = send(app.client.get(app.url("/v1/face/liveness/health"))).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn requests_get_503_while_the_engine_is_not_loaded() {
    use tower::ServiceExt as _;
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(dir.path().to_path_buf());
    let mut lite = shared::api::lite::Lite::new(&config, shared::app::AnalyzerSlot::new());
    lite.engine_wait = std::time::Duration::from_millis(50);
    let req = axum::http::Request::post("/v1/face/liveness/detect")
        .body(axum::body::Body::from(jpeg(64, 48)))
        .unwrap();
    let res = shared::api::lite::router(std::sync::Arc::new(lite))
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_oz_error(
        &(StatusCode::from_u16(status).unwrap(), body.to_vec()),
        503,
        11,
    );
}
