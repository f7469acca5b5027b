//! [`EngineAnalyzer`] puts the face engine behind the [`shared::ports::Analyzer`] port. Kept out of
//! `shared` so the API functions that need no engine do not link it; the analysis worker itself
//! is a consumer of `shared::events`.

pub mod engine_analyzer;

pub use engine_analyzer::EngineAnalyzer;
