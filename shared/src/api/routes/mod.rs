//! Handlers: each parses its input, calls one service, and shapes the response.

pub mod analyses;
pub mod auth;
pub mod collections;
pub mod companies;
pub mod files;
pub mod folders;
pub mod instant;
pub mod media;
pub mod metadata;
pub mod users;

use std::sync::Arc;

/// Shared state of every handler.
pub type AppState = axum::extract::State<Arc<crate::App>>;
