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
pub mod login_throttle;
pub mod media;
pub mod metadata;
pub mod repo;
pub mod uploads;
pub mod users;
pub mod webhooks;

pub mod views;

use std::sync::Arc;

use crate::config::Config;
use crate::domain::signing::UrlSigner;
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

/// One deployment's adapters for the ports (built by [`crate::wiring`]).
pub struct Adapters {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn Blobs>,
    pub analysis_queue: Arc<dyn Queue>,
    pub analysis_dead_letters: Arc<dyn Queue>,
    pub webhook_queue: Arc<dyn Queue>,
    pub webhook_dead_letters: Arc<dyn Queue>,
}

/// A page of a list response (Lamb pagination).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
    /// `total_omit=true`: the answer leaves `total_count` out.
    pub total_omit: bool,
}

impl Page {
    /// Largest page a client may ask for; `limit=-1` ("all") is this many.
    pub const MAX_LIMIT: usize = 5000;

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
            total_omit: false,
        }
    }
}

impl App {
    /// The services over `a`, tokens signed with `jwt_secret`, local file URLs signed by
    /// `file_signer`; creates the first ADMIN when the configuration names one and no user exists.
    pub async fn new(
        config: Config,
        a: Adapters,
        jwt_secret: &[u8],
        file_signer: UrlSigner,
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
