//! The documented Oz client flow over real HTTP, with the real face engine: upload, start
//! `quality` and `biometry`, poll `GET /api/analyses/{id}` until it leaves PROCESSING, read the
//! results; plus the rules around it (eligibility, no face, too few media, idempotent workers).

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use shared::events::{AnalysisJobs, Outcome, drive};

#[tokio::test]
async fn genuine_selfie_and_its_id_photo_pass_both() {
    let app = spawn_app().await;
    app.start_workers();
    let (_, _, client, _) = app.acme_client_folder().await;
    let hanks = fixture("Tom_Hanks_54745.png");
    let f = folder(
        &app,
        &client,
        vec![
            ("selfie", "selfie.png", hanks.clone(), &["photo_selfie"]),
            ("id", "id.jpg", id_photo_of(&hanks), &["photo_id_front"]),
        ],
    )
    .await;
    let fid = f["folder_id"].as_str().unwrap();
    let started = start(&app, &client, fid, &["quality", "biometry"]).await;

    let quality = finished(&app, &client, &started, "QUALITY").await;
    assert_eq!(quality["resolution_status"], "SUCCESS", "{quality}");
    let results = quality["results_media"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the selfie is eligible: {quality}");
    let r = &results[0];
    assert_eq!(
        r["source_media_id"],
        f["media"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["original_name"] == "selfie.png")
            .unwrap()["media_id"]
    );
    let spoof = r["results_data"]["confidence_spoofing"].as_f64().unwrap();
    assert!((0.0..0.5).contains(&spoof), "{spoof}");
    assert!(
        quality["engine"]["models"]["models"]
            .as_array()
            .is_some_and(|m| m.len() >= 5),
        "{}",
        quality["engine"]
    );
    // The best shot downloads as a JPEG.
    let url = r["output_images"][0]["original_url"].as_str().unwrap();
    let shot = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(shot.starts_with(&[0xFF, 0xD8, 0xFF]), "best shot is a JPEG");

    let biometry = finished(&app, &client, &started, "BIOMETRY").await;
    assert_eq!(biometry["resolution_status"], "SUCCESS", "{biometry}");
    let min = biometry["results_data"]["min_confidence"].as_f64().unwrap();
    assert!(min >= 0.85, "{min}");
    assert_eq!(
        biometry["results_data"]["pairs"].as_array().unwrap().len(),
        1
    );

    // The folder rolled up; its analyses list with filters.
    let (_, got) = app
        .json(
            Method::GET,
            &format!("/api/folders/{fid}?with_analyses=true"),
            &client,
            None,
        )
        .await;
    assert_eq!(
        (
            got["resolution_status"].as_str(),
            got["system_resolution"].as_str()
        ),
        (Some("FINISHED"), Some("SUCCESS")),
        "{got}"
    );
    assert_eq!(got["analyses"].as_array().unwrap().len(), 2);
    let (_, only) = app
        .json(
            Method::GET,
            &format!("/api/folders/{fid}/analyses/?type=biometry"),
            &client,
            None,
        )
        .await;
    assert_eq!(only.as_array().unwrap().len(), 1);
    let (_, none) = app
        .json(
            Method::GET,
            &format!("/api/folders/{fid}/analyses/?state.exclude=FINISHED"),
            &client,
            None,
        )
        .await;
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn different_people_no_face_and_too_few_media() {
    let app = spawn_app().await;
    app.start_workers();
    let (_, _, client, _) = app.acme_client_folder().await;

    // Two different people: biometry DECLINED.
    let two = folder(
        &app,
        &client,
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
    )
    .await;
    let fid = two["folder_id"].as_str().unwrap();
    let started = start(&app, &client, fid, &["biometry"]).await;
    let b = finished(&app, &client, &started, "").await;
    assert_eq!(b["resolution_status"], "DECLINED", "{b}");
    assert!(
        b["results_data"]["max_confidence"].as_f64().unwrap() < 0.5,
        "{b}"
    );
    let (_, f) = app
        .json(Method::GET, &format!("/api/folders/{fid}"), &client, None)
        .await;
    assert_eq!(f["system_resolution"], "DECLINED");

    // A selfie without a face: the media is declined with the reason; biometry has only one
    // eligible media with... none: FAILED with a clear message.
    let blank = folder(
        &app,
        &client,
        vec![("s", "blank.jpg", jpeg(320, 240), &["photo_selfie"])],
    )
    .await;
    let fid = blank["folder_id"].as_str().unwrap();
    let started = start(&app, &client, fid, &["quality", "biometry"]).await;
    let q = finished(&app, &client, &started, "QUALITY").await;
    assert_eq!(q["resolution_status"], "DECLINED", "{q}");
    let reason = q["results_media"][0]["error_message"].as_str().unwrap();
    assert!(reason.contains("no face"), "{reason}");
    let b = finished(&app, &client, &started, "BIOMETRY").await;
    assert_eq!(
        (b["state"].as_str(), b["resolution_status"].as_str()),
        (Some("FAILED"), Some("FAILED")),
        "{b}"
    );
    assert!(
        b["error_message"].as_str().unwrap().contains("at least 2"),
        "{b}"
    );
    let (_, f) = app
        .json(Method::GET, &format!("/api/folders/{fid}"), &client, None)
        .await;
    assert_eq!(
        (
            f["resolution_status"].as_str(),
            f["system_resolution"].as_str()
        ),
        (Some("FAILED"), Some("FAILED"))
    );

    // No selfie at all: quality has nothing to refuse.
    let id_only = folder(
        &app,
        &client,
        vec![(
            "d",
            "id.png",
            fixture("Tom_Hanks_54745.png"),
            &["photo_id_front"],
        )],
    )
    .await;
    let q = run_one(&app, &client, &id_only, "quality").await;
    assert_eq!(q["resolution_status"], "SUCCESS", "{q}");
    assert_eq!(q["results_media"], json!([]));
}

#[tokio::test]
async fn presentation_attacks_are_declined() {
    let (Some(replay_photo), Some(replay_video), Some(live_video)) = (
        shared_data("pad/attacks/miniai-monitor-replay.jpg"),
        shared_data("video/selfie-turns-replay-attack.mp4"),
        shared_data("video/selfie-turns-live.mp4"),
    ) else {
        return;
    };
    let app = spawn_app().await;
    app.start_workers();
    let (_, _, client, _) = app.acme_client_folder().await;
    let f = folder(
        &app,
        &client,
        vec![
            ("p", "replay.jpg", replay_photo, &["photo_selfie"]),
            (
                "v",
                "replay.mp4",
                replay_video,
                &["video_selfie", "video_selfie_blank"],
            ),
            (
                "l",
                "live.mp4",
                live_video,
                &["video_selfie", "video_selfie_blank"],
            ),
        ],
    )
    .await;
    let q = run_one(&app, &client, &f, "quality").await;
    assert_eq!(q["resolution_status"], "DECLINED", "{q}");
    let name_of = |id: &Value| {
        f["media"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| &m["media_id"] == id)
            .unwrap()["original_name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for r in q["results_media"].as_array().unwrap() {
        let name = name_of(&r["source_media_id"]);
        let want = if name == "live.mp4" {
            "SUCCESS"
        } else {
            "DECLINED"
        };
        assert_eq!(
            r["resolution_status"], want,
            "{name}: {}",
            r["results_data"]["confidence_spoofing"]
        );
    }
}

#[tokio::test]
async fn start_requests_are_validated_and_jobs_are_idempotent() {
    let app = spawn_app().await;
    let (admin, c, client, f) = app.acme_client_folder().await;
    let fid = f["folder_id"].as_str().unwrap();
    let path = format!("/api/folders/{fid}/analyses/");
    for (body, status, code) in [
        (json!({"analyses": [{"type": "documents"}]}), 501, 2),
        (json!({"analyses": [{"type": "collection"}]}), 400, 3),
        (json!({"analyses": [{"type": "palmistry"}]}), 400, 4),
        (json!({"analyses": []}), 400, 4),
        (
            json!({"analyses": [{"type": "quality", "source_media": ["7f2c1b5e-0000-4000-8000-000000000000"]}]}),
            400,
            4,
        ),
        (
            json!({"analyses": [{"type": "quality", "colour": 1}]}),
            400,
            3,
        ),
        (json!({"analysis": []}), 400, 3),
    ] {
        let got = app
            .json(Method::POST, &path, &client, Some(body.clone()))
            .await;
        assert_eq!(
            (got.0.as_u16(), got.1["error_code"].as_i64()),
            (status, Some(code)),
            "{body}: {}",
            got.1
        );
    }
    let (_, none) = app.json(Method::GET, &path, &client, None).await;
    assert_eq!(none, json!([]), "refused requests start nothing");

    // Other tenants cannot start or read analyses; operators cannot start them.
    let other = app.create_company(&admin, "Other").await;
    let (_, stranger) = app
        .user(&admin, &other, "CLIENT ADMIN", "x@other.com")
        .await;
    let body = json!({"analyses": [{"type": "quality"}]});
    assert_error(
        &app.json(Method::POST, &path, &stranger, Some(body.clone()))
            .await,
        404,
        10,
    );
    let (_, operator) = app.user(&admin, &c, "CLIENT OPERATOR", "op@acme.com").await;
    assert_error(
        &app.json(Method::POST, &path, &operator, Some(body.clone()))
            .await,
        403,
        9,
    );

    // No worker runs here: run the job by hand, twice, as a redelivered message would.
    let started = start(&app, &client, fid, &["quality"]).await;
    let id = started[0]["analyse_id"].as_str().unwrap();
    assert_error(
        &app.json(Method::GET, &format!("/api/analyses/{id}"), &stranger, None)
            .await,
        404,
        10,
    );
    let jobs = app
        .app
        .analysis_queue
        .receive(10, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].attributes.get("type").map(String::as_str),
        Some("quality")
    );
    let analyzer = shared_analyzer();
    let job: shared::app::analyses::AnalysisJob = serde_json::from_str(&jobs[0].body).unwrap();
    use shared::app::analyses::RunOutcome;
    assert!(matches!(
        app.app.run_analysis(&*analyzer, &job).await.unwrap(),
        RunOutcome::Finished { .. }
    ));
    let first = wait(&app, &client, id).await;
    assert_eq!(
        app.app.run_analysis(&*analyzer, &job).await.unwrap(),
        RunOutcome::AlreadyDone
    );
    let jobs_consumer = Arc::new(AnalysisJobs::new(app.app.clone(), analyzer));
    let outcome = drive::deliver(&jobs_consumer, jobs[0].clone().into()).await;
    assert_eq!(outcome, Outcome::Done);
    let again = wait(&app, &client, id).await;
    assert_eq!(first, again, "a redelivery writes nothing");
    let mut poison: shared::events::Message = jobs[0].clone().into();
    poison.body = "{not json".into();
    let garbage = drive::deliver(&jobs_consumer, poison).await;
    assert_eq!(garbage, Outcome::Done, "poison messages are dropped");
}

fn shared_analyzer() -> std::sync::Arc<dyn shared::ports::Analyzer> {
    std::sync::Arc::new(face_analyzer::EngineAnalyzer::new(
        face_engine::Engine::from_env().expect("face models"),
    ))
}

#[tokio::test]
async fn a_dead_lettered_job_fails_its_analysis() {
    let app = spawn_app().await;
    let (_, _, client, f) = app.acme_client_folder().await;
    let started = start(
        &app,
        &client,
        f["folder_id"].as_str().unwrap(),
        &["quality"],
    )
    .await;
    // Take the job off the queue (as a worker that keeps crashing would) and dead-letter it.
    let jobs = app
        .app
        .analysis_queue
        .receive(10, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    app.app
        .analysis_dead_letters
        .send(&jobs[0].body, &[], Duration::ZERO)
        .await
        .unwrap();
    app.start_workers();
    let a = finished(&app, &client, &started, "").await;
    assert_eq!(
        (a["state"].as_str(), a["resolution_status"].as_str()),
        (Some("FAILED"), Some("FAILED")),
        "{a}"
    );
    assert!(
        a["error_message"]
            .as_str()
            .unwrap()
            .contains("every attempt"),
        "{a}"
    );
    let (_, folder) = app
        .json(
            Method::GET,
            &format!("/api/folders/{}", f["folder_id"].as_str().unwrap()),
            &client,
            None,
        )
        .await;
    assert_eq!(folder["system_resolution"], "FAILED");
}
