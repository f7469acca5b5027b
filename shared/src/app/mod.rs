//! Application services: the use cases of the API, over the ports. Each takes the calling
//! [`Actor`](crate::domain::Actor) and applies the access rules before touching data.

pub mod auth;
pub mod companies;
pub mod folders;
pub mod media;
pub mod metadata;
pub mod repo;
pub mod users;

use std::sync::Arc;

use anyhow::Context as _;

use crate::config::Config;
use crate::domain::signing::UrlSigner;
use crate::local::{FsBlobs, SqliteStore};
use crate::ports::{Blobs, Store};

pub use auth::Tokens;

/// The services with their adapters, built once per process and shared by every request.
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn Blobs>,
    pub tokens: Tokens,
    /// Signs local file URLs (the embedded stand-in for S3 presigned GETs).
    pub file_signer: UrlSigner,
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
    /// The embedded deployment: SQLite metadata and media files under `config.data_dir`, secrets
    /// generated on first start and kept there. `public_url` is where signed file URLs point.
    pub async fn local(config: Config, public_url: String) -> anyhow::Result<Arc<Self>> {
        let dir = &config.data_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating data dir {}", dir.display()))?;
        let secret = match &config.jwt_secret {
            Some(s) => s.as_bytes().to_vec(),
            None => persistent_secret(&dir.join("jwt.key"))?,
        };
        let file_key = persistent_secret(&dir.join("files.key"))?;
        let file_signer = UrlSigner::new(&file_key);
        let store = Arc::new(SqliteStore::open(&dir.join("oz.sqlite3"))?);
        let blobs = Arc::new(FsBlobs::new(
            dir.join("media"),
            public_url,
            file_signer.clone(),
        )?);
        let app = Arc::new(Self {
            tokens: Tokens::new(&secret),
            config,
            store,
            blobs,
            file_signer,
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
    /// The deployment the environment describes, for Lambda functions: reads [`Config`] once.
    /// Until the AWS adapters land this is the embedded store under `OZ_DATA_DIR`
    /// (default `/tmp/oz-data` on Lambda, whose only writable disk is `/tmp`).
    pub async fn from_env() -> anyhow::Result<Arc<Self>> {
        let mut config = Config::from_env()?;
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
