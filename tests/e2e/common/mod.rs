//! Test harness: the local server started in-process on a random port with a fresh data dir,
//! plus helpers that speak the API over real HTTP.
//!
//! `OZ_TEST_STORAGE=aws` runs the same tests on the AWS adapters against a moto server (started
//! once per test binary by `shared::testing`); the default is the embedded store.
#![allow(dead_code)]

mod fixtures;
pub mod flow;
pub mod hooks;
pub mod lambda;
pub mod proxy;
mod stores;

pub use fixtures::*;
#[allow(unused_imports)]
pub use flow::*;
#[allow(unused_imports)]
pub use hooks::*;
#[allow(unused_imports)]
pub use stores::*;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use shared::config::Storage;

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "user-password-1";

/// A running server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub data_dir: PathBuf,
    /// The services behind the server, for looking at stored state directly.
    pub app: Arc<shared::App>,
    pub _dir: Option<tempfile::TempDir>,
    stop: Option<tokio::task::JoinHandle<()>>,
}

/// The adapters the tests run on (`OZ_TEST_STORAGE`, default `local`).
pub fn storage() -> Storage {
    std::env::var("OZ_TEST_STORAGE")
        .ok()
        .filter(|s| !s.is_empty())
        .map_or(Storage::Local, |s| {
            s.parse().expect("OZ_TEST_STORAGE is local or aws")
        })
}

/// The configuration tests run with: random port, given data dir, short file URLs. In AWS mode
/// the table, bucket, queues and JWT secret are derived from the data dir, so a restart on the
/// same dir finds the same data.
pub fn config(data_dir: PathBuf) -> shared::Config {
    let mut c = shared::Config::from_env().expect("config");
    c.storage = storage();
    if c.storage == Storage::Aws {
        let tag = data_dir.display().to_string();
        c.aws = shared::testing::moto().resources(&tag);
        c.jwt_secret = Some(
            format!("test-secret-{}", c.aws.table)
                .repeat(2)
                .as_str()
                .into(),
        );
    } else {
        c.jwt_secret = None;
    }
    c.bind = "127.0.0.1:0".parse().unwrap();
    c.data_dir = data_dir;
    c.public_url = None;
    c.admin = Some((ADMIN_EMAIL.into(), ADMIN_PASSWORD.into()));
    c.limits.max_body_bytes = 8 << 20;
    c.limits.max_file_bytes = 4 << 20;
    c.limits.max_files = 5;
    c
}

/// Starts a server on a fresh data dir.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut app = spawn_with(config(dir.path().to_path_buf())).await;
    app._dir = Some(dir);
    app
}

/// The services on the adapters `config.storage` names; local file URLs start with `public_url`.
/// In AWS mode the SDK talks to moto at `moto_url` (moto's own address when `None`).
pub async fn build_app(
    config: shared::Config,
    public_url: String,
    moto_url: Option<&str>,
) -> Arc<shared::App> {
    match config.storage {
        Storage::Local => shared::wiring::local(config, public_url).await,
        Storage::Aws => {
            let moto = shared::testing::moto();
            let sdk = match moto_url {
                Some(url) => moto.sdk_config_via(url).await,
                None => moto.sdk_config().await,
            };
            shared::wiring::aws(config, &sdk).await
        }
    }
    .expect("app")
}

/// Starts a server with `config`.
pub async fn spawn_with(config: shared::Config) -> TestApp {
    spawn_via(config, None).await
}

/// Starts a server with `config` whose AWS SDK reaches moto at `moto_url` (a proxy).
pub async fn spawn_via(config: shared::Config, moto_url: Option<&str>) -> TestApp {
    let data_dir = config.data_dir.clone();
    let listener = tokio::net::TcpListener::bind(config.bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = build_app(config, format!("http://{addr}"), moto_url).await;
    let served = app.clone();
    let stop = tokio::spawn(async move {
        oz_api::serve::serve_app(listener, served, None)
            .await
            .expect("server");
    });
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        addr,
        client,
        data_dir,
        app,
        _dir: None,
        stop: Some(stop),
    }
}

impl TestApp {
    /// Stops the server task (its data dir stays).
    pub async fn stop(mut self) -> (PathBuf, Option<tempfile::TempDir>) {
        if let Some(h) = self.stop.take() {
            h.abort();
            let _ = h.await;
        }
        (self.data_dir.clone(), self._dir.take())
    }

    /// Runs analysis jobs for this server (one worker on the process-wide face engine).
    pub fn start_workers(&self) {
        shared::events::spawn_analysis_workers(self.app.clone(), engine(), 1);
        shared::events::spawn_webhook_sender(self.app.clone());
    }

    /// Hands the process-wide face engine to the synchronous APIs (Instant, Lite), as the local
    /// server does once its engine has loaded; no worker runs.
    pub fn load_engine(&self) {
        self.app.analyzer.set(engine());
    }

    /// The HMAC key the server signs access tokens with.
    pub fn jwt_key(&self) -> Vec<u8> {
        match &self.app.config.jwt_secret {
            Some(s) => s.expose().as_bytes().to_vec(),
            None => std::fs::read(self.data_dir.join("jwt.key")).unwrap(),
        }
    }

