//! Clients that misbehave on purpose or by accident: password guessing (throttled per account
//! and per address, Oz code 101 with `Retry-After`), and connections that stall — headers that
//! never finish, a body that stops before its `Content-Length` — cut after the read timeout.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

async fn login_answer(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (StatusCode, Value, Option<String>) {
    let r = app.login(email, password).await;
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let (s, b) = read(r).await;
    (s, b, retry_after)
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_for_the_window() {
    let app = spawn_app_with(|c| {
        c.login.max_account_failures = 3;
        c.login.window = Duration::from_secs(5);
    })
    .await;
    let admin = app.admin_token().await;
    let company = app.create_company(&admin, "Acme").await;
    app.user(&admin, &company, "CLIENT", "victim@acme.com")
        .await;
    for _ in 0..3 {
        let (s, b, _) = login_answer(&app, "victim@acme.com", "guess-guess-1").await;
        assert_error(&(s, b), 401, 15);
    }
    // At the limit even the right password is refused, before it is checked.
    let (s, b, retry_after) = login_answer(&app, "VICTIM@acme.com", PASSWORD).await;
    assert_error(&(s, b.clone()), 429, 101);
    let secs: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=5).contains(&secs), "Retry-After {secs}");
    assert!(
        b["error_message"].as_str().unwrap().contains("try again"),
        "{b}"
    );
    // Other accounts are not affected.
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    // The window closes; the right password works and clears the count.
    tokio::time::sleep(Duration::from_secs(secs + 1)).await;
    assert_eq!(app.login("victim@acme.com", PASSWORD).await.status(), 200);
    for _ in 0..2 {
        assert_eq!(
            app.login("victim@acme.com", "guess-guess-2").await.status(),
            401
        );
    }
    assert_eq!(app.login("victim@acme.com", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_throttled() {
    let app = spawn_app_with(|c| {
        c.login.max_account_failures = 100;
        c.login.max_address_failures = 4;
    })
    .await;
    for i in 0..4 {
        let (s, b, _) = login_answer(&app, &format!("nobody{i}@acme.com"), "guess-guess-1").await;
        assert_error(&(s, b), 401, 15);
    }
    let (s, b, retry_after) = login_answer(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_error(&(s, b), 429, 101);
    assert!(retry_after.is_some());
    // The local server counts by socket peer, not by a header the client writes.
    let spoofed = app
        .client
        .post(app.url("/api/authorize/auth"))
        .header("X-Forwarded-For", "203.0.113.9")
        .json(&json!({"credentials": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}}))
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 429);
}

#[tokio::test]
async fn behind_a_trusted_gateway_the_forwarded_address_counts() {
    let app = spawn_app_with(|c| {
        c.login.max_account_failures = 100;
        c.login.max_address_failures = 2;
        c.login.trust_forwarded_for = true;
    })
    .await;
    let from = |addr: &'static str, password: &'static str| {
        app.client
            .post(app.url("/api/authorize/auth"))
            // A client-written entry first, the gateway's own last.
            .header("X-Forwarded-For", format!("198.51.100.1, {addr}"))
            .json(&json!({"credentials": {"email": ADMIN_EMAIL, "password": password}}))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(
            from("203.0.113.7", "guess-guess-1").await.unwrap().status(),
            401
        );
    }
    assert_eq!(
        from("203.0.113.7", ADMIN_PASSWORD).await.unwrap().status(),
        429
    );
    assert_eq!(
        from("203.0.113.8", ADMIN_PASSWORD).await.unwrap().status(),
        200
    );
}

/// Sends the start of a request on a raw connection and stops; returns what the server sent
/// before it closed the connection.
async fn stall(app: &TestApp, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    // Far above the server's 1 s read timeout: only a server that never cuts the client fails.
    let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server held a stalled connection open for 20 s"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408() {
    let app = spawn_app_with(|c| c.read_timeout = Duration::from_secs(1)).await;
    let token = app.admin_token().await;
    // A JSON body: 10 of the 100 bytes promised.
    let head = format!(
        "POST /api/companies/ HTTP/1.1\r\nHost: x\r\nX-Forensic-Access-Token: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": \""
    );
    let answer = stall(&app, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error_code": 3"#), "{answer}");
    // A multipart upload cut in the middle of its file.
    let boundary = "cutcutcut";
    let part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\r\n\u{ff}"
    );
    let head = format!(
        "POST /api/folders/ HTTP/1.1\r\nHost: x\r\nX-Forensic-Access-Token: {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 100000\r\n\r\n{part}"
    );
    let answer = stall(&app, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Nothing half-made was kept, and the server still serves.
    let (s, folders) = app.json(Method::GET, "/api/folders/", &token, None).await;
    assert_eq!(
        (s, folders["total_count"].clone()),
        (StatusCode::OK, json!(0))
    );
    let (s, companies) = app.json(Method::GET, "/api/companies/", &token, None).await;
    assert_eq!(s, StatusCode::OK, "{companies}");
    assert!(
        !companies.to_string().contains("\"name\": \"\""),
        "{companies}"
    );
}

#[tokio::test]
async fn headers_that_never_finish_are_cut() {
    let app = spawn_app_with(|c| c.read_timeout = Duration::from_secs(1)).await;
    let answer = stall(&app, b"GET /api/version HTTP/1.1\r\nHost: x\r\nX-Slow: ").await;
    // hyper closes without a response (or with a 408 status line); never a 200.
    assert!(!answer.contains("200 OK"), "{answer}");
    // A slow client does not hold up others.
    let r = app
        .client
        .get(app.url("/api/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
