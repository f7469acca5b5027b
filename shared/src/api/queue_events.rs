//! SQS events that need no face engine: the analysis dead-letter queue, whose jobs end their
//! analyses FAILED (the `deadletters` Lambda; the local worker pool does the same in-process).

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::App;

/// Handles one batch of dead-lettered analysis jobs; failures are reported for redelivery.
pub async fn handle_dead_letters(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for m in event.records {
        if let Err(e) = app.fail_dead_letter(m.body.as_deref().unwrap_or("")).await {
            tracing::error!(error = %e, "failing a dead-lettered analysis failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = m.message_id.unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}
