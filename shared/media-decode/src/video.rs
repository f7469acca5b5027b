//! H.264 video in MP4/MOV: `re_mp4` demux + OpenH264 decode.
//!
//! Order of work: a bounded box scan ([`crate::mp4::scan`]) checks codec, declared sample counts,
//! coded size and duration against [`Limits`]; only then does `re_mp4` build sample tables and
//! OpenH264 decode. Frames come out of the decoder in presentation order; the k-th output is
//! matched to the k-th smallest composition time among the samples fed. Rotation from the
//! track's `tkhd` matrix is applied to returned frames.

use openh264::OpenH264API;
use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use re_mp4::{Mp4, Sample};

use image::RgbImage;

use crate::error::{corrupt, too_large};
use crate::mp4::avc::{self, AvcConfig};
use crate::mp4::budget::Budgeted;
use crate::mp4::quantiser::QuantiserMeter;
use crate::mp4::scan::{self, fourcc};
use crate::mp4::sps;
use crate::sampling::pick_evenly;
use crate::still::check_pixels;
use crate::{DecodeError, Decoded, Frame, Limits, MediaFormat, MediaInfo, MediaKind, Sampling};

/// Samples over all tracks (audio included) that `re_mp4` may be asked to index. Bounds its
/// sample tables to ≈56 MB whatever the headers claim.
pub const MAX_TOTAL_SAMPLES: u64 = 1_000_000;

/// A validated video track, ready to decode.
struct Plan<'a> {
    bytes: &'a [u8],
    avc: AvcConfig,
    samples: Vec<Sample>,
    /// `rank[i]`: position of sample `i` in presentation order.
    rank: Vec<usize>,
    timescale: u64,
    duration_ms: u64,
    rotation_deg: i32,
    entry_size: (u32, u32),
}

/// Reads the container and validates it against `limits` without decoding pixels.
fn plan<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Plan<'a>, DecodeError> {
    refuse_still_image_brands(bytes)?;
    let scan = scan::scan(bytes)?;
    let v = scan
        .video()
        .ok_or_else(|| corrupt("MP4 has no video track"))?;
    match v.entry.as_ref() {
        Some(b"avc1" | b"avc3") => {}
        Some(k @ (b"hvc1" | b"hev1")) => {
            return Err(DecodeError::UnsupportedCodec(format!(
                "HEVC/H.265 video (`{}`) is not supported, send H.264 MP4 \
                 (iPhone: Settings > Camera > Formats > Most Compatible)",
                fourcc(*k)
            )));
        }
        Some(b"vp08" | b"vp09") => {
            return Err(DecodeError::UnsupportedCodec(
                "VP8/VP9 video is not supported, send H.264 MP4".into(),
            ));
        }
        Some(b"av01") => {
            return Err(DecodeError::UnsupportedCodec(
                "AV1 video is not supported, send H.264 MP4".into(),
            ));
        }
        Some(b"encv") => {
            return Err(DecodeError::UnsupportedCodec(
                "encrypted video (`encv`) is not supported, send H.264 MP4".into(),
            ));
        }
        Some(k) => {
            return Err(DecodeError::UnsupportedCodec(format!(
                "video codec `{}` is not supported, send H.264 MP4",
                fourcc(*k)
            )));
        }
        None => return Err(corrupt("MP4 video track has no sample description")),
    }
    if v.timescale == 0 {
        return Err(corrupt("MP4 video track has a zero timescale"));
    }
    check_duration(to_ms(v.duration as i64, u64::from(v.timescale)), limits)?;
    check_frame_count(v.sample_count, limits)?;
    if scan.total_samples > MAX_TOTAL_SAMPLES {
        return Err(too_large(format!(
            "MP4 declares {} samples over all tracks; at most {MAX_TOTAL_SAMPLES} are indexed",
            scan.total_samples
        )));
    }
    let (ew, eh) = (u32::from(v.entry_size.0), u32::from(v.entry_size.1));
    if ew > 0 && eh > 0 {
        check_pixels("video", ew, eh, limits)?;
    }
    let avcc = v
        .avcc
        .clone()
        .ok_or_else(|| corrupt("H.264 track has no avcC configuration"))?;
    let avc = avc::parse_avcc(&bytes[avcc])?;
    if let Some((w, h)) = avc.sps_size {
        check_sps_size(w, h, limits)?;
    }
    let rotation_deg = scan::rotation_deg(&v.matrix);
    let track_id = v.track_id;

    let mp4 = Mp4::read(Budgeted::new(bytes), bytes.len() as u64)
        .map_err(|e| corrupt(format!("MP4 container is corrupt: {e}")))?;
    let track = mp4
        .tracks()
        .get(&track_id)
        .ok_or_else(|| corrupt(format!("MP4 video track {track_id} could not be indexed")))?;
    let samples = track.samples.clone();
    check_frame_count(samples.len() as u64, limits)?;
    if samples.is_empty() {
        return Err(corrupt("MP4 video track has no frames"));
    }
    let timescale = track.timescale.max(1);
    let duration_ms = to_ms(track.duration as i64, timescale);
    check_duration(duration_ms, limits)?;
    for (i, s) in samples.iter().enumerate() {
        let end = s.offset.checked_add(s.size);
        if end.is_none_or(|e| e > bytes.len() as u64) {
            return Err(corrupt(format!(
                "MP4 is truncated: video frame {i} (bytes {}..{}) lies beyond the end of the \
                 {}-byte file",
                s.offset,
                s.offset.saturating_add(s.size),
                bytes.len()
            )));
        }
    }
    let mut order: Vec<usize> = (0..samples.len()).collect();
    order.sort_by_key(|&i| (samples[i].composition_timestamp, i));
    let mut rank = vec![0usize; samples.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    Ok(Plan {
        bytes,
        avc,
        samples,
        rank,
        timescale,
        duration_ms,
        rotation_deg,
        entry_size: (ew, eh),
    })
}

