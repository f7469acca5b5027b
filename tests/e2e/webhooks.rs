//! Result webhooks on the wire: a real HTTP receiver on loopback gets the folder once every
//! analysis of a request has ended, signed with the company's secret; a 500 is retried, a
//! receiver that keeps failing ends in the dead-letter queue, and a duplicated job never sends
//! a second webhook.

use std::time::Duration;

use crate::common::*;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

/// Checks `t=<unix>,v1=<hex>` against HMAC-SHA256(secret, "t.body"), written here from the
/// documented scheme rather than with the server's code.
fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let Some((t, v1)) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| (t - chrono_now()).abs() < 300);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    fresh
        && mac
            .verify_slice(&hex::decode(v1).unwrap_or_default())
            .is_ok()
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A server whose webhook retries come after 1 s.
async fn fast_retry_app() -> TestApp {
    spawn_app_with(|c| {
        c.webhooks.retry_base = Duration::from_secs(1);
        c.webhooks.retry_max = Duration::from_secs(1);
    })
    .await
}

async fn start_with_hook(
    app: &TestApp,
    token: &str,
    fid: &str,
    types: &[&str],
    hook: &str,
) -> Vec<Value> {
    let body = json!({
        "analyses": types.iter().map(|t| json!({"type": t})).collect::<Vec<_>>(),
        "resolution_endpoint": hook,
    });
    start_request(app, token, fid, body).await
}

