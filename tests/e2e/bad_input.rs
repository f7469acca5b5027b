//! Every bad input gets the documented Oz error body (status, `error_code`, `error_message`,
//! `details`), nothing stored changes, and the server keeps serving afterwards.

use crate::common;

use std::time::Duration;

use crate::common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestApp, assert_error, jpeg, mp4, png, read, spawn_app,
    spawn_app_with,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `(what, files as (form key, file name, bytes), payload, status, error code)`.
type UploadCase<'a> = (
    &'a str,
    Vec<(&'a str, &'a str, Vec<u8>)>,
    Option<Value>,
    u16,
    i64,
);

/// The server still answers a plain authenticated read.
async fn still_serving(app: &TestApp) {
    let t = app.admin_token().await;
    let (s, b) = app.json(Method::GET, "/api/folders/", &t, None).await;
    assert_eq!(s, StatusCode::OK, "server stopped serving: {b}");
}

/// The users of the bootstrap ADMIN's view, for before/after comparisons.
async fn user_ids(app: &TestApp, admin: &str) -> Vec<String> {
    app.list_ids("/api/users/", "user_id", admin).await
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn b64url_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => panic!("not base64url: {c}"),
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| {
            acc | (u32::from(val(*c)) << (18 - 6 * i))
        });
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// The claims of a real access token (not verified).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&b64url_decode(payload)).unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sign_hs256(claims: &Value, key: &[u8]) -> String {
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(key),
    )
    .unwrap()
}

// ---------------------------------------------------------------- JSON bodies

