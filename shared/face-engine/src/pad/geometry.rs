//! Least-squares fits of 2-D point motion used by the planarity test: a similarity (4 degrees
//! of freedom) and a homography (8), with their root-mean-square transfer residuals.
//!
//! A plane seen by a moving camera (a print, a cut-out, a screen) maps between frames by a
//! homography exactly; a 3-D head turning does not. The similarity fit measures how much the
//! point configuration changed shape at all, so the two residuals together say whether a shape
//! change happened and whether a plane explains it.
//!
//! [`plane_homography`] is the forward model: the homography of a plane moved to a
//! [`PlanePose`] in front of a pinhole camera (the parallax tests, and `face-eval`'s synthetic
//! hand-held prints).

/// A 3×3 homography, row-major, `h[8]` normalised to 1 when possible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Homography(pub [f64; 9]);

impl Homography {
    /// The identity map.
    pub const IDENTITY: Homography = Homography([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);

    /// Maps a point (`None` when it lands at infinity).
    pub fn apply(&self, p: [f64; 2]) -> Option<[f64; 2]> {
        let h = &self.0;
        let w = h[6] * p[0] + h[7] * p[1] + h[8];
        if w.abs() < 1e-12 {
            return None;
        }
        Some([
            (h[0] * p[0] + h[1] * p[1] + h[2]) / w,
            (h[3] * p[0] + h[4] * p[1] + h[5]) / w,
        ])
    }

    /// Composition `self ∘ other` (apply `other` first).
    pub fn compose(&self, other: &Homography) -> Homography {
        let (a, b) = (&self.0, &other.0);
        let mut m = [0.0; 9];
        for r in 0..3 {
            for c in 0..3 {
                m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
            }
        }
        Homography(m)
    }

    /// Inverse (`None` when singular).
    pub fn inverse(&self) -> Option<Homography> {
        let m = &self.0;
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
            + m[2] * (m[3] * m[7] - m[4] * m[6]);
        if det.abs() < 1e-15 {
            return None;
        }
        let inv = [
            m[4] * m[8] - m[5] * m[7],
            m[2] * m[7] - m[1] * m[8],
            m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8],
            m[0] * m[8] - m[2] * m[6],
            m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6],
            m[1] * m[6] - m[0] * m[7],
            m[0] * m[4] - m[1] * m[3],
        ];
        Some(Homography(inv.map(|v| v / det)))
    }
}

/// Translation + scale that maps `pts` to centroid 0 and mean distance √2 (Hartley), as
/// `(cx, cy, s)`: `p' = s · (p − c)`.
fn normaliser(pts: &[[f64; 2]]) -> (f64, f64, f64) {
    let n = pts.len().max(1) as f64;
    let cx = pts.iter().map(|p| p[0]).sum::<f64>() / n;
    let cy = pts.iter().map(|p| p[1]).sum::<f64>() / n;
    let d = pts
        .iter()
        .map(|p| ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt())
        .sum::<f64>()
        / n;
    (cx, cy, if d > 1e-12 { 2f64.sqrt() / d } else { 1.0 })
}

/// Solves `a · x = b` (n×n, row-major) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let piv =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[piv * n + col].abs() < 1e-12 {
            return None;
        }
        if piv != col {
            for k in 0..n {
                a.swap(piv * n + k, col * n + k);
            }
            b.swap(piv, col);
        }
        for row in col + 1..n {
            let f = a[row * n + col] / a[col * n + col];
            for k in col..n {
                a[row * n + k] -= f * a[col * n + k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row * n + k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row * n + row];
    }
    Some(x)
}

