//! Media type from magic bytes.

/// A container/codec family recognised from the first bytes of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaFormat {
    Jpeg,
    Png,
    Webp,
    /// ISO base media file (MP4, MOV, M4V): `ftyp`, `moov`, `mdat`, `wide` or `free` box first.
    Mp4,
    /// ZIP archive (a shot set when its entries are images).
    Zip,
    /// Matroska/WebM: recognised only to refuse it with a precise message.
    Webm,
}

impl MediaFormat {
    /// True for still images.
    pub fn is_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::Webp)
    }

    /// The MIME type to serve the content with.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Mp4 => "video/mp4",
            Self::Zip => "application/zip",
            Self::Webm => "video/webm",
        }
    }
}

/// Recognises the format from the first bytes (16 are enough). `None` for anything else.
pub fn sniff(head: &[u8]) -> Option<MediaFormat> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaFormat::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(MediaFormat::Png);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(MediaFormat::Webp);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(MediaFormat::Zip);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(MediaFormat::Webm);
    }
    if head.len() >= 8
        && matches!(
            &head[4..8],
            b"ftyp" | b"moov" | b"mdat" | b"wide" | b"free" | b"skip"
        )
    {
        return Some(MediaFormat::Mp4);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_magic_and_refuses_text() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(MediaFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(MediaFormat::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(MediaFormat::Webp));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some(MediaFormat::Mp4));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(MediaFormat::Zip));
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0]), Some(MediaFormat::Webm));
        assert_eq!(sniff(b"hello world, not media"), None);
        assert_eq!(sniff(b""), None);
    }
}
