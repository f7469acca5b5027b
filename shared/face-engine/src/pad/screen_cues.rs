//! Screen and print cues of one frame, independent of the anti-spoofing CNN:
//!
//! - **moiré**: a screen (and a halftone print) re-filmed by a camera leaves periodic
//!   high-frequency patterns. Measured as the strongest isolated peak of the power spectrum of a
//!   128×128 luma patch of the face (native resolution when the face is large enough), relative
//!   to the median power of its frequency ring — a natural face has a smooth, ring-wise flat
//!   spectrum, a moiré pattern has a few bins tens of times above their ring. Bins on the axes
//!   and on the 8-pixel block grid (JPEG / H.264 transforms) are skipped.
//! - **framing edges**: the border of a phone, tablet, monitor or print shows as long straight
//!   edges around the face. Counted as the sides (left, right, top, bottom) of the face on which
//!   a long straight edge runs between the face box and the edge of the anti-spoofing context.
//! - **colour**: saturation spread and the share of clipped highlights on the face (screens and
//!   glossy prints reflect; prints compress the gamut). Reported only: on the development data
//!   they did not separate attacks from bona fide presentations.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::fft::power_spectrum_2d;
use crate::detect::BBox;
use crate::liveness::liveness_crop;
use crate::sampling::{Affine, sample};

/// Side of the texture patch.
const PATCH: usize = 128;
/// Width of the downsampled context used for the edge search.
const CONTEXT_W: u32 = 192;

/// Screen and print cues measured on one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrameCues {
    /// log10 of the strongest high-frequency spectral peak over the median of its ring.
    pub moire: f32,
    /// Sides of the face with a long straight edge (0..=4).
    pub framing_sides: u8,
    /// Longest straight-edge coverage found on any side (0..1).
    pub framing_strength: f32,
    /// Standard deviation of the HSV saturation on the face (0..1).
    pub saturation_std: f32,
    /// Share of face pixels with luma ≥ 250.
    pub clipped_highlights: f32,
}

fn luma(p: &[f32]) -> f32 {
    0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
}

/// Moiré measure of the face in `b` (see the module docs).
pub fn moire(img: &RgbImage, b: &BBox) -> f32 {
    let side = (b.width().min(b.height()) * 0.8)
        .min(PATCH as f32)
        .max(16.0) as f64;
    let (cx, cy) = b.center();
    let map = Affine::crop(
        cx as f64 - side / 2.0,
        cy as f64 - side / 2.0,
        side,
        side,
        PATCH as u32,
        PATCH as u32,
    );
    let patch = sample(img, &map, PATCH as u32, PATCH as u32);
    let g: Vec<f64> = patch.data.chunks_exact(3).map(|p| luma(p) as f64).collect();
    let mean = g.iter().sum::<f64>() / g.len() as f64;
    let hann: Vec<f64> = (0..PATCH)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (PATCH - 1) as f64).cos())
        .collect();
    let windowed: Vec<f64> = g
        .iter()
        .enumerate()
        .map(|(i, v)| (v - mean) * hann[i / PATCH] * hann[i % PATCH])
        .collect();
    let p = power_spectrum_2d(&windowed, PATCH);
    // Rings of integer radius over the upper half-plane (the spectrum of a real image is
    // symmetric), from 1/8 to 1/2 cycle per pixel.
    let half = PATCH as i64 / 2;
    let mut rings: Vec<Vec<f64>> = vec![Vec::new(); half as usize + 1];
    for v in 0..=half {
        for u in -half + 1..=half {
            if v == 0 && u <= 0 {
                continue;
            }
            let on_axis = u.abs() <= 1 || v <= 1;
            let on_grid = u.rem_euclid(16) <= 1 || u.rem_euclid(16) == 15;
            let on_grid = on_grid && (v % 16 <= 1 || v % 16 == 15);
            let r = ((u * u + v * v) as f64).sqrt().round() as usize;
            if on_axis || on_grid || !(PATCH / 8..=PATCH / 2).contains(&r) {
                continue;
            }
            let (row, col) = (v as usize, u.rem_euclid(PATCH as i64) as usize);
            rings[r].push(p[row * PATCH + col]);
        }
    }
    let mut best = 0f64;
    for ring in rings.iter_mut().filter(|r| r.len() >= 8) {
        let peak = ring.iter().copied().fold(0.0, f64::max);
        ring.sort_by(f64::total_cmp);
        let med = ring[ring.len() / 2].max(1e-9);
        best = best.max(peak / med);
    }
    best.max(1.0).log10() as f32
}

