//! A webhook receiver for tests: real HTTP on a free loopback port, scripted statuses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;

/// What the receiver got: the `X-Signature` header and the body.
pub type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A status in a receiver's script: take the request and never answer it.
pub const HANG: u16 = 0;

/// A webhook receiver on a free loopback port answering the statuses of `script` in turn (the
/// last one forever after; [`HANG`] holds the request open). Returns its URL and what it received.
pub async fn receiver(script: Vec<u16>) -> (String, Received) {
    let got: Received = Arc::default();
    let calls = Arc::new(Mutex::new(0usize));
    let state = (got.clone(), calls);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: HeaderMap, body: axum::body::Bytes| async move {
                let (got, calls) = &state;
                let sig = headers
                    .get("x-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                got.lock().unwrap().push((sig, body.to_vec()));
                let status = {
                    let mut n = calls.lock().unwrap();
                    let status = script[(*n).min(script.len() - 1)];
                    *n += 1;
                    status
                };
                if status == HANG {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                axum::http::StatusCode::from_u16(status).unwrap()
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

/// Waits until the receiver holds `n` requests (or 90 s pass).
pub async fn received(got: &Received, n: usize) -> Vec<(String, Vec<u8>)> {
    for _ in 0..900 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got.lock().unwrap().clone()
}
