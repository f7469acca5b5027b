//! Lambda function `worker`: SQS batches of analysis jobs, run on the face engine (models from
//! the layer at `OZ_MODELS_DIR`), failed messages reported for redelivery. A thin entry point over
//! `face_analyzer::worker`.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::ports::Analyzer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = shared::App::from_env().await?;
    let analyzer: Arc<dyn Analyzer> = Arc::new(face_analyzer::EngineAnalyzer::load().await?);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (app, analyzer) = (app.clone(), analyzer.clone());
        async move {
            Ok::<_, lambda_runtime::Error>(
                face_analyzer::worker::handle_sqs_batch(app, analyzer, event.payload).await,
            )
        }
    }))
    .await
}
