//! Stills [`crate::probe_then_decode`] just decoded, held for a moment so that [`crate::decode`]
//! of the same bytes in the same process does not decode them again: the Instant API, API Lite
//! and collection enrolment check an upload (a full decode, so a truncated photo is refused at
//! once) and then analyse it, which used to cost a second decode (~17 ms a photo). A plain
//! [`crate::probe`] (a folder upload, analysed later and perhaps elsewhere) holds nothing.
//!
//! Bounded: at most [`MAX_BYTES`] of pixels and copies held, each entry at most [`MAX_AGE`]
//! old and handed out once. A hit needs the very same bytes (compared in full, not by hash),
//! and a stricter `max_pixels` at decode time than at probe time still refuses the image.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::still::Still;

/// Most bytes (decoded pixels plus the compressed copy used as the key) held at once.
pub(crate) const MAX_BYTES: usize = 64 << 20;
/// How long a probed still waits for its decode.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(30);

struct Entry {
    bytes: Box<[u8]>,
    still: Still,
    kept: Instant,
}

impl Entry {
    fn size(&self) -> usize {
        self.bytes.len() + self.still.image.as_raw().len()
    }
}

static HELD: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn held() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    // A panic while the lock was held leaves nothing half-written worth refusing over.
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

/// Holds `still` for a later [`take`] of the same `bytes`; the oldest entries go first when the
/// bound is reached, and a still larger than half the bound is not held.
pub(crate) fn keep(bytes: &[u8], still: Still) {
    let entry = Entry {
        bytes: bytes.into(),
        still,
        kept: Instant::now(),
    };
    if entry.size() > MAX_BYTES / 2 {
        return;
    }
    let mut held = held();
    held.retain(|e| e.kept.elapsed() < MAX_AGE && *e.bytes != *bytes);
    let mut total: usize = held.iter().map(Entry::size).sum::<usize>() + entry.size();
    while total > MAX_BYTES && !held.is_empty() {
        total -= held.remove(0).size();
    }
    held.push(entry);
}

/// The still [`keep`] holds for exactly these `bytes`, removed from the store.
pub(crate) fn take(bytes: &[u8]) -> Option<Still> {
    let mut held = held();
    held.retain(|e| e.kept.elapsed() < MAX_AGE);
    let i = held.iter().position(|e| *e.bytes == *bytes)?;
    Some(held.swap_remove(i).still)
}

/// Whether a still is held for exactly these `bytes` (and not yet taken).
pub(crate) fn is_held(bytes: &[u8]) -> bool {
    held()
        .iter()
        .any(|e| e.kept.elapsed() < MAX_AGE && *e.bytes == *bytes)
}

#[cfg(test)]
mod tests {
    use image::ImageFormat;

    use super::*;
    use crate::{Limits, Sampling, testutil};

    #[test]
    fn a_probed_still_is_decoded_once_and_handed_out_once() {
        let jpeg = testutil::encode(&testutil::noise(90, 70), ImageFormat::Jpeg);
        let fresh = crate::still::decode_still(&jpeg, &Limits::default()).unwrap();
        crate::probe_then_decode(&jpeg, &Limits::default()).unwrap();
        assert!(is_held(&jpeg));
        let other = testutil::encode(&testutil::noise(90, 71), ImageFormat::Jpeg);
        assert!(take(&other).is_none(), "other bytes are not a hit");
        let decoded = crate::decode(&jpeg, &Limits::default(), Sampling::Evenly(1)).unwrap();
        assert!(!is_held(&jpeg), "a hit is removed");
        assert_eq!(decoded.frames[0].image, fresh.image);
        assert_eq!(decoded.info, fresh.info());
        // Decoded again: from the bytes, the same pixels.
        let again = crate::decode(&jpeg, &Limits::default(), Sampling::Evenly(1)).unwrap();
        assert_eq!(again.frames[0].image, fresh.image);
    }

    #[test]
    fn a_plain_probe_holds_nothing() {
        let jpeg = testutil::encode(&testutil::noise(90, 72), ImageFormat::Jpeg);
        crate::probe(&jpeg, &Limits::default()).unwrap();
        assert!(!is_held(&jpeg));
    }

    #[test]
    fn a_stricter_decode_limit_still_refuses_a_held_still() {
        let png = testutil::encode(&testutil::noise(100, 50), ImageFormat::Png);
        crate::probe_then_decode(&png, &Limits::default()).unwrap();
        let strict = Limits {
            max_pixels: 4_000,
            ..Limits::default()
        };
        let e = crate::decode(&png, &strict, Sampling::Evenly(1)).unwrap_err();
        assert!(matches!(e, crate::DecodeError::LimitExceeded(_)), "{e}");
    }

    #[test]
    fn the_store_stays_within_its_bound() {
        // 1200 × 1000 × 3 B = 3.6 MB each: twenty of them are beyond the bound.
        let first = testutil::encode(&testutil::pattern(1200, 1000, 0), ImageFormat::Png);
        crate::probe_then_decode(&first, &Limits::default()).unwrap();
        for x in 1..20 {
            let png = testutil::encode(&testutil::pattern(1200, 1000, x * 20), ImageFormat::Png);
            crate::probe_then_decode(&png, &Limits::default()).unwrap();
        }
        assert!(held().iter().map(Entry::size).sum::<usize>() <= MAX_BYTES);
        assert!(!is_held(&first), "the oldest went first");
    }
}
