//! Embedded adapters: everything persists under one data folder, so `cargo run` needs no AWS
//! account and keeps its data across restarts.

pub mod fs_blobs;
pub mod sqlite_queue;
pub mod sqlite_store;

pub use fs_blobs::FsBlobs;
pub use sqlite_queue::{Redrive, SqliteQueue};
pub use sqlite_store::SqliteStore;
