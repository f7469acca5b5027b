//! Test support (feature `testing`): a moto server — the S3, DynamoDB and SQS emulator from PyPI —
//! started once per test process on a free loopback port, and fresh AWS resources on it per test;
//! and `s3s-fs` (crates.io), an S3 server that, unlike moto, verifies SigV4 signatures and
//! presigned URL expiry.
//!
//! moto comes from the project's venv (`scripts/test` installs it): `$OZ_MOTO_SERVER`, else
//! `$OZ_VENV/bin/moto_server`, else `.venv/bin/moto_server` at the repo root, else `moto_server`
//! on `PATH`. `$OZ_MOTO_URL` points the tests at an already running server instead. `s3s-fs`:
//! `$OZ_S3S_FS`, else `$OZ_TOOLS_DIR/bin/s3s-fs` (default `.cache/tools`), else `PATH`.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;

use crate::config::AwsResources;

/// A running moto server.
pub struct Moto {
    /// Base URL, e.g. `http://127.0.0.1:45678`.
    pub url: String,
    // The wrapper shell kills moto when this pipe closes, i.e. when the test process exits,
    // however it exits.
    _lifeline: Mutex<Option<(Child, ChildStdin)>>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The process's moto server, started on first use.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| match std::env::var("OZ_MOTO_URL") {
        Ok(url) if !url.is_empty() => Moto {
            url,
            _lifeline: Mutex::new(None),
        },
        _ => start_moto(),
    })
}

fn moto_command() -> PathBuf {
    if let Some(p) = std::env::var_os("OZ_MOTO_SERVER") {
        return p.into();
    }
    let candidate = repo_path("OZ_VENV", ".venv").join("bin/moto_server");
    if candidate.exists() {
        candidate
    } else {
        "moto_server".into()
    }
}

/// A server process that dies with the test process: a wrapper shell runs `cmd args..` in the
/// background and kills it when its stdin (a pipe this process holds) closes.
fn spawn_server(cmd: &std::path::Path, args: &[String], port: u16) -> (Child, ChildStdin) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" "$@" </dev/null >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"#)
        .arg(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "starting {}: {e} (run scripts/test, which installs it)",
                cmd.display()
            )
        });
    let stdin = child.stdin.take().expect("piped stdin");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{} exited ({status}); run scripts/test, which installs it",
                cmd.display()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{} did not start on {addr}",
            cmd.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, stdin)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn repo_path(var: &str, default: &str) -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::var_os(var)
        .map(PathBuf::from)
        .map(|v| if v.is_absolute() { v } else { repo.join(v) })
        .unwrap_or_else(|| repo.join(default))
}

fn start_moto() -> Moto {
    let port = free_port();
    let args = ["-H", "127.0.0.1", "-p", &port.to_string()].map(String::from);
    let lifeline = spawn_server(&moto_command(), &args, port);
    Moto {
        url: format!("http://127.0.0.1:{port}"),
        _lifeline: Mutex::new(Some(lifeline)),
    }
}

/// Dummy credentials and a fixed region for a local S3/DynamoDB/SQS endpoint.
async fn local_sdk_config(url: &str, key: &str, secret: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .load()
        .await
}

/// An `s3s-fs` server over a temporary folder, with its own credentials.
pub struct S3sFs {
    pub url: String,
    _root: tempfile::TempDir,
    _lifeline: (Child, ChildStdin),
}

const S3S_KEY: &str = "s3s-test-key";
const S3S_SECRET: &str = "s3s-test-secret-s3s-test-secret";

/// Starts `s3s-fs` with one (empty) bucket named `bucket`.
pub fn s3s_fs(bucket: &str) -> S3sFs {
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(root.path().join(bucket)).expect("bucket folder");
    let cmd = match std::env::var_os("OZ_S3S_FS") {
        Some(p) => PathBuf::from(p),
        None => {
            let p = repo_path("OZ_TOOLS_DIR", ".cache/tools").join("bin/s3s-fs");
            if p.exists() { p } else { "s3s-fs".into() }
        }
    };
    let port = free_port();
    let args = [
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        port.to_string(),
        "--access-key".into(),
        S3S_KEY.into(),
        "--secret-key".into(),
        S3S_SECRET.into(),
        root.path().display().to_string(),
    ];
    let lifeline = spawn_server(&cmd, &args, port);
    S3sFs {
        url: format!("http://127.0.0.1:{port}"),
        _root: root,
        _lifeline: lifeline,
    }
}

impl S3sFs {
    /// SDK configuration with the server's credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        local_sdk_config(&self.url, S3S_KEY, S3S_SECRET).await
    }
}

impl Moto {
    /// SDK configuration for this server: fixed region and dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        local_sdk_config(&self.url, "testing", "testing").await
    }

    /// SDK configuration for this server reached at `url` instead: a proxy in front of it.
    pub async fn sdk_config_via(&self, url: &str) -> SdkConfig {
        local_sdk_config(url, "testing", "testing").await
    }

    /// Resource names unique to `tag` (any string; hashed), created on first connect.
    pub fn resources(&self, tag: &str) -> AwsResources {
        let h = short_hash(tag);
        AwsResources {
            table: format!("oz-{h}"),
            bucket: format!("oz-{h}"),
            analysis_queue: format!("oz-{h}-analyses"),
            analysis_dead_letters: format!("oz-{h}-analyses-dlq"),
            webhook_queue: format!("oz-{h}-webhooks"),
            webhook_dead_letters: format!("oz-{h}-webhooks-dlq"),
            s3_path_style: true,
            create_resources: true,
        }
    }

    /// Resource names no other call returns.
    pub fn fresh_resources(&self) -> AwsResources {
        self.resources(&uuid::Uuid::new_v4().to_string())
    }
}

fn short_hash(s: &str) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(s.as_bytes())[..8])
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Ok(mut g) = self._lifeline.lock()
            && let Some((mut child, mut stdin)) = g.take()
        {
            let _ = stdin.flush();
            drop(stdin);
            let _ = child.wait();
        }
    }
}
