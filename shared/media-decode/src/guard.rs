//! Turns a panic inside a dependency (demuxer, decoder wrapper) into [`DecodeError::Corrupt`].
//!
//! Sizes are checked before the dependencies run, so a panic here means malformed input that a
//! parser did not expect, never an allocation failure (those abort and cannot be caught).
//! This relies on `panic = "unwind"`, the default, in every profile that ships this crate.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::DecodeError;

/// Runs `f`; a panic becomes `Corrupt("<what>: …")`.
pub(crate) fn guarded<T>(
    what: &str,
    f: impl FnOnce() -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no detail".to_owned());
            tracing::warn!(what, detail, "decoder panicked on malformed input");
            Err(DecodeError::Corrupt(format!(
                "{what}: malformed data made the parser give up ({detail})"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::guarded;
    use crate::DecodeError;

    #[test]
    fn panic_becomes_corrupt() {
        let r: Result<(), DecodeError> = guarded("test", || panic!("boom"));
        match r {
            Err(DecodeError::Corrupt(m)) => assert!(m.contains("boom"), "{m}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
