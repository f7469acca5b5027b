//! Lambda function `uploads`: S3 "object created" events on the media bucket complete direct
//! (presigned PUT) uploads. A thin entry point over the shared event handler.

use aws_lambda_events::s3::S3Event;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = shared::App::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<S3Event>| {
        let app = app.clone();
        async move {
            shared::api::object_events::handle(&app, event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
