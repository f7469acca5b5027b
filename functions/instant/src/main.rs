//! Lambda function `instant`: the Instant API (`POST /api/instant/folders/`), analyses answered in
//! the same response with nothing stored. Reads the table only to check the access token; loads
//! the face engine (models from the layer at `OZ_MODELS_DIR`) at init.

use std::sync::Arc;

use shared::api::{Function, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = shared::wiring::from_env().await?;
    app.analyzer
        .set(Arc::new(face_analyzer::EngineAnalyzer::load().await?));
    lambda_http::run(router(app, &[Function::Instant])).await
}
