//! The SQS batch driver: a Lambda invoked with an SQS batch delivers each record and reports
//! the ones to redeliver (`ReportBatchItemFailures`), so one bad message does not bring back
//! the others.

use std::sync::Arc;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

use super::{Consumer, Message, drive};

fn message(r: SqsMessage) -> Message {
    let attribute = |name: &str| r.attributes.get(name).and_then(|n| n.parse::<f64>().ok());
    Message {
        receive_count: attribute("ApproximateReceiveCount").map_or(1, |n| n as u32),
        sent_at: attribute("SentTimestamp").map(|ms| ms / 1e3),
        id: r.message_id.unwrap_or_default(),
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
