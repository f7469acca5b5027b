//! "Object created" notices of the media bucket (the `uploads` Lambda): each names an object
//! key, which completes the direct upload it belongs to (see [`crate::app::uploads`]). Other keys
//! are ignored. Completions are idempotent, so a retried notice is harmless.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Consumer, Message, Outcome};
use crate::App;
use crate::app::uploads::Completion;
use crate::ports::Queue;

/// Completes direct uploads whose bytes arrived.
pub struct UploadEvents {
    app: Arc<App>,
}

impl UploadEvents {
    /// Notices of `app`'s media bucket.
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

#[async_trait]
impl Consumer for UploadEvents {
    fn name(&self) -> &'static str {
        "upload_events"
    }

    fn queue(&self) -> Option<Arc<dyn Queue>> {
        None
    }

    async fn handle(&self, m: &Message) -> Outcome {
        let key = &m.body;
        match self.app.complete_uploaded_object(key).await {
            Ok(Completion::Accepted(media)) => {
                tracing::info!(%key, media_id = %media.media_id, "upload completed");
                Outcome::Done
            }
            Ok(Completion::Rejected(reason)) => {
                tracing::info!(%key, %reason, "upload refused");
                Outcome::Done
            }
            Ok(Completion::Waiting) => {
                tracing::debug!(%key, "no pending upload for object");
                Outcome::Done
            }
            Err(e) => {
                tracing::error!(%key, error = %e, "completing upload failed");
                Outcome::Retry(None)
            }
        }
    }
}
