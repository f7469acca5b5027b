//! Lambda function `deadletters`: analysis jobs that exhausted their retries end their analyses
//! FAILED with a reason, so clients polling them stop waiting. A thin entry point over
//! `shared::events::AnalysisDeadLetters`.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::events::{AnalysisDeadLetters, sqs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let consumer = Arc::new(AnalysisDeadLetters::new(shared::wiring::from_env().await?));
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let consumer = consumer.clone();
        async move { Ok::<_, lambda_runtime::Error>(sqs::handle(&consumer, event.payload).await) }
    }))
    .await
}
