//! Every sample event in `events/` (the same files `sam local invoke -e` takes) runs through its
//! function's handler in-process, exactly as the Lambda runtime hands it over: API Gateway HTTP
//! API v2 payloads through the function's router, the S3 notification through the `uploads`
//! handler.

use crate::common;

use std::sync::Arc;

use aws_lambda_events::s3::S3Event;
use aws_lambda_events::sqs::SqsEvent;
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

/// The HTTP function an event file is for; `None` for the `uploads` (S3), `worker`,
/// `deadletters` and `webhooks` (SQS) functions, which are exercised below.
fn function_of(file: &str) -> Option<Function> {
    match file.split('-').next() {
        Some("auth") => Some(Function::Auth),
        Some("admin") => Some(Function::Admin),
        Some("folders") => Some(Function::Folders),
        Some("collections") => Some(Function::Collections),
        Some("instant") => Some(Function::Instant),
        Some("lite") => Some(Function::Lite),
        Some("uploads" | "worker" | "deadletters" | "webhooks") => None,
        other => panic!("event {file} names no function ({other:?})"),
    }
}

/// Sends a JSON request through the `folders` router.
async fn folders_json(
    app: &Arc<shared::App>,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let req = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("X-Forensic-Access-Token", token)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let res = router(app.clone(), &[Function::Folders])
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_event_runs_through_its_handler() {
    let dir = tempfile::tempdir().unwrap();
    let app = common::build_app(
        common::config(dir.path().to_path_buf()),
        "https://api.example.com".into(),
        None,
    )
    .await;
    // The instant and lite functions load the engine at init.
    app.analyzer.set(common::engine());
    let uploads = Arc::new(shared::events::UploadEvents::new(app.clone()));
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
        let Some(f) = function_of(name) else {
            if name.starts_with("uploads") {
                // No pending upload has this key: the handler ignores it and succeeds.
                let s3: S3Event = serde_json::from_str(&event).expect("S3 event parses");
                shared::events::s3::handle(&uploads, s3).await.unwrap();
            }
            continue;
        };
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

    // The lite function serves API Lite alone, keyed, with no App behind it.
    let mut config = common::config(dir.path().join("lite"));
    config.lite_api_key = Some(shared::config::SecretString::new("event-key"));
    let slot = shared::app::AnalyzerSlot::new();
    slot.set(common::engine());
    let lite = shared::api::lite::router(Arc::new(shared::api::lite::Lite::new(&config, slot)));
    for name in names.iter().filter(|n| n.starts_with("lite-")) {
        let event = std::fs::read_to_string(events_dir.join(name)).unwrap();
        for (key, want) in [("event-key", 200), ("wrong-key", 401)] {
            let e = event.replace("REPLACE_WITH_API_KEY", key);
            let req = lambda_http::request::from_str(&e).expect("lite event parses");
            let res = lite.clone().oneshot(req).await.unwrap();
            // Health stays open for probes; everything else needs the key.
            let want = if name.contains("health") { 200 } else { want };
            assert_eq!(res.status().as_u16(), want, "{name} with {key}");
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

    // The S3 event completes a real direct upload: ask for a URL, put the bytes where it
    // points, deliver the sample event with that object's key.
    let fid = folders["items"][0]["folder_id"].as_str().unwrap();
    let png = common::png(32, 24);
    let (status, tickets) = folders_json(
        &app,
        "POST",
        &format!("/api/folders/{fid}/media/uploads/"),
        &token,
        serde_json::json!({"files": [{"key": "id.png", "content_type": "image/png",
            "size": png.len(), "tags": ["photo_id_front"]}]}),
    )
    .await;
    assert_eq!(status, 201, "{tickets}");
    let mid = tickets[0]["media_id"].as_str().unwrap();
    let company = folders["items"][0]["company_id"].as_str().unwrap();
    let key = format!("{company}/{fid}/{mid}");
    app.blobs.put(&key, png.into(), "image/png").await.unwrap();
    let template = std::fs::read_to_string(events_dir.join("uploads-object-created.json")).unwrap();
    let mut s3: S3Event = serde_json::from_str(&template).unwrap();
    s3.records[0].s3.object.key = Some(key.clone());
    shared::events::s3::handle(&uploads, s3).await.unwrap();
    let media = shared::app::repo::get_media(&*app.store, mid.parse().unwrap())
        .await
        .expect("the event made the media");
    assert_eq!(media.tags, ["photo_id_front"]);
    assert_eq!(shared::app::repo::media_object(&media), key);

    // The SQS event runs a real analysis job through the worker's batch handler: the sample's
    // job names no analysis (done, nothing to retry); with a real job's body the analysis ends.
    let sqs_sample = std::fs::read_to_string(events_dir.join("worker-analysis-job.json")).unwrap();
    let analyzer: Arc<dyn shared::ports::Analyzer> = Arc::new(face_analyzer::EngineAnalyzer::new(
        face_engine::Engine::from_env().expect("face models"),
    ));
    let jobs_consumer = Arc::new(shared::events::AnalysisJobs::new(app.clone(), analyzer));
    let sqs: SqsEvent = serde_json::from_str(&sqs_sample).expect("SQS event parses");
    let res = shared::events::sqs::handle(&jobs_consumer, sqs).await;
    assert!(res.batch_item_failures.is_empty());
    let (status, started) = folders_json(
        &app,
        "POST",
        &format!("/api/folders/{fid}/analyses/"),
        &token,
        serde_json::json!({"analyses": [{"type": "biometry"}]}),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let jobs = app
        .analysis_queue
        .receive(10, std::time::Duration::from_secs(2))
        .await
        .unwrap();
    let mut sqs: SqsEvent = serde_json::from_str(&sqs_sample).unwrap();
    sqs.records[0].body = Some(jobs[0].body.clone());
    sqs.records[0].receipt_handle = Some(jobs[0].receipt.clone());
    let res = shared::events::sqs::handle(&jobs_consumer, sqs).await;
    assert!(res.batch_item_failures.is_empty());
    let id = started[0]["analyse_id"].as_str().unwrap().parse().unwrap();
    let done = shared::app::repo::get_analysis(&*app.store, id)
        .await
        .unwrap();
    assert_ne!(
        done.state,
        shared::domain::analysis::AnalysisState::Processing
    );
}

/// The `webhooks` function's SQS batches: the sample names no delivery (nothing to do); a real
/// delivery answered 500 is reported as a batch failure with its retry delay set, and the
/// redelivery succeeds.
#[tokio::test]
async fn webhook_events_retry_through_batch_failures() {
    let app =
        common::spawn_app_with(|c| c.webhooks.retry_base = std::time::Duration::from_secs(1)).await;
    let events_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let sample = std::fs::read_to_string(events_dir.join("webhooks-delivery.json")).unwrap();
    let sqs: SqsEvent = serde_json::from_str(&sample).expect("SQS event parses");
    let webhooks = Arc::new(shared::events::WebhookDeliveries::new(app.app.clone()));
    let res = shared::events::sqs::handle(&webhooks, sqs).await;
    assert!(res.batch_item_failures.is_empty());

    let (hook, got) = common::receiver(vec![500, 200]).await;
    let (_, _, client, f) = app.acme_client_folder().await;
    let fid = f["folder_id"].as_str().unwrap();
    let (status, _) = app
        .json(
            reqwest::Method::POST,
            &format!("/api/folders/{fid}/analyses/"),
            &client,
            Some(
                serde_json::json!({"analyses": [{"type": "quality"}], "resolution_endpoint": hook}),
            ),
        )
        .await;
    assert_eq!(status, 201);
    let analyzer: Arc<dyn shared::ports::Analyzer> = Arc::new(face_analyzer::EngineAnalyzer::new(
        face_engine::Engine::from_env().expect("face models"),
    ));
    let job = app
        .app
        .analysis_queue
        .receive(1, std::time::Duration::from_secs(2))
        .await
        .unwrap();
    let jobs_consumer = Arc::new(shared::events::AnalysisJobs::new(app.app.clone(), analyzer));
    shared::events::drive::deliver(&jobs_consumer, job[0].clone().into()).await;

    let mut attempts = 0;
    for _ in 0..50 {
        let batch = app
            .app
            .webhook_queue
            .receive(10, std::time::Duration::from_secs(1))
            .await
            .unwrap();
        let Some(m) = batch.into_iter().next() else {
            continue;
        };
        attempts += 1;
        let mut sqs: SqsEvent = serde_json::from_str(&sample).unwrap();
        let r = &mut sqs.records[0];
        r.body = Some(m.body.clone());
        r.receipt_handle = Some(m.receipt.clone());
        r.attributes.insert(
            "ApproximateReceiveCount".into(),
            m.receive_count.to_string(),
        );
        let res = shared::events::sqs::handle(&webhooks, sqs).await;
        if attempts == 1 {
            assert_eq!(res.batch_item_failures.len(), 1, "the 500 is reported");
        } else {
            assert!(res.batch_item_failures.is_empty(), "the retry is delivered");
            app.app.webhook_queue.delete(&m.receipt).await.unwrap();
            break;
        }
    }
    assert_eq!(attempts, 2);
    assert_eq!(got.lock().unwrap().len(), 2);
}
