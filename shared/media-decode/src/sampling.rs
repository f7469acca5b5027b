//! Which frames a decode returns.

/// Frame selection for [`crate::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Every frame (bounded by `Limits::max_frames` and `Limits::max_decoded_bytes`).
    All,
    /// At most `n` frames spread evenly over the media, first and last included (`n == 1`: the
    /// middle frame; `n == 0`: no frames, metadata only). Video frames that are not returned are
    /// decoded only as far as needed for reference, never colour-converted.
    Evenly(usize),
    /// Only sync samples (keyframes) of a video; only those are decoded. Every image of a shot
    /// set, the image itself for a photo.
    KeyframesOnly,
}

/// Positions (ascending, distinct) of at most `n` items spread evenly over `0..total`: the
/// frames [`Sampling::Evenly`] returns.
pub fn pick_evenly(total: usize, n: usize) -> Vec<usize> {
    if n == 0 || total == 0 {
        return Vec::new();
    }
    if n >= total {
        return (0..total).collect();
    }
    if n == 1 {
        return vec![total / 2];
    }
    let mut picks: Vec<usize> = (0..n).map(|i| i * (total - 1) / (n - 1)).collect();
    picks.dedup();
    picks
}

#[cfg(test)]
mod tests {
    use super::pick_evenly;

    #[test]
    fn evenly_spreads_and_includes_ends() {
        assert_eq!(pick_evenly(20, 5), vec![0, 4, 9, 14, 19]);
        assert_eq!(pick_evenly(3, 10), vec![0, 1, 2]);
        assert_eq!(pick_evenly(10, 1), vec![5]);
        assert!(pick_evenly(10, 0).is_empty());
        assert!(pick_evenly(0, 4).is_empty());
        let p = pick_evenly(631, 16);
        assert_eq!(p.len(), 16);
        assert_eq!((p[0], p[15]), (0, 630));
    }
}
