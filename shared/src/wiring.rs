//! Builds the services on the adapters the configuration picks: the embedded set (SQLite
//! metadata and queues, media files under `OZ_DATA_DIR`) or the AWS set (DynamoDB, S3, SQS).
//! The only place that knows both adapter sets; the services see the ports alone.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::App;
use crate::app::Adapters;
use crate::aws::AwsAdapters;
use crate::config::{Config, Storage, WEBHOOK_QUEUE_VISIBILITY};
use crate::domain::signing::UrlSigner;
use crate::local::{FsBlobs, Redrive, SqliteQueue, SqliteStore};

/// The deployment the environment describes (for the Lambda functions): reads [`Config`] once
/// and builds on the adapters `OZ_STORAGE` names. The embedded store on Lambda lives under
/// `/tmp`, its only writable disk, and lasts as long as the instance.
pub async fn from_env() -> anyhow::Result<Arc<App>> {
    let mut config = Config::from_env()?;
    if config.storage == Storage::Local
        && std::env::var_os("OZ_DATA_DIR").is_none()
        && std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
    {
        config.data_dir = "/tmp/oz-data".into();
    }
    let public_url = format!("http://{}", config.bind);
    build(config, public_url).await
}

/// The services on the adapters `config.storage` names. Signed local file URLs start with
/// `config.public_url`, else with `default_public_url` (where the local server listens). The AWS
/// SDK reads its endpoint, region and credentials from the environment.
pub async fn build(config: Config, default_public_url: String) -> anyhow::Result<Arc<App>> {
    match config.storage {
        Storage::Local => {
            let public_url = config.public_url.clone().unwrap_or(default_public_url);
            local(config, public_url).await
        }
        Storage::Aws => aws(config, &crate::aws::sdk_config_from_env().await).await,
    }
}

/// The embedded deployment: SQLite metadata and queues and media files under
/// `config.data_dir`, secrets generated on first start and kept there. `public_url` is where
/// signed file URLs point.
pub async fn local(config: Config, public_url: String) -> anyhow::Result<Arc<App>> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating data dir {}", dir.display()))?;
    let secret = match &config.jwt_secret {
        Some(s) => s.expose().as_bytes().to_vec(),
        None => persistent_secret(&dir.join("jwt.key"))?,
    };
    let file_signer = UrlSigner::new(&persistent_secret(&dir.join("files.key"))?);
    let db = dir.join("oz.sqlite3");
    let queue = |name: &str, visibility: Duration, max_receives: u32| -> anyhow::Result<_> {
        let dead_letter = format!("{name}-dlq");
        let redrive = Redrive {
            dead_letter: dead_letter.clone(),
            max_receives,
        };
        let q = SqliteQueue::open(&db, name, visibility, Some(redrive))?;
        let dlq = q.sibling(&dead_letter, visibility, None);
        Ok((Arc::new(q), Arc::new(dlq)))
    };
    let (analysis_queue, analysis_dead_letters) = queue(
        "analyses",
        config.analysis_visibility,
        config.analysis_max_receives,
    )?;
    let (webhook_queue, webhook_dead_letters) = queue(
        "webhooks",
        WEBHOOK_QUEUE_VISIBILITY,
        config.webhooks.max_receives,
    )?;
    let adapters = Adapters {
        store: Arc::new(SqliteStore::open(&db)?),
        blobs: Arc::new(FsBlobs::new(
            dir.join("media"),
            public_url,
            file_signer.clone(),
        )?),
        analysis_queue,
        analysis_dead_letters,
        webhook_queue,
        webhook_dead_letters,
    };
    App::new(config, adapters, &secret, file_signer).await
}

/// The AWS deployment: DynamoDB, S3 and SQS through `sdk` (real AWS or an emulator).
/// `OZ_JWT_SECRET` is required, since there is no local folder to keep a generated one.
pub async fn aws(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Arc<App>> {
    let secret = config
        .jwt_secret
        .clone()
        .context("OZ_JWT_SECRET must be set when OZ_STORAGE=aws")?;
    if secret.expose().len() < 32 {
        anyhow::bail!("OZ_JWT_SECRET must be at least 32 characters");
    }
    let a = AwsAdapters::connect(sdk, &config).await?;
    // Local file URLs do not exist in this deployment (S3 presigns its own); the signer gets a
    // throwaway key so `/files` accepts nothing.
    let file_signer = UrlSigner::new(&rand::random::<[u8; 32]>());
    let adapters = Adapters {
        store: Arc::new(a.store),
        blobs: Arc::new(a.blobs),
        analysis_queue: Arc::new(a.analysis_queue),
        analysis_dead_letters: Arc::new(a.analysis_dead_letters),
        webhook_queue: Arc::new(a.webhook_queue),
        webhook_dead_letters: Arc::new(a.webhook_dead_letters),
    };
    App::new(config, adapters, secret.expose().as_bytes(), file_signer).await
}

/// Reads a 32-byte secret from `path`, creating it (mode 0600) on first use.
fn persistent_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(bytes) = std::fs::read(path)
        && bytes.len() >= 32
    {
        return Ok(bytes);
    }
    let bytes: [u8; 32] = rand::random();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    use std::io::Write as _;
    opts.open(path)
        .and_then(|mut f| f.write_all(&bytes))
        .with_context(|| format!("writing secret {}", path.display()))?;
    Ok(bytes.to_vec())
}
