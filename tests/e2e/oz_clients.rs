//! Public Oz clients, replayed request by request as they send them (headers, content types,
//! paths and bodies), asserting only what those clients read: a mobile SDK that sends JSON as
//! form-urlencoded and polls `resolution`, a shell login check that greps the answer, a backend
//! that refreshes and lists folders, a React Native client with untagged media and biometry
//! thresholds, a web backend that reads `[0].analyse_id`, an Instant request with `media_key`
//! parts, and a client that enrols persons as Oz's collection guide shows. Both storage modes.

use std::time::Duration;

use crate::common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";

/// The raw answer: status and body text, for clients that read the text, not the JSON.
async fn text(r: reqwest::RequestBuilder) -> (StatusCode, String) {
    let r = r.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A JSON body sent with the form content type, as the iOS SDK and `curl -d` send it.
fn form_json(app: &TestApp, method: Method, path: &str, body: &Value) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("content-type", FORM)
        .body(body.to_string())
}

/// Polls `GET path` with a `Content-Type` and no body (as the SDKs do) until `field` leaves
/// PROCESSING; answers the last document.
async fn poll(app: &TestApp, token: &str, path: &str, field: &str) -> Value {
    for _ in 0..600 {
        let (s, body) = text(
            app.client
                .get(app.url(path))
                .header("X-Forensic-Access-Token", token)
                .header("content-type", FORM),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let v = parse(&body);
        // The iOS SDK reads a dict, or the last element of an array.
        let doc = match &v {
            Value::Array(list) => list.last().cloned().unwrap_or(Value::Null),
            _ => v,
        };
        if doc[field] != "PROCESSING" {
            return doc;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path}: {field} still PROCESSING after 60 s");
}

/// A CLIENT of a new company: `(admin token, company id, client token)`.
async fn acme_client(app: &TestApp) -> (String, String, String) {
    let admin = app.admin_token().await;
    let c = app.create_company(&admin, "Acme").await;
    let (_, client) = app.user(&admin, &c, "CLIENT", "client@acme.com").await;
    (admin, c, client)
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The analysis keys every client reads, with the spellings beside them agreeing.
#[track_caller]
fn assert_oz_analysis(a: &Value) {
    assert!(a["analyse_id"].is_string(), "analyse_id: {a}");
    assert_eq!(a["analyse_id"], a["analysis_id"], "{a}");
    assert!(a["resolution"].is_string(), "resolution: {a}");
    assert_eq!(a["resolution"], a["resolution_status"], "{a}");
}

/// The iOS SDK (2019/2020 request layer): login with form-urlencoded JSON through a host
/// configured with a trailing slash (`//api/...`), upload, start analyses on the slashless path,
/// take the last element of the answer, poll `resolution` with a Content-Type on every GET.
#[tokio::test]
async fn mobile_sdk_uploads_analyses_and_polls_resolution() {
    let app = spawn_app().await;
    app.start_workers();
    let (_, _, _) = acme_client(&app).await;
    let login = json!({"credentials": {"email": "client@acme.com", "password": PASSWORD}});
    let (s, body) = text(form_json(
        &app,
        Method::POST,
        "//api/authorize/auth",
        &login,
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let token = parse(&body)["access_token"].as_str().unwrap().to_string();

    let hanks = fixture("Tom_Hanks_54745.png");
    let form = Form::new()
        .part("photo1", Part::bytes(hanks).file_name("photo1.png"))
        .text(
            "payload",
            json!({"media:tags": {"photo1": ["photo_selfie"]}}).to_string(),
        );
    let (s, body) = text(
        app.client
            .post(app.url("//api/folders"))
            .header("X-Forensic-Access-Token", &token)
            .multipart(form),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let fid = parse(&body)["folder_id"].as_str().unwrap().to_string();

    let (s, body) = text(
        form_json(
            &app,
            Method::POST,
            &format!("//api/folders/{fid}/analyses"),
            &json!({"analyses": [{"type": "quality"}]}),
        )
        .header("X-Forensic-Access-Token", &token),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let started = parse(&body);
    let last = started.as_array().unwrap().last().unwrap();
    assert_oz_analysis(last);
    assert_eq!(last["resolution"], "PROCESSING");
    let id = last["analyse_id"].as_str().unwrap();

    let done = poll(&app, &token, &format!("//api/analyses/{id}"), "resolution").await;
    assert_oz_analysis(&done);
    assert_eq!(done["resolution"], "SUCCESS", "{done}");
    // The folder view lists the same analysis under the same names.
    let folder = poll(
        &app,
        &token,
        &format!("/api/folders/{fid}/?with_analyses=true"),
        "resolution_status",
    )
    .await;
    let listed = &folder["analyses"][0];
    assert_oz_analysis(listed);
    assert_eq!(listed["analyse_id"], id);
    // The folder's analyses list answers an array; the SDK takes its last element.
    let last = poll(
        &app,
        &token,
        &format!("/api/folders/{fid}/analyses?analyse_id={id}"),
        "resolution",
    )
    .await;
    assert_eq!(last["analyse_id"], id);
}

/// An on-prem login check in shell: `curl -d` (form content type), the answer grepped for
/// `"access_token": "`, an error answer recognised by its first token, and the health check.
#[tokio::test]
async fn shell_login_check_greps_the_answer() {
    let app = spawn_app().await;
    let (s, body) = text(app.client.get(app.url("/api/version"))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(parse(&body)["core"].is_string(), "{body}");

    let login = json!({"credentials": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}});
    let (s, body) = text(form_json(
        &app,
        Method::POST,
        "/api/authorize/auth/",
        &login,
    ))
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains(r#""access_token": ""#), "{body}");
    assert!(body.contains(r#""expire_token": ""#), "{body}");
    assert!(!body.contains('\n'), "one line: {body}");

    let wrong = json!({"credentials": {"email": ADMIN_EMAIL, "password": "nope-nope-1"}});
    let (s, body) = text(form_json(&app, Method::POST, "/api/authorize/auth", &wrong)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        body.starts_with(r#"{"error_code": 15, "error_message": "#),
        "{body}"
    );
    assert!(body.ends_with(r#", "error_details": null}"#), "{body}");
    // Errors of every kind share the body: an unknown path, a missing token.
    for (path, code) in [
        ("/api/nowhere", r#"{"error_code": 10,"#),
        ("/api/folders/", r#"{"error_code": 6,"#),
    ] {
        let (_, body) = text(app.client.get(app.url(path))).await;
        assert!(body.starts_with(code), "{path}: {body}");
    }
}

/// A Node.js backend: logs in, refreshes on the slashless path (`expire_date` in seconds), lists
/// the folders of one case by `meta_data` and a `Date.now()` lower bound, with user and company,
/// and pages the Lamb way.
#[tokio::test]
async fn backend_refreshes_and_lists_folders_by_meta_data_and_ms_time() {
    let app = spawn_app().await;
    let (_, company, client) = acme_client(&app).await;
    let (s, pair) = app
        .json(
            Method::POST,
            "/api/authorize/refresh",
            &client,
            Some(json!({"expire_token": "not-the-token"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{pair}");
    let login = app.login("client@acme.com", PASSWORD).await;
    let pair: Value = login.json().await.unwrap();
    let (s, fresh) = read(
        app.req(
            Method::POST,
            "/api/authorize/refresh",
            pair["access_token"].as_str().unwrap(),
        )
        .json(&json!({"expire_token": pair["expire_token"]}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{fresh}");
    let exp = fresh["expire_date"].as_f64().unwrap();
    assert!(
        (now_secs() + 800.0..now_secs() + 1000.0).contains(&exp),
        "expire_date is Unix seconds: {exp}"
    );
    let token = fresh["access_token"].as_str().unwrap().to_string();

    let since_ms = ((now_secs() - 60.0) * 1000.0) as u64;
    for case in ["c-1", "c-2", "c-1"] {
        let (s, b) = app
            .upload(
                "/api/folders/",
                &token,
                vec![],
                Some(json!({"folder:meta_data": {"case": case}})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let path = format!(
        "/api/folders/?meta_data=case==c-1&time_created.min={since_ms}&with_user=true&with_company=true"
    );
    let (s, page) = app.json(Method::GET, &path, &token, None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(
        (page["offset"].as_u64(), page["limit"].as_u64()),
        (Some(0), Some(100))
    );
    assert_eq!(page["total_count"], 2, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for f in items {
        assert_eq!(f["meta_data"]["case"], "c-1");
        assert_eq!(f["user"]["email"], "client@acme.com", "{f}");
        assert_eq!(f["company"]["company_id"], company.as_str(), "{f}");
    }
    // Milliseconds in the future find nothing, as seconds would.
    let later_ms = ((now_secs() + 3600.0) * 1000.0) as u64;
    let (_, none) = app
        .json(
            Method::GET,
            &format!("/api/folders/?time_created.min={later_ms}"),
            &token,
            None,
        )
        .await;
    assert_eq!(none["total_count"], 0, "{none}");
    // limit=-1 is all (up to our maximum, which the answer states); total_omit drops the count.
    let (s, all) = app
        .json(
            Method::GET,
            "/api/folders/?limit=-1&total_omit=true&offset=1",
            &token,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(
        (all["limit"].as_u64(), all["offset"].as_u64()),
        (Some(5000), Some(1))
    );
    assert!(all.get("total_count").is_none(), "{all}");
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let (s, big) = app
        .json(Method::GET, "/api/folders/?limit=5000", &token, None)
        .await;
    assert_eq!((s, big["limit"].as_u64()), (StatusCode::OK, Some(5000)));
    assert_error(
        &app.json(Method::GET, "/api/folders/?limit=5001", &token, None)
            .await,
        400,
        4,
    );
}

/// A React Native client: an empty folder first, then media added without tags beside a skipped
/// capture (a form key with no value that its payload still tags), then biometry with its own
/// thresholds and per-analysis `meta_data`.
#[tokio::test]
async fn mobile_client_adds_untagged_media_and_runs_biometry_with_thresholds() {
    let app = spawn_app().await;
    app.start_workers();
    let (_, _, client) = acme_client(&app).await;
    let (s, folder) = app
        .upload("/api/folders/", &client, vec![], Some(json!({})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{folder}");
    assert_eq!(folder["media"], json!([]));
    let fid = folder["folder_id"].as_str().unwrap();

    let hanks = fixture("Tom_Hanks_54745.png");
    let form = Form::new()
        .part("photo1", Part::bytes(hanks.clone()).file_name("a.png"))
        .part(
            "photo2",
            Part::bytes(another_photo_of(&hanks)).file_name("b.jpg"),
        )
        .text("video1", "")
        .text(
            "payload",
            json!({"media:tags": {"video1": ["video_selfie", "video_selfie_blank"], "photo9": []},
                   "media:meta_data": {"video1": {"skipped": true}}})
            .to_string(),
        );
    let (s, added) = read(
        app.req(Method::POST, &format!("/api/folders/{fid}/media/"), &client)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{added}");
    let added = added.as_array().unwrap();
    assert_eq!(added.len(), 2, "the skipped capture is no media: {added:?}");
    assert!(
        added
            .iter()
            .all(|m| m["tags"] == json!([]) && m["media_type"] == "IMAGE_FOLDER")
    );

    // The score of two photos of one face lies strictly inside (0, 1): three bands, three answers.
    let body = json!({"analyses": [
        {"type": "biometry", "params": {"threshold_min": 0.0, "threshold_max": 1.0},
         "meta_data": {"step": "band"}},
        {"type": "biometry", "params": {"threshold_min": 1.0, "threshold_max": 1.0}},
        {"type": "biometry", "params": {"threshold_max": 0.0}},
    ]});
    let started = start_request(&app, &client, fid, body).await;
    assert_eq!(started[0]["meta_data"], json!({"step": "band"}));
    let mut got = Vec::new();
    for a in &started {
        let done = wait(&app, &client, a["analyse_id"].as_str().unwrap()).await;
        assert_oz_analysis(&done);
        let min = done["results_data"]["min_confidence"].as_f64().unwrap();
        assert!(min > 0.0 && min < 1.0, "{done}");
        got.push(done["resolution"].as_str().unwrap().to_string());
    }
    assert_eq!(got, ["OPERATOR_REQUIRED", "DECLINED", "SUCCESS"]);
    let refused = app
        .json(
            Method::POST,
            &format!("/api/folders/{fid}/analyses"),
            &client,
            Some(json!({"analyses": [{"type": "biometry", "params": {"threshold_min": 0.9, "threshold_max": 0.5}}]})),
        )
        .await;
    assert_error(&refused, 400, 4);
}

/// A web backend around the Oz Web SDK: adds the captured photo to a folder (a part with no
/// file name and a generic content type), starts `liveness` (the older name of `quality`),
/// reads `[0].analyse_id` and waits for `resolution == "SUCCESS"`.
#[tokio::test]
async fn web_backend_adds_media_and_reads_the_first_analyse_id() {
    let app = spawn_app().await;
    app.start_workers();
    let (_, _, client) = acme_client(&app).await;
    let (_, folder) = app
        .upload("/api/folders/", &client, vec![], Some(json!({})))
        .await;
    let fid = folder["folder_id"].as_str().unwrap();
    let part = Part::bytes(fixture("Tom_Hanks_54745.png"))
        .mime_str("application/octet-stream")
        .unwrap();
    let form = Form::new().part("selfie", part).text(
        "payload",
        json!({"media:tags": {"selfie": ["photo_selfie"]}}).to_string(),
    );
    let (s, media) = read(
        app.req(Method::POST, &format!("/api/folders/{fid}/media"), &client)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{media}");
    assert_eq!(media[0]["media_type"], "IMAGE_FOLDER", "sniffed: {media}");
    let started = start_request(
        &app,
        &client,
        fid,
        json!({"analyses": [{"type": "liveness"}]}),
    )
    .await;
    assert_eq!(started[0]["type"], "QUALITY");
    let id = started[0]["analyse_id"].as_str().unwrap();
    let done = wait(&app, &client, id).await;
    assert_eq!(done["resolution"], "SUCCESS", "{done}");
}

/// The opening of Oz's "Instant" Postman collection: three photos under `media_key1..3` and the
/// analyses in the payload, answered in the same response.
#[tokio::test]
async fn instant_request_with_media_keys() {
    let app = spawn_app().await;
    app.load_engine();
    let (_, _, client) = acme_client(&app).await;
    let hanks = fixture("Tom_Hanks_54745.png");
    let mut form = Form::new().text(
        "payload",
        json!({
            "media:tags": {
                "media_key1": ["photo_selfie"],
                "media_key2": ["photo_id", "photo_id_front"],
                "media_key3": ["photo_id", "photo_id_back"],
            },
            "analyses": [{"type": "quality"}, {"type": "biometry"}],
        })
        .to_string(),
    );
    let photos = [hanks.clone(), id_photo_of(&hanks), jpeg(320, 200)];
    for (i, p) in photos.into_iter().enumerate() {
        form = form.part(
            format!("media_key{}", i + 1),
            Part::bytes(p).file_name("p.jpg"),
        );
    }
    let (s, f) = read(
        app.req(Method::POST, "/api/instant/folders/", &client)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(f["media"].as_array().unwrap().len(), 3);
    let analyses = f["analyses"].as_array().unwrap();
    assert_eq!(analyses.len(), 2);
    for a in analyses {
        assert_oz_analysis(a);
        assert_eq!(a["resolution"], "SUCCESS", "{a}");
    }
}

/// Oz's collection guide: a person enrolled with `media:tags` per image and `person:meta_data`;
/// a CLIENT finds the blacklist by alias and runs a collection analysis naming its media inside
/// `params`, whose document names the collection.
#[tokio::test]
async fn collection_flow_as_the_oz_guide_shows_it() {
    let app = spawn_app().await;
    app.start_workers();
    app.load_engine();
    let (admin, company, client) = acme_client(&app).await;
    let (_, boss) = app
        .user(&admin, &company, "CLIENT ADMIN", "boss@acme.com")
        .await;
    let (s, c) = app
        .json(
            Method::POST,
            "/api/collections/",
            &boss,
            Some(json!({"alias": "blacklist"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["collection_id"].as_str().unwrap().to_string();
    let hanks = fixture("Tom_Hanks_54745.png");
    let form = Form::new()
        .part("image1", Part::bytes(hanks.clone()).file_name("image1.png"))
        .text(
            "payload",
            json!({"media:tags": {"image1": ["photo_selfie", "orientation_portrait"]},
                   "person:meta_data": {"reason": "fraud"}})
            .to_string(),
        );
    let (s, person) = read(
        app.req(
            Method::POST,
            &format!("/api/collections/{cid}/persons/"),
            &boss,
        )
        .multipart(form)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{person}");
    assert_eq!(person["meta_data"]["reason"], "fraud");
    assert_eq!(
        person["images"][0]["tags"],
        json!(["photo_selfie", "orientation_portrait"])
    );

    // The client looks the blacklist up by alias, then searches its selfie in it.
    let (s, found) = app
        .json(
            Method::GET,
            "/api/collections/?alias=BlackList",
            &client,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!(found["total_count"], 1);
    assert_eq!(found["items"][0]["collection_id"], cid.as_str());
    let f = app
        .upload(
            "/api/folders/",
            &client,
            vec![
                ("selfie", "s.png", another_photo_of(&hanks)),
                ("other", "o.jpg", jpeg(64, 48)),
            ],
            Some(json!({"media:tags": {"selfie": ["photo_selfie"]}})),
        )
        .await
        .1;
    let fid = f["folder_id"].as_str().unwrap();
    let selfie = f["media"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["original_name"] == "s.png")
        .unwrap()["media_id"]
        .clone();
    let started = start_request(
        &app,
        &client,
        fid,
        json!({"analyses": [{"type": "collection",
                             "params": {"collection_id": cid, "source_media": [selfie]}}]}),
    )
    .await;
    let a = &started[0];
    assert_eq!(
        a["collection"],
        json!({"collection_id": cid, "alias": "blacklist"})
    );
    assert_eq!(a["source_media"], json!([selfie]));
    let done = wait(&app, &client, a["analyse_id"].as_str().unwrap()).await;
    assert_oz_analysis(&done);
    assert_eq!(
        done["resolution"], "DECLINED",
        "the selfie is on the blacklist: {done}"
    );
    assert_eq!(
        done["results_media"].as_array().unwrap().len(),
        1,
        "only the named media"
    );
}

/// The Lamb codes a client branches on: a taken email (13), a deactivated user (211), a body
/// over the bound (14, with HTTP 413: **ours**, Oz answers 400).
#[tokio::test]
async fn lamb_error_codes() {
    let app = spawn_app_with(|c| c.limits.max_json_bytes = 4096).await;
    let (admin, company, _) = acme_client(&app).await;
    let dup = json!({"email": "client@acme.com", "password": PASSWORD, "user_type": "CLIENT",
                     "company_id": company});
    assert_error(
        &app.json(Method::POST, "/api/users/", &admin, Some(dup))
            .await,
        400,
        13,
    );
    let (uid, _) = app.user(&admin, &company, "CLIENT", "gone@acme.com").await;
    let (s, b) = app
        .json(
            Method::PATCH,
            &format!("/api/users/{uid}"),
            &admin,
            Some(json!({"is_active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_error(
        &read(app.login("gone@acme.com", PASSWORD).await).await,
        403,
        211,
    );
    let big = json!({"credentials": {"email": "x".repeat(5000), "password": "p"}});
    assert_error(
        &read(
            form_json(&app, Method::POST, "/api/authorize/auth", &big)
                .send()
                .await
                .unwrap(),
        )
        .await,
        413,
        14,
    );
}
