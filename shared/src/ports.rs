//! The capabilities the services need from the outside world, as narrow async traits. The embedded
//! adapters (`crate::local`) and the AWS adapters implement them; services never see which.
//!
//! Metadata lives in one table of JSON items addressed by a partition key and a sort key, with up
//! to three secondary indexes, exactly the shape of a DynamoDB single-table design: every access
//! pattern is a key lookup or a range query on the table or on one index, never a scan.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

/// Number of secondary index slots an item may fill.
pub const INDEXES: usize = 3;

/// One stored object: its keys, its secondary index keys and its JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub pk: String,
    pub sk: String,
    /// `(partition, sort)` for index slots 1..=3.
    pub index: [Option<(String, String)>; INDEXES],
    pub body: serde_json::Value,
    /// Unix seconds after which the item is gone (DynamoDB TTL; the local store hides it).
    pub expires_at: Option<i64>,
}

impl Item {
    /// A new item without index keys or expiry.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>, body: serde_json::Value) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
            index: [None, None, None],
            body,
            expires_at: None,
        }
    }

    /// Fills index slot `n` (1-based).
    pub fn with_index(mut self, n: usize, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.index[n - 1] = Some((pk.into(), sk.into()));
        self
    }

    /// Sets the expiry.
    pub fn expiring(mut self, at: i64) -> Self {
        self.expires_at = Some(at);
        self
    }
}

/// Which items of a partition a query returns.
#[derive(Debug, Clone, Default)]
pub struct Range {
    /// Sort keys starting with this prefix.
    pub prefix: Option<String>,
    /// Sort keys ≥ this.
    pub from: Option<String>,
    /// Sort keys ≤ this.
    pub to: Option<String>,
    /// Newest (largest sort key) first.
    pub descending: bool,
}

impl Range {
    /// Every item whose sort key starts with `p`.
    pub fn prefix(p: impl Into<String>) -> Self {
        Self {
            prefix: Some(p.into()),
            ..Self::default()
        }
    }
}

/// A condition a write must meet, checked atomically with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Write unconditionally.
    None,
    /// The item must not exist yet.
    NotExists,
    /// The item must exist.
    Exists,
    /// The item must exist and its body's top-level `field` must equal `value`.
    FieldEquals(String, serde_json::Value),
}

/// One write of a transaction.
// A transaction holds a handful of writes for a moment; boxing the item would cost more than it saves.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Write {
    Put(Item, Condition),
    Delete { pk: String, sk: String },
}

/// Failures of the metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold (another writer was first).
    #[error("condition failed")]
    Conflict,
    #[error(transparent)]
    Backend(#[from] anyhow::Error),
}

/// The metadata table.
#[async_trait]
pub trait Store: Send + Sync {
    /// The item at `(pk, sk)`, unless absent or expired.
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError>;
    /// Writes `item` if `cond` holds.
    async fn put(&self, item: Item, cond: Condition) -> Result<(), StoreError>;
    /// Deletes `(pk, sk)`; true when something was deleted.
    async fn delete(&self, pk: &str, sk: &str) -> Result<bool, StoreError>;
    /// Items of partition `pk` in `range`, in sort-key order.
    async fn query(&self, pk: &str, range: &Range) -> Result<Vec<Item>, StoreError>;
    /// Items whose index slot `n` (1-based) has partition `pk`, in index sort-key order.
    async fn query_index(&self, n: usize, pk: &str, range: &Range)
    -> Result<Vec<Item>, StoreError>;
    /// All writes or none; any failed condition fails the whole with [`StoreError::Conflict`].
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}

/// Failures of the object store.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object not found")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] anyhow::Error),
}

/// The media object store (a private bucket).
#[async_trait]
pub trait Blobs: Send + Sync {
    /// Stores `bytes` under `key`.
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), BlobError>;
    /// Reads the object at `key`.
    async fn get(&self, key: &str) -> Result<Bytes, BlobError>;
    /// Deletes the object at `key` (absent is fine).
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// Deletes every object whose key starts with `prefix` (a folder's media).
    async fn delete_prefix(&self, prefix: &str) -> Result<(), BlobError>;
    /// The size of the object at `key`, or `None` when there is none.
    async fn head(&self, key: &str) -> Result<Option<u64>, BlobError>;
    /// A URL that reads `key` without other credentials for `ttl`.
    async fn presign_get(&self, key: &str, ttl: Duration) -> Result<String, BlobError>;
    /// A URL that writes `key` without other credentials for `ttl`, accepting only a body of
    /// exactly `len` bytes sent with `content_type`.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        len: u64,
        ttl: Duration,
    ) -> Result<PresignedPut, BlobError>;
}

/// A presigned upload: the client sends `PUT url` with exactly these headers and the bytes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PresignedPut {
    pub url: String,
    pub headers: BTreeMap<String, String>,
}

