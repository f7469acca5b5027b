//! Wall-clock time as the API reports it: Unix seconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds with sub-second precision (the Oz `time_created` format).
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Now, in whole Unix seconds.
pub fn now_secs() -> i64 {
    now() as i64
}

/// A sort key that orders by time: zero-padded microseconds.
pub fn time_key(t: f64) -> String {
    format!("{:016}", (t * 1e6) as u64)
}
