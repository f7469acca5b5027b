//! Lambda function `webhooks`: delivers the signed result webhooks queued when a request's
//! analyses have all ended; failed attempts come back after a growing delay, then park in the
//! dead-letter queue. A thin entry point over `shared::events::WebhookDeliveries`.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::events::{WebhookDeliveries, sqs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let consumer = Arc::new(WebhookDeliveries::new(shared::wiring::from_env().await?));
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let consumer = consumer.clone();
        async move { Ok::<_, lambda_runtime::Error>(sqs::handle(&consumer, event.payload).await) }
    }))
    .await
}
