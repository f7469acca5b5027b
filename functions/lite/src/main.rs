//! Lambda function `lite`: API Lite (`/v1/face/...`, `/version`) on the face engine, loaded at
//! init from the models layer. No table, no bucket; callers must send `OZ_LITE_API_KEY` as
//! `X-Api-Key`, which this function requires to be set.

use std::sync::Arc;

use shared::api::lite::{Lite, router};
use shared::app::AnalyzerSlot;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = shared::Config::from_env()?;
    if config.lite_api_key.is_none() {
        return Err("OZ_LITE_API_KEY must be set: API Lite on AWS is keyed".into());
    }
    let slot = AnalyzerSlot::new();
    slot.set(Arc::new(face_analyzer::EngineAnalyzer::load().await?));
    lambda_http::run(router(Arc::new(Lite::new(&config, slot)))).await
}