/// Failures of a job queue.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The receipt handle is not (or no longer) valid: the message was deleted or redelivered.
    #[error("receipt handle is not valid")]
    StaleReceipt,
    #[error(transparent)]
    Backend(#[from] anyhow::Error),
}

/// A message taken from a queue; other consumers cannot see it until its visibility lapses.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub id: String,
    /// Handle for [`Queue::delete`] and [`Queue::extend_visibility`] of this delivery.
    pub receipt: String,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
    /// How many times the message has been delivered, this delivery included.
    pub receive_count: u32,
    /// When the message was sent (epoch seconds), where the queue tells.
    pub sent_at: Option<f64>,
}

/// Largest batch one [`Queue::receive`] returns (the SQS limit).
pub const MAX_RECEIVE: usize = 10;

/// A job queue with at-least-once delivery, visibility timeouts and a dead-letter queue that takes
/// a message after too many deliveries (SQS semantics).
#[async_trait]
pub trait Queue: Send + Sync {
    /// Enqueues `body` with string `attributes`, visible after `delay`; returns the message id.
    async fn send(
        &self,
        body: &str,
        attributes: &[(&str, &str)],
        delay: Duration,
    ) -> Result<String, QueueError>;
    /// Up to `max` (≤ [`MAX_RECEIVE`]) visible messages, waiting up to `wait` for the first,
    /// hidden for the queue's own visibility timeout.
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, QueueError> {
        self.receive_hidden(max, wait, None).await
    }
    /// [`Queue::receive`], the messages hidden for `hide` instead of the queue's timeout when it
    /// is given (SQS `ReceiveMessage`'s `VisibilityTimeout`).
    async fn receive_hidden(
        &self,
        max: usize,
        wait: Duration,
        hide: Option<Duration>,
    ) -> Result<Vec<Received>, QueueError>;
    /// Removes a delivered message for good.
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;
    /// Keeps a delivered message hidden for `timeout` from now (zero makes it visible again).
    async fn extend_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), QueueError>;
}

impl From<BlobError> for crate::Error {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound => Self::NotFound("media file"),
            BlobError::Backend(e) => Self::storage(e),
        }
    }
}

/// What the face engine found in one media (photo, video or shot set).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaceFindings {
    /// Frames (1 for a photo) analysed, and how many showed a face.
    pub frames: usize,
    pub frames_with_face: usize,
    pub frames_with_multiple_faces: usize,
    /// Fused probability of a presentation attack, when liveness was asked for and a face found.
    pub confidence_spoofing: Option<f32>,
    /// Face template of the best frame, when asked for and a face found.
    pub template: Option<Vec<f32>>,
    /// Index and face box `[x1, y1, x2, y2]` of the best frame.
    pub best_frame: Option<(usize, [f32; 4])>,
    /// The best frame as a JPEG, when asked for.
    pub best_shot_jpeg: Option<Bytes>,
    /// Engine-specific evidence to show in `results_data` (per-frame scores, timings).
    pub evidence: serde_json::Value,
    /// Whether the gesture asked for was performed (when one was asked for and a face found).
    pub gesture: Option<GestureOutcome>,
}

/// The outcome of an active-liveness gesture check.
#[derive(Debug, Clone, PartialEq)]
pub struct GestureOutcome {
    /// The gesture was seen.
    pub performed: bool,
    /// Why, with the measured value and the threshold.
    pub reason: String,
    /// The engine's evidence: per-frame signal values, the frames that showed the gesture.
    pub evidence: serde_json::Value,
}

/// Why the engine could not analyse a media.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The bytes are not decodable media (or break a decoding limit).
    #[error("media cannot be decoded: {0}")]
    Undecodable(String),
    #[error(transparent)]
    Engine(#[from] anyhow::Error),
}

/// What to compute for a media.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnalyzeRequest {
    pub liveness: bool,
    pub template: bool,
    pub best_shot: bool,
    /// Check this active-liveness gesture (a video tagged with it).
    pub gesture: Option<crate::domain::tags::Gesture>,
}

/// The face engine, as the analyses need it. CPU-bound: implementations run on blocking threads.
#[async_trait]
pub trait Analyzer: Send + Sync {
    /// Models, versions and calibration, recorded on every analysis.
    fn info(&self) -> serde_json::Value;
    /// Finds the face in `bytes` and computes what `req` asks for.
    async fn analyze(
        &self,
        bytes: Bytes,
        req: AnalyzeRequest,
    ) -> Result<FaceFindings, AnalyzeError>;
    /// Calibrated similarity in [0, 1] of two templates (1 = same person).
    fn similarity(&self, a: &[f32], b: &[f32]) -> f32;
    /// The calibrated similarity of a cosine between two templates (what 1:N search returns).
    fn calibrated(&self, cosine: f32) -> f32;
}
