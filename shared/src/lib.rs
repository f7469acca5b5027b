//! The Oz-compatible API as a library: domain types and rules, the ports the domain needs, the
//! embedded adapters for running on one machine, the application services, and the HTTP routes
//! that both the Lambda functions and the local server mount.

pub mod api;
pub mod app;
pub mod aws;
pub mod config;
pub mod domain;
pub mod error;
pub mod local;
pub mod ports;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::App;
pub use config::Config;
pub use error::{Error, Result};
