//! Creates the table, bucket and queues the way `template.yaml` declares them, for emulators
//! (moto, LocalStack) and tests. Every step tolerates the resource already existing.

use std::time::Duration;

use anyhow::{Context as _, anyhow};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

use super::Clients;
use crate::config::{ANALYSIS_QUEUE_VISIBILITY, Config, WEBHOOK_QUEUE_VISIBILITY};
use crate::ports::INDEXES;

/// Creates every resource `config.aws` names that does not exist yet, the queues with the
/// configured redrive (`maxReceiveCount`), as `template.yaml` does.
pub async fn ensure_all(c: &Clients, config: &Config) -> anyhow::Result<()> {
    let res = &config.aws;
    ensure_table(&c.dynamodb, &res.table).await?;
    ensure_bucket(&c.s3, &res.bucket).await?;
    for (name, visibility, receives) in [
        (
            &res.analysis_queue,
            ANALYSIS_QUEUE_VISIBILITY,
            config.analysis_max_receives,
        ),
        (
            &res.webhook_queue,
            WEBHOOK_QUEUE_VISIBILITY,
            config.webhooks.max_receives,
        ),
    ] {
        if !name.contains("://") {
            ensure_queue(&c.sqs, name, visibility, receives).await?;
        }
    }
    Ok(())
}

fn key(name: &str, kind: KeyType) -> anyhow::Result<KeySchemaElement> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()?)
}

/// The single table: `pk`/`sk`, GSIs `gsi1..3` on `i{n}pk`/`i{n}sk`, TTL on `expires_at`.
pub async fn ensure_table(ddb: &aws_sdk_dynamodb::Client, table: &str) -> anyhow::Result<()> {
    let mut req = ddb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?);
    let mut attrs = vec!["pk".to_string(), "sk".to_string()];
    for n in 1..=INDEXES {
        let (p, s) = (format!("i{n}pk"), format!("i{n}sk"));
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(format!("gsi{n}"))
                .key_schema(key(&p, KeyType::Hash)?)
                .key_schema(key(&s, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        );
        attrs.extend([p, s]);
    }
    for a in attrs {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a)
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceInUseException") => return Ok(()),
        Err(e) => {
            return Err(anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e)))
                .with_context(|| format!("creating table {table}"));
        }
    }
    ddb.update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(true)
                .build()?,
        )
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e)))
        .context("enabling TTL")?;
    Ok(())
}

/// The media bucket.
pub async fn ensure_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> anyhow::Result<()> {
    match s3.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.code(),
                Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(anyhow!(aws_sdk_s3::error::DisplayErrorContext(e)))
            .with_context(|| format!("creating bucket {bucket}")),
    }
}

/// Queue `name` with dead-letter queue `name-dlq` taking messages after `max_receives`
/// deliveries; returns `(queue URL, dead-letter queue URL)`.
pub async fn ensure_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    visibility: Duration,
    max_receives: u32,
) -> anyhow::Result<(String, String)> {
    let dlq_url = create_queue(sqs, &format!("{name}-dlq"), &[]).await?;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e)))?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .context("dead-letter queue without ARN")?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": max_receives.to_string(),
    });
    let url = create_queue(
        sqs,
        name,
        &[
            (
                QueueAttributeName::VisibilityTimeout,
                visibility.as_secs().to_string(),
            ),
            (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        ],
    )
    .await?;
    Ok((url, dlq_url))
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attrs: &[(QueueAttributeName, String)],
) -> anyhow::Result<String> {
    let mut req = sqs.create_queue().queue_name(name);
    for (k, v) in attrs {
        req = req.attributes(k.clone(), v);
    }
    let out = req
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e)))
        .with_context(|| format!("creating queue {name}"))?;
    out.queue_url.context("queue without URL")
}

/// `queue` itself when it is a URL, otherwise the URL of the queue with that name.
pub async fn queue_url(sqs: &aws_sdk_sqs::Client, queue: &str) -> anyhow::Result<String> {
    if queue.contains("://") {
        return Ok(queue.to_string());
    }
    sqs.get_queue_url()
        .queue_name(queue)
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e)))
        .with_context(|| format!("looking up queue {queue}"))?
        .queue_url
        .context("queue without URL")
}
