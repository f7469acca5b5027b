//! A Lambda Runtime API (the `2018-06-01` interface a custom runtime polls) on loopback, one per
//! function instance, and the function's real binary started against it with the environment
//! the Lambda service would give it. Like Lambda, an instance runs one invocation at a time.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot, watch};

use super::template::FunctionSpec;

/// What an invocation ended with.
#[derive(Debug)]
pub enum Outcome {
    /// `/response`: the handler's result.
    Response(Value),
    /// `/error` (or `/init/error`, or the process died): the runtime's error body or the exit.
    Error(String),
}

struct Invocation {
    id: String,
    body: Vec<u8>,
    deadline_ms: u64,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct Timings {
    first_next: Option<Instant>,
    init_error: Option<String>,
}

struct ApiState {
    queue: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    timings: Mutex<Timings>,
    arn: String,
}

/// A running function instance: its process and its Runtime API.
pub struct Instance {
    pub spec: FunctionSpec,
    api: Arc<ApiState>,
    invocations: mpsc::Sender<Invocation>,
    one_at_a_time: tokio::sync::Mutex<()>,
    exited: watch::Receiver<Option<String>>,
    started: Instant,
    /// Everything the process wrote to stdout and stderr (CloudWatch's log stream), by line.
    pub logs: Arc<Mutex<Vec<String>>>,
    pid: Option<u32>,
    /// Invocations sent so far.
    pub invoked: std::sync::atomic::AtomicU64,
    /// Dropping the instance drops these: the process is killed, the Runtime API stops.
    _kill: oneshot::Sender<()>,
    _stop_api: oneshot::Sender<()>,
}

/// Variables the Lambda service sets for every function (not in the template).
fn service_env(spec: &FunctionSpec, api: &str, region: &str) -> BTreeMap<String, String> {
    let name = &spec.logical_id;
    [
        ("AWS_LAMBDA_RUNTIME_API", api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/12/02/[$LATEST]emulator".into(),
        ),
        ("AWS_LAMBDA_LOG_FORMAT", spec.log_format.clone()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_REGION", region.into()),
        ("AWS_DEFAULT_REGION", region.into()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".into()),
        ("_HANDLER", "bootstrap".into()),
        ("LAMBDA_TASK_ROOT", "/var/task".into()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".into()),
        ("LANG", "en_US.UTF-8".into()),
        ("TZ", ":UTC".into()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into()),
        (
            "LD_LIBRARY_PATH",
            "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
                .into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl Instance {
    /// Starts `binary` as the function `spec` describes: a cleared environment holding only the
    /// template's variables (layer paths under `/opt` mapped to the layer's folder), the
    /// service's own and `extra` (the SDK's endpoint and credentials).
    pub async fn start(
        spec: &FunctionSpec,
        binary: &Path,
        extra: &BTreeMap<String, String>,
        region: &str,
        cpus: Option<&str>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(1);
        let api = Arc::new(ApiState {
            queue: tokio::sync::Mutex::new(rx),
            in_flight: Mutex::default(),
            timings: Mutex::default(),
            arn: format!(
                "arn:aws:lambda:{region}:123456789012:function:{}",
                spec.logical_id
            ),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, routes)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap()
        });

        let mut env = service_env(spec, &addr.to_string(), region);
        for (k, v) in &spec.env {
            let v = match (v.strip_prefix("/opt"), spec.layers.first()) {
                (Some(rest), Some(layer)) if rest.is_empty() || rest.starts_with('/') => {
                    format!("{}{rest}", layer.display())
                }
                _ => v.clone(),
            };
            env.insert(k.clone(), v);
        }
        env.extend(extra.clone());
        let mut cmd = match cpus {
            Some(list) => {
                let mut c = tokio::process::Command::new("taskset");
                c.arg("-c").arg(list).arg(binary);
                c
            }
            None => tokio::process::Command::new(binary),
        };
        cmd.env_clear()
            .envs(&env)
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let pid = child.id();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let echo = std::env::var_os("OZ_TEST_LAMBDA_LOGS").is_some();
        for (stream, label) in [
            (
                Box::new(child.stdout.take().unwrap())
                    as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
                "out",
            ),
            (Box::new(child.stderr.take().unwrap()), "err"),
        ] {
            let logs = logs.clone();
            let name = spec.binary.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if echo {
                        eprintln!("[{name} {label}] {line}");
                    }
                    logs.lock().unwrap().push(line);
                }
            });
        }
        let (exit_tx, exited) = watch::channel(None);
        let (kill_tx, mut kill_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
                _ = &mut kill_rx => { let _ = child.kill().await; "killed".into() }
            };
            let _ = exit_tx.send(Some(status));
        });
        Self {
            spec: spec.clone(),
            api,
            invocations: tx,
            one_at_a_time: tokio::sync::Mutex::new(()),
            exited,
            started,
            logs,
            pid,
            invoked: Default::default(),
            _kill: kill_tx,
            _stop_api: stop_tx,
        }
    }

    /// Waits until the runtime has asked for its first event (init done); the time since the
    /// process started, or the init error / exit status.
    pub async fn ready(&self, timeout: Duration) -> Result<Duration, String> {
        let until = Instant::now() + timeout;
        loop {
            {
                let t = self.api.timings.lock().unwrap();
                if let Some(e) = &t.init_error {
                    return Err(format!("init error: {e}\n{}", self.log_text()));
                }
                if let Some(at) = t.first_next {
                    return Ok(at - self.started);
                }
            }
            if let Some(status) = self.exited.borrow().clone() {
                return Err(format!(
                    "exited during init ({status})\n{}",
                    self.log_text()
                ));
            }
            if Instant::now() > until {
                return Err(format!("no /next within {timeout:?}\n{}", self.log_text()));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Invokes the function with `event`; the outcome or, if the process dies, an error with
    /// its exit status and logs.
    pub async fn invoke(&self, event: &Value) -> Outcome {
        let _one = self.one_at_a_time.lock().await;
        self.invoked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (reply, outcome) = oneshot::channel();
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let inv = Invocation {
            id: uuid_v4(),
            body: serde_json::to_vec(event).unwrap(),
            deadline_ms: now_ms + self.spec.timeout_s * 1000,
            reply,
        };
        if self.invocations.send(inv).await.is_err() {
            return Outcome::Error("runtime API gone".into());
        }
        let mut exited = self.exited.clone();
        tokio::select! {
            o = outcome => o.unwrap_or_else(|_| Outcome::Error("invocation dropped".into())),
            _ = exited.wait_for(|s| s.is_some()) => Outcome::Error(format!(
                "{} exited ({:?})\n{}", self.spec.binary, self.exited.borrow().clone(), self.log_text()
            )),
        }
    }

    /// The process's resident set size now and at its peak, in kB (`/proc/<pid>/status`).
    pub fn rss_kb(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid?)).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// The log lines so far, joined.
    pub fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

fn uuid_v4() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (t >> 32) as u32,
        (t >> 16) as u16,
        (t & 0xfff) as u16,
        (n & 0xfff) as u16,
        n
    )
}

async fn next(State(api): State<Arc<ApiState>>) -> Response {
    api.timings
        .lock()
        .unwrap()
        .first_next
        .get_or_insert_with(Instant::now);
    let Some(inv) = api.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    api.in_flight
        .lock()
        .unwrap()
        .insert(inv.id.clone(), inv.reply);
    let mut h = HeaderMap::new();
    h.insert("lambda-runtime-aws-request-id", inv.id.parse().unwrap());
    h.insert(
        "lambda-runtime-deadline-ms",
        inv.deadline_ms.to_string().parse().unwrap(),
    );
    h.insert(
        "lambda-runtime-invoked-function-arn",
        api.arn.parse().unwrap(),
    );
    h.insert(
        "lambda-runtime-trace-id",
        format!(
            "Root=1-{:08x}-{}",
            inv.deadline_ms / 1000,
            &inv.id.replace('-', "")[..24]
        )
        .parse()
        .unwrap(),
    );
    h.insert("content-type", "application/json".parse().unwrap());
    (h, inv.body).into_response()
}

fn finish(api: &ApiState, id: &str, outcome: Outcome) -> StatusCode {
    match api.in_flight.lock().unwrap().remove(id) {
        Some(reply) => {
            let _ = reply.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(api): State<Arc<ApiState>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    finish(&api, &id, Outcome::Response(value))
}

async fn error(
    State(api): State<Arc<ApiState>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    finish(
        &api,
        &id,
        Outcome::Error(String::from_utf8_lossy(&body).into_owned()),
    )
}

async fn init_error(State(api): State<Arc<ApiState>>, body: Bytes) -> StatusCode {
    api.timings.lock().unwrap().init_error = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}
