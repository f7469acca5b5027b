//! Test fixtures made by the tests themselves: patterned images, crafted headers, H.264 MP4s
//! (OpenH264 encoder + a minimal ftyp/moov/mdat muxer) and ZIP archives.

use std::io::{Cursor, Write};

use image::{ImageFormat, Rgb, RgbImage};
use openh264::OpenH264API;
use openh264::encoder::{Encoder, EncoderConfig, FrameRate, IntraFramePeriod};
use openh264::formats::{RgbSliceU8, YUVBuffer};

/// Dark frame with a bright 8×8 square whose top-left corner is at (`x`, 10).
pub fn pattern(w: u32, h: u32, x: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |px, py| {
        if (x..x + 8).contains(&px) && (10..18).contains(&py) {
            Rgb([250, 250, 250])
        } else {
            Rgb([20, 30, 40])
        }
    })
}

/// Deterministic pseudo-random bytes.
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as u8
        })
        .collect()
}

/// Incompressible image content.
pub fn noise(w: u32, h: u32) -> RgbImage {
    RgbImage::from_raw(w, h, random_bytes((w * h * 3) as usize, 42)).unwrap()
}

/// Encodes with the `image` crate.
pub fn encode(img: &RgbImage, fmt: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, fmt).unwrap();
    out.into_inner()
}

/// Inserts an APP1 EXIF segment with the given orientation tag right after SOI.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one IFD entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding + next IFD = 0
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut c = kind.to_vec();
    c.extend_from_slice(data);
    out.extend_from_slice(&c);
    out.extend_from_slice(&crc32(&c).to_be_bytes());
}

/// A structurally valid PNG whose IHDR claims `w × h` (RGB8) with a tiny IDAT.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A real small JPEG with its SOF dimensions patched to `w × h`.
pub fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut jpeg = encode(&pattern(16, 16, 2), ImageFormat::Jpeg);
    let sof = jpeg
        .windows(2)
        .position(|p| p == [0xFF, 0xC0])
        .expect("baseline SOF0");
    jpeg[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    jpeg
}

/// Options for [`make_mp4`].
pub struct Mp4Opts {
    pub fps: u32,
    /// `tkhd` matrix.
    pub matrix: [i32; 9],
    /// Keyframe every `gop` frames.
    pub gop: u32,
}

impl Default for Mp4Opts {
    fn default() -> Self {
        Self {
            fps: 10,
            matrix: IDENTITY,
            gop: 5,
        }
    }
}

pub const IDENTITY: [i32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];
pub const ROT90: [i32; 9] = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x4000_0000];

/// Splits Annex-B into NAL units (without start codes).
fn split_annexb(b: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut e = starts.get(k + 1).map_or(b.len(), |&n| n - 3);
        while e > s && b[e - 1] == 0 {
            e -= 1;
        }
        nals.push(&b[s..e]);
    }
    nals
}

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