/// HEIC/HEIF/AVIF photos share the MP4 container; refuse them by `ftyp` brand with a clear
/// message instead of "no moov box".
fn refuse_still_image_brands(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.get(4..8) != Some(b"ftyp") {
        return Ok(());
    }
    let Some(brand) = bytes.get(8..12) else {
        return Ok(());
    };
    let kind = match brand {
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
            "HEIC/HEIF"
        }
        b"avif" | b"avis" => "AVIF",
        _ => return Ok(()),
    };
    Err(DecodeError::UnsupportedCodec(format!(
        "{kind} images are not supported, send JPEG, PNG or WebP"
    )))
}

/// Refuses an SPS whose coded picture exceeds `max_pixels` (before the decoder allocates it).
fn check_sps_size(w: u64, h: u64, limits: &Limits) -> Result<(), DecodeError> {
    let pixels = w.saturating_mul(h);
    if pixels > limits.max_pixels {
        return Err(too_large(format!(
            "H.264 stream declares {w}×{h} = {pixels} pixel pictures; limit max_pixels = {}",
            limits.max_pixels
        )));
    }
    Ok(())
}

fn check_frame_count(n: u64, limits: &Limits) -> Result<(), DecodeError> {
    if n > limits.max_frames as u64 {
        return Err(too_large(format!(
            "video has {n} frames; limit max_frames = {}",
            limits.max_frames
        )));
    }
    Ok(())
}

fn check_duration(ms: u64, limits: &Limits) -> Result<(), DecodeError> {
    if ms > limits.max_duration_ms {
        return Err(too_large(format!(
            "video lasts {ms} ms; limit max_duration_ms = {}",
            limits.max_duration_ms
        )));
    }
    Ok(())
}

fn to_ms(t: i64, timescale: u64) -> u64 {
    (u128::from(t.max(0) as u64) * 1000 / u128::from(timescale.max(1))).min(u128::from(u64::MAX))
        as u64
}