#[tokio::test]
async fn malformed_json_bodies() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let users_before = user_ids(&app, &admin).await;
    let big = "x".repeat(70 * 1024);
    let login_cases: Vec<(&str, String, u16, i64)> = vec![
        (
            "malformed",
            r#"{"credentials": {"email": "a@b.c", "#.into(),
            400,
            3,
        ),
        ("not JSON at all", "email=a@b.c".into(), 400, 3),
        (
            "missing password",
            r#"{"credentials": {"email": "a@b.c"}}"#.into(),
            400,
            3,
        ),
        ("missing credentials", r#"{}"#.into(), 400, 3),
        (
            "unknown field",
            json!({"credentials": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, "x": 1})
                .to_string(),
            400,
            3,
        ),
        (
            "unknown nested field",
            json!({"credentials": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "otp": 1}})
                .to_string(),
            400,
            3,
        ),
        (
            "email is a number",
            json!({"credentials": {"email": 5, "password": "x"}}).to_string(),
            400,
            5,
        ),
        (
            "credentials is a string",
            json!({"credentials": "a@b.c"}).to_string(),
            400,
            5,
        ),
        ("empty body", String::new(), 400, 3),
        ("whitespace body", "  \n".into(), 400, 3),
        (
            "over 64 KiB",
            json!({"credentials": {"email": ADMIN_EMAIL, "password": big}}).to_string(),
            413,
            14,
        ),
    ];
    for (what, body, status, code) in login_cases {
        let got = app
            .raw(
                Method::POST,
                "/api/authorize/auth",
                None,
                "application/json",
                body.into_bytes(),
            )
            .await;
        assert_eq!(
            (got.0.as_u16(), got.1["error_code"].clone()),
            (status, json!(code)),
            "login {what}: {}",
            got.1
        );
        assert_error(&got, status, code);
    }

    let ok = json!({"email": "new@example.com", "password": PASSWORD, "user_type": "CLIENT"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b.to_string()
    };
    let user_cases: Vec<(&str, String, u16, i64)> = vec![
        ("malformed", r#"{"email": "new@example.com""#.into(), 400, 3),
        (
            "missing password",
            json!({"email": "new@example.com"}).to_string(),
            400,
            3,
        ),
        ("unknown field", with("is_superuser", json!(true)), 400, 3),
        ("email is a number", with("email", json!(5)), 400, 5),
        (
            "is_active is a string",
            with("is_active", json!("yes")),
            400,
            5,
        ),
        (
            "user_type is unknown",
            with("user_type", json!("ROOT")),
            400,
            4,
        ),
        (
            "company_id is not a UUID",
            with("company_id", json!("acme")),
            400,
            4,
        ),
        (
            "email is not an email",
            with("email", json!("not-an-email")),
            400,
            4,
        ),
        (
            "password too short",
            with("password", json!("short")),
            400,
            4,
        ),
        ("meta_data is a list", with("meta_data", json!([1])), 400, 5),
        ("body is a list", "[]".into(), 400, 5),
        ("empty body", String::new(), 400, 3),
        ("over 64 KiB", with("first_name", json!(big)), 413, 14),
    ];
    for (what, body, status, code) in user_cases {
        let got = app
            .raw(
                Method::POST,
                "/api/users/",
                Some(&admin),
                "application/json",
                body.into_bytes(),
            )
            .await;
        assert_eq!(
            (got.0.as_u16(), got.1["error_code"].clone()),
            (status, json!(code)),
            "create user {what}: {}",
            got.1
        );
        assert_error(&got, status, code);
    }
    assert_eq!(
        user_ids(&app, &admin).await,
        users_before,
        "a refused create stored a user"
    );
    assert_eq!(
        app.login("new@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    still_serving(&app).await;
}

// A list where an object belongs is INVALID TYPE (code 5), oz-api.md §1.
#[tokio::test]
async fn object_given_as_array_is_a_type_error() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let users_before = user_ids(&app, &admin).await;
    // serde also reads a struct from a positional array (`"credentials": [email, password]`);
    // that form is accepted and documented in the README, a wrong-length array is a type error.
    for body in [
        json!({"credentials": []}),
        json!({"credentials": [ADMIN_EMAIL]}),
    ] {
        let got = app
            .raw(
                Method::POST,
                "/api/authorize/auth",
                None,
                "application/json",
                body.to_string().into_bytes(),
            )
            .await;
        assert_eq!(
            (got.0.as_u16(), got.1["error_code"].clone()),
            (400, json!(5)),
            "login {body}: {}",
            got.1
        );
        assert_error(&got, 400, 5);
    }
    let body = json!(["array@example.com", PASSWORD]);
    let got = app
        .raw(
            Method::POST,
            "/api/users/",
            Some(&admin),
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
    assert_error(&got, 400, 5);
    assert_eq!(user_ids(&app, &admin).await, users_before);
    still_serving(&app).await;
}

// ---------------------------------------------------------------- tokens

#[tokio::test]
async fn missing_garbage_and_forged_tokens() {
    let app = spawn_app().await;
    let real = app.admin_token().await;

    let none = read(
        app.client
            .get(app.url("/api/folders/"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&none, 401, 6);
    assert_error(
        &app.json(Method::GET, "/api/folders/", "", None).await,
        401,
        6,
    );
    assert_error(
        &app.json(Method::GET, "/api/folders/", "garbage", None)
            .await,
        401,
        7,
    );
    assert_error(
        &app.json(Method::GET, "/api/folders/", "a.b.c", None).await,
        401,
        7,
    );
    let basic = app
        .client
        .get(app.url("/api/folders/"))
        .header("Authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    assert_error(&read(basic).await, 401, 7);

    // alg "none" with the claims of a real token, no signature.
    let claims = claims_of(&real);
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64url(claims.to_string().as_bytes());
    for forged in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert_error(
            &app.json(Method::GET, "/api/folders/", &forged, None).await,
            401,
            7,
        );
    }
    // The real header and payload with the signature stripped.
    let unsigned = real.rsplit_once('.').unwrap().0.to_string() + ".";
    assert_error(
        &app.json(Method::GET, "/api/folders/", &unsigned, None)
            .await,
        401,
        7,
    );

    // HS256 with another key.
    let other = sign_hs256(&claims, b"not-the-server-key-not-the-server-key");
    assert_error(
        &app.json(Method::GET, "/api/folders/", &other, None).await,
        401,
        7,
    );

    // The server's real key but the wrong issuer / audience: still refused.
    let key = app.jwt_key();
    for (k, v) in [("iss", "someone-else"), ("aud", "someone-else")] {
        let mut c = claims.clone();
        c[k] = json!(v);
        assert_error(
            &app.json(Method::GET, "/api/folders/", &sign_hs256(&c, &key), None)
                .await,
            401,
            7,
        );
    }
    // The real key and claims re-signed: accepted (proves the key and claims above are right).
    assert_eq!(
        app.json(
            Method::GET,
            "/api/folders/",
            &sign_hs256(&claims, &key),
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    // Real key, exp in the past: expired.
    let mut c = claims.clone();
    c["iat"] = json!(now() - 7200);
    c["exp"] = json!(now() - 3600);
    assert_error(
        &app.json(Method::GET, "/api/folders/", &sign_hs256(&c, &key), None)
            .await,
        401,
        8,
    );
    // Real key, a session that does not exist.
    let mut c = claims.clone();
    c["sid"] = json!("00000000-0000-4000-8000-000000000000");
    assert_error(
        &app.json(Method::GET, "/api/folders/", &sign_hs256(&c, &key), None)
            .await,
        401,
        7,
    );

    assert_eq!(
        app.json(Method::GET, "/api/folders/", &real, None).await.0,
        StatusCode::OK,
        "real token still works"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn idle_session_expires() {
    // Expiry is kept in whole seconds, so a TTL of n s gives a session between n-1 and n s of
    // life: 2 s leaves the fresh login below at least 1 s to make its request.
    let app = spawn_app_with(|c| c.session_ttl = Duration::from_secs(2)).await;
    let t = app.admin_token().await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_error(
        &app.json(Method::GET, "/api/folders/", &t, None).await,
        401,
        8,
    );
    // A fresh login works.
    let t2 = app.admin_token().await;
    assert_eq!(
        app.json(Method::GET, "/api/folders/", &t2, None).await.0,
        StatusCode::OK
    );
}

async fn refresh(app: &TestApp, access: &str, expire_token: &Value) -> (StatusCode, Value) {
    read(
        app.req(Method::POST, "/api/authorize/refresh/", access)
            .json(&json!({"expire_token": expire_token}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn logout_and_refresh_rotation() {
    let app = spawn_app().await;
    // After logout.
    let t = app.admin_token().await;
    let (s, _) = app
        .json(Method::DELETE, "/api/authorize/auth", &t, None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &app.json(Method::GET, "/api/folders/", &t, None).await,
        401,
        7,
    );

    // Refresh: the old pair keeps working until the new one is used, then stops.
    let (_, pair) = read(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    let old = pair["access_token"].as_str().unwrap().to_string();
    let (s, new) = refresh(&app, &old, &pair["expire_token"]).await;
    assert_eq!(s, StatusCode::OK, "{new}");
    let new_token = new["access_token"].as_str().unwrap().to_string();
    // The refresh token is single-use, even before the new pair is used.
    assert_error(&refresh(&app, &old, &pair["expire_token"]).await, 401, 7);
    assert_eq!(
        app.json(Method::GET, "/api/folders/", &old, None).await.0,
        StatusCode::OK,
        "old works until new is used"
    );
    assert_eq!(
        app.json(Method::GET, "/api/folders/", &new_token, None)
            .await
            .0,
        StatusCode::OK
    );
    assert_error(
        &app.json(Method::GET, "/api/folders/", &old, None).await,
        401,
        7,
    );
    // Reused after the new pair is in use, with the old or the new access token.
    assert_error(&refresh(&app, &old, &pair["expire_token"]).await, 401, 7);
    assert_error(
        &refresh(&app, &new_token, &pair["expire_token"]).await,
        401,
        7,
    );
    // A wrong refresh token, a garbage access token, a malformed body.
    assert_error(
        &refresh(&app, &new_token, &json!("not-the-token")).await,
        401,
        7,
    );
    assert_error(
        &refresh(&app, "garbage", &new["expire_token"]).await,
        401,
        7,
    );
    let bad = app
        .req(Method::POST, "/api/authorize/refresh/", &new_token)
        .json(&json!({"expire_token": 5}))
        .send()
        .await
        .unwrap();
    assert_error(&read(bad).await, 400, 5);
    // The new pair is unaffected by those failures.
    assert_eq!(
        app.json(Method::GET, "/api/folders/", &new_token, None)
            .await
            .0,
        StatusCode::OK
    );
    let (s, third) = refresh(&app, &new_token, &new["expire_token"]).await;
    assert_eq!(s, StatusCode::OK, "{third}");
    still_serving(&app).await;
}

#[tokio::test]
async fn all_token_header_spellings_work() {
    let app = spawn_app().await;
    let t = app.admin_token().await;
    for (name, value) in [
        ("X-Forensic-Access-Token", t.clone()),
        ("X-Forensics-Access-Token", t.clone()),
        ("Authorization", format!("Bearer {t}")),
        ("x-forensic-access-token", t.clone()),
    ] {
        let res = app
            .client
            .get(app.url("/api/folders/"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        let (s, b) = read(res).await;
        assert_eq!(s, StatusCode::OK, "{name}: {b}");
    }
    // A bad token under any spelling is refused the same way.
    for (name, value) in [
        ("X-Forensic-Access-Token", "nope"),
        ("X-Forensics-Access-Token", "nope"),
        ("Authorization", "Bearer nope"),
    ] {
        let res = app
            .client
            .get(app.url("/api/folders/"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_error(&read(res).await, 401, 7);
    }
}

// ---------------------------------------------------------------- routing

#[tokio::test]
async fn methods_paths_and_ids() {
    let app = spawn_app().await;
    let t = app.admin_token().await;
    let folder = app.folder_with_photo(&t).await;
    let fid = folder["folder_id"].as_str().unwrap();
    let mid = folder["media"][0]["media_id"].as_str().unwrap();

    for (m, p) in [
        (Method::PUT, "/api/folders/".to_string()),
        (Method::DELETE, "/api/folders".to_string()),
        (Method::PATCH, format!("/api/folders/{fid}")),
        (Method::DELETE, "/api/companies/".to_string()),
        (Method::GET, "/api/authorize/auth".to_string()),
        (Method::DELETE, format!("/api/media/{mid}")),
        (Method::GET, format!("/api/folders/{fid}/media/")),
    ] {
        let got = app.json(m.clone(), &p, &t, None).await;
        assert_eq!(got.0.as_u16(), 405, "{m} {p}: {}", got.1);
        assert_error(&got, 405, 1);
    }
    for p in [
        "/api/nope",
        "/api/",
        "/web",
        "/capture/x",
        "/api/folders/x/y/z",
        "/files/",
        "/api/analyses/x",
    ] {
        let got = app.json(Method::GET, p, &t, None).await;
        assert_eq!(got.0.as_u16(), 404, "{p}: {}", got.1);
        assert_error(&got, 404, 10);
    }
    let unknown = "3f2b0e4c-1111-4222-8333-444455556666";
    for kind in ["folders", "media", "users", "companies"] {
        for id in [unknown, "not-a-uuid", "0", "%20", "..%2F..%2Fetc"] {
            let got = app
                .json(Method::GET, &format!("/api/{kind}/{id}"), &t, None)
                .await;
            assert_eq!(got.0.as_u16(), 404, "{kind}/{id}: {}", got.1);
            assert_error(&got, 404, 10);
        }
    }
    for p in [
        format!("/api/media/{unknown}/file"),
        format!("/api/folders/{unknown}/meta_data"),
        "/api/users/x/meta_data".to_string(),
    ] {
        assert_error(&app.json(Method::GET, &p, &t, None).await, 404, 10);
    }
    assert_error(
        &app.json(Method::DELETE, &format!("/api/folders/{unknown}"), &t, None)
            .await,
        404,
        10,
    );
    assert_error(
        &app.json(
            Method::PATCH,
            &format!("/api/media/{unknown}"),
            &t,
            Some(json!({"tags": []})),
        )
        .await,
        404,
        10,
    );
    let add = app
        .upload(
            &format!("/api/folders/{unknown}/media/"),
            &t,
            vec![("p", "p.jpg", jpeg(8, 8))],
            None,
        )
        .await;
    assert_error(&add, 404, 10);

    // With and without the trailing slash.
    for p in [
        "/api/folders",
        "/api/folders/",
        "/api/companies",
        "/api/companies/",
        "/api/users",
        "/api/users/",
    ] {
        assert_eq!(
            app.json(Method::GET, p, &t, None).await.0,
            StatusCode::OK,
            "{p}"
        );
    }
    for p in [
        format!("/api/folders/{fid}"),
        format!("/api/folders/{fid}/"),
        format!("/api/media/{mid}"),
        format!("/api/media/{mid}/"),
    ] {
        assert_eq!(
            app.json(Method::GET, &p, &t, None).await.0,
            StatusCode::OK,
            "{p}"
        );
    }
    for p in ["/api/authorize/auth", "/api/authorize/auth/"] {
        let res = app
            .client
            .post(app.url(p))
            .json(&json!({"credentials": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{p}");
    }
    still_serving(&app).await;
}

// ---------------------------------------------------------------- uploads

/// An upload that must be refused with `status`/`code` and store nothing.
async fn refused_upload(
    app: &TestApp,
    t: &str,
    what: &str,
    files: Vec<(&str, &str, Vec<u8>)>,
    payload: Option<Value>,
    status: u16,
    code: i64,
) {
    let before = app.folder_ids(t).await;
    let got = app.upload("/api/folders/", t, files, payload).await;
    assert_eq!(
        (got.0.as_u16(), got.1["error_code"].clone()),
        (status, json!(code)),
        "{what}: {}",
        got.1
    );
    assert_error(&got, status, code);
    assert_eq!(
        app.folder_ids(t).await,
        before,
        "{what}: a refused upload created a folder"
    );
}

fn truncated_jpeg() -> Vec<u8> {
    let bytes = media_decode::testutil::encode(
        &media_decode::testutil::noise(96, 64),
        image::ImageFormat::Jpeg,
    );
    bytes[..bytes.len() / 2].to_vec()
}

#[tokio::test]
async fn bad_files_and_payloads_store_nothing() {
    let app = spawn_app().await;
    let t = app.admin_token().await;
    let ok = || ("photo", "selfie.jpg", jpeg(32, 24));
    let cases: Vec<UploadCase> = vec![
        (
            "truncated JPEG",
            vec![("photo", "selfie.jpg", truncated_jpeg())],
            None,
            400,
            4,
        ),
        (
            "text named .jpg",
            vec![(
                "photo",
                "selfie.jpg",
                b"hello, I am not an image\n".to_vec(),
            )],
            None,
            400,
            5,
        ),
        (
            "unknown tag",
            vec![ok()],
            Some(json!({"media:tags": {"photo": ["selfie"]}})),
            400,
            4,
        ),
        (
            "video tag on a photo",
            vec![ok()],
            Some(json!({"media:tags": {"photo": ["video_selfie"]}})),
            400,
            4,
        ),
        (
            "photo tag on a video",
            vec![("v", "v.mp4", mp4())],
            Some(json!({"media:tags": {"v": ["photo_id"]}})),
            400,
            4,
        ),
        (
            "tags not a list",
            vec![ok()],
            Some(json!({"media:tags": {"photo": "photo_selfie"}})),
            400,
            5,
        ),
        (
            "unknown payload field",
            vec![ok()],
            Some(json!({"media:tag": {"photo": ["photo_selfie"]}})),
            400,
            3,
        ),
        (
            "payload not an object",
            vec![ok()],
            Some(json!(["photo_selfie"])),
            400,
            5,
        ),
        (
            "folder:meta_data not an object",
            vec![ok()],
            Some(json!({"folder:meta_data": "x"})),
            400,
            5,
        ),
        (
            "payload.analyses not a list",
            vec![ok()],
            Some(json!({"analyses": "quality"})),
            400,
            3,
        ),
        (
            "payload.analyses of a type not built",
            vec![ok()],
            Some(json!({"analyses": [{"type": "documents"}]})),
            501,
            2,
        ),
        (
            "payload.analyses with a metadata-service webhook",
            vec![ok()],
            Some(json!({"analyses": [{"type": "quality"}],
                "resolution_endpoint": "http://169.254.169.254/latest/meta-data/"})),
            400,
            4,
        ),
        (
            "payload.resolution_endpoint without analyses",
            vec![ok()],
            Some(json!({"resolution_endpoint": "https://hooks.example.com/"})),
            400,
            3,
        ),
        (
            "one of two files corrupt",
            vec![ok(), ("second", "b.jpg", truncated_jpeg())],
            None,
            400,
            4,
        ),
        (
            "one of two files not media",
            vec![ok(), ("second", "b.jpg", b"text".to_vec())],
            None,
            400,
            5,
        ),
    ];
    for (what, files, payload, status, code) in cases {
        refused_upload(&app, &t, what, files, payload, status, code).await;
    }

    // Malformed payload JSON (sent as text, so it is not re-encoded).
    let before = app.folder_ids(&t).await;
    let form = reqwest::multipart::Form::new()
        .part(
            "photo",
            reqwest::multipart::Part::bytes(jpeg(8, 8)).file_name("p.jpg"),
        )
        .text("payload", r#"{"media:tags": {"photo": ["photo_selfie"]"#);
    let got = read(
        app.req(Method::POST, "/api/folders/", &t)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&got, 400, 3);
    // Two payload parts; two files under one key; a part without a name is impossible with reqwest.
    let form = reqwest::multipart::Form::new()
        .text("payload", "{}")
        .text("payload", "{}");
    assert_error(
        &read(
            app.req(Method::POST, "/api/folders/", &t)
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await,
        400,
        3,
    );
    let form = reqwest::multipart::Form::new()
        .part(
            "p",
            reqwest::multipart::Part::bytes(jpeg(8, 8)).file_name("a.jpg"),
        )
        .part(
            "p",
            reqwest::multipart::Part::bytes(jpeg(8, 8)).file_name("b.jpg"),
        );
    assert_error(
        &read(
            app.req(Method::POST, "/api/folders/", &t)
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await,
        400,
        3,
    );
    // Not multipart: a body that is the payload alone must be JSON.
    let got = app
        .raw(
            Method::POST,
            "/api/folders/",
            Some(&t),
            "application/json",
            br#"{"media:tags": {}"#.to_vec(),
        )
        .await;
    assert_error(&got, 400, 3);
    let got = app
        .raw(
            Method::POST,
            "/api/folders/",
            Some(&t),
            "image/jpeg",
            jpeg(8, 8),
        )
        .await;
    assert_error(&got, 400, 3);
    // multipart content type with a body that is not multipart.
    let got = app
        .raw(
            Method::POST,
            "/api/folders/",
            Some(&t),
            "multipart/form-data; boundary=XYZ",
            b"garbage".to_vec(),
        )
        .await;
    assert_error(&got, 400, 3);
    assert_eq!(
        app.folder_ids(&t).await,
        before,
        "a refused upload created a folder"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn content_decides_the_media_type() {
    let app = spawn_app().await;
    let t = app.admin_token().await;
    let payload =
        json!({"media:tags": {"v": ["video_selfie", "video_selfie_blank"], "p": ["photo_selfie"]}});
    let (s, b) = app
        .upload(
            "/api/folders/",
            &t,
            vec![("p", "selfie.jpg", png(40, 30)), ("v", "clip.mp4", mp4())],
            Some(payload),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let media = b["media"].as_array().unwrap();
    let p = media
        .iter()
        .find(|m| m["tags"] == json!(["photo_selfie"]))
        .expect("png media");
    assert_eq!(p["media_type"], "IMAGE_FOLDER");
    assert_eq!(p["technical_meta_data"]["format"], "png", "{p}");
    assert_eq!(p["technical_meta_data"]["width"], 40);
    assert_eq!(p["original_name"], "selfie.jpg");
    let v = media
        .iter()
        .find(|m| m["media_type"] == "VIDEO_FOLDER")
        .expect("video media");
    let tm = &v["technical_meta_data"];
    assert_eq!(
        (
            tm["width"].clone(),
            tm["height"].clone(),
            tm["frame_count"].clone()
        ),
        (json!(64), json!(48), json!(10)),
        "{v}"
    );
    assert!(v["video_url"].is_string(), "{v}");
    // The file is served as what it is.
    let loc = p["original_url"].as_str().unwrap();
    let res = app.client.get(loc).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn add_media_refusals_leave_the_folder_unchanged() {
    let app = spawn_app().await;
    let t = app.admin_token().await;
    let f = app.folder_with_photo(&t).await;
    let fid = f["folder_id"].as_str().unwrap();
    let path = format!("/api/folders/{fid}/media/");
    let before = app.media_of(&t, fid).await;
    let folders = app.folder_ids(&t).await;
    let ok = || ("more", "more.jpg", jpeg(16, 16));
    let cases: Vec<UploadCase> = vec![
        (
            "one of two files corrupt",
            vec![ok(), ("bad", "bad.jpg", truncated_jpeg())],
            None,
            400,
            4,
        ),
        (
            "text named .jpg",
            vec![ok(), ("bad", "bad.jpg", b"plain text".to_vec())],
            None,
            400,
            5,
        ),
        (
            "unknown tag",
            vec![ok()],
            Some(json!({"media:tags": {"more": ["nope"]}})),
            400,
            4,
        ),
        (
            "folder:meta_data on add",
            vec![ok()],
            Some(json!({"folder:meta_data": {"a": 1}})),
            400,
            3,
        ),
        (
            "analyses",
            vec![ok()],
            Some(json!({"analyses": [{"type": "biometry"}]})),
            501,
            2,
        ),
        (
            "six files",
            (0..6)
                .map(|i| (["a", "b", "c", "d", "e", "f"][i], "x.jpg", jpeg(8, 8)))
                .collect(),
            None,
            413,
            14,
        ),
    ];
    for (what, files, payload, status, code) in cases {
        let got = app.upload(&path, &t, files, payload).await;
        assert_eq!(
            (got.0.as_u16(), got.1["error_code"].clone()),
            (status, json!(code)),
            "{what}: {}",
            got.1
        );
        assert_error(&got, status, code);
        assert_eq!(
            app.media_of(&t, fid).await,
            before,
            "{what}: the folder's media changed"
        );
    }
    let got = app
        .raw(
            Method::POST,
            &path,
            Some(&t),
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    assert_error(&got, 400, 3);
    assert_eq!(app.media_of(&t, fid).await, before);
    assert_eq!(app.folder_ids(&t).await, folders);
    // A good one still works afterwards.
    let (s, b) = app.upload(&path, &t, vec![ok()], None).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(app.media_of(&t, fid).await.len(), before.len() + 1);
}

/// A raw HTTP/1.1 exchange: the head (and `body_prefix`) are sent, then the response is read.
/// Used for a declared Content-Length the server must refuse before reading the body.
async fn raw_http(app: &TestApp, head: &str, body_prefix: &[u8]) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body_prefix).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = tokio::time::timeout_at(deadline, s.read(&mut chunk))
            .await
            .expect("response in time")
            .unwrap_or(0);
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some((h, body)) = text.split_once("\r\n\r\n") {
            let len = h.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap())
            });
            if n == 0 || len.is_some_and(|l| body.len() >= l) {
                let status = h.split(' ').nth(1).unwrap().parse().unwrap();
                return (
                    status,
                    serde_json::from_str(body).unwrap_or(Value::String(body.to_string())),
                );
            }
        } else if n == 0 {
            panic!("connection closed without a response: {text:?}");
        }
    }
}

#[tokio::test]
async fn size_limits() {
    let app = spawn_app().await;
    let t = app.admin_token().await;
    let before = app.folder_ids(&t).await;

    // One file over max_file_bytes (4 MiB), body under max_body_bytes.
    let big = media_decode::testutil::random_bytes((4 << 20) + 1, 7);
    refused_upload(
        &app,
        &t,
        "file over 4 MiB",
        vec![("big", "big.jpg", big)],
        None,
        413,
        14,
    )
    .await;
    // More than max_files (5).
    let six = (0..6)
        .map(|i| (["a", "b", "c", "d", "e", "f"][i], "x.jpg", jpeg(8, 8)))
        .collect();
    refused_upload(&app, &t, "six files", six, None, 413, 14).await;
    // A payload part over max_json_bytes.
    let huge = json!({"folder:meta_data": {"x": "y".repeat(70 * 1024)}});
    refused_upload(
        &app,
        &t,
        "payload over 64 KiB",
        vec![("p", "p.jpg", jpeg(8, 8))],
        Some(huge),
        413,
        14,
    )
    .await;

    // A body declared over max_body_bytes (8 MiB): refused before it is read.
    let head = format!(
        "POST /api/folders/ HTTP/1.1\r\nHost: {}\r\nX-Forensic-Access-Token: {t}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.addr,
        (8 << 20) + 1
    );
    let (s, b) = raw_http(&app, &head, b"--XYZ\r\n").await;
    assert_error(&(StatusCode::from_u16(s).unwrap(), b), 413, 14);
    // The same for a JSON endpoint.
    let head = format!(
        "POST /api/authorize/auth HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        app.addr,
        (8 << 20) + 1
    );
    let (s, b) = raw_http(&app, &head, b"{").await;
    assert_error(&(StatusCode::from_u16(s).unwrap(), b), 413, 14);

    assert_eq!(app.folder_ids(&t).await, before);
    still_serving(&app).await;
}

// ---------------------------------------------------------------- signed file URLs

#[tokio::test]
async fn tampered_file_url() {
    if common::storage() != shared::config::Storage::Local {
        // These are the embedded `/files` URLs; S3's presigned URLs are checked against s3s-fs
        // (moto does not verify signatures) in shared/tests/ports_contract.rs.
        return;
    }
    let app = spawn_app().await;
    let t = app.admin_token().await;
    let a = app.folder_with_photo(&t).await;
    let b = app.folder_with_photo(&t).await;
    let url_a = a["media"][0]["original_url"].as_str().unwrap().to_string();
    let url_b = b["media"][0]["original_url"].as_str().unwrap().to_string();
    assert_eq!(
        app.client.get(&url_a).send().await.unwrap().status(),
        StatusCode::OK
    );

    let (base, sig) = url_a.rsplit_once("sig=").unwrap();
    let flipped = format!(
        "{base}sig={}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    let client = app.client.clone();
    let get = |u: String| {
        let c = client.clone();
        async move { read(c.get(u).send().await.unwrap()).await }
    };
    assert_error(&get(flipped).await, 401, 7);
    assert_error(&get(format!("{base}sig=zz")).await, 401, 7);
    // A's signature on B's key.
    let key_b = url_b.split('?').next().unwrap();
    let query_a = url_a.split_once('?').unwrap().1;
    assert_error(&get(format!("{key_b}?{query_a}")).await, 401, 7);
    // A later expiry with the old signature.
    let (pre, rest) = url_a.split_once("exp=").unwrap();
    let (exp, tail) = rest.split_once('&').unwrap();
    let later = exp.parse::<u64>().unwrap() + 3600;
    assert_error(&get(format!("{pre}exp={later}&{tail}")).await, 401, 7);
    // No signature at all.
    assert_error(
        &get(url_a.split('?').next().unwrap().to_string()).await,
        401,
        6,
    );
    // The untouched URL still works.
    assert_eq!(
        app.client.get(&url_a).send().await.unwrap().status(),
        StatusCode::OK
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn expired_file_url() {
    if common::storage() != shared::config::Storage::Local {
        // These are the embedded `/files` URLs; S3's presigned URLs are checked against s3s-fs
        // (moto does not verify signatures) in shared/tests/ports_contract.rs.
        return;
    }
    let app = spawn_app_with(|c| c.file_url_ttl = Duration::from_secs(1)).await;
    let t = app.admin_token().await;
    let f = app.folder_with_photo(&t).await;
    let mid = f["media"][0]["media_id"].as_str().unwrap();
    let res = app
        .req(Method::GET, &format!("/api/media/{mid}/file"), &t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_error(
        &read(app.client.get(&loc).send().await.unwrap()).await,
        401,
        8,
    );
    still_serving(&app).await;
}

// ---------------------------------------------------------------- query strings

#[tokio::test]
async fn bad_query_parameters() {
    let app = spawn_app().await;
    let t = app.admin_token().await;
    let f = app.folder_with_photo(&t).await;
    let fid = f["folder_id"].as_str().unwrap();
    for q in [
        "limit=0",
        "limit=100000",
        "limit=-2",
        "total_omit=perhaps",
        "limit=ten",
        "offset=-1",
        "sorting=bogus",
        "with_media=maybe",
        "with_analyses=2",
        "time_created.min=yesterday",
        "time_created.max=NaN",
        "time_created.min=inf",
        "meta_data=case",
        "company_id=acme",
    ] {
        let got = app
            .json(Method::GET, &format!("/api/folders/?{q}"), &t, None)
            .await;
        assert_eq!(got.0.as_u16(), 400, "{q}: {}", got.1);
        assert_error(&got, 400, 4);
    }
    for q in ["limit=0", "limit=100000"] {
        assert_error(
            &app.json(Method::GET, &format!("/api/users/?{q}"), &t, None)
                .await,
            400,
            4,
        );
        assert_error(
            &app.json(Method::GET, &format!("/api/companies/?{q}"), &t, None)
                .await,
            400,
            4,
        );
    }
    assert_error(
        &app.json(
            Method::GET,
            &format!("/api/folders/{fid}?with_media=maybe"),
            &t,
            None,
        )
        .await,
        400,
        4,
    );
    // The good forms.
    for q in [
        "limit=1",
        "limit=1000",
        "sorting=time_created",
        "sorting=-time_created",
        "with_media=true",
        "with_media=0",
    ] {
        assert_eq!(
            app.json(Method::GET, &format!("/api/folders/?{q}"), &t, None)
                .await
                .0,
            StatusCode::OK,
            "{q}"
        );
    }
    still_serving(&app).await;
}

/// The server keeps serving after a burst of every kind of bad input.
#[tokio::test]
async fn keeps_serving_after_abuse() {
    let app = spawn_app().await;
    let t = app.admin_token().await;
    for _ in 0..3 {
        let _ = app
            .raw(
                Method::POST,
                "/api/authorize/auth",
                None,
                "application/json",
                b"{".to_vec(),
            )
            .await;
        let _ = app
            .json(Method::GET, "/api/folders/", "garbage", None)
            .await;
        let _ = app
            .upload(
                "/api/folders/",
                &t,
                vec![("p", "p.jpg", truncated_jpeg())],
                None,
            )
            .await;
        let _ = app.json(Method::PUT, "/api/folders/", &t, None).await;
        let _ = app
            .raw(
                Method::POST,
                "/api/folders/",
                Some(&t),
                "multipart/form-data; boundary=X",
                b"--X\r\nbroken".to_vec(),
            )
            .await;
    }
    still_serving(&app).await;
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn direct_upload_requests_and_urls_are_bounded() {
    let app = spawn_app().await;
    let (_, _, client, folder) = app.acme_client_folder().await;
    let fid = folder["folder_id"].as_str().unwrap();
    let uploads = format!("/api/folders/{fid}/media/uploads/");
    let file = |ct: &str, size: u64| json!({"name": "a", "content_type": ct, "size": size});
    let max = 4u64 << 20;
    for (body, status, code) in [
        (json!({"files": [file("text/plain", 10)]}), 400, 5),
        (json!({"files": [file("image/jpeg", 0)]}), 400, 4),
        (json!({"files": [file("image/jpeg", max + 1)]}), 413, 14),
        (json!({"files": vec![file("image/jpeg", 10); 6]}), 413, 14),
        (json!({"files": []}), 400, 4),
        (
            json!({"files": [{"name": "a", "content_type": "image/jpeg", "size": 1, "sizee": 2}]}),
            400,
            3,
        ),
        (
            json!({"files": [{"name": "", "content_type": "image/jpeg", "size": 1}]}),
            400,
            4,
        ),
        (
            json!({"files": [{"name": "a", "content_type": "image/jpeg", "size": -1}]}),
            400,
            4,
        ),
        (
            json!({"files": [{"name": "a", "content_type": "image/jpeg", "size": 1, "tags": ["nope"]}]}),
            400,
            4,
        ),
        (
            json!({"files": [{"name": "a", "content_type": "image/jpeg", "size": 1, "meta_data": [1]}]}),
            400,
            5,
        ),
        (json!({"file": []}), 400, 3),
    ] {
        let got = app
            .json(Method::POST, &uploads, &client, Some(body.clone()))
            .await;
        assert_eq!(
            (got.0.as_u16(), got.1["error_code"].as_i64()),
            (status, Some(code)),
            "{body} -> {}",
            got.1
        );
    }
    let (_, left) = app.json(Method::GET, &uploads, &client, None).await;
    assert_eq!(left, json!([]), "refused requests create no upload");
    let (s, _) = app
        .json(
            Method::POST,
            "/api/folders/not-a-uuid/media/uploads/",
            &client,
            Some(json!({"files": [file("image/jpeg", 1)]})),
        )
        .await;
    assert_eq!(s.as_u16(), 404, "ids that are not UUIDs name nothing");

    // The local stand-in for S3 checks what S3 checks: signature, expiry, type and length.
    if common::storage() != shared::config::Storage::Local {
        return;
    }
    let photo = jpeg(40, 30);
    let (_, tickets) = app
        .json(
            Method::POST,
            &uploads,
            &client,
            Some(json!({"files": [file("image/jpeg", photo.len() as u64)]})),
        )
        .await;
    let url = tickets[0]["url"].as_str().unwrap().to_string();
    let put = |url: String, ct: &'static str, body: Vec<u8>| {
        let http = app.client.clone();
        async move {
            let r = http
                .put(url)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), read(r).await.1)
        }
    };
    let tampered = url.replace("image%2Fjpeg", "image%2Fpng");
    assert_eq!(
        put(tampered, "image/png", photo.clone()).await.0.as_u16(),
        401
    );
    let longer = url.replace(
        &format!("len={}", photo.len()),
        &format!("len={}", photo.len() + 1),
    );
    assert_eq!(
        put(longer, "image/jpeg", photo.clone()).await.0.as_u16(),
        401
    );
    assert_eq!(
        put(url.clone(), "image/png", photo.clone())
            .await
            .0
            .as_u16(),
        401
    );
    let mut short = photo.clone();
    short.pop();
    assert_eq!(put(url.clone(), "image/jpeg", short).await.0.as_u16(), 400);
    let mut long = photo.clone();
    long.push(0);
    assert_eq!(put(url.clone(), "image/jpeg", long).await.0.as_u16(), 413);
    let mut sig = url.clone();
    let tail = sig.pop().unwrap();
    sig.push(if tail == '0' { '1' } else { '0' });
    assert_eq!(put(sig, "image/jpeg", photo.clone()).await.0.as_u16(), 401);
    let (_, left) = app.json(Method::GET, &uploads, &client, None).await;
    assert_eq!(left[0]["state"], "PENDING", "nothing refused was stored");
    assert_eq!(put(url, "image/jpeg", photo).await.0.as_u16(), 200);
    let (_, left) = app.json(Method::GET, &uploads, &client, None).await;
    assert_eq!(left, json!([]), "the upload became a media");
}
