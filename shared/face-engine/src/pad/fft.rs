//! A small in-place radix-2 complex FFT and the 2-D power spectrum built on it, enough for the
//! 128×128 texture patches of the screen cues and the short series of the pulse signal.

use std::f64::consts::PI;

/// In-place forward FFT of `re`/`im` (length a power of two).
pub fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    debug_assert!(n.is_power_of_two() && im.len() == n);
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let ang = -2.0 * PI / len as f64;
        let (wr, wi) = (ang.cos(), ang.sin());
        for start in (0..n).step_by(len) {
            let (mut cr, mut ci) = (1.0, 0.0);
            for k in 0..len / 2 {
                let (a, b) = (start + k, start + k + len / 2);
                let (xr, xi) = (re[b] * cr - im[b] * ci, re[b] * ci + im[b] * cr);
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
                let t = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = t;
            }
        }
        len <<= 1;
    }
}

/// Power spectrum `|F(u, v)|²` of an `n × n` real image (row-major, `n` a power of two), in the
/// FFT's natural order (bin `k` and `n − k` are frequencies `±k/n`).
pub fn power_spectrum_2d(img: &[f64], n: usize) -> Vec<f64> {
    let mut re = img.to_vec();
    let mut im = vec![0.0; n * n];
    for r in 0..n {
        fft(&mut re[r * n..(r + 1) * n], &mut im[r * n..(r + 1) * n]);
    }
    let (mut cr, mut ci) = (vec![0.0; n], vec![0.0; n]);
    for c in 0..n {
        for r in 0..n {
            cr[r] = re[r * n + c];
            ci[r] = im[r * n + c];
        }
        fft(&mut cr, &mut ci);
        for r in 0..n {
            re[r * n + c] = cr[r];
            im[r * n + c] = ci[r];
        }
    }
    re.iter().zip(&im).map(|(a, b)| a * a + b * b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cosine_lands_in_its_bin() {
        let n = 64;
        let mut re: Vec<f64> = (0..n)
            .map(|i| (2.0 * PI * 5.0 * i as f64 / n as f64).cos())
            .collect();
        let mut im = vec![0.0; n];
        fft(&mut re, &mut im);
        let p: Vec<f64> = re.iter().zip(&im).map(|(a, b)| a * a + b * b).collect();
        let peak = (0..n / 2).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(peak, 5);
        assert!((p[5].sqrt() - n as f64 / 2.0).abs() < 1e-9);
    }
}
