//! Structural check of a JPEG stream: markers walk from SOI to EOI.
//!
//! The JPEG decoder used by `image` is lenient and fills a truncated scan with grey, so a cut-off
//! upload would otherwise "decode". Data after EOI (motion photos, maker trailers) is allowed.

use crate::DecodeError;
use crate::error::corrupt;

/// Checks that the marker segments are consistent and an end-of-image marker is reached.
pub(crate) fn check_structure(bytes: &[u8]) -> Result<(), DecodeError> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(corrupt("JPEG does not start with a start-of-image marker"));
    }
    let truncated = || corrupt("JPEG is truncated: the file ends before the end-of-image marker");
    let mut pos = 2usize;
    let mut seen_frame = false;
    loop {
        if pos >= bytes.len() {
            return Err(truncated());
        }
        if bytes[pos] != 0xFF {
            return Err(corrupt(format!(
                "JPEG is corrupt: expected a marker at byte {pos}, found 0x{:02X}",
                bytes[pos]
            )));
        }
        // Fill bytes: any number of 0xFF before the marker code.
        while pos < bytes.len() && bytes[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Err(truncated());
        };
        pos += 1;
        match marker {
            0xD9 => {
                return if seen_frame {
                    Ok(())
                } else {
                    Err(corrupt(
                        "JPEG has no frame header before its end-of-image marker",
                    ))
                };
            }
            0xD0..=0xD7 | 0x01 => continue,
            0x00 => {
                return Err(corrupt(format!(
                    "JPEG is corrupt: invalid marker at byte {pos}"
                )));
            }
            _ => {}
        }
        let len = match bytes.get(pos..pos + 2) {
            Some(b) => usize::from(u16::from_be_bytes([b[0], b[1]])),
            None => return Err(truncated()),
        };
        if len < 2 {
            return Err(corrupt(format!(
                "JPEG is corrupt: segment length {len} at byte {pos}"
            )));
        }
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            seen_frame = true;
        }
        pos += len;
        if pos > bytes.len() {
            return Err(truncated());
        }
        if marker == 0xDA {
            // Entropy-coded data: runs until a marker that is neither stuffing (FF 00) nor a
            // restart marker (FF D0..D7).
            loop {
                let Some(off) = bytes[pos..].iter().position(|&b| b == 0xFF) else {
                    return Err(truncated());
                };
                pos += off;
                match bytes.get(pos + 1) {
                    None => return Err(truncated()),
                    Some(0x00 | 0xD0..=0xD7 | 0xFF) => pos += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_structure;

    #[test]
    fn minimal_streams() {
        // SOI, SOF0 (len 2, nonsense but structurally fine), SOS (len 2), data, EOI, trailer.
        let ok = [
            0xFF, 0xD8, 0xFF, 0xC0, 0, 2, 0xFF, 0xDA, 0, 2, 1, 2, 0xFF, 0, 3, 0xFF, 0xD0, 4, 0xFF,
            0xD9, 9, 9,
        ];
        assert!(check_structure(&ok).is_ok());
        for cut in 2..20 {
            assert!(check_structure(&ok[..cut]).is_err(), "cut at {cut}");
        }
        assert!(check_structure(b"not a jpeg").is_err());
    }
}
