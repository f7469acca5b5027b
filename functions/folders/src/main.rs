//! Lambda function `folders`: folders, media uploads and downloads, metadata. A thin entry point over the shared routes.

use shared::api::{Function, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = shared::wiring::from_env().await?;
    lambda_http::run(router(app, &[Function::Folders])).await
}
