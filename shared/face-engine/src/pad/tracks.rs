//! Feature tracks on the face texture (Lucas–Kanade), for the planarity test.
//!
//! The 68 landmarks jitter by 1–2 % of the inter-ocular distance from frame to frame, which
//! hides the small perspective change of a print tilted by a hand. Texture points tracked with
//! sub-pixel Lucas–Kanade are an order of magnitude steadier. Each track is seeded on corners of
//! the first face (Shi–Tomasi), predicted into the next frame by the homography of the landmark
//! motion (so large motion between sparse frames is not a problem), warped by that homography's
//! local affine part, and refined by translation-only Lucas–Kanade on a 19×19 window; then
//! tracked again from the same start, predicted and warped by the homography of the first
//! pass's tracks (steadier than the landmarks'). Tracks are chained frame to frame and dropped
//! when the match is poor.
//!
//! Everything runs on one grey region of interest shared by all frames (the union of the face
//! boxes), resampled so that the inter-ocular distance is about [`TARGET_IOD`] pixels: an affine
//! change of coordinates, so planarity is unaffected.

use image::RgbImage;

use super::geometry::{Homography, fit_homography};
use super::parallax::inter_ocular;
use crate::sampling::{Affine, sample};

/// Inter-ocular distance in the tracking image, pixels.
pub const TARGET_IOD: f32 = 64.0;
/// Half-width of the Lucas–Kanade window.
const HALF: i32 = 9;
/// Largest forward-backward error of a kept track, tracking-image pixels.
const FB_MAX_PX: f32 = 0.3;
/// Most points tracked.
const MAX_POINTS: usize = 80;
/// Tracked points a frame pair needs before their own homography replaces the landmarks' as
/// the prediction of a second pass.
const MIN_REFINE_POINTS: usize = 12;

/// A grey image of the region of interest, with its central-difference gradients.
struct Gray {
    w: usize,
    h: usize,
    data: Vec<f32>,
    gx: Vec<f32>,
    gy: Vec<f32>,
}

impl Gray {
    /// Bilinear value at pixel-centre coordinates (`(0, 0)` = centre of the first pixel).
    fn at(&self, x: f32, y: f32) -> Option<f32> {
        if x < 0.0 || y < 0.0 || x > (self.w - 1) as f32 || y > (self.h - 1) as f32 {
            return None;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.w - 1), (y0 + 1).min(self.h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let p = |xx: usize, yy: usize| self.data[yy * self.w + xx];
        let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * fx;
        let bot = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * fx;
        Some(top + (bot - top) * fy)
    }

    /// Bilinear value and gradient at `(x, y)` (one set of weights for the three planes).
    fn at3(&self, x: f32, y: f32) -> Option<(f32, f32, f32)> {
        if x < 0.0 || y < 0.0 || x > (self.w - 1) as f32 || y > (self.h - 1) as f32 {
            return None;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.w - 1), (y0 + 1).min(self.h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let (w00, w01, w10, w11) = (
            (1.0 - fx) * (1.0 - fy),
            fx * (1.0 - fy),
            (1.0 - fx) * fy,
            fx * fy,
        );
        let (i00, i01, i10, i11) = (
            y0 * self.w + x0,
            y0 * self.w + x1,
            y1 * self.w + x0,
            y1 * self.w + x1,
        );
        let f = |p: &[f32]| w00 * p[i00] + w01 * p[i01] + w10 * p[i10] + w11 * p[i11];
        Some((f(&self.data), f(&self.gx), f(&self.gy)))
    }
}

/// 3×3 binomial blur of a `w × h` grey image (compression noise — blocking, ringing —
/// otherwise dominates the gradients of smooth skin), with its gradients.
fn blur(src: Vec<f32>, w: usize, h: usize) -> Gray {
    let g = Gray {
        w,
        h,
        data: src,
        gx: Vec::new(),
        gy: Vec::new(),
    };
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let (l, r) = (x.saturating_sub(1), (x + 1).min(w - 1));
            tmp[y * w + x] =
                0.25 * g.data[y * w + l] + 0.5 * g.data[y * w + x] + 0.25 * g.data[y * w + r];
        }
    }
    let mut data = vec![0f32; w * h];
    for y in 0..h {
        let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            data[y * w + x] = 0.25 * tmp[u * w + x] + 0.5 * tmp[y * w + x] + 0.25 * tmp[d * w + x];
        }
    }
    let (mut gx, mut gy) = (vec![0f32; w * h], vec![0f32; w * h]);
    for y in 0..h {
        let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let (l, r) = (x.saturating_sub(1), (x + 1).min(w - 1));
            gx[y * w + x] = (data[y * w + r] - data[y * w + l]) / 2.0;
            gy[y * w + x] = (data[d * w + x] - data[u * w + x]) / 2.0;
        }
    }
    Gray { w, h, data, gx, gy }
}

