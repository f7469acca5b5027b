//! Lambda function `worker`: SQS batches of analysis jobs, run on the face engine (models from
//! the layer at `OZ_MODELS_DIR`), failed messages reported for redelivery. A thin entry point over
//! `shared::events::AnalysisJobs`.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::events::{AnalysisJobs, sqs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = shared::wiring::from_env().await?;
    let analyzer = Arc::new(face_analyzer::EngineAnalyzer::load().await?);
    let consumer = Arc::new(AnalysisJobs::new(app, analyzer));
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let consumer = consumer.clone();
        async move { Ok::<_, lambda_runtime::Error>(sqs::handle(&consumer, event.payload).await) }
    }))
    .await
}
