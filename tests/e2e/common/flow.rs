//! The Oz client flow as test steps: folder creation, starting analyses and polling them until
//! they end.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::TestApp;

/// Creates a folder from `(form key, file name, bytes, tags)` and returns its JSON.
pub async fn folder(
    app: &TestApp,
    token: &str,
    files: Vec<(&str, &str, Vec<u8>, &[&str])>,
) -> Value {
    let tags: serde_json::Map<String, Value> = files
        .iter()
        .map(|(k, _, _, t)| (k.to_string(), json!(t)))
        .collect();
    let parts = files.into_iter().map(|(k, n, b, _)| (k, n, b)).collect();
    let (s, b) = app
        .upload(
            "/api/folders/",
            token,
            parts,
            Some(json!({"media:tags": tags})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

/// Starts `types` on the folder and returns the analyses (PROCESSING).
pub async fn start(app: &TestApp, token: &str, fid: &str, types: &[&str]) -> Vec<Value> {
    let body = json!({"analyses": types.iter().map(|t| json!({"type": t})).collect::<Vec<_>>()});
    start_request(app, token, fid, body).await
}

/// Sends `body` to `POST /api/folders/{fid}/analyses/` and returns the analyses (PROCESSING).
pub async fn start_request(app: &TestApp, token: &str, fid: &str, body: Value) -> Vec<Value> {
    let (s, b) = app
        .json(
            Method::POST,
            &format!("/api/folders/{fid}/analyses/"),
            token,
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let list = b.as_array().unwrap().clone();
    assert!(list.iter().all(|a| a["state"] == "PROCESSING"), "{b}");
    list
}

/// Polls an analysis until it is no longer PROCESSING.
pub async fn wait(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let (s, a) = app
            .json(Method::GET, &format!("/api/analyses/{id}"), token, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        if a["state"] != "PROCESSING" {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("analysis {id} still PROCESSING after 60 s");
}

/// Waits for the analysis of type `t` among `started` (the only one when `t` is empty).
pub async fn finished(app: &TestApp, token: &str, started: &[Value], t: &str) -> Value {
    let a = started
        .iter()
        .find(|a| t.is_empty() || a["type"] == t)
        .unwrap();
    wait(app, token, a["analyse_id"].as_str().unwrap()).await
}

/// Starts one analysis of type `t` on `folder` (its JSON) and waits for it to end.
pub async fn run_one(app: &TestApp, token: &str, folder: &Value, t: &str) -> Value {
    let fid = folder["folder_id"].as_str().unwrap();
    let started = start(app, token, fid, &[t]).await;
    finished(app, token, &started, "").await
}