/// Point tracks over the frames, in tracking-image pixels, and the scale of each frame's face.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracks {
    /// `points[frame][track]`: position, or `None` once the track is lost (or for a frame
    /// without a face).
    pub points: Vec<Vec<Option<[f64; 2]>>>,
    /// Inter-ocular distance of each frame in tracking-image pixels (0 without a face).
    pub iod: Vec<f64>,
}

/// Shi–Tomasi corners (minimum eigenvalue of the 7×7 structure tensor) inside `area`
/// (`x1, y1, x2, y2`), at least 5 pixels apart, strongest first.
fn corners(g: &Gray, area: [f32; 4]) -> Vec<[f32; 2]> {
    let (w, h) = (g.w as i32, g.h as i32);
    let px = |x: i32, y: i32| g.data[(y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) as usize];
    let x1 = (area[0].max(HALF as f32 + 2.0)) as i32;
    let y1 = (area[1].max(HALF as f32 + 2.0)) as i32;
    let x2 = (area[2].min((w - HALF - 3) as f32)) as i32;
    let y2 = (area[3].min((h - HALF - 3) as f32)) as i32;
    let mut cand = Vec::new();
    for y in (y1..y2).step_by(2) {
        for x in (x1..x2).step_by(2) {
            let (mut gxx, mut gyy, mut gxy) = (0f32, 0f32, 0f32);
            for dy in -3..=3 {
                for dx in -3..=3 {
                    let gx = (px(x + dx + 1, y + dy) - px(x + dx - 1, y + dy)) / 2.0;
                    let gy = (px(x + dx, y + dy + 1) - px(x + dx, y + dy - 1)) / 2.0;
                    gxx += gx * gx;
                    gyy += gy * gy;
                    gxy += gx * gy;
                }
            }
            let tr = (gxx + gyy) / 2.0;
            let min_eig = tr - (((gxx - gyy) / 2.0).powi(2) + gxy * gxy).sqrt();
            cand.push((min_eig, [x as f32, y as f32]));
        }
    }
    cand.sort_by(|a, b| b.0.total_cmp(&a.0));
    let floor = cand.first().map_or(0.0, |c| c.0 * 0.02).max(1.0);
    let mut out: Vec<[f32; 2]> = Vec::new();
    for (e, p) in cand {
        if e < floor || out.len() >= MAX_POINTS {
            break;
        }
        if out
            .iter()
            .all(|q| (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2) >= 25.0)
        {
            out.push(p);
        }
    }
    out
}

