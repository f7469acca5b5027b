//! Configuration, read once from the environment at start. Every knob is listed here and in the
//! README; nothing else reads the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;

pub use crate::domain::webhook::DestinationPolicy;
use crate::metrics::Metrics;

/// How long SQS hides a received analysis job (`VisibilityTimeout` of the analysis queue in
/// `template.yaml`): up to the 15 min a Lambda worker may run on one job. The embedded queue
/// uses [`Config::analysis_visibility`] instead, which a running job renews.
pub const ANALYSIS_QUEUE_VISIBILITY: Duration = Duration::from_secs(900);
/// How long a received webhook message stays hidden (`VisibilityTimeout` of the webhook queue in
/// `template.yaml`, and the embedded queue's): longer than one attempt's timeout.
pub const WEBHOOK_QUEUE_VISIBILITY: Duration = Duration::from_secs(60);

/// Everything the API needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `OZ_BIND`: listen address of the local server.
    pub bind: SocketAddr,
    /// `OZ_DATA_DIR`: where the embedded database and media files live.
    pub data_dir: PathBuf,
    /// `OZ_PUBLIC_URL`: base of signed file URLs (default `http://<bind>`).
    pub public_url: Option<String>,
    /// `OZ_ADMIN_EMAIL` / `OZ_ADMIN_PASSWORD`: the first ADMIN, created when no user exists.
    pub admin: Option<(String, SecretString)>,
    /// `OZ_JWT_SECRET`: HMAC key for access tokens; generated and kept in the data dir if unset.
    pub jwt_secret: Option<SecretString>,
    /// `OZ_SESSION_TTL` (seconds, default 900): sliding idle expiry of ordinary sessions.
    pub session_ttl: Duration,
    /// `OZ_SESSION_LONGLIVE_TTL` (seconds, default 5 years): CLIENT SERVICE sessions.
    pub session_longlive_ttl: Duration,
    /// `OZ_REFRESH_TTL` (seconds, default 30 days): how long an `expire_token` can be exchanged.
    pub refresh_ttl: Duration,
    /// `OZ_FILE_URL_TTL` (seconds, default 300): lifetime of signed media download URLs.
    pub file_url_ttl: Duration,
    /// Bounds on request input.
    pub limits: InputLimits,
    /// `OZ_ANALYSIS_WORKERS` (default 1): analysis jobs the local server runs at once (each
    /// already spreads a video's frames over every core).
    pub analysis_workers: usize,
    /// `OZ_ANALYSIS_VISIBILITY` (seconds, default 60): how long a received analysis job stays
    /// hidden from other workers. A running job renews it every third of that; a worker that
    /// died mid-job has its job redelivered that long after its last renewal. (The local queue's
    /// own timeout; on SQS the first renewal replaces the queue's.)
    pub analysis_visibility: Duration,
    /// `OZ_ANALYSIS_RETRY_DELAY` (seconds, default 10): how long a job that failed or panicked
    /// waits before its next attempt.
    pub analysis_retry_delay: Duration,
    /// `OZ_ANALYSIS_MAX_RECEIVES` (default 5): deliveries of an analysis job before it moves to
    /// the dead-letter queue. The embedded queue applies it; on AWS the analysis queue's
    /// `maxReceiveCount` in `template.yaml` must say the same (a test checks the default does).
    pub analysis_max_receives: u32,
    /// `OZ_STORAGE` (`local` by default, or `aws`): which adapters hold the data.
    pub storage: Storage,
    /// Names of the AWS resources, used when `storage` is [`Storage::Aws`].
    pub aws: AwsResources,
    /// Webhook delivery: destinations allowed, timeouts, retry backoff.
    pub webhooks: WebhookConfig,
    /// `OZ_SINGLE_REQUEST_WAIT` (seconds, default 20): how long `POST /api/folders/` with
    /// `payload.analyses` waits for results before answering 202 with the folder to poll. Below
    /// API Gateway's 30 s integration limit.
    pub single_request_wait: Duration,
    /// `OZ_LITE_API_KEY`: the key API Lite callers send in `X-Api-Key`. Required by the `lite`
    /// Lambda; optional on the local server (unset: API Lite is open, as Oz's own Lite is).
    pub lite_api_key: Option<SecretString>,
    /// Wrong-password throttling and the client address it counts by.
    pub login: LoginThrottle,
    /// `OZ_READ_TIMEOUT` (seconds, default 15): the local server closes a connection whose
    /// request headers take longer, and answers 408 to a body that pauses longer.
    pub read_timeout: Duration,
    /// `OZ_METRICS_EMF` (default: on under Lambda) and `OZ_METRICS_NAMESPACE` (default `OzApi`):
    /// service metrics as Embedded Metric Format lines on stdout.
    pub metrics: Metrics,
}

