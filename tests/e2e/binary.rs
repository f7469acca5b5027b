//! The README's run command as a user runs it: the `oz-api` binary with environment configuration,
//! serving real HTTP, and shutting down cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn binary_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oz-api"))
        .env("OZ_BIND", "127.0.0.1:0")
        .env("OZ_DATA_DIR", dir.path())
        .env("OZ_ADMIN_EMAIL", "admin@example.com")
        .env("OZ_ADMIN_PASSWORD", "admin-password-1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/api/authorize/auth"))
        .json(&serde_json::json!({"credentials": {"email": "admin@example.com", "password": "admin-password-1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            waited < Duration::from_secs(20),
            "server did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    };
    assert!(status.success(), "exit status {status}");
    assert!(
        lines
            .map_while(Result::ok)
            .any(|l| l.contains("shut down cleanly"))
    );
    assert!(dir.path().join("oz.sqlite3").exists());
}
