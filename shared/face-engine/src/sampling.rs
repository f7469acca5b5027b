//! Image sampling shared by every model's preprocessing: an affine map from output pixels to
//! source coordinates, evaluated with bilinear interpolation.
//!
//! Coordinate convention used throughout the engine: continuous "edge" coordinates, where the
//! image covers `[0, W] × [0, H]` and the centre of pixel `(i, j)` is `(i + 0.5, j + 0.5)`.
//! Boxes and landmarks are in these coordinates. A sample outside the image's extent is black
//! (0); a sample inside it but within half a pixel of the border replicates the edge pixel.

use image::RgbImage;

/// Affine map `x = a·u + b·v + c`, `y = d·u + e·v + f` from output edge coordinates `(u, v)` to
/// source edge coordinates `(x, y)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// Coefficients `[a, b, c, d, e, f]`.
    pub m: [f64; 6],
}

impl Affine {
    /// Map that stretches the output rectangle `out_w × out_h` onto the source rectangle
    /// starting at `(x0, y0)` of size `w × h`.
    pub fn crop(x0: f64, y0: f64, w: f64, h: f64, out_w: u32, out_h: u32) -> Self {
        Affine {
            m: [w / out_w as f64, 0.0, x0, 0.0, h / out_h as f64, y0],
        }
    }

    /// Applies the map to a point.
    pub fn apply(&self, u: f64, v: f64) -> (f64, f64) {
        let m = &self.m;
        (m[0] * u + m[1] * v + m[2], m[3] * u + m[4] * v + m[5])
    }
}

/// A resampled RGB patch, interleaved, values in 0..=255 as `f32`.
#[derive(Debug, Clone)]
pub struct Patch {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `height × width × 3` values, RGB interleaved.
    pub data: Vec<f32>,
}

impl Patch {
    /// RGB of pixel `(x, y)`.
    pub fn rgb(&self, x: u32, y: u32) -> [f32; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Planar (CHW) tensor data, channels in RGB (or BGR when `bgr`), each value mapped by `f`.
    pub fn planar(&self, bgr: bool, f: impl Fn(usize, f32) -> f32) -> Vec<f32> {
        let n = (self.width * self.height) as usize;
        let mut out = vec![0f32; 3 * n];
        for i in 0..n {
            for c in 0..3 {
                let src_c = if bgr { 2 - c } else { c };
                out[c * n + i] = f(c, self.data[i * 3 + src_c]);
            }
        }
        out
    }

    /// Luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B), 0..=255, row-major.
    pub fn gray(&self) -> Vec<f32> {
        self.data
            .chunks_exact(3)
            .map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2])
            .collect()
    }
}

/// Samples `img` at the centre of every output pixel mapped through `map`, bilinearly.
pub fn sample(img: &RgbImage, map: &Affine, out_w: u32, out_h: u32) -> Patch {
    if map.m[1] == 0.0 && map.m[3] == 0.0 {
        return sample_axis_aligned(img, map, out_w, out_h);
    }
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (wf, hf) = (w as f64, h as f64);
    let raw = img.as_raw();
    let mut data = Vec::with_capacity((out_w * out_h * 3) as usize);
    for v in 0..out_h {
        for u in 0..out_w {
            let (x, y) = map.apply(u as f64 + 0.5, v as f64 + 0.5);
            if !(0.0..=wf).contains(&x) || !(0.0..=hf).contains(&y) {
                data.extend_from_slice(&[0.0, 0.0, 0.0]);
                continue;
            }
            // Pixel-index coordinates.
            let (xi, yi) = (x - 0.5, y - 0.5);
            let (x0, y0) = (xi.floor(), yi.floor());
            let (fx, fy) = ((xi - x0) as f32, (yi - y0) as f32);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let cx0 = x0.clamp(0, w - 1) as usize;
            let cx1 = (x0 + 1).clamp(0, w - 1) as usize;
            let cy0 = y0.clamp(0, h - 1) as usize;
            let cy1 = (y0 + 1).clamp(0, h - 1) as usize;
            let stride = w as usize * 3;
            for c in 0..3 {
                let p00 = raw[cy0 * stride + cx0 * 3 + c] as f32;
                let p01 = raw[cy0 * stride + cx1 * 3 + c] as f32;
                let p10 = raw[cy1 * stride + cx0 * 3 + c] as f32;
                let p11 = raw[cy1 * stride + cx1 * 3 + c] as f32;
                let top = p00 + (p01 - p00) * fx;
                let bottom = p10 + (p11 - p10) * fx;
                data.push(top + (bottom - top) * fy);
            }
        }
    }
    Patch {
        width: out_w,
        height: out_h,
        data,
    }
}