/// How wrong passwords are throttled: counted per account and per client address over a window;
/// at the limit, logins are refused with Oz code 101 (HTTP 429, `Retry-After`) until the window
/// that began with the first failure ends.
#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    /// `OZ_LOGIN_MAX_FAILURES` (default 5): wrong passwords for one account within the window.
    pub max_account_failures: u32,
    /// `OZ_LOGIN_MAX_FAILURES_PER_ADDRESS` (default 20): wrong logins from one client address
    /// within the window, over every account (guessing many accounts at once).
    pub max_address_failures: u32,
    /// `OZ_LOGIN_WINDOW` (seconds, default 900): the counting window, and so the longest lockout.
    pub window: Duration,
    /// `OZ_TRUST_FORWARDED_FOR` (default false; true in `template.yaml`): take the client
    /// address from the last `X-Forwarded-For` entry, which API Gateway appends. Off for the
    /// local server, whose clients could write the header themselves.
    pub trust_forwarded_for: bool,
}

/// Webhook delivery settings.
#[derive(Debug, Clone, Copy)]
pub struct WebhookConfig {
    /// `OZ_WEBHOOK_POLICY` (default `strict` on Lambda, `local` elsewhere).
    pub policy: DestinationPolicy,
    /// `OZ_WEBHOOK_TIMEOUT` (seconds, default 10): one attempt's whole request.
    pub timeout: Duration,
    /// `OZ_WEBHOOK_RETRY_BASE` (seconds, default 10): delay after the first failed attempt,
    /// doubled after each further one.
    pub retry_base: Duration,
    /// `OZ_WEBHOOK_RETRY_MAX` (seconds, default 900): longest delay between attempts.
    pub retry_max: Duration,
    /// `OZ_WEBHOOK_MAX_RECEIVES` (default 8): deliveries of a webhook message before it moves to
    /// the dead-letter queue; the last one records the delivery FAILED. As with analyses, the
    /// webhook queue's `maxReceiveCount` in `template.yaml` must match.
    pub max_receives: u32,
}

/// A secret read from the environment: never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for comparing or signing; never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(***)")
    }
}

/// Which adapter set the services run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// SQLite and a media folder under `data_dir`.
    Local,
    /// DynamoDB, S3 and SQS (real AWS, or moto/LocalStack through `AWS_ENDPOINT_URL`).
    Aws,
}

/// An `OZ_STORAGE` value other than `local` or `aws`.
#[derive(Debug, thiserror::Error)]
#[error("expected `local` or `aws`")]
pub struct UnknownStorage;

impl FromStr for Storage {
    type Err = UnknownStorage;

    fn from_str(s: &str) -> Result<Self, UnknownStorage> {
        match s.to_ascii_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "aws" => Ok(Self::Aws),
            _ => Err(UnknownStorage),
        }
    }
}

/// The AWS resources of one deployment.
#[derive(Debug, Clone)]
pub struct AwsResources {
    /// `OZ_TABLE` (default `oz-api`): the single DynamoDB table.
    pub table: String,
    /// `OZ_BUCKET` (default `oz-api-media`): the private media bucket.
    pub bucket: String,
    /// `OZ_ANALYSIS_QUEUE_URL` (default `oz-api-analyses`): URL or name of the analysis job queue.
    pub analysis_queue: String,
    /// `OZ_ANALYSIS_DLQ_URL` (default: the analysis queue's name + `-dlq`): URL or name of the
    /// analysis dead-letter queue.
    pub analysis_dead_letters: String,
    /// `OZ_WEBHOOK_QUEUE_URL` (default `oz-api-webhooks`): URL or name of the webhook queue.
    pub webhook_queue: String,
    /// `OZ_WEBHOOK_DLQ_URL` (default: the webhook queue's name + `-dlq`): where deliveries that
    /// failed every attempt are parked.
    pub webhook_dead_letters: String,
    /// `OZ_S3_PATH_STYLE` (default: true when `AWS_ENDPOINT_URL` is set): path-style S3 URLs,
    /// which emulators such as moto need.
    pub s3_path_style: bool,
    /// `OZ_AWS_CREATE_RESOURCES` (default false): create the table, bucket and queues when absent,
    /// for emulators; real deployments get them from `template.yaml`.
    pub create_resources: bool,
}

