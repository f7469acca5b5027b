//! Every sample event in `events/` (API Gateway HTTP API v2 payloads, the same files
//! `sam local invoke -e` takes) runs through its function's router in-process, exactly as the
//! Lambda runtime hands it over.

mod common;

use std::sync::Arc;

use http_body_util::BodyExt;
use serde_json::Value;
use shared::api::{Function, router};
use tower::ServiceExt;

async fn invoke(app: &Arc<shared::App>, f: Function, event: &str, token: &str) -> (u16, Value) {
    let event = event.replace("REPLACE_WITH_ACCESS_TOKEN", token);
    let req =
        lambda_http::request::from_str(&event).expect("event parses as an API Gateway request");
    let res = router(app.clone(), &[f]).oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn function_of(file: &str) -> Function {
    match file.split('-').next() {
        Some("auth") => Function::Auth,
        Some("admin") => Function::Admin,
        Some("folders") => Function::Folders,
        other => panic!("event {file} names no function ({other:?})"),
    }
}

#[tokio::test]
async fn every_event_runs_through_its_handler() {
    let dir = tempfile::tempdir().unwrap();
    let app = shared::App::local(
        common::config(dir.path().to_path_buf()),
        "https://api.example.com".into(),
    )
    .await
    .unwrap();
    let events_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let login = std::fs::read_to_string(events_dir.join("auth-login.json")).unwrap();
    let (status, pair) = invoke(&app, Function::Auth, &login, "").await;
    assert_eq!(status, 200, "{pair}");
    let token = pair["access_token"].as_str().unwrap().to_string();

    let mut names: Vec<String> = std::fs::read_dir(&events_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "events: {names:?}");
    for name in &names {
        let event = std::fs::read_to_string(events_dir.join(name)).unwrap();
        let f = function_of(name);
        let (status, body) = invoke(&app, f, &event, &token).await;
        assert!((200..300).contains(&status), "{name}: {status} {body}");
        // A function serves only its own routes: the others answer with the Oz 404 body.
        for other in Function::ALL.into_iter().filter(|o| *o != f) {
            let (status, body) = invoke(&app, other, &event, &token).await;
            assert_eq!(
                (status, body["error_code"].as_i64()),
                (404, Some(10)),
                "{name} on {other:?}"
            );
        }
    }

    // The multipart event stored its photo with the sniffed type.
    let list = std::fs::read_to_string(events_dir.join("folders-list.json")).unwrap();
    let (_, folders) = invoke(&app, Function::Folders, &list, &token).await;
    assert_eq!(
        folders["items"][0]["media"][0]["technical_meta_data"]["format"],
        "png"
    );
    assert_eq!(folders["items"][0]["meta_data"]["source"], "sam-event");
}
