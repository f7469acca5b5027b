//! The Oz-compatible API as a library: domain types and rules ([`domain`]), the ports the
//! services need ([`ports`]), the services over them ([`app`]), the two ways work reaches them —
//! HTTP routes ([`api`]) and queue or notification messages ([`events`]) — and the adapters,
//! embedded ([`local`]) and AWS ([`aws`]), which [`wiring`] builds from the [`config`].

pub mod api;
pub mod app;
pub mod aws;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod json;
#[cfg(test)]
mod layering;
pub mod local;
pub mod metrics;
pub mod ports;
#[cfg(test)]
mod properties;
#[cfg(feature = "testing")]
pub mod testing;
pub mod wiring;

pub use app::App;
pub use config::Config;
pub use error::{Error, Result};