impl Plan<'_> {
    fn sample_bytes(&self, i: usize) -> &[u8] {
        let s = &self.samples[i];
        // Ranges were checked in `plan`.
        &self.bytes[s.offset as usize..(s.offset + s.size) as usize]
    }

    fn info(&self, decoded: Option<(u32, u32)>) -> MediaInfo {
        let (w, h) = decoded.unwrap_or(self.entry_size);
        let (width, height) = if self.rotation_deg % 180 == 0 {
            (w, h)
        } else {
            (h, w)
        };
        MediaInfo {
            format: MediaFormat::Mp4,
            kind: MediaKind::Video,
            width,
            height,
            duration_ms: Some(self.duration_ms),
            frame_count: Some(self.samples.len() as u32),
            codec: Some(self.avc.codec.clone()),
            rotation_deg: self.rotation_deg,
        }
    }

    /// Decodes the samples in `feed` (decode order) and returns the frames whose presentation
    /// rank is in `wanted`, plus the decoded size (before rotation) of the first output.
    fn run(&self, feed: &[usize], wanted: &[bool], limits: &Limits) -> Result<Run, DecodeError> {
        let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
        let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| corrupt(format!("H.264 decoder failed to start: {e}")))?;
        let mut fed: Vec<(i64, usize)> = feed
            .iter()
            .map(|&i| (self.samples[i].composition_timestamp, self.rank[i]))
            .collect();
        fed.sort_unstable();
        let mut out = Emitter {
            plan: self,
            limits,
            fed,
            wanted,
            left: feed.iter().filter(|&&i| wanted[self.rank[i]]).count(),
            emitted: 0,
            bytes: 0,
            frames: Vec::new(),
            first_size: None,
        };
        let mut buf = Vec::new();
        let mut quantiser = QuantiserMeter::default();
        for (n, &i) in feed.iter().enumerate() {
            buf.clear();
            if n == 0 {
                buf.extend_from_slice(&self.avc.annexb_params);
                quantiser.feed_annexb(&self.avc.annexb_params);
            }
            avc::sample_to_annexb(
                self.sample_bytes(i),
                self.avc.length_size,
                &mut buf,
                &mut |nal| {
                    if let Some((w, h)) = sps::coded_size(nal) {
                        check_sps_size(w, h, limits)?;
                    }
                    quantiser.feed(nal);
                    Ok(())
                },
            )?;
            match decoder.decode(&buf) {
                Ok(Some(yuv)) => out.take(&yuv)?,
                Ok(None) => {}
                Err(e) => {
                    return Err(corrupt(format!("H.264 frame {i} failed to decode: {e}")));
                }
            }
            if out.done() {
                break;
            }
        }
        if !out.done() {
            let rest = decoder
                .flush_remaining()
                .map_err(|e| corrupt(format!("H.264 stream failed to decode at its end: {e}")))?;
            for yuv in &rest {
                out.take(yuv)?;
            }
        }
        if out.emitted < out.fed.len() && !out.done() {
            tracing::warn!(
                fed = out.fed.len(),
                emitted = out.emitted,
                "decoder dropped frames"
            );
        }
        Ok(Run {
            frames: out.frames,
            first_size: out.first_size,
            quantiser: quantiser.mean(),
        })
    }
}

/// Output of [`Plan::run`].
struct Run {
    frames: Vec<Frame>,
    /// Decoded size (before rotation) of the first picture out of the decoder.
    first_size: Option<(u32, u32)>,
    /// Mean slice QP of the samples fed.
    quantiser: Option<f32>,
}

/// Receives decoder output in presentation order.
struct Emitter<'p, 'b> {
    plan: &'p Plan<'b>,
    limits: &'p Limits,
    fed: Vec<(i64, usize)>,
    wanted: &'p [bool],
    left: usize,
    emitted: usize,
    bytes: u64,
    frames: Vec<Frame>,
    first_size: Option<(u32, u32)>,
}

impl Emitter<'_, '_> {
    fn done(&self) -> bool {
        self.left == 0 && self.first_size.is_some()
    }

