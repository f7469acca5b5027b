//! [`Queue`] on an SQS standard queue. Redrive to the dead-letter queue is the queue's own
//! `RedrivePolicy` (set by the SAM template, or by [`super::provision`] for moto).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};

use crate::ports::{MAX_RECEIVE, Queue, QueueError, Received};

/// One SQS queue, by URL.
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    /// The queue at `url`.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

fn sdk_error<E, R>(what: &str, e: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let stale = e
        .as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| {
            matches!(
                c,
                "ReceiptHandleIsInvalid" | "InvalidParameterValue" | "MessageNotInflight"
            ) || c.ends_with("ReceiptHandleIsInvalid")
        });
    if stale {
        return QueueError::StaleReceipt;
    }
    QueueError::Backend(
        anyhow::Error::msg(DisplayErrorContext(e).to_string()).context(what.to_string()),
    )
}

/// SQS's longest long poll.
const MAX_WAIT: Duration = Duration::from_secs(20);

#[async_trait]
impl Queue for SqsQueue {
    async fn send(
        &self,
        body: &str,
        attributes: &[(&str, &str)],
        delay: Duration,
    ) -> Result<String, QueueError> {
        let mut req = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(delay.as_secs().min(900) as i32);
        for (k, v) in attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(*v)
                .build()
                .map_err(|e| QueueError::Backend(e.into()))?;
            req = req.message_attributes(*k, value);
        }
        let out = req.send().await.map_err(|e| sdk_error("send message", e))?;
        Ok(out.message_id.unwrap_or_default())
    }

    async fn receive_hidden(
        &self,
        max: usize,
        wait: Duration,
        hide: Option<Duration>,
    ) -> Result<Vec<Received>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, MAX_RECEIVE) as i32)
            .wait_time_seconds(wait.min(MAX_WAIT).as_secs() as i32)
            .set_visibility_timeout(hide.map(|h| h.as_secs().clamp(1, 43_200) as i32))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| sdk_error("receive messages", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| Received {
                receive_count: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
                sent_at: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
                    .and_then(|ms| ms.parse::<f64>().ok())
                    .map(|ms| ms / 1e3),
                attributes: m
                    .message_attributes()
                    .map(|a| {
                        a.iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
                            .collect()
                    })
                    .unwrap_or_default(),
                id: m.message_id.unwrap_or_default(),
                receipt: m.receipt_handle.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        match self
            .client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("delete message", e) {
                // The message is already gone or redelivered to another consumer: nothing to do.
                QueueError::StaleReceipt => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn extend_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(timeout.as_secs().min(12 * 3600) as i32)
            .send()
            .await
            .map_err(|e| sdk_error("change visibility", e))?;
        Ok(())
    }
}