/// Source taps along one axis for output index `i`: `(inside, first index, second index, weight)`.
fn taps(scale: f64, offset: f64, i: u32, len: i64) -> (bool, usize, usize, f32) {
    let x = scale * (i as f64 + 0.5) + offset;
    if !(0.0..=len as f64).contains(&x) {
        return (false, 0, 0, 0.0);
    }
    let xi = x - 0.5;
    let x0 = xi.floor();
    let f = (xi - x0) as f32;
    let x0 = x0 as i64;
    (
        true,
        x0.clamp(0, len - 1) as usize,
        (x0 + 1).clamp(0, len - 1) as usize,
        f,
    )
}

/// [`sample`] for maps without rotation (crops and resizes): the same arithmetic with the
/// per-column and per-row taps computed once.
fn sample_axis_aligned(img: &RgbImage, map: &Affine, out_w: u32, out_h: u32) -> Patch {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let stride = w as usize * 3;
    let cols: Vec<(bool, usize, usize, f32)> = (0..out_w)
        .map(|u| {
            let (ok, a, b, f) = taps(map.m[0], map.m[2], u, w);
            (ok, a * 3, b * 3, f)
        })
        .collect();
    let mut data = vec![0f32; (out_w * out_h * 3) as usize];
    for v in 0..out_h {
        let (ok, y0, y1, fy) = taps(map.m[4], map.m[5], v, h);
        if !ok {
            continue;
        }
        let (r0, r1) = (
            &raw[y0 * stride..(y0 + 1) * stride],
            &raw[y1 * stride..(y1 + 1) * stride],
        );
        let out_row = &mut data[(v * out_w * 3) as usize..((v + 1) * out_w * 3) as usize];
        for (&(ok, x0, x1, fx), px) in cols.iter().zip(out_row.chunks_exact_mut(3)) {
            if !ok {
                continue;
            }
            for c in 0..3 {
                let p00 = r0[x0 + c] as f32;
                let p01 = r0[x1 + c] as f32;
                let p10 = r1[x0 + c] as f32;
                let p11 = r1[x1 + c] as f32;
                let top = p00 + (p01 - p00) * fx;
                let bottom = p10 + (p11 - p10) * fx;
                px[c] = top + (bottom - top) * fy;
            }
        }
    }
    Patch {
        width: out_w,
        height: out_h,
        data,
    }
}

/// Shrinks `img` by the integer factor `k` by averaging `k × k` blocks (partial blocks at the
/// right and bottom edges are dropped). Used to bound the working size of very large photos.
pub fn box_shrink(img: &RgbImage, k: u32) -> RgbImage {
    if k <= 1 {
        return img.clone();
    }
    let (ow, oh) = (img.width() / k, img.height() / k);
    let raw = img.as_raw();
    let stride = img.width() as usize * 3;
    let mut out = RgbImage::new(ow.max(1), oh.max(1));
    let n = k * k;
    for oy in 0..oh {
        for ox in 0..ow {
            let mut acc = [0u32; 3];
            for dy in 0..k {
                let row = (oy * k + dy) as usize * stride;
                for dx in 0..k {
                    let i = row + (ox * k + dx) as usize * 3;
                    acc[0] += raw[i] as u32;
                    acc[1] += raw[i + 1] as u32;
                    acc[2] += raw[i + 2] as u32;
                }
            }
            out.put_pixel(
                ox,
                oy,
                image::Rgb([
                    ((acc[0] + n / 2) / n) as u8,
                    ((acc[1] + n / 2) / n) as u8,
                    ((acc[2] + n / 2) / n) as u8,
                ]),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_crop_reproduces_pixels() {
        let mut img = RgbImage::new(4, 3);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 10) as u8, (y * 20) as u8, 7]);
        }
        let patch = sample(&img, &Affine::crop(0.0, 0.0, 4.0, 3.0, 4, 3), 4, 3);
        assert_eq!(patch.rgb(2, 1), [20.0, 20.0, 7.0]);
        // Outside the image: black.
        let patch = sample(&img, &Affine::crop(-8.0, 0.0, 4.0, 3.0, 4, 3), 4, 3);
        assert_eq!(patch.rgb(0, 0), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn axis_aligned_fast_path_matches_general_path() {
        let img = RgbImage::from_fn(37, 23, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 11) as u8, (x * y) as u8])
        });
        let map = Affine::crop(-3.3, 2.7, 45.1, 19.9, 17, 13);
        let fast = sample(&img, &map, 17, 13);
        // A negligible rotation forces the general path.
        let mut rotated = map;
        rotated.m[1] = 1e-300;
        let general = sample(&img, &rotated, 17, 13);
        assert_eq!(fast.data, general.data);
    }

    #[test]
    fn box_shrink_averages() {
        let img = RgbImage::from_fn(4, 4, |x, _| image::Rgb([(x * 10) as u8, 0, 0]));
        let s = box_shrink(&img, 2);
        assert_eq!(s.dimensions(), (2, 2));
        assert_eq!(s.get_pixel(0, 0)[0], 5);
    }
}