/// Least-squares homography `src → dst` (normalised DLT with `h33 = 1`). Needs ≥ 4 points.
pub fn fit_homography(src: &[[f64; 2]], dst: &[[f64; 2]]) -> Option<Homography> {
    if src.len() != dst.len() || src.len() < 4 {
        return None;
    }
    let (sx, sy, ss) = normaliser(src);
    let (dx, dy, ds) = normaliser(dst);
    let mut ata = vec![0.0; 64];
    let mut atb = vec![0.0; 8];
    for (p, q) in src.iter().zip(dst) {
        let (x, y) = ((p[0] - sx) * ss, (p[1] - sy) * ss);
        let (u, v) = ((q[0] - dx) * ds, (q[1] - dy) * ds);
        for (row, rhs) in [
            ([x, y, 1.0, 0.0, 0.0, 0.0, -x * u, -y * u], u),
            ([0.0, 0.0, 0.0, x, y, 1.0, -x * v, -y * v], v),
        ] {
            for i in 0..8 {
                atb[i] += row[i] * rhs;
                for j in 0..8 {
                    ata[i * 8 + j] += row[i] * row[j];
                }
            }
        }
    }
    let h = solve(ata, atb, 8)?;
    let hn = Homography([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]);
    // Undo the normalisations: H = T_dst⁻¹ · Hn · T_src.
    let t_src = Homography([ss, 0.0, -ss * sx, 0.0, ss, -ss * sy, 0.0, 0.0, 1.0]);
    let t_dst_inv = Homography([1.0 / ds, 0.0, dx, 0.0, 1.0 / ds, dy, 0.0, 0.0, 1.0]);
    let m = t_dst_inv.compose(&hn).compose(&t_src);
    let k = if m.0[8].abs() > 1e-12 { m.0[8] } else { 1.0 };
    Some(Homography(m.0.map(|v| v / k)))
}

/// RMS distance between `H(src)` and `dst` (points mapped to infinity count as `f64::INFINITY`).
pub fn homography_rms(h: &Homography, src: &[[f64; 2]], dst: &[[f64; 2]]) -> f64 {
    let n = src.len().max(1) as f64;
    let sum: f64 = src
        .iter()
        .zip(dst)
        .map(|(p, q)| match h.apply(*p) {
            Some(m) => (m[0] - q[0]).powi(2) + (m[1] - q[1]).powi(2),
            None => f64::INFINITY,
        })
        .sum();
    (sum / n).sqrt()
}

/// RMS residual of the least-squares similarity (rotation, uniform scale, translation)
/// `src → dst` (closed form: `dst ≈ a·src + b` over complex numbers).
pub fn similarity_rms(src: &[[f64; 2]], dst: &[[f64; 2]]) -> f64 {
    let n = src.len().max(1) as f64;
    let mean = |p: &[[f64; 2]]| {
        (
            p.iter().map(|v| v[0]).sum::<f64>() / n,
            p.iter().map(|v| v[1]).sum::<f64>() / n,
        )
    };
    let (sx, sy) = mean(src);
    let (dx, dy) = mean(dst);
    let (mut re, mut im, mut den) = (0.0, 0.0, 0.0);
    for (p, q) in src.iter().zip(dst) {
        let (x, y) = (p[0] - sx, p[1] - sy);
        let (u, v) = (q[0] - dx, q[1] - dy);
        // a = Σ conj(z)·w / Σ |z|²
        re += x * u + y * v;
        im += x * v - y * u;
        den += x * x + y * y;
    }
    if den < 1e-12 {
        return 0.0;
    }
    let (ar, ai) = (re / den, im / den);
    let sum: f64 = src
        .iter()
        .zip(dst)
        .map(|(p, q)| {
            let (x, y) = (p[0] - sx, p[1] - sy);
            let (u, v) = (ar * x - ai * y, ai * x + ar * y);
            (u - (q[0] - dx)).powi(2) + (v - (q[1] - dy)).powi(2)
        })
        .sum();
    (sum / n).sqrt()
}

/// Pose of a plane (a print, a screen) relative to its rest position facing the camera.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PlanePose {
    /// Rotation about the vertical axis, radians.
    pub yaw: f64,
    /// Rotation about the horizontal axis, radians.
    pub pitch: f64,
    /// In-plane rotation, radians.
    pub roll: f64,
    /// Horizontal shift, pixels.
    pub tx: f64,
    /// Vertical shift, pixels.
    pub ty: f64,
    /// Move towards the camera, fraction of the distance.
    pub zoom: f64,
}

