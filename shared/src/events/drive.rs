//! The step every driver takes for every delivery.

use std::sync::Arc;

use tracing::Instrument as _;

use super::{Consumer, Message, Outcome};

/// Runs `consumer` on message `m` in a task of its own: a panic becomes
/// [`Consumer::after_panic`], the delivery's visibility is renewed every third of
/// [`Consumer::lease`] from its start while it runs (so a worker that dies mid-job holds it for
/// one lease only),
/// and a [`Outcome::Retry`] delay becomes the message's visibility. Deleting a
/// [`Outcome::Done`] message is the driver's part.
pub async fn deliver<C: Consumer>(consumer: &Arc<C>, m: Message) -> Outcome {
    let span = tracing::info_span!("message", consumer = consumer.name(), message_id = %m.id,
        receive_count = m.receive_count);
    let queue = consumer.queue();
    let task = {
        let (c, m) = (consumer.clone(), m.clone());
        tokio::spawn(async move { c.handle(&m).await }.instrument(span.clone()))
    };
    let mut task = std::pin::pin!(task);
    let joined = match (consumer.lease(), &queue, &m.receipt) {
        (Some(lease), Some(q), Some(receipt)) => {
            // The first beat is now: a received message is hidden for the queue's own timeout
            // (15 min on SQS), and a worker that died before its first renewal would leave it
            // hidden that long instead of one lease.
            let mut beat = tokio::time::interval(lease / 3);
            loop {
                tokio::select! {
                    r = &mut task => break r,
                    _ = beat.tick() => {
                        if let Err(e) = q.extend_visibility(receipt, lease).await {
                            tracing::warn!(parent: &span, error = %e, "lease renewal failed");
                        }
                    }
                }
            }
        }
        _ => task.await,
    };
    let outcome = joined.unwrap_or_else(|e| {
        tracing::error!(parent: &span, error = %e, "message handler panicked");
        consumer.after_panic()
    });
    if let (Outcome::Retry(Some(delay)), Some(q), Some(receipt)) = (outcome, &queue, &m.receipt)
        && let Err(e) = q.extend_visibility(receipt, delay).await
    {
        tracing::warn!(parent: &span, error = %e, "setting the retry delay failed");
    }
    outcome
}

/// Delivers every message of a batch, one after another; returns the ids of those to deliver
/// again.
pub async fn batch<C: Consumer>(consumer: &Arc<C>, messages: Vec<Message>) -> Vec<String> {
    let mut failed = Vec::new();
    for m in messages {
        let id = m.id.clone();
        if deliver(consumer, m).await != Outcome::Done {
            failed.push(id);
        }
    }
    failed
}
