//! The event sources the Lambda service runs for the template's functions, played against moto:
//! SQS event source mappings (receive up to `BatchSize`, invoke with the SQS event, delete what
//! succeeded, honour `batchItemFailures`) and S3 "object created" notifications (moto sends
//! none, so new objects are found by listing the bucket).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use serde_json::{Value, json};

use super::runtime_api::{Instance, Outcome};

/// What the event sources did, for the test to check.
#[derive(Default, Debug)]
pub struct Deliveries {
    /// Messages invoked and deleted (succeeded), by queue logical id.
    pub succeeded: HashMap<String, usize>,
    /// Messages left on the queue (a batch item failure or a failed invocation).
    pub failed: HashMap<String, usize>,
    /// S3 keys notified.
    pub notified: Vec<String>,
}

pub type Shared = Arc<std::sync::Mutex<Deliveries>>;

/// An SQS event source mapping of the template: the queue (logical id and URL) and its
/// `BatchSize` / `FunctionResponseTypes: [ReportBatchItemFailures]`.
pub struct SqsMapping {
    pub queue_id: String,
    pub queue_url: String,
    pub batch_size: usize,
    pub partial_failures: bool,
}

/// Polls `queue_url` and invokes `function` with each batch, until aborted.
pub fn sqs_mapping(
    sqs: aws_sdk_sqs::Client,
    mapping: SqsMapping,
    function: Arc<Instance>,
    log: Shared,
    enabled: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let SqsMapping {
        queue_id,
        queue_url,
        batch_size,
        partial_failures,
    } = mapping;
    tokio::spawn(async move {
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .ok()
            .and_then(|a| a.attributes?.get(&QueueAttributeName::QueueArn).cloned())
            .unwrap_or_default();
        loop {
            if !enabled.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let got = sqs
                .receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages(batch_size.min(10) as i32)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await;
            let Ok(got) = got else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                continue;
            }
            if !enabled.load(Ordering::SeqCst) {
                // Disabled while this receive was in flight: hand the messages back untouched.
                for m in &messages {
                    release(&sqs, &queue_url, m).await;
                }
                continue;
            }
            let records: Vec<Value> = messages.iter().map(|m| record(m, &arn)).collect();
            let outcome = function.invoke(&json!({ "Records": records })).await;
            let failed: HashSet<String> = match &outcome {
                Outcome::Response(v) if partial_failures => v["batchItemFailures"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
                    .collect(),
                Outcome::Response(_) => HashSet::new(),
                Outcome::Error(_) => messages
                    .iter()
                    .filter_map(|m| m.message_id.clone())
                    .collect(),
            };
            for m in &messages {
                let receipt = m.receipt_handle.clone().unwrap_or_default();
                let id = m.message_id.clone().unwrap_or_default();
                if failed.contains(&id) {
                    release(&sqs, &queue_url, m).await;
                    *log.lock()
                        .unwrap()
                        .failed
                        .entry(queue_id.clone())
                        .or_default() += 1;
                } else {
                    let _ = sqs
                        .delete_message()
                        .queue_url(&queue_url)
                        .receipt_handle(receipt)
                        .send()
                        .await;
                    *log.lock()
                        .unwrap()
                        .succeeded
                        .entry(queue_id.clone())
                        .or_default() += 1;
                }
            }
        }
    })
}

/// Makes `m` visible again at once rather than after the queue's visibility timeout (15 min for
/// analyses): the test would otherwise wait that long per retry.
async fn release(sqs: &aws_sdk_sqs::Client, queue_url: &str, m: &aws_sdk_sqs::types::Message) {
    let _ = sqs
        .change_message_visibility()
        .queue_url(queue_url)
        .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
        .visibility_timeout(0)
        .send()
        .await;
}

/// One message as the SQS event record Lambda builds.
fn record(m: &aws_sdk_sqs::types::Message, arn: &str) -> Value {
    let attributes: serde_json::Map<String, Value> = m
        .attributes
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone())))
        .collect();
    let message_attributes: serde_json::Map<String, Value> = m
        .message_attributes
        .iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                json!({
                    "stringValue": v.string_value,
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": v.data_type,
                }),
            )
        })
        .collect();
    json!({
        "messageId": m.message_id,
        "receiptHandle": m.receipt_handle,
        "body": m.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": m.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    })
}

/// Notifies `function` of every object created in `bucket` (found by listing), until aborted.
pub fn s3_notifications(
    s3: aws_sdk_s3::Client,
    bucket: String,
    function: Arc<Instance>,
    log: Shared,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen: HashSet<(String, String)> = HashSet::new();
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let Ok(list) = s3.list_objects_v2().bucket(&bucket).send().await else {
                continue;
            };
            for o in list.contents.unwrap_or_default() {
                let key = o.key.clone().unwrap_or_default();
                let etag = o.e_tag.clone().unwrap_or_default();
                if !seen.insert((key.clone(), etag.clone())) {
                    continue;
                }
                let event = json!({"Records": [{
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-12-02T00:00:00.000Z",
                    "eventName": "ObjectCreated:Put",
                    "userIdentity": {"principalId": "AWS:EMULATOR"},
                    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                    "responseElements": {"x-amz-request-id": "EMULATOR", "x-amz-id-2": "EMULATOR"},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "MediaUploaded",
                        "bucket": {
                            "name": bucket,
                            "ownerIdentity": {"principalId": "EMULATOR"},
                            "arn": format!("arn:aws:s3:::{bucket}"),
                        },
                        "object": {
                            // Keys arrive URL-encoded in S3 events.
                            "key": key
                                .split('/')
                                .map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>())
                                .collect::<Vec<_>>()
                                .join("/"),
                            "size": o.size.unwrap_or(0),
                            "eTag": etag.trim_matches('"'),
                            "sequencer": "0",
                        },
                    },
                }]});
                if let Outcome::Error(e) = function.invoke(&event).await {
                    eprintln!("[s3] {key}: uploads failed: {e}");
                }
                log.lock().unwrap().notified.push(key);
            }
        }
    })
}
