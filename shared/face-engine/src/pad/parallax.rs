//! Planarity / parallax of points tracked over the sampled frames (texture tracks from
//! [`super::tracks`], or the 68 landmarks).
//!
//! For every pair of frames the points of one are fitted to the other by a similarity and by
//! a homography. The similarity residual (relative to the inter-ocular distance) says how much
//! the face *changed shape* in the image; the homography residual says how much of that change a
//! single plane cannot explain. A print, a cut-out or a screen moved in front of the camera is a
//! plane: its change of shape is all perspective, which a homography absorbs, so the ratio of
//! the two residuals is small. A real head turning shows parallax (nose against cheeks, the jaw
//! outline sliding over the face) and keeps a large ratio; so does a face that changes
//! expression. Pairs whose shape barely changed are
//! not used: there the ratio only measures landmark jitter.

use serde::{Deserialize, Serialize};

use super::Verdict;
use super::geometry::{fit_homography, homography_rms, similarity_rms};
use super::tracks::Tracks;

/// Default [`ParallaxConfig::tracking_noise_px`] for texture tracks, set on the development
/// prints: a plane's homography residual is tracking noise, and the median residual of the six
/// synthetic prints made from `selfie-turns-live.mp4` is 0.09–0.17 px at their own size and
/// 0.23–0.35 px filmed with a 64 px face and re-encoded (`face-eval pad`). 0.25 removes most of it
/// in small faces and all of it in large ones, while the live clips' residuals (0.25–1.5 px)
/// keep most of theirs. Evaluated at 0, 0.15 and 0.25 px: the small-face prints accepted went
/// 7 → 3 → 2 of 31, no bona fide clip changed verdict.
pub const TRACKING_NOISE_PX: f32 = 0.25;

/// Thresholds of the planarity test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParallaxConfig {
    /// Similarity residual (fraction of the inter-ocular distance) a pair of frames needs before
    /// it is used: below it the face did not change shape enough to test planarity.
    pub min_deformation: f32,
    /// Frame pairs needed for a verdict.
    pub min_pairs: usize,
    /// Common tracked points a frame pair needs.
    pub min_points: usize,
    /// Residual ratio (homography / similarity) below which the motion is called planar.
    pub planar_ratio: f32,
    /// Width of the logistic that turns the ratio into an attack score (0.5 at `planar_ratio`).
    pub softness: f32,
    /// Tracking noise, in pixels of the tracks, removed in quadrature from both residuals of
    /// every pair before they are used: what a plane's homography residual is made of. Without
    /// it the noise of a small, compressed face (a 64 px face has an inter-ocular distance of
    /// about 25 px) reads as parallax.
    pub tracking_noise_px: f32,
}

impl ParallaxConfig {
    /// Settings for the 68 landmarks, whose jitter (1–2 % of the inter-ocular distance) sets a
    /// much higher floor than texture tracks.
    pub fn landmarks() -> Self {
        ParallaxConfig {
            min_deformation: 0.08,
            min_points: 40,
            tracking_noise_px: 0.0,
            ..Default::default()
        }
    }
}

impl Default for ParallaxConfig {
    /// Fitted on the development split only (`face-eval pad`): the texture-track ratio
    /// of the six synthetic hand-held prints made from `selfie-turns-live.mp4` is 0.09–0.22, of
    /// its live clips 0.54–0.75; `planar_ratio` is the midpoint, 0.38 (leave-one-out over those
    /// twelve clips moves it to 0.35–0.48 and misclassifies none). `min_deformation` (1 % of
    /// the inter-ocular distance) is several times the homography residual of tracked prints
    /// (0.001–0.003): below it a pair measures tracking noise, not shape. Re-checked after the
    /// prints were filmed through H.264 and the tracker got its second pass (`face-eval pad`):
    /// prints 0.00 (held-out prints up to 0.08), live 0.52–0.70; held-out live clips go down to
    /// 0.40.
    fn default() -> Self {
        ParallaxConfig {
            min_deformation: 0.01,
            min_pairs: 1,
            min_points: 12,
            planar_ratio: 0.38,
            softness: 0.05,
            tracking_noise_px: TRACKING_NOISE_PX,
        }
    }
}