fn full(kind: &[u8; 4], version_flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = version_flags.to_be_bytes().to_vec();
    b.extend_from_slice(body);
    bx(kind, &b)
}

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// Encodes `frames` with OpenH264 and muxes them into a faststart MP4 (moov before mdat),
/// timescale 1000, one chunk.
pub fn make_mp4(frames: &[RgbImage], opts: &Mp4Opts) -> Vec<u8> {
    let (w, h) = frames[0].dimensions();
    let config = EncoderConfig::new()
        .skip_frames(false)
        .max_frame_rate(FrameRate::from_hz(opts.fps as f32))
        .intra_frame_period(IntraFramePeriod::from_num_frames(opts.gop));
    let mut enc = Encoder::with_api_config(OpenH264API::from_source(), config).unwrap();
    let (mut sps, mut pps) = (Vec::new(), Vec::new());
    let mut samples: Vec<Vec<u8>> = Vec::new();
    let mut sync = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let yuv =
            YUVBuffer::from_rgb8_source(RgbSliceU8::new(f.as_raw(), (w as usize, h as usize)));
        let bs = enc.encode(&yuv).unwrap().to_vec();
        let mut sample = Vec::new();
        let mut idr = false;
        for nal in split_annexb(&bs) {
            match nal[0] & 0x1F {
                7 => sps = nal.to_vec(),
                8 => pps = nal.to_vec(),
                t => {
                    idr |= t == 5;
                    sample.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    sample.extend_from_slice(nal);
                }
            }
        }
        assert!(!sample.is_empty(), "encoder skipped frame {i}");
        if idr {
            sync.push(i as u32 + 1);
        }
        samples.push(sample);
    }
    let n = samples.len() as u32;
    let delta = 1000 / opts.fps;
    let duration = n * delta;

    let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    let mdat_payload: Vec<u8> = samples.concat();
    let build_moov = |chunk_offset: u32| -> Vec<u8> {
        let mut mvhd = u32s(&[0, 0, 1000, duration, 0x0001_0000]);
        mvhd.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        mvhd.extend_from_slice(&u32s(&IDENTITY.map(|x| x as u32)));
        mvhd.extend_from_slice(&[0; 24]);
        mvhd.extend_from_slice(&2u32.to_be_bytes());
        let mvhd = full(b"mvhd", 0, &mvhd);

        let mut tkhd = u32s(&[0, 0, 1, 0, duration, 0, 0, 0, 0]);
        tkhd.truncate(32); // ctime, mtime, id, reserved, duration, reserved×2, layer+alt
        tkhd.extend_from_slice(&[0, 0, 0, 0]); // volume + reserved
        tkhd.extend_from_slice(&u32s(&opts.matrix.map(|x| x as u32)));
        tkhd.extend_from_slice(&u32s(&[w << 16, h << 16]));
        let tkhd = full(b"tkhd", 3, &tkhd);

        let mut mdhd = u32s(&[0, 0, 1000, duration]);
        mdhd.extend_from_slice(&[0x55, 0xC4, 0, 0]);
        let mdhd = full(b"mdhd", 0, &mdhd);
        let mut hdlr = u32s(&[0]);
        hdlr.extend_from_slice(b"vide");
        hdlr.extend_from_slice(&[0; 12]);
        hdlr.extend_from_slice(b"VideoHandler\0");
        let hdlr = full(b"hdlr", 0, &hdlr);

        let mut avcc = vec![1, sps[1], sps[2], sps[3], 0xFF, 0xE1];
        avcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
        avcc.extend_from_slice(&sps);
        avcc.push(1);
        avcc.extend_from_slice(&(pps.len() as u16).to_be_bytes());
        avcc.extend_from_slice(&pps);
        let mut avc1 = vec![0u8; 6];
        avc1.extend_from_slice(&[0, 1]); // data_reference_index
        avc1.extend_from_slice(&[0; 16]);
        avc1.extend_from_slice(&(w as u16).to_be_bytes());
        avc1.extend_from_slice(&(h as u16).to_be_bytes());
        avc1.extend_from_slice(&u32s(&[0x0048_0000, 0x0048_0000, 0]));
        avc1.extend_from_slice(&[0, 1]); // frame_count
        avc1.extend_from_slice(&[0; 32]);
        avc1.extend_from_slice(&[0, 0x18, 0xFF, 0xFF]);
        avc1.extend_from_slice(&bx(b"avcC", &avcc));
        let stsd = full(b"stsd", 0, &[u32s(&[1]), bx(b"avc1", &avc1)].concat());
        let stts = full(b"stts", 0, &u32s(&[1, n, delta]));
        let stss = full(
            b"stss",
            0,
            &[u32s(&[sync.len() as u32]), u32s(&sync)].concat(),
        );
        let stsc = full(b"stsc", 0, &u32s(&[1, 1, n, 1]));
        let sizes: Vec<u32> = samples.iter().map(|s| s.len() as u32).collect();
        let stsz = full(b"stsz", 0, &[u32s(&[0, n]), u32s(&sizes)].concat());
        let stco = full(b"stco", 0, &u32s(&[1, chunk_offset]));
        let stbl = bx(b"stbl", &[stsd, stts, stss, stsc, stsz, stco].concat());
        let vmhd = full(b"vmhd", 1, &[0; 8]);
        let dinf = bx(
            b"dinf",
            &full(b"dref", 0, &[u32s(&[1]), full(b"url ", 1, &[])].concat()),
        );
        let minf = bx(b"minf", &[vmhd, dinf, stbl].concat());
        let mdia = bx(b"mdia", &[mdhd, hdlr, minf].concat());
        let trak = bx(b"trak", &[tkhd, mdia].concat());
        bx(b"moov", &[mvhd, trak].concat())
    };
    let moov_len = build_moov(0).len();
    let offset = (ftyp.len() + moov_len + 8) as u32;
    let mut out = ftyp;
    out.extend_from_slice(&build_moov(offset));
    out.extend_from_slice(&bx(b"mdat", &mdat_payload));
    out
}

/// Frames of the moving-square pattern: square at x = 4 + 6·i.
pub fn moving_square(n: u32, w: u32, h: u32) -> Vec<RgbImage> {
    (0..n).map(|i| pattern(w, h, 4 + 6 * i)).collect()
}

/// Mean x of bright pixels (the square's centre), if any.
pub fn square_x(img: &RgbImage) -> Option<f64> {
    let (mut sum, mut count) = (0.0, 0u32);
    for (x, _, p) in img.enumerate_pixels() {
        if p[0] > 160 && p[1] > 160 {
            sum += f64::from(x);
            count += 1;
        }
    }
    (count > 0).then(|| sum / f64::from(count))
}

/// Mean y of bright pixels.
pub fn square_y(img: &RgbImage) -> Option<f64> {
    let (mut sum, mut count) = (0.0, 0u32);
    for (_, y, p) in img.enumerate_pixels() {
        if p[0] > 160 && p[1] > 160 {
            sum += f64::from(y);
            count += 1;
        }
    }
    (count > 0).then(|| sum / f64::from(count))
}

/// Replaces the first occurrence of `from` with `to` (same length).
pub fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    bytes[at..at + to.len()].copy_from_slice(to);
}

/// A ZIP with the given (name, bytes) entries, deflated.
pub fn make_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zw.start_file(*name, opts).unwrap();
        zw.write_all(data).unwrap();
    }
    zw.finish().unwrap().into_inner()
}
