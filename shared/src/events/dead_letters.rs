//! Analysis jobs that exhausted their deliveries (the `deadletters` Lambda; locally
//! [`super::spawn_analysis_workers`]): their analyses end FAILED with a reason, so clients polling
//! them stop waiting.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Consumer, Message, Outcome};
use crate::App;
use crate::ports::Queue;

/// Fails the analyses of dead-lettered jobs.
pub struct AnalysisDeadLetters {
    app: Arc<App>,
}

impl AnalysisDeadLetters {
    /// Messages of `app`'s analysis dead-letter queue.
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

#[async_trait]
impl Consumer for AnalysisDeadLetters {
    fn name(&self) -> &'static str {
        "analysis_dead_letters"
    }

    fn queue(&self) -> Option<Arc<dyn Queue>> {
        Some(self.app.analysis_dead_letters.clone())
    }

    async fn handle(&self, m: &Message) -> Outcome {
        match self.app.fail_dead_letter(&m.body).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                tracing::error!(error = %e, "failing a dead-lettered analysis failed");
                Outcome::Retry(None)
            }
        }
    }
}