impl AwsResources {
    /// Reads `OZ_TABLE`, `OZ_BUCKET`, the queue variables and the S3 addressing flags.
    pub fn from_env() -> anyhow::Result<Self> {
        let name = |var_name: &str, default: &str| opt(var_name).unwrap_or_else(|| default.into());
        Ok(Self {
            table: name("OZ_TABLE", "oz-api"),
            bucket: name("OZ_BUCKET", "oz-api-media"),
            analysis_queue: name("OZ_ANALYSIS_QUEUE_URL", "oz-api-analyses"),
            analysis_dead_letters: name("OZ_ANALYSIS_DLQ_URL", "oz-api-analyses-dlq"),
            webhook_queue: name("OZ_WEBHOOK_QUEUE_URL", "oz-api-webhooks"),
            webhook_dead_letters: name("OZ_WEBHOOK_DLQ_URL", "oz-api-webhooks-dlq"),
            s3_path_style: flag("OZ_S3_PATH_STYLE", opt("AWS_ENDPOINT_URL").is_some())?,
            create_resources: flag("OZ_AWS_CREATE_RESOURCES", false)?,
        })
    }
}

/// Bounds applied to every request before its content is trusted.
#[derive(Debug, Clone, Copy)]
pub struct InputLimits {
    /// `OZ_MAX_BODY_BYTES` (default 100 MiB): whole request body.
    pub max_body_bytes: usize,
    /// `OZ_MAX_FILE_BYTES` (default 50 MiB): one uploaded file.
    pub max_file_bytes: usize,
    /// `OZ_MAX_FILES` (default 10): files in one upload.
    pub max_files: usize,
    /// `OZ_MAX_JSON_BYTES` (default 64 KiB): a JSON body or `payload` part.
    pub max_json_bytes: usize,
    /// Decoding bounds for uploaded media (`OZ_MAX_IMAGE_PIXELS`, default 40 MP).
    pub media: media_decode::Limits,
}

fn var<T: FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("{name}={v:?} is not valid")),
        _ => Ok(default),
    }
}

/// A boolean variable in any of the usual spellings: `1`/`0`, `true`/`false`, `yes`/`no`,
/// `on`/`off` (any case); unset or empty is `default`.
pub fn flag(name: &str, default: bool) -> anyhow::Result<bool> {
    parse_flag(name, opt(name).as_deref(), default)
}

fn parse_flag(name: &str, value: Option<&str>, default: bool) -> anyhow::Result<bool> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(v) => anyhow::bail!("{name}={v:?}: use 1/0, true/false, yes/no or on/off"),
    }
}

