//! Embedded adapters: everything persists under one data folder, so `cargo run` needs no AWS
//! account and keeps its data across restarts.

pub mod fs_blobs;
pub mod sqlite_queue;
pub mod sqlite_store;

pub use fs_blobs::FsBlobs;
pub use sqlite_queue::{Redrive, SqliteQueue};
pub use sqlite_store::SqliteStore;

/// Whether `e` is a full disk (or quota) under the embedded data folder: a file write's
/// `ENOSPC`/`EDQUOT`, or SQLite's `SQLITE_FULL`.
pub fn disk_full(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        }) || cause
            .downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code)
            == Some(rusqlite::ErrorCode::DiskFull)
    })
}

#[cfg(test)]
mod tests {
    use super::disk_full;
    use anyhow::Context as _;

    #[test]
    fn a_full_disk_is_told_apart_from_other_failures() {
        let enospc = std::io::Error::from_raw_os_error(28);
        let written: anyhow::Result<()> = Err(enospc).context("writing blob");
        assert!(disk_full(&written.unwrap_err()));
        let sqlite_full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        assert!(disk_full(
            &anyhow::Error::new(sqlite_full).context("insert")
        ));
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!disk_full(&anyhow::Error::new(denied)));
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(!disk_full(&anyhow::Error::new(busy)));
    }
}
