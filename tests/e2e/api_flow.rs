//! The documented flows over real HTTP: login/refresh/logout, companies, users, folders with
//! media, media tags and files, metadata sub-resources, list filters, and a restart that keeps
//! everything.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn login_refresh_logout() {
    let app = spawn_app().await;
    let r = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let pair: Value = r.json().await.unwrap();
    assert_eq!(pair["user"]["user_type"], "ADMIN");
    assert!(pair["user"].get("password_hash").is_none() && pair["user"].get("password").is_none());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let exp = pair["expire_date"].as_i64().unwrap();
    assert!(
        (now + 800..=now + 1000).contains(&exp),
        "ordinary sessions last 15 min: {exp} vs {now}"
    );
    let old = pair["access_token"].as_str().unwrap();

    // Refresh: a new pair; the old one works until the new one is used, then stops.
    let (s, new) = read(
        app.req(Method::POST, "/api/authorize/refresh/", old)
            .json(&json!({"expire_token": pair["expire_token"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{new}");
    let new_token = new["access_token"].as_str().unwrap();
    assert_ne!(new_token, old);
    assert_eq!(
        app.json(Method::GET, "/api/companies/", old, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.json(Method::GET, "/api/companies/", new_token, None)
            .await
            .0,
        StatusCode::OK
    );
    assert_error(
        &app.json(Method::GET, "/api/companies/", old, None).await,
        401,
        7,
    );

    // Logout closes the session.
    let (s, _) = app
        .json(Method::DELETE, "/api/authorize/auth", new_token, None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &app.json(Method::GET, "/api/companies/", new_token, None)
            .await,
        401,
        7,
    );
    assert_error(
        &app.login(ADMIN_EMAIL, "wrong-password")
            .await
            .pipe_read()
            .await,
        401,
        15,
    );
}

trait PipeRead {
    async fn pipe_read(self) -> (StatusCode, Value);
}

impl PipeRead for reqwest::Response {
    async fn pipe_read(self) -> (StatusCode, Value) {
        read(self).await
    }
}

#[tokio::test]
async fn companies_and_users_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let c = app.create_company(&admin, "Acme Bank").await;
    app.create_company(&admin, "Other Corp").await;
    let (s, list) = app
        .json(
            Method::GET,
            "/api/companies/?search_text=acme",
            &admin,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["items"][0]["company_id"], c.as_str());
    let (s, patched) = app
        .json(
            Method::PATCH,
            &format!("/api/companies/{c}"),
            &admin,
            Some(json!({"name": "Acme"})),
        )
        .await;
    assert_eq!(
        (s, patched["name"].as_str()),
        (StatusCode::OK, Some("Acme"))
    );

    // Users: the spaced and underscore role spellings, and the pre-6.0 flags.
    let body = json!({"email": "Ops@Acme.com", "password": PASSWORD, "user_type": "CLIENT_ADMIN", "company_id": c,
                      "first_name": "Ann", "can_start_analysis_biometry": false});
    let (s, u) = app
        .json(Method::POST, "/api/users/", &admin, Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert_eq!(u["user_type"], "CLIENT ADMIN");
    assert_eq!(u["email"], "ops@acme.com");
    assert_eq!(u["can_start_analysis_biometry"], false);
    assert!(u.get("password").is_none() && u.get("password_hash").is_none());
    let body = json!({"email": "svc@acme.com", "password": PASSWORD, "user_type": "CLIENT", "is_service": true, "company_id": c});
    let (_, svc) = app
        .json(Method::POST, "/api/users/", &admin, Some(body))
        .await;
    assert_eq!(svc["user_type"], "CLIENT SERVICE");
    let dup = json!({"email": "ops@acme.com", "password": PASSWORD, "company_id": c});
    assert_error(
        &app.json(Method::POST, "/api/users/", &admin, Some(dup))
            .await,
        400,
        13,
    );

    let uid = u["user_id"].as_str().unwrap();
    let (s, list) = app
        .json(
            Method::GET,
            &format!("/api/users/?company_id={c}"),
            &admin,
            None,
        )
        .await;
    assert_eq!((s, list["total_count"].as_u64()), (StatusCode::OK, Some(2)));
    let (s, got) = app
        .json(Method::GET, &format!("/api/users/{uid}"), &admin, None)
        .await;
    assert_eq!(
        (s, got["first_name"].as_str()),
        (StatusCode::OK, Some("Ann"))
    );

    // Password change by PATCH: old sessions close, the new password logs in.
    let ops = app.token("ops@acme.com", PASSWORD).await;
    let (s, _) = app
        .json(
            Method::PATCH,
            &format!("/api/users/{uid}"),
            &admin,
            Some(json!({"password": "new-password-9"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_error(
        &app.json(Method::GET, "/api/companies/", &ops, None).await,
        401,
        7,
    );
    app.token("ops@acme.com", "new-password-9").await;

    // A company with users cannot be deleted; once they are gone it can.
    assert_error(
        &app.json(Method::DELETE, &format!("/api/companies/{c}"), &admin, None)
            .await,
        400,
        4,
    );
    for id in [uid, svc["user_id"].as_str().unwrap()] {
        assert_eq!(
            app.json(Method::DELETE, &format!("/api/users/{id}"), &admin, None)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
    }
    assert_error(
        &app.login("ops@acme.com", "new-password-9")
            .await
            .pipe_read()
            .await,
        401,
        15,
    );
    assert_eq!(
        app.json(Method::DELETE, &format!("/api/companies/{c}"), &admin, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &app.json(Method::GET, &format!("/api/companies/{c}"), &admin, None)
            .await,
        404,
        10,
    );
}

#[tokio::test]
async fn folders_media_files_and_metadata() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let c = app.create_company(&admin, "Acme").await;
    let (_, client) = app.user(&admin, &c, "CLIENT", "client@acme.com").await;

    // Create a folder with a photo and a video in one request.
    let payload = json!({
        "media:tags": {"selfie": ["video_selfie", "video_selfie_blank", "orientation_portrait"], "id": ["photo_id_front"]},
        "media:meta_data": {"id": {"side": "front"}},
        "folder:meta_data": {"application": "A-1"},
    });
    let files = vec![
        ("selfie", "selfie.mp4", mp4()),
        ("id", "passport.png", png(80, 60)),
    ];
    let (s, folder) = app
        .upload("/api/folders/", &client, files, Some(payload))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{folder}");
    assert_eq!(folder["resolution_status"], "INITIAL");
    assert_eq!(folder["system_resolution"], "INITIAL");
    assert_eq!(folder["company_id"], c.as_str());
    let fid = folder["folder_id"].as_str().unwrap().to_string();
    let media = folder["media"].as_array().unwrap();
    assert_eq!(media.len(), 2);
    let video = media
        .iter()
        .find(|m| m["media_type"] == "VIDEO_FOLDER")
        .unwrap();
    assert_eq!(
        video["technical_meta_data"]["codec"]
            .as_str()
            .map(|s| s.starts_with("avc1")),
        Some(true)
    );
    assert_eq!(video["technical_meta_data"]["frame_count"], 10);
    assert_eq!(
        video["tags"],
        json!(["video_selfie", "video_selfie_blank", "orientation_portrait"])
    );
    let photo = media
        .iter()
        .find(|m| m["media_type"] == "IMAGE_FOLDER")
        .unwrap();
    assert_eq!(photo["technical_meta_data"]["width"], 80);
    assert_eq!(photo["technical_meta_data"]["format"], "png");
    assert_eq!(photo["meta_data"], json!({"side": "front"}));
    assert_eq!(photo["original_name"], "passport.png");
    let sha = photo["technical_meta_data"]["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);

    // Add media to the folder.
    let (s, added) = app
        .upload(
            &format!("/api/folders/{fid}/media/"),
            &client,
            vec![("x", "more.jpg", jpeg(40, 40))],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{added}");
    let mid = added[0]["media_id"].as_str().unwrap().to_string();

    // Get, patch tags.
    let (s, m) = app
        .json(Method::GET, &format!("/api/media/{mid}"), &client, None)
        .await;
    assert_eq!(
        (s, m["folder_id"].as_str()),
        (StatusCode::OK, Some(fid.as_str()))
    );
    let (s, m) = app
        .json(
            Method::PATCH,
            &format!("/api/media/{mid}"),
            &client,
            Some(json!({"tags": ["photo_selfie"]})),
        )
        .await;
    assert_eq!(
        (s, m["tags"].clone()),
        (StatusCode::OK, json!(["photo_selfie"]))
    );

    // File download: a redirect to a signed URL, which serves the exact bytes without a token.
    let r = app
        .req(
            Method::GET,
            &format!("/api/media/{}/file", photo["media_id"].as_str().unwrap()),
            &client,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let file = app.client.get(&location).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    let bytes = file.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), png(80, 60).as_slice());

    // Metadata sub-resources: read, merge, replace, clear.
    let md = format!("/api/folders/{fid}/meta_data");
    assert_eq!(
        app.json(Method::GET, &md, &client, None).await.1,
        json!({"application": "A-1"})
    );
    let (s, v) = app
        .json(
            Method::PATCH,
            &md,
            &client,
            Some(json!({"score": 3, "application": null})),
        )
        .await;
    assert_eq!((s, v), (StatusCode::OK, json!({"score": 3})));
    let (s, v) = app
        .json(Method::POST, &md, &client, Some(json!({"k": "v"})))
        .await;
    assert_eq!((s, v), (StatusCode::CREATED, json!({"k": "v"})));
    let (s, v) = app
        .json(
            Method::PATCH,
            &format!("/api/media/{mid}/meta_data"),
            &client,
            Some(json!({"q": 1})),
        )
        .await;
    assert_eq!((s, v), (StatusCode::OK, json!({"q": 1})));
    let (s, v) = app.json(Method::GET, "/api/users/", &client, None).await;
    let me = v["items"][0]["user_id"].as_str().unwrap().to_string();
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .json(
            Method::POST,
            &format!("/api/users/{me}/meta_data"),
            &client,
            Some(json!({"lang": "en"})),
        )
        .await;
    assert_eq!((s, v), (StatusCode::CREATED, json!({"lang": "en"})));
    assert_eq!(
        app.json(Method::DELETE, &md, &client, None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.json(Method::GET, &md, &client, None).await.1, json!({}));

    // Listing with filters.
    let second = app.folder_with_photo(&client).await;
    let (_, all) = app.json(Method::GET, "/api/folders/", &client, None).await;
    assert_eq!(all["total_count"], 2);
    assert_eq!(
        all["items"][0]["folder_id"], second["folder_id"],
        "newest first by default"
    );
    assert!(all["items"][0].get("media").is_none());
    let (_, asc) = app
        .json(
            Method::GET,
            "/api/folders/?sorting=time_created&limit=1&with_media=true",
            &client,
            None,
        )
        .await;
    assert_eq!(
        (
            asc["total_count"].as_u64(),
            asc["items"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    assert_eq!(asc["items"][0]["folder_id"], fid.as_str());
    assert_eq!(asc["items"][0]["media"].as_array().unwrap().len(), 3);
    let (_, by_meta) = app
        .json(
            Method::GET,
            "/api/folders/?meta_data=case==t",
            &client,
            None,
        )
        .await;
    assert_eq!(
        (
            by_meta["total_count"].as_u64(),
            &by_meta["items"][0]["folder_id"]
        ),
        (Some(1), &second["folder_id"])
    );
    let t = second["time_created"].as_f64().unwrap();
    let (_, by_time) = app
        .json(
            Method::GET,
            &format!("/api/folders/?time_created.min={t}"),
            &client,
            None,
        )
        .await;
    assert_eq!(by_time["total_count"], 1);
    let (_, by_time) = app
        .json(
            Method::GET,
            &format!("/api/folders/?time_created.max={}", t - 0.000_01),
            &client,
            None,
        )
        .await;
    assert_eq!(by_time["total_count"], 1);
    let (_, by_status) = app
        .json(
            Method::GET,
            "/api/folders/?resolution_status=FINISHED",
            &client,
            None,
        )
        .await;
    assert_eq!(by_status["total_count"], 0);
    let (_, with) = app
        .json(
            Method::GET,
            &format!("/api/folders/{fid}?with_analyses=true"),
            &client,
            None,
        )
        .await;
    assert_eq!(
        (with["media"].as_array().map(Vec::len), &with["analyses"]),
        (Some(3), &json!([]))
    );

    // Delete (CLIENT ADMIN): folder, media and files are gone.
    let (_, cadmin) = app
        .user(&admin, &c, "CLIENT ADMIN", "cadmin@acme.com")
        .await;
    assert_eq!(
        app.json(
            Method::DELETE,
            &format!("/api/folders/{fid}"),
            &cadmin,
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &app.json(Method::GET, &format!("/api/folders/{fid}"), &client, None)
            .await,
        404,
        10,
    );
    assert_error(
        &app.json(Method::GET, &format!("/api/media/{mid}"), &client, None)
            .await,
        404,
        10,
    );
    assert_eq!(
        app.client.get(&location).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert!(!app.blob_exists(&format!("{c}/{fid}/{mid}")).await);
}

#[tokio::test]
async fn data_survives_a_restart() {
    let app = spawn_app().await;
    let (_, _, client, folder) = app.acme_client_folder().await;
    let fid = folder["folder_id"].as_str().unwrap().to_string();
    let (data_dir, guard) = app.stop().await;

    let app = spawn_with(config(data_dir)).await;
    // Same JWT key and sessions: the old token still works, and so does the password.
    let (s, got) = app
        .json(Method::GET, &format!("/api/folders/{fid}"), &client, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(
        got["media"][0]["technical_meta_data"],
        folder["media"][0]["technical_meta_data"]
    );
    let token = app.token("client@acme.com", PASSWORD).await;
    let r = app
        .req(
            Method::GET,
            &format!(
                "/api/media/{}/file",
                got["media"][0]["media_id"].as_str().unwrap()
            ),
            &token,
        )
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        app.client
            .get(location)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        jpeg(64, 48).as_slice()
    );
    // The bootstrap ADMIN is not created twice.
    let (_, users) = app
        .json(Method::GET, "/api/users/", &app.admin_token().await, None)
        .await;
    assert_eq!(users["total_count"], 2);
    drop(guard);
}

/// Sends `bytes` to a presigned upload ticket with a plain HTTP client (no token), as a browser
/// or mobile client would; returns the status.
async fn put_to_ticket(http: &reqwest::Client, ticket: &Value, bytes: Vec<u8>) -> StatusCode {
    assert_eq!(ticket["method"], "PUT");
    let mut req = http.put(ticket["url"].as_str().unwrap()).body(bytes);
    for (k, v) in ticket["headers"].as_object().unwrap() {
        if k != "content-length" && k != "host" {
            req = req.header(k, v.as_str().unwrap());
        }
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn direct_upload_by_presigned_put() {
    let app = spawn_app().await;
    let (admin, c, client, folder) = app.acme_client_folder().await;
    let fid = folder["folder_id"].as_str().unwrap();
    let (photo, video, liar) = (jpeg(80, 60), mp4(), png(20, 20));
    let files = json!({"files": [
        {"name": "id.jpg", "content_type": "image/jpeg", "size": photo.len(),
         "tags": ["photo_id_front"], "meta_data": {"side": "front"}},
        {"name": "selfie.mp4", "content_type": "video/mp4", "size": video.len(),
         "tags": ["video_selfie_blank"]},
        {"name": "fake.jpg", "content_type": "image/jpeg", "size": liar.len()},
        {"name": "never.jpg", "content_type": "image/jpeg", "size": 10},
    ]});
    let uploads = format!("/api/folders/{fid}/media/uploads/");
    let (s, tickets) = app.json(Method::POST, &uploads, &client, Some(files)).await;
    assert_eq!(s, StatusCode::CREATED, "{tickets}");
    assert_eq!(tickets.as_array().unwrap().len(), 4);
    assert!(
        tickets
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "PENDING")
    );

    let http = reqwest::Client::new();
    for (ticket, bytes) in tickets.as_array().unwrap().iter().zip([photo, video, liar]) {
        assert!(put_to_ticket(&http, ticket, bytes).await.is_success());
    }

    // Reading the folder completes whatever the object store has (the S3 event does it on AWS).
    let (s, got) = app
        .json(Method::GET, &format!("/api/folders/{fid}"), &client, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{got}");
    let media = got["media"].as_array().unwrap();
    assert_eq!(media.len(), 3, "{got}");
    let id = media
        .iter()
        .find(|m| m["original_name"] == "id.jpg")
        .unwrap();
    assert_eq!(id["tags"], json!(["photo_id_front"]));
    assert_eq!(id["meta_data"]["side"], "front");
    assert_eq!(id["media_id"], tickets[0]["media_id"]);
    let video = media
        .iter()
        .find(|m| m["original_name"] == "selfie.mp4")
        .unwrap();
    assert_eq!(video["media_type"], "VIDEO_FOLDER");

    // The file downloads like any media.
    let r = app
        .req(
            Method::GET,
            &format!("/api/media/{}/file", id["media_id"].as_str().unwrap()),
            &client,
        )
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let bytes = app
        .client
        .get(&location)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), jpeg(80, 60).as_slice());

    // What is left: the PNG that claimed to be a JPEG (refused, object deleted) and the file
    // that never came.
    let (s, left) = app.json(Method::GET, &uploads, &client, None).await;
    assert_eq!(s, StatusCode::OK);
    let left = left.as_array().unwrap();
    assert_eq!(left.len(), 2, "{left:?}");
    let liar = left
        .iter()
        .find(|u| u["original_name"] == "fake.jpg")
        .unwrap();
    assert_eq!(liar["state"], "REJECTED");
    assert!(
        liar["reason"].as_str().unwrap().contains("image/png"),
        "{liar}"
    );
    let key = format!("{c}/{fid}/{}", liar["media_id"].as_str().unwrap());
    assert!(!app.blob_exists(&key).await, "refused bytes are deleted");
    let never = left
        .iter()
        .find(|u| u["original_name"] == "never.jpg")
        .unwrap();
    assert_eq!(never["state"], "PENDING");

    // Another company's user sees neither the folder's uploads nor can make any.
    let other = app.create_company(&admin, "Other").await;
    let (_, stranger) = app
        .user(&admin, &other, "CLIENT ADMIN", "x@other.com")
        .await;
    assert_error(
        &app.json(Method::GET, &uploads, &stranger, None).await,
        404,
        10,
    );
    let one = json!({"files": [{"name": "a.jpg", "content_type": "image/jpeg", "size": 10}]});
    assert_error(
        &app.json(Method::POST, &uploads, &stranger, Some(one)).await,
        404,
        10,
    );
}