/// Polls the analysis until its webhook is in state `want` (or 60 s pass); returns the state.
async fn webhook_state(app: &TestApp, token: &str, id: &str, want: &str) -> Value {
    let mut state = Value::Null;
    for _ in 0..600 {
        let (_, a) = app
            .json(Method::GET, &format!("/api/analyses/{id}"), token, None)
            .await;
        state = a["technical_meta_data"]["webhook"].clone();
        if state["state"] == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    state
}

#[tokio::test]
async fn webhook_is_signed_retried_after_a_500_and_sent_once() {
    let app = fast_retry_app().await;
    app.start_workers();
    let (admin, company, client, _) = app.acme_client_folder().await;
    let (hook, got) = receiver(vec![500, 200]).await;
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
    let started = start_with_hook(&app, &client, fid, &["quality", "biometry"], &hook).await;

    let calls = received(&got, 2).await;
    assert_eq!(calls.len(), 2, "one 500, then one retry");
    let (_, secret) = app
        .json(
            Method::GET,
            &format!("/api/companies/{company}/webhook_secret"),
            &admin,
            None,
        )
        .await;
    let secret = secret["webhook_secret"].as_str().unwrap();
    for (sig, body) in &calls {
        assert!(verify(secret, sig, body), "signature {sig} does not verify");
        assert!(!verify("whsec_other", sig, body));
        let mut tampered = body.clone();
        tampered[0] = b' ';
        assert!(!verify(secret, sig, &tampered));
    }
    // The body is the folder with its media and both ended analyses.
    let folder: Value = serde_json::from_slice(&calls[1].1).unwrap();
    assert_eq!(folder["folder_id"], fid);
    assert_eq!(folder["system_resolution"], "SUCCESS", "{folder}");
    assert_eq!(folder["media"].as_array().unwrap().len(), 2);
    let analyses = folder["analyses"].as_array().unwrap();
    assert_eq!(analyses.len(), 2);
    assert!(
        analyses.iter().all(|a| a["state"] == "FINISHED"
            && a["analyse_id"] == a["analysis_id"]
            && a["resolution"] == a["resolution_status"]),
        "{folder}"
    );
    // Written as every answer is: Django's separators, one line.
    let text = std::str::from_utf8(&calls[1].1).unwrap();
    assert!(
        text.contains(r#""folder_id": ""#) && !text.contains('\n'),
        "{text}"
    );

    // Both attempts are on each analysis of the request.
    for a in &started {
        let id = a["analyse_id"].as_str().unwrap();
        let a = wait(&app, &client, id).await;
        let hook_state = webhook_state(&app, &client, id, "DELIVERED").await;
        assert_eq!(hook_state["state"], "DELIVERED", "{a}");
        let codes: Vec<_> = hook_state["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["status_code"].as_u64())
            .collect();
        assert_eq!(codes, [Some(500), Some(200)]);
    }

    // The same jobs delivered again (SQS is at-least-once), and the webhook message too: no
    // second webhook.
    for a in &started {
        let job = json!({"analysis_id": a["analyse_id"], "folder_id": fid}).to_string();
        app.app
            .analysis_queue
            .send(&job, &[], Duration::ZERO)
            .await
            .unwrap();
    }
    let group = json!({"folder_id": fid, "group_id": started[0]["group_id"]}).to_string();
    app.app
        .webhook_queue
        .send(&group, &[], Duration::ZERO)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(got.lock().unwrap().len(), 2, "duplicates sent nothing");

    // A rotated secret signs the next webhook; the old one no longer verifies it.
    let (_, rotated) = app
        .json(
            Method::POST,
            &format!("/api/companies/{company}/webhook_secret"),
            &admin,
            None,
        )
        .await;
    let rotated = rotated["webhook_secret"].as_str().unwrap().to_string();
    assert_ne!(rotated, secret);
    start_with_hook(&app, &client, fid, &["quality"], &hook).await;
    let calls = received(&got, 3).await;
    let (sig, body) = &calls[2];
    assert!(verify(&rotated, sig, body));
    assert!(!verify(secret, sig, body));
}

#[tokio::test]
async fn a_receiver_that_hangs_is_cut_at_the_timeout_and_retried() {
    let app = spawn_app_with(|c| {
        c.webhooks.timeout = Duration::from_secs(1);
        c.webhooks.retry_base = Duration::from_secs(1);
        c.webhooks.retry_max = Duration::from_secs(1);
    })
    .await;
    app.start_workers();
    let (_, _, client, f) = app.acme_client_folder().await;
    let (hook, got) = receiver(vec![HANG, 200]).await;
    let fid = f["folder_id"].as_str().unwrap();
    let started = start_with_hook(&app, &client, fid, &["quality"], &hook).await;
    let id = started[0]["analyse_id"].as_str().unwrap();
    let state = webhook_state(&app, &client, id, "DELIVERED").await;
    assert_eq!(state["state"], "DELIVERED", "{state}");
    let attempts = state["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{state}");
    // The hung attempt is recorded as such, with no status; the retry got its 200.
    assert!(attempts[0]["status_code"].is_null(), "{state}");
    assert!(
        attempts[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{state}"
    );
    assert_eq!(attempts[1]["status_code"], 200, "{state}");
    assert_eq!(got.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_failing_receiver_ends_in_the_dead_letter_queue() {
    let app = fast_retry_app().await;
    app.start_workers();
    let (_, _, client, f) = app.acme_client_folder().await;
    let (hook, got) = receiver(vec![503]).await;
    let fid = f["folder_id"].as_str().unwrap();
    let started = start_with_hook(&app, &client, fid, &["quality"], &hook).await;
    let id = started[0]["analyse_id"].as_str().unwrap();

    let state = webhook_state(&app, &client, id, "FAILED").await;
    assert_eq!(state["state"], "FAILED", "{state}");
    let attempts = state["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 8, "{state}");
    assert!(attempts.iter().all(|a| a["status_code"] == 503));
    assert_eq!(got.lock().unwrap().len(), 8);

    // The message is parked for inspection and redrive.
    let mut parked = Vec::new();
    for _ in 0..20 {
        parked = app
            .app
            .webhook_dead_letters
            .receive(10, Duration::from_secs(1))
            .await
            .unwrap();
        if !parked.is_empty() {
            break;
        }
    }
    assert_eq!(parked.len(), 1, "the delivery is in the dead-letter queue");
    let job: Value = serde_json::from_str(&parked[0].body).unwrap();
    assert_eq!(job["folder_id"], fid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(got.lock().unwrap().len(), 8, "no attempt after the last");
}

#[tokio::test]
async fn webhook_destinations_and_secrets_are_guarded() {
    let app = spawn_app().await;
    let (admin, company, client, f) = app.acme_client_folder().await;
    let path = format!(
        "/api/folders/{}/analyses/",
        f["folder_id"].as_str().unwrap()
    );
    for bad in [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/",
        "http://[fe80::1]/hook",
        "http://[::ffff:169.254.169.254]/",
        "http://hooks.example.com/hook",
        "ftp://127.0.0.1/hook",
        "https://user:pw@hooks.example.com/",
        "not a url",
    ] {
        let body = json!({"analyses": [{"type": "quality"}], "resolution_endpoint": bad});
        assert_error(
            &app.json(Method::POST, &path, &client, Some(body)).await,
            400,
            4,
        );
    }
    let (_, none) = app.json(Method::GET, &path, &client, None).await;
    assert_eq!(none, json!([]), "refused requests start nothing");

    // A cloud deployment takes https to public addresses only.
    let strict =
        spawn_app_with(|c| c.webhooks.policy = shared::config::DestinationPolicy::Strict).await;
    let (_, _, strict_client, f) = strict.acme_client_folder().await;
    let strict_path = format!(
        "/api/folders/{}/analyses/",
        f["folder_id"].as_str().unwrap()
    );
    for bad in [
        "http://127.0.0.1:9/hook",
        "https://localhost/hook",
        "https://10.0.0.1/",
    ] {
        let body = json!({"analyses": [{"type": "quality"}], "resolution_endpoint": bad});
        assert_error(
            &strict
                .json(Method::POST, &strict_path, &strict_client, Some(body))
                .await,
            400,
            4,
        );
    }

    // Only ADMIN and the company's CLIENT ADMIN read or rotate the secret; others see nothing.
    let secret_path = format!("/api/companies/{company}/webhook_secret");
    let (_, client_admin) = app
        .user(&admin, &company, "CLIENT ADMIN", "boss@acme.com")
        .await;
    let (s, a) = app
        .json(Method::GET, &secret_path, &client_admin, None)
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
    let (_, b) = app.json(Method::GET, &secret_path, &admin, None).await;
    assert_eq!(a, b, "one secret per company");
    assert!(a["webhook_secret"].as_str().unwrap().len() >= 64);
    assert_error(
        &app.json(Method::GET, &secret_path, &client, None).await,
        403,
        9,
    );
    let other = app.create_company(&admin, "Other").await;
    let (_, stranger) = app
        .user(&admin, &other, "CLIENT ADMIN", "x@other.com")
        .await;
    assert_error(
        &app.json(Method::GET, &secret_path, &stranger, None).await,
        404,
        10,
    );
    let (_, company_json) = app
        .json(
            Method::GET,
            &format!("/api/companies/{company}"),
            &admin,
            None,
        )
        .await;
    assert!(
        !company_json.to_string().contains("whsec_"),
        "company views never show the secret"
    );
}
