//! The local server of the Oz-compatible API, as a library so end-to-end tests can start it
//! in-process on a random port.

pub mod serve;
