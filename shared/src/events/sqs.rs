//! The SQS batch driver: a Lambda invoked with an SQS batch delivers each record and reports
//! the ones to redeliver (`ReportBatchItemFailures`), so one bad message does not bring back
//! the others.

use std::sync::Arc;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

use super::{Consumer, Message, drive};

fn message(r: SqsMessage) -> Message {
    Message {
        id: r.message_id.unwrap_or_default(),
        receive_count: r
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1),
        body: r.body.unwrap_or_default(),
        receipt: r.receipt_handle,
    }
}

/// Delivers every record of `event`; the answer names those SQS should deliver again.
pub async fn handle<C: Consumer>(consumer: &Arc<C>, event: SqsEvent) -> SqsBatchResponse {
    let messages = event.records.into_iter().map(message).collect();
    let mut response = SqsBatchResponse::default();
    for id in drive::batch(consumer, messages).await {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}