/// Straight-edge coverage on each side of the face: `(sides over min_coverage, best coverage)`.
fn framing(img: &RgbImage, b: &BBox, min_coverage: f32) -> (u8, f32) {
    let (x0, y0, cw, ch) = liveness_crop(b, img.width(), img.height());
    let k = cw / CONTEXT_W as f32;
    let (w, h) = (CONTEXT_W as usize, (ch / k).round().max(8.0) as usize);
    let map = Affine::crop(
        x0 as f64, y0 as f64, cw as f64, ch as f64, w as u32, h as u32,
    );
    let g: Vec<f32> = sample(img, &map, w as u32, h as u32)
        .data
        .chunks_exact(3)
        .map(luma)
        .collect();
    let at = |x: usize, y: usize| g[y * w + x];
    // Face box in context pixels.
    let fx1 = ((b.x1 - x0) / k).clamp(1.0, w as f32 - 2.0) as usize;
    let fx2 = ((b.x2 - x0) / k).clamp(1.0, w as f32 - 2.0) as usize;
    let fy1 = ((b.y1 - y0) / k).clamp(1.0, h as f32 - 2.0) as usize;
    let fy2 = ((b.y2 - y0) / k).clamp(1.0, h as f32 - 2.0) as usize;
    const EDGE: f32 = 24.0;
    // A vertical edge at column x covering the rows spanned by the face (± half a face).
    let fh = fy2 - fy1;
    let (ry1, ry2) = (fy1.saturating_sub(fh / 2).max(1), (fy2 + fh / 2).min(h - 2));
    let vcol = |x: usize| {
        let hits = (ry1..ry2)
            .filter(|&y| {
                (x.saturating_sub(1)..=(x + 1).min(w - 2)).any(|xx| {
                    let gx = (at(xx + 1, y) - at(xx.max(1) - 1, y)).abs();
                    let gy = (at(xx, y + 1) - at(xx, y - 1)).abs();
                    gx > EDGE && gx > 2.0 * gy
                })
            })
            .count();
        hits as f32 / (ry2 - ry1).max(1) as f32
    };
    let fw = fx2 - fx1;
    let (rx1, rx2) = (fx1.saturating_sub(fw / 2).max(1), (fx2 + fw / 2).min(w - 2));
    let hrow = |y: usize| {
        let hits = (rx1..rx2)
            .filter(|&x| {
                (y.saturating_sub(1)..=(y + 1).min(h - 2)).any(|yy| {
                    let gy = (at(x, yy + 1) - at(x, yy.max(1) - 1)).abs();
                    let gx = (at(x + 1, yy) - at(x - 1, yy)).abs();
                    gy > EDGE && gy > 2.0 * gx
                })
            })
            .count();
        hits as f32 / (rx2 - rx1).max(1) as f32
    };
    // Search between the face box (with a margin: hair and ears are not frames) and the context.
    let margin_x = fw / 8;
    let margin_y = fh / 8;
    let best = |it: &mut dyn Iterator<Item = f32>| it.fold(0f32, f32::max);
    let sides = [
        best(&mut (2..fx1.saturating_sub(margin_x).max(2)).map(vcol)),
        best(&mut ((fx2 + margin_x).min(w - 3)..w - 2).map(vcol)),
        best(&mut (2..fy1.saturating_sub(margin_y).max(2)).map(hrow)),
        best(&mut ((fy2 + margin_y).min(h - 3)..h - 2).map(hrow)),
    ];
    let n = sides.iter().filter(|&&c| c >= min_coverage).count() as u8;
    (n, sides.iter().copied().fold(0.0, f32::max))
}

