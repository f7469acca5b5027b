//! Messages: the work that reaches the services by queue or notification rather than by HTTP.
//! Each kind has a [`Consumer`] — analysis jobs ([`AnalysisJobs`]), dead-lettered analysis jobs
//! ([`AnalysisDeadLetters`]), webhook deliveries ([`WebhookDeliveries`]) and S3 "object created"
//! notices ([`UploadEvents`]) — and every consumer runs under the same two drivers: [`sqs`] for a
//! Lambda's SQS batch (and [`s3`] for its S3 notification), [`poll`] for the local server, which
//! takes messages from the queue itself. [`drive::deliver`] is the one step both share: the
//! message runs in its own task (a panic fails that message only), its lease is renewed while it
//! runs, and a retry delay becomes the message's visibility.

pub mod analysis_jobs;
pub mod dead_letters;
pub mod drive;
pub mod poll;
pub mod s3;
pub mod sqs;
pub mod uploads;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use analysis_jobs::AnalysisJobs;
pub use dead_letters::AnalysisDeadLetters;
pub use uploads::UploadEvents;
pub use webhooks::WebhookDeliveries;

use crate::App;
use crate::ports::{Analyzer, MAX_RECEIVE, Queue, Received};

/// One delivery of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The queue's message id (the object key for an S3 notice).
    pub id: String,
    pub body: String,
    /// Handle of this delivery, for visibility changes; `None` when the source has no queue.
    pub receipt: Option<String>,
    /// How many times the message has been delivered, this delivery included.
    pub receive_count: u32,
    /// When the message was sent (epoch seconds), where the source tells: its queue age.
    pub sent_at: Option<f64>,
}

impl From<Received> for Message {
    fn from(r: Received) -> Self {
        Self {
            id: r.id,
            body: r.body,
            receipt: Some(r.receipt),
            receive_count: r.receive_count,
            sent_at: r.sent_at,
        }
    }
}

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done, a duplicate of finished work, or never going to work: delete the message.
    Done,
    /// Failed for now: leave the message to be delivered again — after this long when given,
    /// else when the queue's visibility timeout lapses — and, after too many deliveries, to the
    /// dead-letter queue.
    Retry(Option<Duration>),
}

/// Handles one kind of message.
#[async_trait]
pub trait Consumer: Send + Sync + 'static {
    /// Names the consumer in logs.
    fn name(&self) -> &'static str;
    /// The queue the messages come from (for visibility changes and, when polled, receiving and
    /// deleting); `None` for notifications that come from no queue.
    fn queue(&self) -> Option<Arc<dyn Queue>>;
    /// How long a delivery stays hidden; a running message is renewed every third of it. `None`
    /// for consumers that finish well within the queue's visibility timeout.
    fn lease(&self) -> Option<Duration> {
        None
    }
    /// What becomes of a message whose handling panicked.
    fn after_panic(&self) -> Outcome {
        Outcome::Retry(None)
    }
    /// Handles one delivery.
    async fn handle(&self, message: &Message) -> Outcome;
}

/// The local server's stand-in for the `webhooks` Lambda: delivers queued webhooks until the
/// process ends.
pub fn spawn_webhook_sender(app: Arc<App>) {
    poll::spawn(Arc::new(WebhookDeliveries::new(app)), 1, MAX_RECEIVE);
}

/// The local server's stand-in for the `worker` and `deadletters` Lambdas: `workers` loops run
/// analysis jobs one at a time (each already spreads a video's frames over every core), one more
/// ends the analyses of dead-lettered jobs FAILED.
pub fn spawn_analysis_workers(app: Arc<App>, analyzer: Arc<dyn Analyzer>, workers: usize) {
    poll::spawn(
        Arc::new(AnalysisDeadLetters::new(app.clone())),
        1,
        MAX_RECEIVE,
    );
    poll::spawn(
        Arc::new(AnalysisJobs::new(app, analyzer)),
        workers.max(1),
        1,
    );
}

#[cfg(test)]
mod tests;
