//! Lambda function `webhooks`: delivers the signed result webhooks queued when a request's
//! analyses have all ended; failed attempts come back after a growing delay, then park in the
//! dead-letter queue. A thin entry point over `shared::api::queue_events`.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = shared::App::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let app = app.clone();
        async move {
            Ok::<_, lambda_runtime::Error>(
                shared::api::queue_events::handle_webhooks(&app, event.payload).await,
            )
        }
    }))
    .await
}