/// Result of the planarity test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parallax {
    /// Frames with landmarks.
    pub frames: usize,
    /// Frame pairs with enough common points to be measured.
    pub pairs_measured: usize,
    /// Frame pairs that changed shape enough to be tested.
    pub pairs_used: usize,
    /// Largest similarity residual over all pairs (fraction of the inter-ocular distance).
    pub max_deformation: f32,
    /// `sqrt(Σ H² / Σ S²)` over the used pairs (H, S = homography, similarity residuals); the
    /// reported value. `None` when no pair was used.
    pub ratio: Option<f32>,
    /// Median homography residual over all pairs (fraction of the inter-ocular distance).
    pub median_homography_residual: f32,
    /// The same in pixels of the tracks (before the noise is removed).
    pub median_homography_residual_px: f32,
    /// Attack score 0..1 (0.5 at the threshold); `None` when inconclusive.
    pub attack_score: Option<f32>,
    /// Decision of this signal alone.
    pub verdict: Verdict,
}

/// Inter-ocular distance (between the two eye centres of the 68-point layout).
pub fn inter_ocular(points: &[[f32; 2]]) -> f32 {
    let centre = |r: std::ops::Range<usize>| {
        let n = r.len() as f32;
        let (x, y) = r.fold((0.0, 0.0), |(x, y), i| (x + points[i][0], y + points[i][1]));
        [x / n, y / n]
    };
    let (l, r) = (centre(36..42), centre(42..48));
    ((l[0] - r[0]).powi(2) + (l[1] - r[1]).powi(2)).sqrt()
}

/// Landmark positions of every frame as tracks (68 per frame, `None` without a face).
pub fn landmark_tracks(landmarks: &[Option<&[[f32; 2]]>]) -> Tracks {
    let points = landmarks
        .iter()
        .map(|l| match l {
            Some(l) if l.len() == 68 => {
                l.iter().map(|p| Some([p[0] as f64, p[1] as f64])).collect()
            }
            _ => vec![None; 68],
        })
        .collect();
    let iod = landmarks
        .iter()
        .map(|l| {
            l.filter(|l| l.len() == 68)
                .map_or(0.0, |l| inter_ocular(l) as f64)
        })
        .collect();
    Tracks { points, iod }
}

/// Residuals of one frame pair on their common points: `(similarity, homography)` RMS in
/// pixels, after dropping points the homography misses by more than three times the median (a
/// lost track, an eyelid), or `None` with fewer than `min_points` common points.
fn pair_residuals(
    a: &[Option<[f64; 2]>],
    b: &[Option<[f64; 2]>],
    min_points: usize,
) -> Option<(f64, f64)> {
    let (mut src, mut dst): (Vec<[f64; 2]>, Vec<[f64; 2]>) = a
        .iter()
        .zip(b)
        .filter_map(|(p, q)| Some(((*p)?, (*q)?)))
        .unzip();
    if src.len() < min_points.max(8) {
        return None;
    }
    let h = fit_homography(&src, &dst)?;
    let mut res: Vec<(f64, usize)> = src
        .iter()
        .zip(&dst)
        .enumerate()
        .map(|(k, (p, q))| {
            let m = h.apply(*p).unwrap_or([f64::INFINITY; 2]);
            (((m[0] - q[0]).powi(2) + (m[1] - q[1]).powi(2)).sqrt(), k)
        })
        .collect();
    let mut sorted: Vec<f64> = res.iter().map(|r| r.0).collect();
    sorted.sort_by(f64::total_cmp);
    let cut = (3.0 * sorted[sorted.len() / 2]).max(0.5);
    res.retain(|r| r.0 <= cut);
    if res.len() < min_points.max(8) {
        return None;
    }
    let keep: Vec<usize> = res.iter().map(|r| r.1).collect();
    src = keep.iter().map(|&k| src[k]).collect();
    dst = keep.iter().map(|&k| dst[k]).collect();
    let h = fit_homography(&src, &dst)?;
    Some((similarity_rms(&src, &dst), homography_rms(&h, &src, &dst)))
}

