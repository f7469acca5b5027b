//! Webhook deliveries (the `webhooks` Lambda; locally [`super::spawn_webhook_sender`]): one
//! attempt per delivery of the message; a failed attempt comes back after a growing delay, and
//! after the last allowed one the queue parks it in the dead-letter queue
//! ([`App::deliver_webhook`] records every attempt).

use std::sync::Arc;

use async_trait::async_trait;

use super::{Consumer, Message, Outcome};
use crate::App;
use crate::app::webhooks::WebhookOutcome;
use crate::ports::Queue;

/// Delivers result webhooks.
pub struct WebhookDeliveries {
    app: Arc<App>,
}

impl WebhookDeliveries {
    /// Messages of `app`'s webhook queue.
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

#[async_trait]
impl Consumer for WebhookDeliveries {
    fn name(&self) -> &'static str {
        "webhook_deliveries"
    }

    fn queue(&self) -> Option<Arc<dyn Queue>> {
        Some(self.app.webhook_queue.clone())
    }

    fn after_panic(&self) -> Outcome {
        Outcome::Retry(Some(self.app.config.webhooks.retry_base))
    }

    async fn handle(&self, m: &Message) -> Outcome {
        match self.app.deliver_webhook(&m.body, m.receive_count).await {
            WebhookOutcome::Done => Outcome::Done,
            WebhookOutcome::RetryAfter(delay) => Outcome::Retry(Some(delay)),
        }
    }
}
