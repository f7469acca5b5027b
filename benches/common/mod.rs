//! What the benches that drive the local server share: its administrator and logging in.

use serde_json::{Value, json};

/// The administrator the benches' servers create.
pub const ADMIN: (&str, &str) = ("admin@bench.local", "bench-password-1");

/// An access token for [`ADMIN`] from the server at `base`.
pub async fn token(http: &reqwest::Client, base: &str) -> String {
    let r: Value = http
        .post(format!("{base}/api/authorize/auth"))
        .json(&json!({"credentials": {"email": ADMIN.0, "password": ADMIN.1}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().expect("login").to_string()
}