/// Refines the position in `b` of the point `p` of `a`, starting at `guess`, with the local
/// affine map `m` (2×2, row-major) of the predicted motion. `None` when the match is poor.
fn track_point(a: &Gray, b: &Gray, p: [f32; 2], guess: [f32; 2], m: [f32; 4]) -> Option<[f32; 2]> {
    let mut tmpl = Vec::with_capacity(((2 * HALF + 1) * (2 * HALF + 1)) as usize);
    for dy in -HALF..=HALF {
        for dx in -HALF..=HALF {
            tmpl.push((
                dx as f32,
                dy as f32,
                a.at(p[0] + dx as f32, p[1] + dy as f32)?,
            ));
        }
    }
    let mut u = guess;
    let mut err = f32::INFINITY;
    for _ in 0..20 {
        let (mut gxx, mut gyy, mut gxy, mut bx, mut by, mut e) =
            (0f32, 0f32, 0f32, 0f32, 0f32, 0f32);
        for &(dx, dy, t) in &tmpl {
            let x = u[0] + m[0] * dx + m[1] * dy;
            let y = u[1] + m[2] * dx + m[3] * dy;
            let (v, gx, gy) = b.at3(x, y)?;
            let d = t - v;
            gxx += gx * gx;
            gyy += gy * gy;
            gxy += gx * gy;
            bx += gx * d;
            by += gy * d;
            e += d.abs();
        }
        err = e / tmpl.len() as f32;
        let det = gxx * gyy - gxy * gxy;
        if det.abs() < 1e-6 {
            return None;
        }
        let du = [(gyy * bx - gxy * by) / det, (gxx * by - gxy * bx) / det];
        u = [u[0] + du[0], u[1] + du[1]];
        if (u[0] - guess[0]).abs() > 10.0 || (u[1] - guess[1]).abs() > 10.0 {
            return None;
        }
        if du[0].abs() + du[1].abs() < 0.01 {
            break;
        }
    }
    // Mean absolute difference after alignment, grey levels: above this the patch changed
    // (occlusion by a turning head, a blink) and the track is not trusted.
    (err < 10.0).then_some(u)
}

/// Tracks `from` (points of `a`, `None` = lost) into `b`: guess and template warp from the
/// predicted motion `hm`, refined by Lucas–Kanade, kept when the forward-backward check holds.
fn track_link(
    a: &Gray,
    b: &Gray,
    from: &[Option<[f64; 2]>],
    hm: &Homography,
) -> Vec<Option<[f64; 2]>> {
    from.iter()
        .map(|from| {
            let p = (*from)?;
            let (g, gx, gy) = (
                hm.apply(p)?,
                hm.apply([p[0] + 1.0, p[1]])?,
                hm.apply([p[0], p[1] + 1.0])?,
            );
            let m = [
                (gx[0] - g[0]) as f32,
                (gy[0] - g[0]) as f32,
                (gx[1] - g[1]) as f32,
                (gy[1] - g[1]) as f32,
            ];
            let pf = [p[0] as f32, p[1] as f32];
            let det = m[0] * m[3] - m[1] * m[2];
            if det.abs() < 1e-3 {
                return None;
            }
            let m_inv = [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det];
            // Forward-backward check: a track that does not come back to where it started
            // drifted (smooth skin under compression noise, an occlusion) and is dropped.
            track_point(a, b, pf, [g[0] as f32, g[1] as f32], m)
                .filter(|q| {
                    track_point(b, a, *q, pf, m_inv).is_some_and(|r| {
                        (r[0] - pf[0]).powi(2) + (r[1] - pf[1]).powi(2) < FB_MAX_PX * FB_MAX_PX
                    })
                })
                .map(|q| [q[0] as f64, q[1] as f64])
        })
        .collect()
}