/// Colour statistics of the central face region: `(saturation std, clipped-highlight share)`.
fn colour(img: &RgbImage, b: &BBox) -> (f32, f32) {
    let (cx, cy) = b.center();
    let (hw, hh) = (b.width() * 0.3, b.height() * 0.3);
    let map = Affine::crop(
        (cx - hw) as f64,
        (cy - hh) as f64,
        (2.0 * hw) as f64,
        (2.0 * hh) as f64,
        48,
        48,
    );
    let patch = sample(img, &map, 48, 48);
    let mut sats = Vec::with_capacity(48 * 48);
    let mut clipped = 0usize;
    for p in patch.data.chunks_exact(3) {
        let (mx, mn) = (p[0].max(p[1]).max(p[2]), p[0].min(p[1]).min(p[2]));
        sats.push(if mx > 0.0 { (mx - mn) / mx } else { 0.0 });
        if luma(p) >= 250.0 {
            clipped += 1;
        }
    }
    let n = sats.len() as f32;
    let m = sats.iter().sum::<f32>() / n;
    let var = sats.iter().map(|s| (s - m).powi(2)).sum::<f32>() / n;
    (var.sqrt(), clipped as f32 / n)
}

/// All cues of the face in `b` (original image coordinates). `min_coverage` is the share of a
/// side an edge must span to count as framing.
pub fn frame_cues(img: &RgbImage, b: &BBox, min_coverage: f32) -> FrameCues {
    let (framing_sides, framing_strength) = framing(img, b, min_coverage);
    let (saturation_std, clipped_highlights) = colour(img, b);
    FrameCues {
        moire: moire(img, b),
        framing_sides,
        framing_strength,
        saturation_std,
        clipped_highlights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smooth(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let v = (120.0 + 40.0 * ((x as f32 / 37.0).sin() + (y as f32 / 53.0).cos())) as u8;
            image::Rgb([v, v, v])
        })
    }

    const FACE: BBox = BBox {
        x1: 250.0,
        y1: 170.0,
        x2: 390.0,
        y2: 310.0,
    };

    #[test]
    fn a_device_frame_around_the_face_is_found_on_every_side() {
        let mut img = smooth(640, 480);
        // A dark bezel 4 px wide, 30 px outside the face box... well inside the 2.7× context.
        for y in 100..380u32 {
            for x in 180..460u32 {
                let edge = !(184..456).contains(&x) || !(104..376).contains(&y);
                if edge {
                    img.put_pixel(x, y, image::Rgb([10, 10, 10]));
                }
            }
        }
        let c = frame_cues(&img, &FACE, 0.85);
        assert_eq!(c.framing_sides, 4, "{c:?}");
        let plain = frame_cues(&smooth(640, 480), &FACE, 0.85);
        assert_eq!(plain.framing_sides, 0, "{plain:?}");
    }

    #[test]
    fn a_fine_periodic_pattern_raises_the_moire_measure() {
        let clean = smooth(640, 480);
        let grating = RgbImage::from_fn(640, 480, |x, y| {
            let base = clean.get_pixel(x, y)[0] as f32;
            let v = base
                + 12.0 * (2.0 * std::f32::consts::PI * (0.31 * x as f32 + 0.17 * y as f32)).sin();
            let v = v.clamp(0.0, 255.0) as u8;
            image::Rgb([v, v, v])
        });
        let (m0, m1) = (moire(&clean, &FACE), moire(&grating, &FACE));
        assert!(m1 > m0 + 1.0, "clean {m0}, grating {m1}");
    }
}
