//! H.264 in MP4 → Annex-B: parameter sets from `avcC`, length-prefixed NAL units from samples.

use crate::DecodeError;
use crate::error::corrupt;

const START: [u8; 4] = [0, 0, 0, 1];

/// Parsed `avcC` (AVCDecoderConfigurationRecord).
#[derive(Debug, Clone)]
pub(crate) struct AvcConfig {
    /// Bytes per NAL length prefix in samples (1, 2 or 4).
    pub length_size: usize,
    /// SPS and PPS NAL units, each prefixed with a start code.
    pub annexb_params: Vec<u8>,
    /// `avc1.PPCCLL` codec string (profile, constraint flags, level).
    pub codec: String,
    /// Largest coded picture (width, height) declared by the SPSs, if any parsed.
    pub sps_size: Option<(u64, u64)>,
}

/// Parses an `avcC` payload.
pub(crate) fn parse_avcc(b: &[u8]) -> Result<AvcConfig, DecodeError> {
    let bad = |what: &str| corrupt(format!("H.264 configuration (avcC) is corrupt: {what}"));
    if b.len() < 7 {
        return Err(bad("too short"));
    }
    if b[0] != 1 {
        return Err(bad("unknown configuration version"));
    }
    let length_size = usize::from(b[4] & 3) + 1;
    if length_size == 3 {
        return Err(bad("3-byte NAL length prefixes are not valid"));
    }
    let codec = format!("avc1.{:02X}{:02X}{:02X}", b[1], b[2], b[3]);
    let mut params = Vec::new();
    let mut sps_size: Option<(u64, u64)> = None;
    let mut pos = 5usize;
    for (kind, mask) in [("SPS", 0x1F_u8), ("PPS", 0xFF)] {
        let count = b
            .get(pos)
            .ok_or_else(|| bad(&format!("missing {kind} count")))?
            & mask;
        pos += 1;
        for _ in 0..count {
            let len = b
                .get(pos..pos + 2)
                .map(|s| usize::from(u16::from_be_bytes([s[0], s[1]])))
                .ok_or_else(|| bad(&format!("{kind} length cut off")))?;
            pos += 2;
            let nal = b
                .get(pos..pos + len)
                .ok_or_else(|| bad(&format!("{kind} cut off")))?;
            pos += len;
            if let Some((w, h)) = super::sps::coded_size(nal)
                && sps_size.is_none_or(|(sw, sh)| w.saturating_mul(h) > sw.saturating_mul(sh))
            {
                sps_size = Some((w, h));
            }
            params.extend_from_slice(&START);
            params.extend_from_slice(nal);
        }
    }
    Ok(AvcConfig {
        length_size,
        annexb_params: params,
        codec,
        sps_size,
    })
}

/// Iterates the NAL units of a length-prefixed sample.
fn nal_units(
    sample: &[u8],
    length_size: usize,
) -> impl Iterator<Item = Result<&[u8], DecodeError>> + '_ {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= sample.len() {
            return None;
        }
        let Some(len_bytes) = sample.get(pos..pos + length_size) else {
            pos = sample.len();
            return Some(Err(corrupt(
                "H.264 sample is corrupt: NAL length prefix cut off",
            )));
        };
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        pos += length_size;
        match sample.get(pos..pos.saturating_add(len)) {
            Some(nal) => {
                pos += len;
                Some(Ok(nal))
            }
            None => {
                let total = sample.len();
                pos = total;
                Some(Err(corrupt(format!(
                    "H.264 sample is corrupt: NAL unit of {len} bytes overruns its {total}-byte sample"
                ))))
            }
        }
    })
}

/// Converts one length-prefixed sample to Annex-B, appending to `out`. Each NAL unit is passed
/// to `inspect` before it can reach the decoder (to refuse an in-band SPS, to read slice
/// headers), so the sample is walked once.
pub(crate) fn sample_to_annexb(
    sample: &[u8],
    length_size: usize,
    out: &mut Vec<u8>,
    inspect: &mut dyn FnMut(&[u8]) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    for nal in nal_units(sample, length_size) {
        let nal = nal?;
        inspect(nal)?;
        out.extend_from_slice(&START);
        out.extend_from_slice(nal);
    }
    Ok(())
}

/// True if every slice in the sample belongs to a non-reference picture (`nal_ref_idc == 0`):
/// no other frame depends on it, so it can be skipped when its picture is not wanted.
/// Malformed samples are reported as not disposable (they will fail when decoded).
pub(crate) fn is_disposable(sample: &[u8], length_size: usize) -> bool {
    let mut has_slice = false;
    for nal in nal_units(sample, length_size) {
        let Ok(nal) = nal else { return false };
        if let Some(&h) = nal.first() {
            let nal_type = h & 0x1F;
            if (1..=5).contains(&nal_type) {
                has_slice = true;
                if h & 0x60 != 0 || nal_type == 5 {
                    return false;
                }
            }
        }
    }
    has_slice
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avcc_and_samples() {
        let avcc = [
            1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0, 2, 0x67, 0xAA, 1, 0, 1, 0x68,
        ];
        let cfg = parse_avcc(&avcc).unwrap();
        assert_eq!(cfg.length_size, 4);
        assert_eq!(cfg.codec, "avc1.64001F");
        assert_eq!(
            cfg.annexb_params,
            [0, 0, 0, 1, 0x67, 0xAA, 0, 0, 0, 1, 0x68]
        );
        assert!(parse_avcc(&avcc[..9]).is_err());

        let mut out = Vec::new();
        // One non-reference P slice (nal_ref_idc 0, type 1).
        sample_to_annexb(&[0, 0, 0, 2, 0x01, 0x9A], 4, &mut out, &mut |_| Ok(())).unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0x01, 0x9A]);
        assert!(is_disposable(&[0, 0, 0, 2, 0x01, 0x9A], 4));
        // A reference IDR slice.
        assert!(!is_disposable(&[0, 0, 0, 2, 0x65, 0x88], 4));
        assert!(sample_to_annexb(&[0, 0, 0, 9, 0x65], 4, &mut out, &mut |_| Ok(())).is_err());
        assert!(sample_to_annexb(&[0, 0, 0], 4, &mut out, &mut |_| Ok(())).is_err());
    }
}
