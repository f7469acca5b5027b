//! The poll driver: the local server takes messages from a queue itself, as Lambda's event
//! source mapping does for the functions.

use std::sync::Arc;
use std::time::Duration;

use super::{Consumer, Outcome, drive};

/// How long one receive waits for a message.
const WAIT: Duration = Duration::from_secs(1);

/// Starts `loops` tasks that receive up to `batch` messages at a time from the consumer's queue
/// until the process ends, deliver each, and delete those that are done. A consumer without a
/// queue has nothing to poll.
pub fn spawn<C: Consumer>(consumer: Arc<C>, loops: usize, batch: usize) {
    let Some(queue) = consumer.queue() else {
        tracing::error!(
            consumer = consumer.name(),
            "nothing to poll: the consumer has no queue"
        );
        return;
    };
    // A receive whose answer is lost (the peer cut mid-reply) hides its messages unseen: for
    // one lease rather than the queue's timeout (15 min for analyses) when each message is
    // renewed from its receipt on, i.e. one at a time; a batch's waiting messages are not.
    let hide = consumer.lease().filter(|_| batch == 1);
    for n in 0..loops {
        let (consumer, queue) = (consumer.clone(), queue.clone());
        tokio::spawn(async move {
            tracing::info!(consumer = consumer.name(), loop_ = n, "polling");
            loop {
                let received = match queue.receive_hidden(batch, WAIT, hide).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(consumer = consumer.name(), error = %e, "receiving failed");
                        tokio::time::sleep(WAIT).await;
                        continue;
                    }
                };
                for r in received {
                    let receipt = r.receipt.clone();
                    if drive::deliver(&consumer, r.into()).await == Outcome::Done
                        && let Err(e) = queue.delete(&receipt).await
                    {
                        tracing::error!(consumer = consumer.name(), error = %e, "deleting a done message failed");
                    }
                }
            }
        });
    }
}
