//! ZIP shot sets: a flat archive of still photos, ordered by entry name.
//!
//! Nothing the archive declares is trusted: entries are counted against
//! [`Limits::max_zip_entries`], each is decompressed through a `take()` capped by both the
//! remaining total budget ([`Limits::max_zip_uncompressed`]) and its compressed size ×
//! [`Limits::max_zip_ratio`], names must be plain relative paths at most one folder deep, and
//! every entry must sniff as JPEG, PNG or WebP. Folder entries and macOS/Windows clutter
//! (`__MACOSX/…`, `._*`, `.DS_Store`, `Thumbs.db`) are skipped.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::error::{corrupt, too_large};
use crate::sampling::pick_evenly;
use crate::still::{Still, codec_name, decode_still};
use crate::{
    DecodeError, Decoded, Frame, Limits, MediaFormat, MediaInfo, MediaKind, Sampling, sniff,
};

/// One image entry; `bytes` only for entries kept by the caller.
struct Entry {
    name: String,
    bytes: Option<Vec<u8>>,
    format: MediaFormat,
}

/// Opens the archive and reads every image entry (sorted by name) within the limits. With
/// `keep`, only the bytes of entries whose sorted position satisfies it are retained.
fn read_entries(
    bytes: &[u8],
    limits: &Limits,
    keep: &dyn Fn(usize, usize) -> bool,
) -> Result<Vec<Entry>, DecodeError> {
    let mut archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(format!("ZIP is corrupt: {e}")))?;
    if archive.len() > limits.max_zip_entries {
        return Err(too_large(format!(
            "ZIP has {} entries; limit max_zip_entries = {}",
            archive.len(),
            limits.max_zip_entries
        )));
    }
    let mut names: Vec<(String, usize)> = Vec::new();
    for i in 0..archive.len() {
        let f = archive
            .by_index_raw(i)
            .map_err(|e| corrupt(format!("ZIP entry {i} is corrupt: {e}")))?;
        let name = f
            .name()
            .map_err(|e| corrupt(format!("ZIP entry {i} has an unreadable name: {e}")))?
            .into_owned();
        check_name(&name)?;
        if f.is_dir() || name.ends_with('/') || is_clutter(&name) {
            continue;
        }
        names.push((name, i));
    }
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(corrupt(format!("ZIP has two entries named `{}`", w[0].0)));
    }
    if names.is_empty() {
        return Err(corrupt("ZIP contains no images"));
    }
    if names.len() > limits.max_frames {
        return Err(too_large(format!(
            "ZIP has {} images; limit max_frames = {}",
            names.len(),
            limits.max_frames
        )));
    }
    let count = names.len();
    let mut total = 0u64;
    let mut out = Vec::with_capacity(count);
    for (pos, (name, i)) in names.into_iter().enumerate() {
        let mut f = archive.by_index(i).map_err(|e| {
            entry_err(
                &name,
                &e.to_string(),
                matches!(e, zip::result::ZipError::UnsupportedArchive(_)),
            )
        })?;
        let compressed = f.compressed_size();
        if compressed > bytes.len() as u64 {
            return Err(corrupt(format!(
                "ZIP entry `{name}` claims {compressed} compressed bytes, more than the archive"
            )));
        }
        let by_ratio = compressed.max(1).saturating_mul(limits.max_zip_ratio);
        let by_total = limits.max_zip_uncompressed.saturating_sub(total);
        let cap = by_ratio.min(by_total);
        let mut data = Vec::new();
        (&mut f)
            .take(cap.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| entry_err(&name, &e.to_string(), false))?;
        let got = data.len() as u64;
        if got > by_total {
            return Err(too_large(format!(
                "ZIP expands to more than limit max_zip_uncompressed = {} bytes (at entry `{name}`)",
                limits.max_zip_uncompressed
            )));
        }
        if got > by_ratio {
            return Err(too_large(format!(
                "ZIP entry `{name}` expands more than {}× its {compressed} compressed bytes; \
                 limit max_zip_ratio = {}",
                limits.max_zip_ratio, limits.max_zip_ratio
            )));
        }
        total += got;
        let format = match sniff(&data) {
            Some(f) if f.is_image() => f,
            _ => {
                return Err(DecodeError::UnsupportedCodec(format!(
                    "ZIP entry `{name}` is not a JPEG, PNG or WebP image"
                )));
            }
        };
        let bytes = keep(pos, count).then_some(data);
        out.push(Entry {
            name,
            bytes,
            format,
        });
    }
    Ok(out)
}

