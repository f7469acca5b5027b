//! The analysis side of the product: [`EngineAnalyzer`] puts the face engine behind the
//! [`shared::ports::Analyzer`] port, and [`worker`] runs analysis jobs from the queue (an
//! in-process pool for the local server, an SQS batch handler for the `worker` Lambda).
//! Kept out of `shared` so the API functions do not link the engine.

pub mod engine_analyzer;
pub mod worker;

pub use engine_analyzer::EngineAnalyzer;