    fn take(&mut self, yuv: &DecodedYUV<'_>) -> Result<(), DecodeError> {
        let (w, h) = yuv.dimensions();
        let (w, h) = (w as u32, h as u32);
        check_pixels("video frame", w, h, self.limits)?;
        self.first_size.get_or_insert((w, h));
        let k = self.emitted;
        self.emitted += 1;
        let Some(&(cts, rank)) = self.fed.get(k) else {
            return Err(corrupt(
                "H.264 decoder returned more frames than it was given",
            ));
        };
        if !self.wanted[rank] {
            return Ok(());
        }
        self.bytes += u64::from(w) * u64::from(h) * 3;
        if self.bytes > self.limits.max_decoded_bytes {
            return Err(too_large(format!(
                "decoded frames exceed limit max_decoded_bytes = {}; sample fewer frames",
                self.limits.max_decoded_bytes
            )));
        }
        let mut rgb = vec![0u8; w as usize * h as usize * 3];
        yuv.write_rgb8(&mut rgb);
        let image = RgbImage::from_raw(w, h, rgb).expect("buffer sized from dimensions");
        let image = match self.plan.rotation_deg {
            90 => image::imageops::rotate90(&image),
            180 => image::imageops::rotate180(&image),
            270 => image::imageops::rotate270(&image),
            _ => image,
        };
        self.frames.push(Frame {
            index: rank as u32,
            timestamp_ms: to_ms(cts, self.plan.timescale),
            image,
        });
        self.left = self.left.saturating_sub(1);
        Ok(())
    }
}

/// Validates an MP4 upload: container, codec, limits, every frame's bytes present, and the
/// first frame decodes.
pub(crate) fn probe(bytes: &[u8], limits: &Limits) -> Result<MediaInfo, DecodeError> {
    let plan = plan(bytes, limits)?;
    let first = plan.samples.iter().position(|s| s.is_sync).unwrap_or(0);
    let run = plan.run(&[first], &vec![false; plan.samples.len()], limits)?;
    let size = run
        .first_size
        .ok_or_else(|| corrupt("the first video frame could not be decoded"))?;
    Ok(plan.info(Some(size)))
}

/// Decodes the frames chosen by `sampling`.
pub(crate) fn decode(
    bytes: &[u8],
    limits: &Limits,
    sampling: Sampling,
) -> Result<Decoded, DecodeError> {
    let plan = plan(bytes, limits)?;
    let n = plan.samples.len();
    let ls = plan.avc.length_size;
    let mut wanted = vec![false; n];
    let feed: Vec<usize> = match sampling {
        Sampling::All => {
            wanted.fill(true);
            (0..n).collect()
        }
        Sampling::Evenly(k) => {
            for r in pick_evenly(n, k.min(limits.max_frames)) {
                wanted[r] = true;
            }
            (0..n)
                .filter(|&i| wanted[plan.rank[i]] || !avc::is_disposable(plan.sample_bytes(i), ls))
                .collect()
        }
        Sampling::KeyframesOnly => {
            let feed: Vec<usize> = (0..n).filter(|&i| plan.samples[i].is_sync).collect();
            for &i in &feed {
                wanted[plan.rank[i]] = true;
            }
            feed
        }
    };
    let returned = wanted.iter().filter(|&&w| w).count() as u64;
    let (ew, eh) = plan.entry_size;
    let need = returned * u64::from(ew) * u64::from(eh) * 3;
    if need > limits.max_decoded_bytes {
        return Err(too_large(format!(
            "returning {returned} frames of {ew}×{eh} needs {need} bytes of RGB; limit \
             max_decoded_bytes = {} (use Sampling::Evenly)",
            limits.max_decoded_bytes
        )));
    }
    if feed.is_empty() {
        return Ok(Decoded {
            info: plan.info(None),
            frames: Vec::new(),
            quantiser: None,
        });
    }
    let run = plan.run(&feed, &wanted, limits)?;
    Ok(Decoded {
        info: plan.info(run.first_size),
        frames: run.frames,
        quantiser: run.quantiser,
    })
}

#[cfg(test)]
mod tests;
