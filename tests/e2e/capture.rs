//! What the capture page stands on: capture tokens (**ours**: one folder, short-lived, no
//! refresh, nothing else allowed), the face check behind its live hints, and the pages and
//! scripts served from the API's origin with their security headers.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn capture_token(app: &TestApp, token: &str, body: Value) -> (reqwest::StatusCode, Value) {
    app.json(Method::POST, "/api/authorize/capture", token, Some(body))
        .await
}

#[tokio::test]
async fn a_capture_token_reaches_its_folder_and_nothing_else() {
    let app = spawn_app().await;
    let (admin, company, client, other_folder) = app.acme_client_folder().await;

    // A new folder with the integrator's meta_data.
    let (s, t) = capture_token(
        &app,
        &client,
        json!({"meta_data": {"order": "7"}, "ttl": 120}),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let token = t["access_token"].as_str().unwrap();
    let fid = t["folder_id"].as_str().unwrap();
    let now = shared::domain::clock::now_secs();
    assert!(
        (now + 115..=now + 121).contains(&t["expire_date"].as_i64().unwrap()),
        "{t}"
    );
    assert!(t.get("expire_token").is_none(), "no refresh token: {t}");

    // What the capture page does: add media, start an analysis, read the folder.
    let (s, m) = app
        .upload(
            &format!("/api/folders/{fid}/media/"),
            token,
            vec![("video", "capture.jpg", jpeg(64, 48))],
            Some(json!({"media:tags": {"video": ["photo_selfie"]}})),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    let (s, started) = app
        .json(
            Method::POST,
            &format!("/api/folders/{fid}/analyses"),
            token,
            Some(json!({"analyses": [{"type": "quality"}]})),
        )
        .await;
    assert_eq!(s, 201, "{started}");
    let (s, f) = app
        .json(
            Method::GET,
            &format!("/api/folders/{fid}/?with_analyses=true"),
            token,
            None,
        )
        .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["meta_data"], json!({"order": "7"}));
    assert_eq!(f["analyses"].as_array().unwrap().len(), 1);

    // Anything else is refused, including the same user's other folder.
    let other = other_folder["folder_id"].as_str().unwrap();
    let aid = started[0]["analyse_id"].as_str().unwrap();
    let media_id = m[0]["media_id"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, "/api/folders".to_string()),
        (Method::GET, format!("/api/folders/{other}")),
        (Method::POST, format!("/api/folders/{other}/analyses")),
        (Method::DELETE, format!("/api/folders/{fid}")),
        (Method::GET, format!("/api/media/{media_id}/file")),
        (Method::PATCH, format!("/api/media/{media_id}")),
        (Method::POST, format!("/api/folders/{fid}/meta_data")),
        (Method::GET, format!("/api/analyses/{aid}")),
        (Method::GET, "/api/users".to_string()),
        (Method::GET, "/api/collections".to_string()),
        (Method::POST, "/api/authorize/capture".to_string()),
    ] {
        let got = app
            .json(method.clone(), &path, token, Some(json!({})))
            .await;
        assert_error(&got, 403, 9);
        assert!(
            got.1["error_message"]
                .as_str()
                .unwrap()
                .contains("capture token"),
            "{method} {path}: {}",
            got.1
        );
    }
    let got = app
        .upload(
            "/api/folders/",
            token,
            vec![("a", "a.jpg", jpeg(64, 48))],
            None,
        )
        .await;
    assert_error(&got, 403, 9);

    // No refresh, and logout ends it.
    let got = app
        .json(
            Method::POST,
            "/api/authorize/refresh",
            token,
            Some(json!({"expire_token": "x"})),
        )
        .await;
    assert_error(&got, 401, 7);
    let (s, _) = app
        .json(Method::DELETE, "/api/authorize/auth", token, None)
        .await;
    assert_eq!(s, 204);
    let got = app
        .json(Method::GET, &format!("/api/folders/{fid}"), token, None)
        .await;
    assert_error(&got, 401, 7);

    // For an existing folder: only one the caller can see; operators cannot issue one.
    let (s, t) = capture_token(&app, &client, json!({"folder_id": other})).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["folder_id"], other);
    let (_, other_client) = app
        .user(&admin, &company, "CLIENT", "second@acme.com")
        .await;
    let got = capture_token(&app, &other_client, json!({"folder_id": other})).await;
    assert_error(&got, 404, 10);
    let (_, operator) = app
        .user(&admin, &company, "CLIENT OPERATOR", "op@acme.com")
        .await;
    let got = capture_token(&app, &operator, json!({})).await;
    assert_error(&got, 403, 9);

    // Bounds and shapes.
    for bad in [
        json!({"ttl": 5}),
        json!({"ttl": 86400}),
        json!({"folder_id": other, "meta_data": {"a": 1}}),
    ] {
        assert_error(&capture_token(&app, &client, bad).await, 400, 4);
    }
    assert_error(
        &capture_token(&app, &client, json!({"scope": "all"})).await,
        400,
        3,
    );
    assert_error(
        &capture_token(&app, &client, json!({"folder_id": "nope"})).await,
        400,
        4,
    );
}