fn entry_err(name: &str, e: &str, unsupported: bool) -> DecodeError {
    if unsupported {
        DecodeError::UnsupportedCodec(format!(
            "ZIP entry `{name}`: {e} (only stored/deflate, unencrypted)"
        ))
    } else {
        corrupt(format!("ZIP entry `{name}` is corrupt: {e}"))
    }
}

/// Refuses names that could escape an extraction folder or nest deeper than one folder.
fn check_name(name: &str) -> Result<(), DecodeError> {
    let refuse = |why: &str| corrupt(format!("ZIP entry name `{name}` refused: {why}"));
    if name.is_empty() {
        return Err(refuse("empty name"));
    }
    if name.starts_with('/') || name.contains(':') || name.contains('\\') {
        return Err(refuse(
            "absolute paths, drive letters and backslashes are not allowed",
        ));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(refuse("control characters"));
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    let parts: Vec<&str> = trimmed.split('/').collect();
    if parts.iter().any(|p| *p == ".." || *p == ".") {
        return Err(refuse("path traversal (`..` or `.`)"));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(refuse("empty path component"));
    }
    if parts.len() > 2 && !name.starts_with("__MACOSX/") {
        return Err(refuse("more than one folder level"));
    }
    Ok(())
}

fn is_clutter(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    name.starts_with("__MACOSX/")
        || file.starts_with("._")
        || file == ".DS_Store"
        || file == "Thumbs.db"
}

fn info(first: &Still, entries: &[Entry]) -> MediaInfo {
    let count = entries.len();
    let mut codecs: Vec<&str> = entries.iter().map(|e| codec_name(e.format)).collect();
    codecs.sort_unstable();
    codecs.dedup();
    MediaInfo {
        format: MediaFormat::Zip,
        kind: MediaKind::ShotSet,
        width: first.image.width(),
        height: first.image.height(),
        duration_ms: None,
        frame_count: Some(count as u32),
        codec: Some(codecs.join("+")),
        rotation_deg: first.rotation_deg,
    }
}

fn decode_entry(e: &Entry, limits: &Limits) -> Result<Still, DecodeError> {
    let bytes = e.bytes.as_deref().expect("decoded entries are kept");
    decode_still(bytes, limits).map_err(|err| match err {
        DecodeError::Corrupt(m) => corrupt(format!("ZIP entry `{}`: {m}", e.name)),
        DecodeError::LimitExceeded(m) => too_large(format!("ZIP entry `{}`: {m}", e.name)),
        DecodeError::UnsupportedCodec(m) => {
            DecodeError::UnsupportedCodec(format!("ZIP entry `{}`: {m}", e.name))
        }
        DecodeError::Unrecognised => DecodeError::UnsupportedCodec(format!(
            "ZIP entry `{}` is not a JPEG, PNG or WebP image",
            e.name
        )),
    })
}

/// Validates every entry (names, sizes, image magic) and fully decodes the first image.
pub(crate) fn probe(bytes: &[u8], limits: &Limits) -> Result<MediaInfo, DecodeError> {
    let entries = read_entries(bytes, limits, &|pos, _| pos == 0)?;
    let first = decode_entry(&entries[0], limits)?;
    Ok(info(&first, &entries))
}

/// Decodes the shots chosen by `sampling` (`KeyframesOnly` = all shots), in name order.
pub(crate) fn decode(
    bytes: &[u8],
    limits: &Limits,
    sampling: Sampling,
) -> Result<Decoded, DecodeError> {
    let wanted_of = |count: usize| match sampling {
        Sampling::All | Sampling::KeyframesOnly => (0..count).collect(),
        Sampling::Evenly(n) => pick_evenly(count, n.min(limits.max_frames)),
    };
    let keep = |pos: usize, count: usize| pos == 0 || wanted_of(count).contains(&pos);
    let entries = read_entries(bytes, limits, &keep)?;
    let first = decode_entry(&entries[0], limits)?;
    let info = info(&first, &entries);
    let wanted: Vec<usize> = wanted_of(entries.len());
    let mut frames = Vec::with_capacity(wanted.len());
    let mut bytes_out = 0u64;
    let mut first = Some(first);
    for pos in wanted {
        let still = match (pos, first.take()) {
            (0, Some(s)) => s,
            _ => decode_entry(&entries[pos], limits)?,
        };
        bytes_out += u64::from(still.image.width()) * u64::from(still.image.height()) * 3;
        if bytes_out > limits.max_decoded_bytes {
            return Err(too_large(format!(
                "decoded shots exceed limit max_decoded_bytes = {}",
                limits.max_decoded_bytes
            )));
        }
        frames.push(Frame {
            index: pos as u32,
            timestamp_ms: 0,
            image: still.image,
        });
    }
    Ok(Decoded {
        info,
        frames,
        quantiser: None,
    })
}

#[cfg(test)]
mod tests;
