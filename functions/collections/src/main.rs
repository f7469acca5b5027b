//! Lambda function `collections`: blacklist collections, persons and person images
//! (`/api/collections/...`). Enrolling an image computes its face template, so the function loads
//! the face engine (models from the layer at `OZ_MODELS_DIR`) at init.

use std::sync::Arc;

use shared::api::{Function, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = shared::wiring::from_env().await?;
    app.analyzer
        .set(Arc::new(face_analyzer::EngineAnalyzer::load().await?));
    lambda_http::run(router(app, &[Function::Collections])).await
}