#[tokio::test]
async fn a_forged_or_expired_capture_token_is_refused() {
    let app = spawn_app().await;
    let (_, _, client, _) = app.acme_client_folder().await;
    let (s, t) = capture_token(&app, &client, json!({"ttl": 60})).await;
    assert_eq!(s, 200, "{t}");
    // Forge the same token with an earlier expiry: the signature no longer matches.
    let token = t["access_token"].as_str().unwrap();
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    parts[1] = parts[1].chars().rev().collect();
    let forged = parts.join(".");
    let fid = t["folder_id"].as_str().unwrap();
    let got = app
        .json(Method::GET, &format!("/api/folders/{fid}"), &forged, None)
        .await;
    assert_error(&got, 401, 7);
    // The real token's claims, re-signed with the server's key but past their `exp`: expired.
    let key = app.jwt_key();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.validate_aud = false;
    let mut claims =
        jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_secret(&key), &v)
            .unwrap()
            .claims;
    claims["exp"] = json!(shared::domain::clock::now_secs() - 5);
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&key),
    )
    .unwrap();
    let got = app
        .json(Method::GET, &format!("/api/folders/{fid}"), &expired, None)
        .await;
    assert_error(&got, 401, 8);
}

#[tokio::test]
async fn the_face_check_finds_the_face_and_refuses_what_is_not_an_image() {
    let app = spawn_app().await;
    app.load_engine();
    let (_, _, client, _) = app.acme_client_folder().await;
    let face = |body: Vec<u8>| {
        let app = &app;
        let client = client.clone();
        async move {
            read(
                app.req(Method::POST, "/api/instant/face", &client)
                    .header("content-type", "image/jpeg")
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (s, b) = face(fixture("Tom_Hanks_54745.png")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["faces"], 1, "{b}");
    let [x1, y1, x2, y2] = [0, 1, 2, 3].map(|i| b["face"][i].as_f64().unwrap());
    assert!(x2 - x1 > 40.0 && y2 - y1 > 40.0, "{b}");
    assert!(x2 <= b["width"].as_f64().unwrap() + 1.0, "{b}");

    let (s, b) = face(jpeg(320, 240)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["faces"], 0, "{b}");
    assert!(b["face"].is_null(), "{b}");

    assert_error(&face(b"not an image".to_vec()).await, 400, 5);
    assert_error(&face(mp4()).await, 400, 5);
    let got = read(
        app.client
            .post(app.url("/api/instant/face"))
            .body(jpeg(8, 8))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&got, 401, 6);
}

#[tokio::test]
async fn the_console_and_capture_page_are_served_with_their_policies() {
    let app = spawn_app().await;
    let get = |path: &'static str| {
        let app = &app;
        async move { app.client.get(app.url(path)).send().await.unwrap() }
    };
    for (path, framed) in [("/", false), ("/capture/", true), ("/capture", true)] {
        let r = get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert_eq!(csp.contains("frame-ancestors *"), framed, "{path}: {csp}");
        assert_eq!(
            r.headers().contains_key("x-frame-options"),
            !framed,
            "{path}"
        );
        let body = r.text().await.unwrap();
        assert!(
            body.contains("/web/"),
            "{path} loads its scripts from /web/"
        );
    }
    let r = get("/web/oz-liveness.js").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.text().await.unwrap().contains("window.OzLiveness"));
    for path in ["/web/nope.js", "/web/console.html", "/web/..%2FCargo.toml"] {
        let (s, b) = read(get(path).await).await;
        assert_eq!(s, 404, "{path}: {b}");
        assert_eq!(b["error_code"], 10, "{path}: {b}");
    }
}
