//! A bounded walk over the ISO-BMFF box tree, run before `re_mp4` parses the file.
//!
//! `re_mp4` sizes its sample tables from header counts (`stsz.sample_count` with a constant
//! sample size, `trun.sample_count` without per-sample fields) without checking them against
//! the file, so a 100-byte file could ask for billions of samples. This scan reads those counts,
//! the video track's sample entry (codec fourcc, coded size, `avcC`), handler, timing and
//! `tkhd` matrix, and checks every box fits inside its parent. It allocates only per track.

use std::ops::Range;

use crate::DecodeError;
use crate::error::corrupt;

/// What the scan learned about one `trak`.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrackScan {
    /// `tkhd.track_id`.
    pub track_id: u32,
    /// `hdlr.handler_type` (`vide`, `soun`, …).
    pub handler: [u8; 4],
    /// Fourcc of the first sample entry in `stsd` (`avc1`, `hvc1`, …).
    pub entry: Option<[u8; 4]>,
    /// Width/height from a visual sample entry.
    pub entry_size: (u16, u16),
    /// Byte range of the `avcC` payload (after the box header), if present.
    pub avcc: Option<Range<usize>>,
    /// `tkhd` transformation matrix (a, b, u, c, d, v, x, y, w).
    pub matrix: [i32; 9],
    /// `mdhd` timescale and duration.
    pub timescale: u32,
    /// `mdhd` duration in `timescale` units.
    pub duration: u64,
    /// Samples declared by `stsz`/`stz2` plus those of fragments (`trun`) for this track.
    pub sample_count: u64,
}

/// Result of [`scan`].
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// One entry per `trak`, in file order.
    pub tracks: Vec<TrackScan>,
    /// Sum of all declared sample counts over all tracks and fragments.
    pub total_samples: u64,
}

impl Scan {
    /// The first track whose handler is `vide`.
    pub fn video(&self) -> Option<&TrackScan> {
        self.tracks.iter().find(|t| &t.handler == b"vide")
    }
}

/// One box: type, absolute start of payload, payload.
struct Mp4Box<'a> {
    kind: [u8; 4],
    start: usize,
    body: &'a [u8],
}

/// Iterates the boxes inside `data` (which starts at absolute offset `base`).
fn boxes<'a>(
    data: &'a [u8],
    base: usize,
) -> impl Iterator<Item = Result<Mp4Box<'a>, DecodeError>> + 'a {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let rest = &data[pos..];
        let at = base + pos;
        if rest.len() < 8 {
            pos = data.len();
            return Some(Err(corrupt(format!(
                "MP4 is truncated: {} stray bytes at byte {at} where a box header should be",
                rest.len()
            ))));
        }
        let size32 = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let kind = [rest[4], rest[5], rest[6], rest[7]];
        let (header, size) = match size32 {
            0 => (8usize, rest.len() as u64),
            1 => {
                let Some(b) = rest.get(8..16) else {
                    pos = data.len();
                    return Some(Err(corrupt(format!(
                        "MP4 is truncated inside the header of box `{}` at byte {at}",
                        fourcc(kind)
                    ))));
                };
                (16, u64::from_be_bytes(b.try_into().expect("8 bytes")))
            }
            n => (8, u64::from(n)),
        };
        if size < header as u64 {
            pos = data.len();
            return Some(Err(corrupt(format!(
                "MP4 is corrupt: box `{}` at byte {at} declares {size} bytes, less than its header",
                fourcc(kind)
            ))));
        }
        if size > rest.len() as u64 {
            pos = data.len();
            return Some(Err(corrupt(format!(
                "MP4 is truncated: box `{}` at byte {at} declares {size} bytes but only {} remain",
                fourcc(kind),
                rest.len()
            ))));
        }
        let size = size as usize;
        let item = Mp4Box {
            kind,
            start: at + header,
            body: &rest[header..size],
        };
        pos += size;
        Some(Ok(item))
    })
}

/// Printable fourcc.
pub(crate) fn fourcc(k: [u8; 4]) -> String {
    k.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .map(|s| u64::from_be_bytes(s.try_into().expect("8 bytes")))
}

fn short(what: &str) -> DecodeError {
    corrupt(format!("MP4 is corrupt: `{what}` box is too short"))
}

