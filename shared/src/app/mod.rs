//! Application services: the use cases of the API, over the ports. Each takes the calling
//! [`Actor`](crate::domain::Actor) and applies the access rules before touching data.

pub mod analyses;
pub mod analyzer_slot;
pub mod auth;
pub mod collection_search;
pub mod collections;
pub mod companies;
pub mod evaluate;
pub mod folders;
pub mod instant;
pub mod media;
pub mod metadata;
pub mod repo;
pub mod uploads;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use std::time::Duration;

use anyhow::Context as _;

use crate::aws::provision;

use crate::config::{Config, Storage};
use crate::domain::signing::UrlSigner;
use crate::local::{FsBlobs, Redrive, SqliteQueue, SqliteStore};
use crate::ports::{Blobs, Queue, Store};

pub use analyzer_slot::AnalyzerSlot;
pub use auth::Tokens;

/// The services with their adapters, built once per process and shared by every request.
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn Blobs>,
    /// Analysis jobs, consumed by the worker.
    pub analysis_queue: Arc<dyn Queue>,
    /// Analysis jobs that failed too often; their analyses are ended FAILED.
    pub analysis_dead_letters: Arc<dyn Queue>,
    /// Webhook deliveries, consumed by the webhook sender.
    pub webhook_queue: Arc<dyn Queue>,
    /// Webhook deliveries that failed every attempt, kept for inspection and redrive.
    pub webhook_dead_letters: Arc<dyn Queue>,
    pub tokens: Tokens,
    /// Signs local file URLs (the embedded stand-in for S3 presigned GETs).
    pub file_signer: UrlSigner,
    /// The face engine for synchronous analyses (Instant API, API Lite) and enrolment, once loaded.
    pub analyzer: AnalyzerSlot,
    /// In-memory 1:N search indexes of the collections this process searched.
    pub collection_indexes: collection_search::CollectionIndexes,
}

/// One deployment's adapters for the ports.
struct Adapters {
    store: Arc<dyn Store>,
    blobs: Arc<dyn Blobs>,
    analysis_queue: Arc<dyn Queue>,
    analysis_dead_letters: Arc<dyn Queue>,
    webhook_queue: Arc<dyn Queue>,
    webhook_dead_letters: Arc<dyn Queue>,
}

/// A page of a list response.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    /// Largest page a client may ask for.
    pub const MAX_LIMIT: usize = 1000;

    /// Cuts `items` to this page; returns the page and the total before cutting.
    pub fn apply<T>(self, items: Vec<T>) -> (Vec<T>, usize) {
        let total = items.len();
        (
            items
                .into_iter()
                .skip(self.offset)
                .take(self.limit)
                .collect(),
            total,
        )
    }
}

impl Default for Page {
    fn default() -> Self {
        Self {
            offset: 0,
            limit: 100,
        }
    }
}

impl App {
    /// The embedded deployment: SQLite metadata and queues and media files under
    /// `config.data_dir`, secrets generated on first start and kept there. `public_url` is where
    /// signed file URLs point.
    pub async fn local(config: Config, public_url: String) -> anyhow::Result<Arc<Self>> {
        let dir = &config.data_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating data dir {}", dir.display()))?;
        let secret = match &config.jwt_secret {
            Some(s) => s.as_bytes().to_vec(),
            None => persistent_secret(&dir.join("jwt.key"))?,
        };
        let file_signer = UrlSigner::new(&persistent_secret(&dir.join("files.key"))?);
        let db = dir.join("oz.sqlite3");
        let store = Arc::new(SqliteStore::open(&db)?);
        let blobs = Arc::new(FsBlobs::new(
            dir.join("media"),
            public_url,
            file_signer.clone(),
        )?);
        let queue = |name: &str, visibility: Duration, max_receives: u32| -> anyhow::Result<_> {
            let redrive = Redrive {
                dead_letter: format!("{name}-dlq"),
                max_receives,
            };
            let q = SqliteQueue::open(&db, name, visibility, Some(redrive))?;
            let dlq = q.sibling(&format!("{name}-dlq"), visibility, None);
            Ok((Arc::new(q), Arc::new(dlq)))
        };
        let (analysis_queue, analysis_dead_letters) = queue(
            "analyses",
            config.analysis_visibility,
            provision::ANALYSIS_MAX_RECEIVES,
        )?;
        let (webhook_queue, webhook_dead_letters) = queue(
            "webhooks",
            Duration::from_secs(60),
            provision::WEBHOOK_MAX_RECEIVES,
        )?;
        let adapters = Adapters {
            store,
            blobs,
            analysis_queue,
            analysis_dead_letters,
            webhook_queue,
            webhook_dead_letters,
        };
        Self::assemble(config, &secret, file_signer, adapters).await
    }

    /// The AWS deployment: DynamoDB, S3 and SQS through `sdk` (real AWS or an emulator).
    /// `OZ_JWT_SECRET` is required, since there is no local folder to keep a generated one.
    pub async fn aws(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Arc<Self>> {
        let secret = config
            .jwt_secret
            .clone()
            .context("OZ_JWT_SECRET must be set when OZ_STORAGE=aws")?;
        if secret.len() < 32 {
            anyhow::bail!("OZ_JWT_SECRET must be at least 32 characters");
        }
        let a = crate::aws::AwsAdapters::connect(sdk, &config.aws).await?;
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
        Self::assemble(config, secret.as_bytes(), file_signer, adapters).await
    }

    async fn assemble(
        config: Config,
        jwt_secret: &[u8],
        file_signer: UrlSigner,
        a: Adapters,
    ) -> anyhow::Result<Arc<Self>> {
        let app = Arc::new(Self {
            tokens: Tokens::new(jwt_secret),
            config,
            store: a.store,
            blobs: a.blobs,
            analysis_queue: a.analysis_queue,
            analysis_dead_letters: a.analysis_dead_letters,
            webhook_queue: a.webhook_queue,
            webhook_dead_letters: a.webhook_dead_letters,
            file_signer,
            analyzer: AnalyzerSlot::new(),
            collection_indexes: Default::default(),
        });
        app.bootstrap_admin().await?;
        Ok(app)
    }
}

/// Reads a 32-byte secret from `path`, creating it (mode 0600) on first use.
fn persistent_secret(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
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

impl App {
    /// The deployment the environment describes (for Lambda functions and the local server):
    /// reads [`Config`] once and picks the adapters by `OZ_STORAGE`. The embedded store on
    /// Lambda lives under `/tmp`, its only writable disk, and lasts as long as the instance.
    pub async fn from_env() -> anyhow::Result<Arc<Self>> {
        let mut config = Config::from_env()?;
        match config.storage {
            Storage::Aws => {
                let sdk = crate::aws::sdk_config_from_env().await;
                Self::aws(config, &sdk).await
            }
            Storage::Local => {
                if std::env::var_os("OZ_DATA_DIR").is_none()
                    && std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
                {
                    config.data_dir = "/tmp/oz-data".into();
                }
                let public_url = config
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{}", config.bind));
                Self::local(config, public_url).await
            }
        }
    }
}
