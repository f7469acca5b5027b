//! Synthetic presentation attacks for tests and the evaluation: a still image treated as a
//! hand-held print, i.e. a plane swaying in front of a pinhole camera. Every generated frame is
//! the still warped by the homography of the plane's pose, so the sequence is planar by
//! construction — the planarity test must call it an attack.

use face_engine::pad::geometry::{Homography, PlanePose, plane_homography};
use image::RgbImage;

/// Range of the random hand sway.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sway {
    /// Largest tilt of the print about its vertical and horizontal axes, degrees.
    pub tilt_deg: f64,
    /// Largest in-plane rotation, degrees.
    pub roll_deg: f64,
    /// Largest shift, fraction of the image width.
    pub shift: f64,
    /// Largest change of distance, fraction (0.1 = ±10 % size).
    pub zoom: f64,
}

impl Default for Sway {
    /// A print held at arm's length and tilted a little, as an attacker showing it would.
    fn default() -> Self {
        Sway {
            tilt_deg: 20.0,
            roll_deg: 8.0,
            shift: 0.05,
            zoom: 0.1,
        }
    }
}

/// Small deterministic generator (SplitMix64), so generated attacks are reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// Uniform in −1..1.
    pub fn signed(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// `n` homographies of a smooth random sway (two random poses per axis, blended over the clip).
pub fn sway_homographies(w: u32, h: u32, n: usize, sway: &Sway, seed: u64) -> Vec<Homography> {
    let mut rng = Rng::new(seed);
    let mut pose = || {
        [
            sway.tilt_deg.to_radians() * rng.signed(),
            sway.tilt_deg.to_radians() * rng.signed(),
            sway.roll_deg.to_radians() * rng.signed(),
            sway.shift * w as f64 * rng.signed(),
            sway.shift * w as f64 * rng.signed(),
            sway.zoom * rng.signed(),
        ]
    };
    let (a, b, c) = (pose(), pose(), pose());
    (0..n)
        .map(|i| {
            let t = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.0
            };
            // Quadratic Bézier through three random poses: a smooth, non-linear sway.
            let v: Vec<f64> = (0..6)
                .map(|k| (1.0 - t).powi(2) * a[k] + 2.0 * t * (1.0 - t) * b[k] + t * t * c[k])
                .collect();
            let pose = PlanePose {
                yaw: v[0],
                pitch: v[1],
                roll: v[2],
                tx: v[3],
                ty: v[4],
                zoom: v[5],
            };
            plane_homography(w as f64, h as f64, &pose)
        })
        .collect()
}

/// Renders `img` through homography `h` (bilinear; outside the print: a grey wall).
pub fn warp(img: &RgbImage, h: &Homography) -> RgbImage {
    let inv = h.inverse().unwrap_or(Homography::IDENTITY);
    let (w, ht) = img.dimensions();
    let raw = img.as_raw();
    let stride = w as usize * 3;
    RgbImage::from_fn(w, ht, |x, y| {
        let Some([sx, sy]) = inv.apply([x as f64 + 0.5, y as f64 + 0.5]) else {
            return image::Rgb([128, 128, 128]);
        };
        let (fx, fy) = (sx - 0.5, sy - 0.5);
        if fx < 0.0 || fy < 0.0 || fx >= (w - 1) as f64 || fy >= (ht - 1) as f64 {
            return image::Rgb([128, 128, 128]);
        }
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (ax, ay) = ((fx - x0 as f64) as f32, (fy - y0 as f64) as f32);
        let mut px = [0u8; 3];
        for (c, out) in px.iter_mut().enumerate() {
            let at = |xx: usize, yy: usize| raw[yy * stride + xx * 3 + c] as f32;
            let top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * ax;
            let bot = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * ax;
            *out = (top + (bot - top) * ay).round().clamp(0.0, 255.0) as u8;
        }
        image::Rgb(px)
    })
}

/// A hand-held print attack: `n` frames of `img` swaying as a plane (see [`Sway`]).
pub fn handheld_print(img: &RgbImage, n: usize, sway: &Sway, seed: u64) -> Vec<RgbImage> {
    sway_homographies(img.width(), img.height(), n, sway, seed)
        .iter()
        .map(|h| warp(img, h))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_sway_is_the_identity() {
        let h = plane_homography(640.0, 480.0, &PlanePose::default());
        let p = h.apply([100.0, 50.0]).unwrap();
        assert!((p[0] - 100.0).abs() < 1e-9 && (p[1] - 50.0).abs() < 1e-9);
        let img = RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8 * 7, y as u8 * 9, 50]));
        assert_eq!(warp(&img, &h).get_pixel(10, 10), img.get_pixel(10, 10));
    }

    #[test]
    fn sways_are_reproducible_and_move_the_print() {
        let a = sway_homographies(640, 480, 8, &Sway::default(), 3);
        assert_eq!(a, sway_homographies(640, 480, 8, &Sway::default(), 3));
        assert_ne!(a, sway_homographies(640, 480, 8, &Sway::default(), 4));
        let (p0, p7) = (
            a[0].apply([320.0, 240.0]).unwrap(),
            a[7].apply([320.0, 240.0]).unwrap(),
        );
        assert!((p0[0] - p7[0]).abs() + (p0[1] - p7[1]).abs() > 1.0);
    }
}
