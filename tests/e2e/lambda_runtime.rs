//! The functions as Lambda runs them: every function binary of `template.yaml`, started under a
//! Lambda Runtime API with exactly the environment the template declares (Globals + its own,
//! references resolved to the stack provisioned in moto, the models layer at `/opt`), driven
//! through the whole Oz flow over real HTTP: auth, admin, a folder with media, a direct upload
//! by presigned PUT completed by the S3 event, analyses run by the worker from SQS, the
//! webhook delivered by its function to a loopback receiver, a job that exhausted its retries
//! ended by `deadletters`, Instant, collections and API Lite. A variable the template forgets,
//! a wrong models path or a panic at init fails here.

use std::time::Duration;

use crate::common::lambda::{self, Deployment, Options};
use crate::common::{PASSWORD, fixture, id_photo_of, read, received, receiver};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "lambda-admin@example.com";
const ADMIN_PASSWORD: &str = "lambda-admin-password";
const LITE_KEY: &str = "lite-key-lite-key-lite-key-lite-key-0001";

/// The deployment options of these tests: `sam deploy --parameter-overrides` for the
/// parameters without defaults, and the one variable overridden, with its reason.
pub fn options() -> Options {
    Options {
        parameters: [
            ("JwtSecret", "jwt-secret-jwt-secret-jwt-secret-jwt-secret"),
            ("LiteApiKey", LITE_KEY),
            ("AdminEmail", ADMIN_EMAIL),
            ("AdminPassword", ADMIN_PASSWORD),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into(),
        // On AWS webhooks go to public https addresses only; the test's receiver is on loopback.
        env_overrides: vec![("OZ_WEBHOOK_POLICY".into(), "local".into())],
        ..Options::default()
    }
}

/// A client of the deployed API.
struct Api<'a> {
    d: &'a Deployment,
    http: Client,
}