/// Planarity test over point tracks (see the module docs), every pair of frames.
pub fn parallax(tracks: &Tracks, cfg: &ParallaxConfig) -> Parallax {
    let n = tracks.points.len();
    let frames: Vec<usize> = (0..n)
        .filter(|&i| tracks.iod[i] > 1.0 && tracks.points[i].iter().any(Option::is_some))
        .collect();
    let (mut sum_h2, mut sum_s2, mut used) = (0.0, 0.0, 0usize);
    let mut max_def = 0f64;
    let mut h_all = Vec::new();
    let noise = cfg.tracking_noise_px as f64;
    let denoise = |r: f64| (r * r - noise * noise).max(0.0).sqrt();

    for (x, &i) in frames.iter().enumerate() {
        for &j in &frames[x + 1..] {
            let Some((s, h)) = pair_residuals(&tracks.points[i], &tracks.points[j], cfg.min_points)
            else {
                continue;
            };
            let iod = (tracks.iod[i] + tracks.iod[j]) / 2.0;
            h_all.push((h / iod, h));
            let (s, h) = (denoise(s) / iod, denoise(h) / iod);
            max_def = max_def.max(s);
            if s >= cfg.min_deformation as f64 {
                used += 1;
                sum_h2 += h * h;
                sum_s2 += s * s;
            }
        }
    }
    h_all.sort_by(|a, b| a.0.total_cmp(&b.0));

    let median_h = h_all.get(h_all.len() / 2).copied().unwrap_or((0.0, 0.0));
    let ratio = (used > 0).then(|| (sum_h2 / sum_s2).sqrt() as f32);
    let (attack_score, verdict) = match ratio {
        Some(r) if used >= cfg.min_pairs => {
            let score = 1.0 / (1.0 + ((r - cfg.planar_ratio) / cfg.softness).exp());
            let v = if r < cfg.planar_ratio {
                Verdict::Attack
            } else {
                Verdict::Live
            };
            (Some(score), v)
        }
        _ => (None, Verdict::Inconclusive),
    };
    Parallax {
        frames: frames.len(),
        pairs_measured: h_all.len(),
        pairs_used: used,
        max_deformation: max_def as f32,
        ratio,
        median_homography_residual: median_h.0 as f32,
        median_homography_residual_px: median_h.1 as f32,
        attack_score,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pad::geometry::{Homography, PlanePose, plane_homography};

    /// A rough 3-D face: 60 points on an ellipsoid cap (depth up to 0.6 of its width), in
    /// units of the inter-ocular distance (≈ 1).
    fn head_points() -> Vec<[f64; 3]> {
        (0..60)
            .map(|k| {
                let (u, v) = ((k % 10) as f64 / 9.0 - 0.5, (k / 10) as f64 / 5.0 - 0.5);
                let (x, y) = (2.0 * u, 2.6 * v);
                let z = 0.6 * (1.0 - (u * u + v * v) * 2.0).max(0.0).sqrt();
                [x, y, z]
            })
            .collect()
    }

    /// Projects points turned by `yaw` (radians) with a camera 8 widths away, 100 px per unit.
    fn project(points: &[[f64; 3]], yaw: f64) -> Vec<Option<[f64; 2]>> {
        let (c, s) = (yaw.cos(), yaw.sin());
        points
            .iter()
            .map(|p| {
                let (x, z) = (c * p[0] + s * p[2], -s * p[0] + c * p[2]);
                let d = 8.0 - z;
                Some([320.0 + 800.0 * x / d, 240.0 + 800.0 * p[1] / d])
            })
            .collect()
    }

    fn tracks(frames: Vec<Vec<Option<[f64; 2]>>>) -> Tracks {
        tracks_at(frames, 100.0)
    }

    fn tracks_at(frames: Vec<Vec<Option<[f64; 2]>>>, iod: f64) -> Tracks {
        let n = frames.len();
        Tracks {
            points: frames,
            iod: vec![iod; n],
        }
    }

    /// Eight frames of the head points laid flat (`px` pixels per unit) on a plane moved from
    /// rest to `end` linearly, each tracked point shifted by `noise()` in x and y.
    fn planar_sequence(
        px: f64,
        end: PlanePose,
        mut noise: impl FnMut() -> f64,
    ) -> Vec<Vec<Option<[f64; 2]>>> {
        let flat: Vec<[f64; 2]> = head_points()
            .iter()
            .map(|p| [320.0 + px * p[0], 240.0 + px * p[1]])
            .collect();
        (0..8)
            .map(|i| {
                let t = i as f64 / 7.0;
                let pose = PlanePose {
                    yaw: end.yaw * t,
                    pitch: end.pitch * t,
                    roll: end.roll * t,
                    tx: end.tx * t,
                    ty: end.ty * t,
                    zoom: end.zoom * t,
                };
                let h: Homography = plane_homography(640.0, 480.0, &pose);
                flat.iter()
                    .map(|p| h.apply(*p).map(|q| [q[0] + noise(), q[1] + noise()]))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn planar_warp_sequence_has_near_zero_parallax() {
        let end = PlanePose {
            yaw: 0.3,
            pitch: -0.15,
            roll: 0.1,
            tx: 20.0,
            ty: 0.0,
            zoom: 0.1,
        };
        let frames = planar_sequence(100.0, end, || 0.0);
        let p = parallax(&tracks(frames), &ParallaxConfig::default());
        assert!(p.pairs_used >= 10, "{p:?}");
        assert!(p.ratio.unwrap() < 0.01, "{p:?}");
        assert_eq!(p.verdict, Verdict::Attack);
        assert!(p.attack_score.unwrap() > 0.99);
    }

    #[test]
    fn tracking_noise_of_a_small_face_is_not_parallax() {
        // A plane with an inter-ocular distance of 25 px, tilted a little, tracked with
        // ±0.25 px of noise: the raw residual ratio looks three-dimensional, the denoised one
        // is planar.
        let mut seed = 7u64;
        let noise = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((seed >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.5
        };
        let end = PlanePose {
            yaw: 0.25,
            pitch: 0.1,
            roll: 0.05,
            tx: 4.0,
            ty: 0.0,
            zoom: 0.05,
        };
        let t = tracks_at(planar_sequence(25.0, end, noise), 25.0);
        let raw = parallax(
            &t,
            &ParallaxConfig {
                tracking_noise_px: 0.0,
                ..Default::default()
            },
        );
        let denoised = parallax(&t, &ParallaxConfig::default());
        assert_eq!(raw.verdict, Verdict::Live, "{raw:?}");
        assert!(
            raw.ratio.unwrap() > denoised.ratio.unwrap(),
            "{raw:?} {denoised:?}"
        );
        assert_eq!(denoised.verdict, Verdict::Attack, "{denoised:?}");
        assert!(
            denoised.median_homography_residual_px > 0.05,
            "{denoised:?}"
        );
    }

    #[test]
    fn turning_head_has_clear_parallax() {
        let head = head_points();
        let frames = (0..8)
            .map(|i| project(&head, (i as f64 - 3.5) * 0.08))
            .collect();
        let p = parallax(&tracks(frames), &ParallaxConfig::default());
        assert!(p.ratio.unwrap() > 0.5, "{p:?}");
        assert_eq!(p.verdict, Verdict::Live);
        assert!(p.attack_score.unwrap() < 0.1);
    }

    #[test]
    fn no_motion_is_inconclusive() {
        let head = head_points();
        let frames = (0..8).map(|_| project(&head, 0.1)).collect();
        let p = parallax(&tracks(frames), &ParallaxConfig::default());
        assert_eq!(
            (p.verdict, p.pairs_used, p.attack_score),
            (Verdict::Inconclusive, 0, None)
        );
    }
}
