//! S3 notifications: a Lambda invoked with "object created" records delivers each object key as
//! a message. S3 invokes asynchronously and has no per-record failure report, so any failed
//! record fails the invocation and Lambda retries the whole notice; consumers of it are
//! idempotent.

use std::sync::Arc;

use aws_lambda_events::s3::S3Event;

use super::{Consumer, Message, drive};

/// Delivers the key of every "object created" record of `event` (other records are ignored).
pub async fn handle<C: Consumer>(consumer: &Arc<C>, event: S3Event) -> anyhow::Result<()> {
    let messages: Vec<Message> = event
        .records
        .into_iter()
        .filter(|r| {
            r.event_name
                .as_deref()
                .is_some_and(|n| n.starts_with("ObjectCreated"))
        })
        .filter_map(|r| r.s3.object.key)
        .map(|key| Message {
            id: key.clone(),
            body: key,
            receipt: None,
            receive_count: 1,
            sent_at: None,
        })
        .collect();
    let failed = drive::batch(consumer, messages).await;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "objects not handled: {}",
            failed.join(", ")
        ))
    }
}
