//! How decisions are reached and changed: the single request (`POST /api/folders/` with
//! `payload.analyses`), per-company thresholds with the OPERATOR_REQUIRED band, the operator's
//! decision, and `meta_data` on analyses.

use std::time::Duration;

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Multipart files for a selfie and an ID photo of the same person.
fn selfie_and_id() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let hanks = fixture("Tom_Hanks_54745.png");
    vec![
        ("selfie", "selfie.png", hanks.clone()),
        ("id", "id.jpg", id_photo_of(&hanks)),
    ]
}

fn single_request_payload() -> Value {
    json!({
        "media:tags": {"selfie": ["photo_selfie"], "id": ["photo_id_front"]},
        "analyses": [{"type": "quality"}, {"type": "biometry"}],
    })
}

#[tokio::test]
async fn single_request_answers_with_results() {
    let app = spawn_app().await;
    app.start_workers();
    let (_, _, client, _) = app.acme_client_folder().await;
    let (s, f) = app
        .upload(
            "/api/folders/",
            &client,
            selfie_and_id(),
            Some(single_request_payload()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    assert_eq!(f["media"].as_array().unwrap().len(), 2, "{f}");
    let analyses = f["analyses"].as_array().unwrap();
    assert_eq!(analyses.len(), 2, "{f}");
    for a in analyses {
        assert_eq!(a["state"], "FINISHED", "{a}");
        assert_eq!(a["resolution_status"], "SUCCESS", "{a}");
    }
    assert_eq!(
        (
            f["resolution_status"].as_str(),
            f["system_resolution"].as_str()
        ),
        (Some("FINISHED"), Some("SUCCESS"))
    );
    let quality = analyses.iter().find(|a| a["type"] == "QUALITY").unwrap();
    assert!(
        quality["results_media"][0]["results_data"]["confidence_spoofing"]
            .as_f64()
            .is_some()
    );
}

#[tokio::test]
async fn single_request_past_its_wait_answers_202_to_poll() {
    // No worker yet, and no waiting: the answer comes at once, with the folder to poll.
    let app = spawn_app_with(|c| c.single_request_wait = Duration::ZERO).await;
    let (_, _, client, _) = app.acme_client_folder().await;
    let (s, f) = app
        .upload(
            "/api/folders/",
            &client,
            selfie_and_id(),
            Some(single_request_payload()),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{f}");
    assert_eq!(f["resolution_status"], "PROCESSING");
    let analyses = f["analyses"].as_array().unwrap().clone();
    assert!(analyses.iter().all(|a| a["state"] == "PROCESSING"), "{f}");
    app.start_workers();
    for a in &analyses {
        let done = wait(&app, &client, a["analyse_id"].as_str().unwrap()).await;
        assert_eq!(done["resolution_status"], "SUCCESS", "{done}");
    }

    // A refused single request leaves no folder behind.
    let before = app.folder_ids(&client).await;
    let mut bad = single_request_payload();
    bad["analyses"] = json!([{"type": "documents"}]);
    let got = app
        .upload("/api/folders/", &client, selfie_and_id(), Some(bad))
        .await;
    assert_error(&got, 501, 2);
    assert_eq!(app.folder_ids(&client).await, before);
}

#[tokio::test]
async fn company_thresholds_and_the_operator_decision() {
    let app = spawn_app().await;
    app.start_workers();
    let (admin, company, client, _) = app.acme_client_folder().await;
    let (_, boss) = app
        .user(&admin, &company, "CLIENT ADMIN", "boss@acme.com")
        .await;
    let (_, operator) = app
        .user(&admin, &company, "CLIENT OPERATOR", "op@acme.com")
        .await;
    let path = format!("/api/companies/{company}");

    // Who may set thresholds, and which values are refused.
    let band = json!({"analysis_thresholds": {"biometry": 0.85, "operator_band": 0.0}});
    assert_error(
        &app.json(Method::PATCH, &path, &client, Some(band.clone()))
            .await,
        403,
        9,
    );
    assert_error(
        &app.json(
            Method::PATCH,
            &path,
            &boss,
            Some(json!({"name": "Renamed"})),
        )
        .await,
        403,
        9,
    );
    for bad in [
        json!({"analysis_thresholds": {"liveness": 0}}),
        json!({"analysis_thresholds": {"biometry": 1.5}}),
        json!({"analysis_thresholds": {"operator_band": 0.9}}),
        json!({"analysis_thresholds": {"colour": 1}}),
    ] {
        let got = app.json(Method::PATCH, &path, &boss, Some(bad)).await;
        assert_eq!(got.0, StatusCode::BAD_REQUEST, "{}", got.1);
    }
    let (s, c) = app.json(Method::PATCH, &path, &boss, Some(band)).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["analysis_thresholds"]["operator_band"], 0.0);

    // Two different people: below 0.85 but inside the band → an operator decides.
    let f = folder(
        &app,
        &client,
        vec![
            (
                "a",
                "a.png",
                fixture("Tom_Hanks_54745.png"),
                &["photo_selfie"],
            ),
            ("b", "b.png", fixture("astronaut.png"), &["photo_id_front"]),
        ],
    )
    .await;
    let fid = f["folder_id"].as_str().unwrap();
    let started = start(&app, &client, fid, &["biometry"]).await;
    let a = finished(&app, &client, &started, "BIOMETRY").await;
    assert_eq!(a["resolution_status"], "OPERATOR_REQUIRED", "{a}");
    assert_eq!(a["engine"]["thresholds"]["operator_band"], 0.0);
    // The folder rolls up just after the analysis is written.
    let mut folder_json = Value::Null;
    for _ in 0..100 {
        folder_json = app
            .json(Method::GET, &format!("/api/folders/{fid}"), &client, None)
            .await
            .1;
        if folder_json["system_resolution"] != "PROCESSING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(folder_json["system_resolution"], "OPERATOR_REQUIRED");

    let id = a["analyse_id"].as_str().unwrap();
    let apath = format!("/api/analyses/{id}");
    let decline = json!({"resolution_status": "DECLINED"});
    // Clients and ADMIN cannot change results; another company's operator cannot see it.
    for token in [&client, &boss, &admin] {
        assert_error(
            &app.json(Method::PATCH, &apath, token, Some(decline.clone()))
                .await,
            403,
            9,
        );
    }
    let other = app.create_company(&admin, "Other").await;
    let (_, stranger) = app
        .user(&admin, &other, "CLIENT OPERATOR", "op@other.com")
        .await;
    assert_error(
        &app.json(Method::PATCH, &apath, &stranger, Some(decline.clone()))
            .await,
        404,
        10,
    );
    assert_error(
        &app.json(
            Method::PATCH,
            &apath,
            &operator,
            Some(json!({"resolution_status": "PROCESSING"})),
        )
        .await,
        400,
        4,
    );
    let (s, decided) = app
        .json(Method::PATCH, &apath, &operator, Some(decline.clone()))
        .await;
    assert_eq!(s, StatusCode::OK, "{decided}");
    assert_eq!(decided["resolution_status"], "DECLINED");
    let record = &decided["technical_meta_data"]["operator_decision"];
    assert_eq!(record["from"], "OPERATOR_REQUIRED");
    assert_eq!(record["to"], "DECLINED");
    assert_eq!(record["role"], "CLIENT OPERATOR");
    assert!(record["user_id"].is_string() && record["time"].is_number());
    // Decided once: a second decision is refused, the first stands.
    assert_error(
        &app.json(
            Method::PATCH,
            &apath,
            &operator,
            Some(json!({"resolution_status": "SUCCESS"})),
        )
        .await,
        400,
        4,
    );
    let (_, folder_json) = app
        .json(Method::GET, &format!("/api/folders/{fid}"), &client, None)
        .await;
    assert_eq!(folder_json["system_resolution"], "DECLINED");
}

#[tokio::test]
async fn analysis_meta_data_is_a_sub_resource() {
    let app = spawn_app().await;
    let (_, _, client, f) = app.acme_client_folder().await;
    let fid = f["folder_id"].as_str().unwrap();
    let started = start(&app, &client, fid, &["quality"]).await;
    let id = started[0]["analyse_id"].as_str().unwrap();
    let path = format!("/api/analyses/{id}/meta_data/");
    let (s, md) = app.json(Method::GET, &path, &client, None).await;
    assert_eq!((s, md), (StatusCode::OK, json!({})));
    // While it runs, the worker owns it.
    assert_error(
        &app.json(Method::PATCH, &path, &client, Some(json!({"case": 1})))
            .await,
        400,
        4,
    );
    app.start_workers();
    wait(&app, &client, id).await;
    let (s, md) = app
        .json(Method::POST, &path, &client, Some(json!({"case": 1})))
        .await;
    assert_eq!((s, md), (StatusCode::CREATED, json!({"case": 1})));
    let (_, md) = app
        .json(Method::PATCH, &path, &client, Some(json!({"note": "ok"})))
        .await;
    assert_eq!(md, json!({"case": 1, "note": "ok"}));
    let (_, a) = app
        .json(Method::GET, &format!("/api/analyses/{id}"), &client, None)
        .await;
    assert_eq!(a["meta_data"], json!({"case": 1, "note": "ok"}));
    assert_eq!(a["state"], "FINISHED", "the result is untouched");
    let (s, _) = app.json(Method::DELETE, &path, &client, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, md) = app.json(Method::GET, &path, &client, None).await;
    assert_eq!(md, json!({}));
}