impl Api<'_> {
    fn req(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.d.url))
            .header("X-Forensic-Access-Token", token)
    }

    async fn json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut r = self.req(method.clone(), path, token);
        if method != Method::GET {
            r = r.json(&body);
        }
        read(r.send().await.unwrap()).await
    }

    async fn form(
        &self,
        method: Method,
        path: &str,
        token: &str,
        form: Form,
    ) -> (StatusCode, Value) {
        read(
            self.req(method, path, token)
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn token(&self, email: &str, password: &str) -> String {
        let (s, b) = self
            .json(
                Method::POST,
                "/api/authorize/auth",
                "",
                json!({"credentials": {"email": email, "password": password}}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {email}: {b}");
        b["access_token"].as_str().unwrap().to_string()
    }

    /// Polls the analysis until it has left PROCESSING.
    async fn ended(&self, token: &str, id: &str) -> Value {
        for _ in 0..1200 {
            let (s, a) = self
                .json(
                    Method::GET,
                    &format!("/api/analyses/{id}"),
                    token,
                    Value::Null,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{a}");
            if a["state"] != "PROCESSING" {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("analysis {id} still PROCESSING after 2 min");
    }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_oz_flow_runs_through_every_function_binary_with_the_template_environment() {
    let d = lambda::deploy(options())
        .await
        .expect("every function starts");
    let api = Api {
        d: &d,
        http: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };

    // auth and admin: the first ADMIN comes from the template's parameters.
    let admin = api.token(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (s, c) = api
        .json(
            Method::POST,
            "/api/companies/",
            &admin,
            json!({"name": "Acme"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let company = c["company_id"].as_str().unwrap();
    let user = json!({"email": "client@acme.com", "password": PASSWORD,
                      "user_type": "CLIENT", "company_id": company});
    let (s, b) = api.json(Method::POST, "/api/users/", &admin, user).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let client = api.token("client@acme.com", PASSWORD).await;

    // folders: a folder with a selfie sent as multipart (through API Gateway's base64 body).
    let hanks = fixture("Tom_Hanks_54745.png");
    let form = Form::new()
        .part("selfie", Part::bytes(hanks.clone()).file_name("selfie.png"))
        .text(
            "payload",
            json!({"media:tags": {"selfie": ["photo_selfie"]}}).to_string(),
        );
    let (s, folder) = api.form(Method::POST, "/api/folders/", &client, form).await;
    assert_eq!(s, StatusCode::CREATED, "{folder}");
    let fid = folder["folder_id"].as_str().unwrap().to_string();

    // A direct upload: a presigned PUT to the bucket, completed by `uploads` on the S3 event.
    let id_photo = id_photo_of(&hanks);
    let files = json!({"files": [{"name": "id.jpg", "content_type": "image/jpeg",
        "size": id_photo.len(), "tags": ["photo_id_front"]}]});
    let (s, tickets) = api
        .json(
            Method::POST,
            &format!("/api/folders/{fid}/media/uploads/"),
            &client,
            files,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{tickets}");
    let ticket = &tickets[0];
    let mut put = api.http.put(ticket["url"].as_str().unwrap()).body(id_photo);
    for (k, v) in ticket["headers"].as_object().unwrap() {
        if k != "content-length" && k != "host" {
            put = put.header(k, v.as_str().unwrap());
        }
    }
    assert!(put.send().await.unwrap().status().is_success());
    let media_id = ticket["media_id"].as_str().unwrap().to_string();
    wait_for("the S3 event reaches uploads", || {
        d.deliveries
            .lock()
            .unwrap()
            .notified
            .iter()
            .any(|k| k.ends_with(&media_id))
    })
    .await;
    let (s, pending) = api
        .json(
            Method::GET,
            &format!("/api/folders/{fid}/media/uploads/"),
            &client,
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pending}");
    assert!(
        !pending.to_string().contains(&media_id),
        "uploads finalised the media: {pending}"
    );

    // analyses: queued by `folders`, run by `worker` from SQS, the webhook by `webhooks`.
    let (hook, got) = receiver(vec![200]).await;
    let body = json!({"analyses": [{"type": "quality"}, {"type": "biometry"}],
                      "resolution_endpoint": hook});
    let (s, started) = api
        .json(
            Method::POST,
            &format!("/api/folders/{fid}/analyses/"),
            &client,
            body,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{started}");
    for a in started.as_array().unwrap() {
        let a = api.ended(&client, a["analyse_id"].as_str().unwrap()).await;
        assert_eq!(a["state"], "FINISHED", "{a}");
        if a["type"] == "BIOMETRY" || a["type"] == "biometry" {
            assert_eq!(
                a["resolution"], "SUCCESS",
                "the selfie matches its ID photo: {a}"
            );
        }
    }
    // JSON logs (Globals.LoggingConfig.LogFormat): the job's lines carry the Lambda request id
    // and the Oz ids as fields.
    let worker = d.function("WorkerFunction");
    let first = started[0]["analyse_id"].as_str().unwrap();
    let logged = worker.logs.lock().unwrap().iter().any(|l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| {
            let v = v.to_string();
            v.contains("requestId")
                && v.contains(&format!("\"analyse_id\":\"{first}\""))
                && v.contains(&fid)
        })
    });
    assert!(
        logged,
        "no JSON line with the request id and the Oz ids:\n{}",
        worker.log_text()
    );
    let calls = received(&got, 1).await;
    let delivered: Value = serde_json::from_slice(&calls[0].1).unwrap();
    assert_eq!(delivered["folder_id"], fid.as_str());
    // Embedded Metric Format lines: per analysis (type, decision, duration, queue age) and per
    // webhook attempt (outcome, duration), in the namespace the template gives.
    let namespace = format!("OzApi/{}", d.stack.refs["AWS::StackName"]);
    let processed = || {
        emf(worker, &namespace, "AnalysesProcessed")
            .into_iter()
            .find(|v| v["analyse_id"] == first)
    };
    wait_for("the analysis's EMF line", || processed().is_some()).await;
    let line = processed().unwrap();
    assert_eq!(line["AnalysesProcessed"], 1.0);
    assert_eq!(line["Service"], "analyses");
    assert!(
        ["quality", "biometry"].contains(&line["AnalysisType"].as_str().unwrap()),
        "{line}"
    );
    assert_eq!(line["Resolution"], "SUCCESS", "{line}");
    for ms in ["AnalysisDuration", "QueueAge"] {
        let v = line[ms].as_f64().unwrap_or(-1.0);
        assert!((0.0..120_000.0).contains(&v), "{ms} in {line}");
    }
    // The receiver can see the call before the sender has logged its attempt's metric.
    let webhooks = d.function("WebhooksFunction");
    wait_for("a delivered-webhook metric", || {
        emf(webhooks, &namespace, "WebhookAttempts")
            .iter()
            .any(|v| v["Outcome"] == "DELIVERED" && v["folder_id"] == fid.as_str())
    })
    .await;

    // deadletters: a job whose every delivery failed moves to the dead-letter queue (moto's
    // redrive), and its analysis ends FAILED instead of PROCESSING forever.
    d.set_mapping("AnalysisQueue", false);
    let (s, started) = api
        .json(
            Method::POST,
            &format!("/api/folders/{fid}/analyses/"),
            &client,
            json!({"analyses": [{"type": "quality"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{started}");
    let queue = &d.stack.refs["AnalysisQueue"];
    let receives: i32 = d.stack.refs["AnalysisMaxReceives"].parse().unwrap();
    for _ in 0..=receives {
        // Each receive is one failed delivery: the message is visible again at once.
        let _ = d
            .clients
            .sqs
            .receive_message()
            .queue_url(queue)
            .visibility_timeout(0)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
    }
    let failed = api
        .ended(&client, started[0]["analyse_id"].as_str().unwrap())
        .await;
    assert_eq!(failed["state"], "FAILED", "{failed}");
    let lettered = emf(
        d.function("DeadLettersFunction"),
        &namespace,
        "AnalysesDeadLettered",
    );
    assert!(
        lettered
            .iter()
            .any(|v| v["analyse_id"] == failed["analyse_id"]),
        "no dead-letter metric"
    );
    d.set_mapping("AnalysisQueue", true);

    // instant: answered in the response.
    let form = Form::new()
        .text(
            "payload",
            json!({"media:tags": {"selfie": ["photo_selfie"]}, "analyses": [{"type": "quality"}]})
                .to_string(),
        )
        .part("selfie", Part::bytes(hanks.clone()).file_name("selfie.png"));
    let (s, instant) = api
        .form(Method::POST, "/api/instant/folders/", &client, form)
        .await;
    assert_eq!(s, StatusCode::OK, "{instant}");
    assert_eq!(instant["analyses"][0]["state"], "FINISHED", "{instant}");

    // collections: a person enrolled (the engine computes the template at enrolment).
    let (s, col) = api
        .json(
            Method::POST,
            "/api/collections/",
            &admin,
            json!({"alias": "fraud", "company_id": company}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{col}");
    let cid = col["collection_id"].as_str().unwrap();
    let form = Form::new().part("image0", Part::bytes(hanks.clone()).file_name("face.png"));
    let (s, person) = api
        .form(
            Method::POST,
            &format!("/api/collections/{cid}/persons/"),
            &admin,
            form,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{person}");

    // API Lite: keyed by the template's LiteApiKey.
    let lite = |path: &str| {
        api.http
            .post(format!("{}{path}", d.url))
            .header("content-type", "image/jpeg")
            .body(hanks.clone())
    };
    let r = lite("/v1/face/liveness/detect").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no key, no answer");
    let (s, live) = read(
        lite("/v1/face/liveness/detect")
            .header("X-Api-Key", LITE_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{live}");

    // Every function of the template ran.
    for (id, f) in &d.functions {
        let n = f.invoked.load(std::sync::atomic::Ordering::Relaxed);
        assert!(n > 0, "{id} was never invoked");
    }
}

/// The Embedded Metric Format documents `f` wrote that carry `metric` in `namespace`, each
/// checked against the specification: every dimension and metric the directive names is a
/// member of the document.
fn emf(f: &lambda::Instance, namespace: &str, metric: &str) -> Vec<Value> {
    let logs = f.logs.lock().unwrap();
    let docs: Vec<Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["_aws"]["CloudWatchMetrics"].is_array())
        .collect();
    for doc in &docs {
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert!(doc["_aws"]["Timestamp"].is_u64(), "{doc}");
        for set in directive["Dimensions"].as_array().expect("dimension sets") {
            for d in set.as_array().expect("a dimension set") {
                assert!(doc[d.as_str().unwrap()].is_string(), "{d} in {doc}");
            }
        }
        for m in directive["Metrics"].as_array().expect("metrics") {
            assert!(doc[m["Name"].as_str().unwrap()].is_number(), "{m} in {doc}");
        }
    }
    docs.into_iter()
        .filter(|v| {
            let directive = &v["_aws"]["CloudWatchMetrics"][0];
            directive["Namespace"] == namespace
                && directive["Metrics"]
                    .as_array()
                    .is_some_and(|ms| ms.iter().any(|m| m["Name"] == metric))
        })
        .collect()
}