    /// True when the object store holds `key`.
    pub async fn blob_exists(&self, key: &str) -> bool {
        self.app.blobs.head(key).await.unwrap().is_some()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A request with the access token header.
    pub fn req(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("X-Forensic-Access-Token", token)
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/authorize/auth"))
            .json(&json!({"credentials": {"email": email, "password": password}}))
            .send()
            .await
            .unwrap()
    }

    /// Logs in and returns the access token.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let r = self.login(email, password).await;
        assert_eq!(r.status(), StatusCode::OK, "login {email}");
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.token(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Sends a JSON request and returns status and body.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.req(method, path, token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        read(r.send().await.unwrap()).await
    }

    pub async fn create_company(&self, admin: &str, name: &str) -> String {
        let (s, b) = self
            .json(
                Method::POST,
                "/api/companies/",
                admin,
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["company_id"].as_str().unwrap().to_string()
    }

    /// Creates a user of `role` in `company` and returns `(user_id, token)`.
    pub async fn user(
        &self,
        admin: &str,
        company: &str,
        role: &str,
        email: &str,
    ) -> (String, String) {
        let body =
            json!({"email": email, "password": PASSWORD, "user_type": role, "company_id": company});
        let (s, b) = self
            .json(Method::POST, "/api/users/", admin, Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        (
            b["user_id"].as_str().unwrap().to_string(),
            self.token(email, PASSWORD).await,
        )
    }

    /// Sends a multipart upload to `path`.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        files: Vec<(&str, &str, Vec<u8>)>,
        payload: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut form = Form::new();
        for (key, name, bytes) in files {
            form = form.part(
                key.to_string(),
                Part::bytes(bytes).file_name(name.to_string()),
            );
        }
        if let Some(p) = payload {
            form = form.text("payload", p.to_string());
        }
        read(
            self.req(Method::POST, path, token)
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A company "Acme" with a CLIENT user who owns a folder with one photo: returns the admin
    /// token, the company id, the client's token and the folder's JSON.
    pub async fn acme_client_folder(&self) -> (String, String, String, Value) {
        let admin = self.admin_token().await;
        let c = self.create_company(&admin, "Acme").await;
        let (_, client) = self.user(&admin, &c, "CLIENT", "client@acme.com").await;
        let folder = self.folder_with_photo(&client).await;
        (admin, c, client, folder)
    }

    /// Creates a folder with one photo tagged `photo_selfie` and returns its JSON.
    pub async fn folder_with_photo(&self, token: &str) -> Value {
        let payload =
            json!({"media:tags": {"photo": ["photo_selfie"]}, "folder:meta_data": {"case": "t"}});
        let (s, b) = self
            .upload(
                "/api/folders/",
                token,
                vec![("photo", "selfie.jpg", jpeg(64, 48))],
                Some(payload),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b
    }
}

/// Status and JSON body (Null when empty).
pub async fn read(r: Response) -> (StatusCode, Value) {
    let s = r.status();
    let text = r.text().await.unwrap();
    (
        s,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    )
}

/// Asserts an Oz error body with `code` and `status`.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: u16, code: i64) {
    assert_eq!(got.0.as_u16(), status, "status; body {}", got.1);
    assert_eq!(
        got.1["error_code"],
        json!(code),
        "error_code; body {}",
        got.1
    );
    assert!(
        got.1["error_message"].is_string(),
        "error_message; body {}",
        got.1
    );
    assert!(
        got.1.get("error_details").is_some(),
        "error_details; body {}",
        got.1
    );
}

fn gradient(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 128]))
}

/// A valid JPEG.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    media_decode::testutil::encode(&gradient(w, h), image::ImageFormat::Jpeg)
}

/// A valid PNG.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    media_decode::testutil::encode(&gradient(w, h), image::ImageFormat::Png)
}

/// A valid H.264 MP4 of 10 frames.
pub fn mp4() -> Vec<u8> {
    let frames = media_decode::testutil::moving_square(10, 64, 48);
    media_decode::testutil::make_mp4(&frames, &Default::default())
}

// ---- Helpers of the roles and bad_input modules ----

/// Starts a server on a fresh data dir with the test [`config`] adjusted by `adjust`
/// (e.g. a 1 s `session_ttl` or `file_url_ttl`); the dir lives as long as the app.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut shared::Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path().to_path_buf());
    adjust(&mut c);
    let mut app = spawn_with(c).await;
    app._dir = Some(dir);
    app
}

impl TestApp {
    /// Sends a raw body (any bytes, any content type) with the token header when `token` is set.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .client
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            r = r.header("X-Forensic-Access-Token", t);
        }
        read(r.send().await.unwrap()).await
    }

    /// The `field` of every item a list endpoint shows `token` (up to 1000 items).
    pub async fn list_ids(&self, path: &str, field: &str, token: &str) -> Vec<String> {
        let (s, b) = self
            .json(Method::GET, &format!("{path}?limit=1000"), token, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f[field].as_str().unwrap().to_string())
            .collect()
    }

    /// The ids of the folders `token` can list (up to 1000).
    pub async fn folder_ids(&self, token: &str) -> Vec<String> {
        self.list_ids("/api/folders/", "folder_id", token).await
    }

    /// `(media_id, tags)` of a folder's media, as `token` sees them.
    pub async fn media_of(&self, token: &str, folder_id: &str) -> Vec<(String, Value)> {
        let (s, b) = self
            .json(
                Method::GET,
                &format!("/api/folders/{folder_id}?with_media=true"),
                token,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["media"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["media_id"].as_str().unwrap().to_string(),
                    m["tags"].clone(),
                )
            })
            .collect()
    }
}
