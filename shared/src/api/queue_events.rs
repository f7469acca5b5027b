//! SQS events that need no face engine: the analysis dead-letter queue, whose jobs end their
//! analyses FAILED (the `deadletters` Lambda; the local worker pool does the same in-process),
//! and webhook deliveries (the `webhooks` Lambda; locally `app::webhooks::spawn_sender`).

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::App;
use crate::app::webhooks::handle_webhook_message;

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

/// Handles one batch of webhook deliveries. A failed attempt has already set its message's
/// visibility to the retry delay; reporting it as a batch failure makes SQS keep it for then.
pub async fn handle_webhooks(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for m in event.records {
        let receive_count = m
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let delete = handle_webhook_message(
            app,
            m.body.as_deref().unwrap_or(""),
            m.receipt_handle.as_deref().unwrap_or(""),
            receive_count,
        )
        .await;
        if !delete {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = m.message_id.unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}