/// Walks the whole file. Fails on any box that overruns its parent (e.g. a truncated `mdat`).
pub(crate) fn scan(bytes: &[u8]) -> Result<Scan, DecodeError> {
    let mut out = Scan::default();
    let mut fragment_counts: Vec<(u32, u64)> = Vec::new();
    let mut saw_moov = false;
    for b in boxes(bytes, 0) {
        let b = b?;
        match &b.kind {
            b"moov" => {
                saw_moov = true;
                for c in boxes(b.body, b.start) {
                    let c = c?;
                    if &c.kind == b"trak" {
                        out.tracks.push(scan_trak(&c)?);
                    }
                }
            }
            b"moof" => {
                for traf in boxes(b.body, b.start) {
                    let traf = traf?;
                    if &traf.kind != b"traf" {
                        continue;
                    }
                    let mut track_id = 0;
                    for c in boxes(traf.body, traf.start) {
                        let c = c?;
                        match &c.kind {
                            b"tfhd" => track_id = be32(c.body, 4).ok_or_else(|| short("tfhd"))?,
                            b"trun" => {
                                let n = be32(c.body, 4).ok_or_else(|| short("trun"))?;
                                fragment_counts.push((track_id, u64::from(n)));
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !saw_moov {
        return Err(corrupt(
            "MP4 has no `moov` box (truncated upload, or moov never written)",
        ));
    }
    for (id, n) in fragment_counts {
        if let Some(t) = out.tracks.iter_mut().find(|t| t.track_id == id) {
            t.sample_count = t.sample_count.saturating_add(n);
        }
        out.total_samples = out.total_samples.saturating_add(n);
    }
    out.total_samples = out.tracks.iter().fold(out.total_samples, |acc, t| {
        acc.saturating_add(t.sample_count)
    });
    Ok(out)
}

fn scan_trak(trak: &Mp4Box<'_>) -> Result<TrackScan, DecodeError> {
    let mut t = TrackScan::default();
    for c in boxes(trak.body, trak.start) {
        let c = c?;
        match &c.kind {
            b"tkhd" => {
                let v1 = c.body.first() == Some(&1);
                let (id_at, matrix_at) = if v1 { (20, 52) } else { (12, 40) };
                t.track_id = be32(c.body, id_at).ok_or_else(|| short("tkhd"))?;
                for (i, m) in t.matrix.iter_mut().enumerate() {
                    *m = be32(c.body, matrix_at + 4 * i).ok_or_else(|| short("tkhd"))? as i32;
                }
            }
            b"mdia" => scan_mdia(&c, &mut t)?,
            _ => {}
        }
    }
    Ok(t)
}

fn scan_mdia(mdia: &Mp4Box<'_>, t: &mut TrackScan) -> Result<(), DecodeError> {
    for c in boxes(mdia.body, mdia.start) {
        let c = c?;
        match &c.kind {
            b"mdhd" => {
                let v1 = c.body.first() == Some(&1);
                if v1 {
                    t.timescale = be32(c.body, 20).ok_or_else(|| short("mdhd"))?;
                    t.duration = be64(c.body, 24).ok_or_else(|| short("mdhd"))?;
                } else {
                    t.timescale = be32(c.body, 12).ok_or_else(|| short("mdhd"))?;
                    t.duration = u64::from(be32(c.body, 16).ok_or_else(|| short("mdhd"))?);
                }
            }
            b"hdlr" => {
                let h = c.body.get(8..12).ok_or_else(|| short("hdlr"))?;
                t.handler = h.try_into().expect("4 bytes");
            }
            b"minf" => {
                for s in boxes(c.body, c.start) {
                    let s = s?;
                    if &s.kind == b"stbl" {
                        scan_stbl(&s, t)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn scan_stbl(stbl: &Mp4Box<'_>, t: &mut TrackScan) -> Result<(), DecodeError> {
    for c in boxes(stbl.body, stbl.start) {
        let c = c?;
        match &c.kind {
            b"stsd" => {
                let entries = c.body.get(8..).ok_or_else(|| short("stsd"))?;
                if let Some(entry) = boxes(entries, c.start + 8).next() {
                    let entry = entry?;
                    t.entry = Some(entry.kind);
                    // VisualSampleEntry: 24 bytes of fields, width, height, then 50 more bytes.
                    if let (Some(w), Some(h)) = (entry.body.get(24..26), entry.body.get(26..28)) {
                        t.entry_size = (
                            u16::from_be_bytes([w[0], w[1]]),
                            u16::from_be_bytes([h[0], h[1]]),
                        );
                    }
                    if let Some(children) = entry.body.get(78..) {
                        for child in boxes(children, entry.start + 78) {
                            // Trailing junk after the known children is tolerated.
                            let Ok(child) = child else { break };
                            if &child.kind == b"avcC" {
                                t.avcc = Some(child.start..child.start + child.body.len());
                            }
                        }
                    }
                }
            }
            b"stsz" => {
                let n = be32(c.body, 8).ok_or_else(|| short("stsz"))?;
                t.sample_count = t.sample_count.saturating_add(u64::from(n));
            }
            b"stz2" => {
                let n = be32(c.body, 8).ok_or_else(|| short("stz2"))?;
                t.sample_count = t.sample_count.saturating_add(u64::from(n));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Clockwise rotation in degrees (0/90/180/270) from a `tkhd` matrix, `atan2(b, a)` rounded to
/// the nearest quarter turn.
pub(crate) fn rotation_deg(matrix: &[i32; 9]) -> i32 {
    let (a, b) = (f64::from(matrix[0]), f64::from(matrix[1]));
    if a == 0.0 && b == 0.0 {
        return 0;
    }
    let deg = b.atan2(a).to_degrees();
    let quarter = (deg / 90.0).round() as i32;
    quarter.rem_euclid(4) * 90
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_from_matrix() {
        let one = 0x10000;
        assert_eq!(rotation_deg(&[one, 0, 0, 0, one, 0, 0, 0, 0x4000_0000]), 0);
        assert_eq!(
            rotation_deg(&[0, one, 0, -one, 0, 0, 0, 0, 0x4000_0000]),
            90
        );
        assert_eq!(
            rotation_deg(&[-one, 0, 0, 0, -one, 0, 0, 0, 0x4000_0000]),
            180
        );
        assert_eq!(
            rotation_deg(&[0, -one, 0, one, 0, 0, 0, 0, 0x4000_0000]),
            270
        );
        assert_eq!(rotation_deg(&[0; 9]), 0);
    }

    #[test]
    fn box_overrunning_the_file_is_truncation() {
        // ftyp (16 bytes) then an mdat claiming 1000 bytes.
        let mut f = b"\0\0\0\x10ftypisom\0\0\0\0".to_vec();
        f.extend_from_slice(b"\0\0\x03\xe8mdat0123");
        match scan(&f) {
            Err(DecodeError::Corrupt(m)) => {
                assert!(m.contains("truncated") && m.contains("mdat"), "{m}")
            }
            other => panic!("{other:?}"),
        }
    }
}
