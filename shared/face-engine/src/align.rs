//! Alignment for the embedding model: a least-squares similarity transform (rotation, uniform
//! scale, translation) from the five landmark points onto the standard 112×112 ArcFace template,
//! and the inverse map used to warp the face with bilinear sampling.

use crate::sampling::Affine;

/// Side of the aligned face.
pub const ALIGNED_SIZE: u32 = 112;

/// ArcFace five-point template (pixel-index coordinates of a 112×112 crop, as published with
/// insightface): left eye, right eye, nose tip, left and right mouth corners.
pub const ARCFACE_TEMPLATE: [[f32; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Similarity transform `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity2 {
    /// `scale · cos θ`.
    pub a: f64,
    /// `scale · sin θ`.
    pub b: f64,
    /// Translation x.
    pub tx: f64,
    /// Translation y.
    pub ty: f64,
}

impl Similarity2 {
    /// Least-squares fit mapping `src[i]` onto `dst[i]` (Umeyama without reflection).
    pub fn fit(src: &[[f32; 2]], dst: &[[f32; 2]]) -> Self {
        let n = src.len() as f64;
        let (mut sx, mut sy, mut dx, mut dy) = (0.0, 0.0, 0.0, 0.0);
        for (s, d) in src.iter().zip(dst) {
            sx += s[0] as f64;
            sy += s[1] as f64;
            dx += d[0] as f64;
            dy += d[1] as f64;
        }
        let (sx, sy, dx, dy) = (sx / n, sy / n, dx / n, dy / n);
        let (mut num_a, mut num_b, mut den) = (0.0, 0.0, 0.0);
        for (s, d) in src.iter().zip(dst) {
            let (px, py) = (s[0] as f64 - sx, s[1] as f64 - sy);
            let (qx, qy) = (d[0] as f64 - dx, d[1] as f64 - dy);
            num_a += px * qx + py * qy;
            num_b += px * qy - py * qx;
            den += px * px + py * py;
        }
        let (a, b) = if den > 0.0 {
            (num_a / den, num_b / den)
        } else {
            (1.0, 0.0)
        };
        Similarity2 {
            a,
            b,
            tx: dx - (a * sx - b * sy),
            ty: dy - (b * sx + a * sy),
        }
    }

    /// The inverse transform as an [`Affine`] (destination → source).
    pub fn inverse(&self) -> Affine {
        let det = self.a * self.a + self.b * self.b;
        let (ia, ib) = (self.a / det, -self.b / det);
        // x = ia·(u − tx) − ib·(v − ty), y = ib·(u − tx) + ia·(v − ty)
        Affine {
            m: [
                ia,
                -ib,
                -(ia * self.tx - ib * self.ty),
                ib,
                ia,
                -(ib * self.tx + ia * self.ty),
            ],
        }
    }
}

/// Map from the aligned 112×112 face (edge coordinates) back to the image, for five landmark
/// points given in image edge coordinates.
pub fn alignment_map(five: &[[f32; 2]; 5]) -> Affine {
    // Template in edge coordinates (pixel index + 0.5).
    let template: Vec<[f32; 2]> = ARCFACE_TEMPLATE
        .iter()
        .map(|p| [p[0] + 0.5, p[1] + 0.5])
        .collect();
    Similarity2::fit(five, &template).inverse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_exact_similarity() {
        let t = Similarity2 {
            a: 0.8,
            b: 0.3,
            tx: 5.0,
            ty: -2.0,
        };
        let src: Vec<[f32; 2]> = ARCFACE_TEMPLATE.to_vec();
        let dst: Vec<[f32; 2]> = src
            .iter()
            .map(|p| {
                let (x, y) = (p[0] as f64, p[1] as f64);
                [
                    (t.a * x - t.b * y + t.tx) as f32,
                    (t.b * x + t.a * y + t.ty) as f32,
                ]
            })
            .collect();
        let fit = Similarity2::fit(&src, &dst);
        assert!((fit.a - t.a).abs() < 1e-4 && (fit.b - t.b).abs() < 1e-4);
        let inv = fit.inverse();
        let (x, y) = inv.apply(dst[2][0] as f64, dst[2][1] as f64);
        assert!((x - src[2][0] as f64).abs() < 1e-3 && (y - src[2][1] as f64).abs() < 1e-3);
    }
}