/// Tracks texture points over `frames` given each frame's 68 landmarks (`None` without a face),
/// in original image coordinates.
pub fn track(frames: &[&RgbImage], landmarks: &[Option<&[[f32; 2]]>]) -> Tracks {
    let n = frames.len();
    let with_face: Vec<usize> = (0..n)
        .filter(|&i| landmarks[i].is_some_and(|l| l.len() == 68))
        .collect();
    let empty = Tracks {
        points: vec![Vec::new(); n],
        iod: vec![0.0; n],
    };
    if with_face.len() < 2 {
        return empty;
    }
    // Region of interest: the union of the landmark boxes, with a margin of one eye distance.
    let (mut x1, mut y1, mut x2, mut y2) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    let mut iods: Vec<f32> = Vec::new();
    for &i in &with_face {
        let l = landmarks[i].unwrap();
        for p in l {
            x1 = x1.min(p[0]);
            y1 = y1.min(p[1]);
            x2 = x2.max(p[0]);
            y2 = y2.max(p[1]);
        }
        iods.push(inter_ocular(l));
    }
    iods.sort_by(f32::total_cmp);
    let iod = iods[iods.len() / 2].max(4.0);
    let (x1, y1, x2, y2) = (x1 - iod, y1 - iod, x2 + iod, y2 + iod);
    let scale = (TARGET_IOD / iod).min(1.5);
    let (w, h) = (
        ((x2 - x1) * scale).ceil().clamp(16.0, 1024.0) as usize,
        ((y2 - y1) * scale).ceil().clamp(16.0, 1024.0) as usize,
    );
    let sx = (x2 - x1) / w as f32;
    let sy = (y2 - y1) / h as f32;
    let to_roi = |p: [f32; 2]| [(p[0] - x1) / sx - 0.5, (p[1] - y1) / sy - 0.5];
    let grays: Vec<Option<Gray>> = (0..n)
        .map(|i| {
            landmarks[i].filter(|l| l.len() == 68).map(|_| {
                let map = Affine::crop(
                    x1 as f64,
                    y1 as f64,
                    (x2 - x1) as f64,
                    (y2 - y1) as f64,
                    w as u32,
                    h as u32,
                );
                let p = sample(frames[i], &map, w as u32, h as u32);
                blur(p.gray(), w, h)
            })
        })
        .collect();
    let lm_roi: Vec<Option<Vec<[f64; 2]>>> = (0..n)
        .map(|i| {
            landmarks[i].filter(|l| l.len() == 68).map(|l| {
                l.iter()
                    .map(|p| to_roi(*p))
                    .map(|p| [p[0] as f64, p[1] as f64])
                    .collect()
            })
        })
        .collect();
    let first = with_face[0];
    let l0 = lm_roi[first].as_ref().unwrap();
    // Seed inside the face: between the jaw ends horizontally, brows to chin vertically, pulled
    // in by a tenth so that no seed sits on the silhouette (background moves differently).
    let (fx1, fx2) = (l0[0][0].min(l0[16][0]), l0[0][0].max(l0[16][0]));
    let fy1 = (17..27).map(|i| l0[i][1]).fold(f64::MAX, f64::min);
    let fy2 = l0[8][1];
    let (mx, my) = ((fx2 - fx1) * 0.1, (fy2 - fy1) * 0.1);
    let seeds = corners(
        grays[first].as_ref().unwrap(),
        [
            (fx1 + mx) as f32,
            (fy1 + my) as f32,
            (fx2 - mx) as f32,
            (fy2 - my) as f32,
        ],
    );
    let mut points: Vec<Vec<Option<[f64; 2]>>> = vec![vec![None; seeds.len()]; n];
    for (k, s) in seeds.iter().enumerate() {
        points[first][k] = Some([s[0] as f64, s[1] as f64]);
    }
    // Tracks are chained: each frame is matched against the previous one (a turning head
    // changes its texture too much for a match against the first frame, which would keep only
    // the flattest patches and understate parallax). The guess and the template warp come
    // from the homography of the landmark motion between the two frames.
    for pair in with_face.windows(2) {
        let (i, j) = (pair[0], pair[1]);
        let (a, b) = (grays[i].as_ref().unwrap(), grays[j].as_ref().unwrap());
        let hm = fit_homography(lm_roi[i].as_ref().unwrap(), lm_roi[j].as_ref().unwrap())
            .unwrap_or(Homography::IDENTITY);
        let first_pass = track_link(a, b, &points[i], &hm);
        // Second pass predicted by the homography of the tracked points themselves: the
        // landmarks' homography is off by their jitter (1–2 % of the eye distance), and a template
        // warped by the wrong local affine biases each point's translation a little differently,
        // which reads as parallax on a print.
        let (src, dst): (Vec<[f64; 2]>, Vec<[f64; 2]>) = points[i]
            .iter()
            .zip(&first_pass)
            .filter_map(|(p, q)| Some(((*p)?, (*q)?)))
            .unzip();
        points[j] = match fit_homography(&src, &dst).filter(|_| src.len() >= MIN_REFINE_POINTS) {
            Some(ht) => track_link(a, b, &points[i], &ht),
            None => first_pass,
        };
    }
    let iod = (0..n)
        .map(|i| {
            landmarks[i]
                .filter(|l| l.len() == 68)
                .map_or(0.0, |l| (inter_ocular(l) / sx) as f64)
        })
        .collect();
    Tracks { points, iod }
}
