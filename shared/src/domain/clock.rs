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

/// A sort key that orders by time: zero-padded microseconds. Items are rewritten under the key
/// derived from their stored `time_created`, so that float must read back bit-exact: serde_json's
/// `float_roundtrip` feature (workspace) guarantees it; without it a 1-ulp parse error could move
/// the key across a microsecond and a conditional rewrite would miss its own item.
pub fn time_key(t: f64) -> String {
    format!("{:016}", (t * 1e6) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_survive_a_json_round_trip() {
        let mut t = 1_764_126_000.0_f64;
        for i in 0..100_000 {
            t += 0.000_123_456_7 * f64::from(i % 7 + 1);
            let back: f64 = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
            assert_eq!(time_key(back), time_key(t), "{t}");
        }
    }
}
