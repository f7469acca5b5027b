//! Lambda function `uploads`: S3 "object created" events on the media bucket complete direct
//! (presigned PUT) uploads. A thin entry point over `shared::events::UploadEvents`.

use std::sync::Arc;

use aws_lambda_events::s3::S3Event;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::events::{UploadEvents, s3};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let consumer = Arc::new(UploadEvents::new(shared::wiring::from_env().await?));
    lambda_runtime::run(service_fn(|event: LambdaEvent<S3Event>| {
        let consumer = consumer.clone();
        async move {
            s3::handle(&consumer, event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