/// Homography of a `w × h` image lying on a plane at the camera's focal distance, after the
/// plane is moved to `pose` (rotations about its centre).
pub fn plane_homography(w: f64, h: f64, pose: &PlanePose) -> Homography {
    let PlanePose {
        yaw,
        pitch,
        roll,
        tx,
        ty,
        zoom,
    } = *pose;
    let f = w.max(h);
    let (cy, sy, cp, sp, cr, sr) = (
        yaw.cos(),
        yaw.sin(),
        pitch.cos(),
        pitch.sin(),
        roll.cos(),
        roll.sin(),
    );
    // R = Rz(roll) · Rx(pitch) · Ry(yaw); only its first two columns act on the plane z = 0.
    let ry = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
    let rx = [[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]];
    let rz = [[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]];
    let mul = |a: [[f64; 3]; 3], b: [[f64; 3]; 3]| {
        let mut m = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
            }
        }
        m
    };
    let r = mul(rz, mul(rx, ry));
    let d = f * (1.0 - zoom);
    // Plane point (X, Y) centred on the image → camera (r1 X + r2 Y + (tx, ty, d)) → pixels.
    let (cx, cyy) = (w / 2.0, h / 2.0);
    let p = Homography([
        r[0][0], r[0][1], tx, r[1][0], r[1][1], ty, r[2][0], r[2][1], d,
    ]);
    let k = Homography([f, 0.0, cx * 1.0, 0.0, f, cyy, 0.0, 0.0, 1.0]);
    let centre = Homography([1.0, 0.0, -cx, 0.0, 1.0, -cyy, 0.0, 0.0, 1.0]);
    let m = k.compose(&p).compose(&centre);
    Homography(m.0.map(|v| v / m.0[8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<[f64; 2]> {
        (0..30)
            .map(|i| {
                [
                    (i % 6) as f64 * 20.0 + 3.0 * (i as f64).sin(),
                    (i / 6) as f64 * 25.0,
                ]
            })
            .collect()
    }

    #[test]
    fn homography_is_recovered_exactly() {
        let h = Homography([1.1, 0.2, 5.0, -0.1, 0.9, -3.0, 0.001, -0.0005, 1.0]);
        let src = grid();
        let dst: Vec<[f64; 2]> = src.iter().map(|p| h.apply(*p).unwrap()).collect();
        let fit = fit_homography(&src, &dst).unwrap();
        assert!(homography_rms(&fit, &src, &dst) < 1e-6);
        // A perspective change is not a similarity.
        assert!(similarity_rms(&src, &dst) > 1.0);
        let back = fit.inverse().unwrap().apply(dst[7]).unwrap();
        assert!((back[0] - src[7][0]).abs() < 1e-6 && (back[1] - src[7][1]).abs() < 1e-6);
    }

    #[test]
    fn similarity_residual_is_zero_for_a_similarity() {
        let src = grid();
        let (c, s) = (0.3f64.cos() * 1.7, 0.3f64.sin() * 1.7);
        let dst: Vec<[f64; 2]> = src
            .iter()
            .map(|p| [c * p[0] - s * p[1] + 4.0, s * p[0] + c * p[1] - 2.0])
            .collect();
        assert!(similarity_rms(&src, &dst) < 1e-9);
    }

    #[test]
    fn non_planar_motion_leaves_a_homography_residual() {
        // Points at two depths under a sideways camera move: parallax.
        let src = grid();
        let dst: Vec<[f64; 2]> = src
            .iter()
            .enumerate()
            .map(|(i, p)| [p[0] + if i % 2 == 0 { 10.0 } else { 0.0 }, p[1]])
            .collect();
        let fit = fit_homography(&src, &dst).unwrap();
        assert!(homography_rms(&fit, &src, &dst) > 3.0);
    }
}
