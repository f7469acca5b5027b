//! Test fixtures made by the tests themselves: patterned images, crafted headers, H.264 MP4s
//! (OpenH264 encoder + a minimal ftyp/moov/mdat muxer) and ZIP archives.

use std::io::{Cursor, Write};

use image::{ImageFormat, Rgb, RgbImage};

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

pub use crate::mp4_writer::{IDENTITY, Mp4Opts, ROT90, make_mp4};

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
