//! [`Blobs`] in a local folder, with HMAC-signed expiring URLs standing in for S3 presigned GETs.
//! The local server serves those URLs at `/files/{key}?exp=..&sig=..` (see `api::routes::files`).

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use bytes::Bytes;

use crate::domain::signing::UrlSigner;
use crate::ports::{BlobError, Blobs, PresignedPut};

/// Media files under one root folder.
pub struct FsBlobs {
    root: PathBuf,
    public_url: String,
    signer: UrlSigner,
}

impl FsBlobs {
    /// Files under `root`; signed URLs start with `public_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(root: PathBuf, public_url: String, signer: UrlSigner) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        Ok(Self {
            root,
            public_url,
            signer,
        })
    }

    /// The file behind `key`, refusing keys that could leave the root.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, BlobError> {
        let rel = Path::new(key);
        if key.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(BlobError::NotFound);
        }
        Ok(self.root.join(rel))
    }
}

/// What a local presigned PUT URL signs: the method, key, content type and exact length.
pub fn put_subject(key: &str, content_type: &str, len: u64) -> String {
    format!("PUT\n{key}\n{content_type}\n{len}")
}

#[async_trait]
impl Blobs for FsBlobs {
    async fn put(&self, key: &str, bytes: Bytes, _content_type: &str) -> Result<(), BlobError> {
        let path = self.path_of(key)?;
        let dir = path.parent().context("key without parent")?;
        tokio::fs::create_dir_all(dir)
            .await
            .context("creating blob folder")?;
        // Write then rename, so a crash never leaves a half-written object under the real key.
        // On a failed write (a full disk) the partial file goes too, so it holds no space.
        let tmp = path.with_extension("part");
        let written = match tokio::fs::write(&tmp, &bytes).await {
            Ok(()) => tokio::fs::rename(&tmp, &path)
                .await
                .context("publishing blob"),
            Err(e) => Err(anyhow::Error::new(e).context("writing blob")),
        };
        if written.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        written.map_err(BlobError::Backend)
    }

    async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        let path = self.path_of(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Bytes::from(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound),
            Err(e) => Err(BlobError::Backend(
                anyhow::Error::new(e).context("reading blob"),
            )),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path_of(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(BlobError::Backend(
                anyhow::Error::new(e).context("deleting blob"),
            )),
        }
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<(), BlobError> {
        let path = self.path_of(prefix.trim_end_matches('/'))?;
        match tokio::fs::remove_dir_all(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(BlobError::Backend(
                anyhow::Error::new(e).context("deleting blobs"),
            )),
        }
    }

    async fn head(&self, key: &str) -> Result<Option<u64>, BlobError> {
        match tokio::fs::metadata(self.path_of(key)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(BlobError::Backend(
                anyhow::Error::new(e).context("reading blob size"),
            )),
        }
    }

    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        len: u64,
        ttl: Duration,
    ) -> Result<PresignedPut, BlobError> {
        self.path_of(key)?;
        let (exp, sig) = self.signer.sign(&put_subject(key, content_type, len), ttl);
        let query = serde_urlencoded::to_string([
            ("exp", exp.to_string()),
            ("ct", content_type.to_string()),
            ("len", len.to_string()),
            ("sig", sig),
        ])
        .context("encoding upload URL")?;
        Ok(PresignedPut {
            url: format!(
                "{}/files/{key}?{query}",
                self.public_url.trim_end_matches('/')
            ),
            headers: [
                ("content-type".to_string(), content_type.to_string()),
                ("content-length".to_string(), len.to_string()),
            ]
            .into(),
        })
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> Result<String, BlobError> {
        let (exp, sig) = self.signer.sign(key, ttl);
        Ok(format!(
            "{}/files/{key}?exp={exp}&sig={sig}",
            self.public_url.trim_end_matches('/')
        ))
    }
}
