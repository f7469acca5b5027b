//! AWS adapters for the ports: DynamoDB ([`DynamoStore`]), S3 ([`S3Blobs`]) and SQS
//! ([`SqsQueue`]). Endpoint, region and credentials come from the SDK's usual sources
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, the Lambda role), so the same code talks to AWS or to moto.

pub mod dynamo;
pub mod provision;
pub mod s3;
pub mod sqs;

use anyhow::Context as _;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::config::Config;
pub use dynamo::DynamoStore;
pub use s3::S3Blobs;
pub use sqs::SqsQueue;

/// The SDK clients of one deployment.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// Clients over `sdk`; `path_style` addresses S3 as `endpoint/bucket/key` (emulators need it).
    pub fn new(sdk: &SdkConfig, path_style: bool) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(path_style)
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(s3),
            sqs: aws_sdk_sqs::Client::new(sdk),
        }
    }
}

/// The SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL`).
pub async fn sdk_config_from_env() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// The adapters for the resources `config.aws` names, created first when `create_resources`.
pub struct AwsAdapters {
    pub store: DynamoStore,
    pub blobs: S3Blobs,
    pub analysis_queue: SqsQueue,
    pub analysis_dead_letters: SqsQueue,
    pub webhook_queue: SqsQueue,
    pub webhook_dead_letters: SqsQueue,
}

impl AwsAdapters {
    /// Connects to (and, if asked, creates) the table, bucket and queues.
    pub async fn connect(sdk: &SdkConfig, config: &Config) -> anyhow::Result<Self> {
        let res = &config.aws;
        let c = Clients::new(sdk, res.s3_path_style);
        if res.create_resources {
            provision::ensure_all(&c, config)
                .await
                .context("creating AWS resources")?;
        }
        Ok(Self {
            store: DynamoStore::new(c.dynamodb.clone(), &res.table),
            blobs: S3Blobs::new(c.s3.clone(), &res.bucket),
            analysis_queue: SqsQueue::new(
                c.sqs.clone(),
                provision::queue_url(&c.sqs, &res.analysis_queue).await?,
            ),
            analysis_dead_letters: SqsQueue::new(
                c.sqs.clone(),
                provision::queue_url(&c.sqs, &res.analysis_dead_letters).await?,
            ),
            webhook_queue: SqsQueue::new(
                c.sqs.clone(),
                provision::queue_url(&c.sqs, &res.webhook_queue).await?,
            ),
            webhook_dead_letters: SqsQueue::new(
                c.sqs.clone(),
                provision::queue_url(&c.sqs, &res.webhook_dead_letters).await?,
            ),
        })
    }
}
