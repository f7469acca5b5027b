//! HTTP: routers for each Lambda function (and all of them for the local server), the extractors
//! that authenticate and parse requests, and the one mapping of errors to the Oz error body.

pub mod error;
pub mod extract;
pub mod json;
pub mod lite;
pub mod multipart;
pub mod openapi;
pub mod router;
pub mod routes;
pub mod web;

pub use router::{Function, router};