fn opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// Reads the configuration from `OZ_*` environment variables.
    pub fn from_env() -> anyhow::Result<Self> {
        let secs = |name: &str, default: u64| var(name, default).map(Duration::from_secs);
        let mut media = media_decode::Limits::default();
        media.max_pixels = var("OZ_MAX_IMAGE_PIXELS", media.max_pixels)?;
        let in_lambda = opt("AWS_LAMBDA_FUNCTION_NAME").is_some();
        Ok(Self {
            bind: var("OZ_BIND", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
            data_dir: var("OZ_DATA_DIR", PathBuf::from("data"))?,
            public_url: opt("OZ_PUBLIC_URL"),
            admin: opt("OZ_ADMIN_EMAIL").zip(opt("OZ_ADMIN_PASSWORD").map(SecretString)),
            jwt_secret: opt("OZ_JWT_SECRET").map(SecretString),
            session_ttl: secs("OZ_SESSION_TTL", 900)?,
            session_longlive_ttl: secs("OZ_SESSION_LONGLIVE_TTL", 5 * 365 * 24 * 3600)?,
            refresh_ttl: secs("OZ_REFRESH_TTL", 30 * 24 * 3600)?,
            file_url_ttl: secs("OZ_FILE_URL_TTL", 300)?,
            limits: InputLimits {
                max_body_bytes: var("OZ_MAX_BODY_BYTES", 100 << 20)?,
                max_file_bytes: var("OZ_MAX_FILE_BYTES", 50 << 20)?,
                max_files: var("OZ_MAX_FILES", 10)?,
                max_json_bytes: var("OZ_MAX_JSON_BYTES", 64 << 10)?,
                media,
            },
            analysis_workers: var("OZ_ANALYSIS_WORKERS", 1)?,
            analysis_visibility: secs("OZ_ANALYSIS_VISIBILITY", 60)?.max(Duration::from_secs(3)),
            analysis_retry_delay: secs("OZ_ANALYSIS_RETRY_DELAY", 10)?,
            analysis_max_receives: var("OZ_ANALYSIS_MAX_RECEIVES", 5)?.max(1),
            storage: var("OZ_STORAGE", Storage::Local)?,
            aws: AwsResources::from_env()?,
            webhooks: WebhookConfig {
                policy: var(
                    "OZ_WEBHOOK_POLICY",
                    if in_lambda {
                        DestinationPolicy::Strict
                    } else {
                        DestinationPolicy::Local
                    },
                )?,
                timeout: secs("OZ_WEBHOOK_TIMEOUT", 10)?,
                retry_base: secs("OZ_WEBHOOK_RETRY_BASE", 10)?,
                retry_max: secs("OZ_WEBHOOK_RETRY_MAX", 900)?,
                max_receives: var("OZ_WEBHOOK_MAX_RECEIVES", 8)?.max(1),
            },
            single_request_wait: secs("OZ_SINGLE_REQUEST_WAIT", 20)?,
            lite_api_key: opt("OZ_LITE_API_KEY").map(SecretString),
            login: LoginThrottle {
                max_account_failures: var("OZ_LOGIN_MAX_FAILURES", 5)?.max(1),
                max_address_failures: var("OZ_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)?.max(1),
                window: secs("OZ_LOGIN_WINDOW", 900)?,
                trust_forwarded_for: flag("OZ_TRUST_FORWARDED_FOR", false)?,
            },
            read_timeout: secs("OZ_READ_TIMEOUT", 15)?.max(Duration::from_secs(1)),
            metrics: if flag("OZ_METRICS_EMF", in_lambda)? {
                Metrics::emf(opt("OZ_METRICS_NAMESPACE").unwrap_or_else(|| "OzApi".into()))
            } else {
                Metrics::off()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn booleans_take_the_usual_spellings() {
        let parse = |v: Option<&str>, default| super::parse_flag("OZ_X", v, default);
        for (v, want) in [
            ("1", true),
            ("TRUE", true),
            ("yes", true),
            ("0", false),
            ("off", false),
        ] {
            assert_eq!(parse(Some(v), !want).unwrap(), want, "{v}");
        }
        assert!(parse(Some("maybe"), false).is_err());
        assert!(parse(None, true).unwrap());
    }
    use super::*;

    /// The `Default:` of parameter `name` in `template.yaml`.
    fn template_default(template: &str, name: &str) -> u32 {
        let block = template
            .split_once(&format!("\n  {name}:\n"))
            .unwrap_or_else(|| panic!("parameter {name} in template.yaml"))
            .1;
        let line = block
            .lines()
            .take_while(|l| l.starts_with("    "))
            .find_map(|l| l.trim().strip_prefix("Default:"))
            .unwrap_or_else(|| panic!("{name} has a Default"));
        line.trim().parse().expect("a number")
    }

    /// The queues' redrive (`maxReceiveCount`) and the functions' environment both come from one
    /// template parameter each; its default must be ours, or the embedded queue and the webhook
    /// sender would count attempts differently from SQS.
    #[test]
    fn max_receives_match_the_template() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        let template = std::fs::read_to_string(path).expect("template.yaml");
        for (param, var) in [
            ("AnalysisMaxReceives", "OZ_ANALYSIS_MAX_RECEIVES"),
            ("WebhookMaxReceives", "OZ_WEBHOOK_MAX_RECEIVES"),
        ] {
            assert!(
                template.contains(&format!("maxReceiveCount: !Ref {param}")),
                "a queue's maxReceiveCount is {param}"
            );
            assert!(
                template.contains(&format!("{var}: !Ref {param}")),
                "{var} is {param}"
            );
        }
        for (queue, visibility) in [
            ("AnalysisQueue", ANALYSIS_QUEUE_VISIBILITY),
            ("WebhookQueue", WEBHOOK_QUEUE_VISIBILITY),
        ] {
            let block = template.split_once(&format!("\n  {queue}:\n")).unwrap().1;
            let want = format!("VisibilityTimeout: {}", visibility.as_secs());
            let mut declared = block.lines().take_while(|l| l.starts_with("    "));
            assert!(declared.any(|l| l.trim() == want), "{queue}: {want}");
        }
        let config = Config::from_env().expect("config");
        assert_eq!(
            template_default(&template, "AnalysisMaxReceives"),
            config.analysis_max_receives
        );
        assert_eq!(
            template_default(&template, "WebhookMaxReceives"),
            config.webhooks.max_receives
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let mut c = Config::from_env().expect("config");
        c.jwt_secret = Some("jwt-secret-value".into());
        c.admin = Some(("a@example.com".into(), "admin-password-value".into()));
        c.lite_api_key = Some("lite-key-value".into());
        let shown = format!("{c:?}");
        for secret in ["jwt-secret-value", "admin-password-value", "lite-key-value"] {
            assert!(!shown.contains(secret), "{secret} printed");
        }
    }
}
