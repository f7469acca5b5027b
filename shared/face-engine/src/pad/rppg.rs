//! Skin-colour pulse (remote photoplethysmography): the blood volume pulse tints live skin
//! periodically at the heart rate (0.7–4 Hz, 42–240 bpm). A print, a screen showing a compressed
//! video, or a mask shows no such component — but the signal is faint (well under one grey level)
//! and motion, lighting changes and video compression swamp it on short or moving clips, so it is
//! only trusted on clips long and dense enough ([`RppgConfig`]), and even then it can only
//! support liveness (no pulse on a live face is common on short, compressed clips).
//!
//! Method: CHROM (de Haan & Jeanne, 2013) on the mean RGB of the face's central skin region per
//! frame: normalise each channel by its mean, `X = 3R − 2G`, `Y = 1.5R + G − 1.5B`,
//! `S = X − (σX/σY)·Y`; resample evenly, remove the linear trend, Hann window, zero-padded FFT;
//! the pulse is the strongest bin in 0.7–4 Hz and the SNR compares the power within ±0.15 Hz of
//! it (and of its first harmonic) with the rest of the band.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::Verdict;
use super::fft::fft;
use crate::detect::BBox;
use crate::sampling::{Affine, sample};

/// When the pulse is computed and trusted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RppgConfig {
    /// Shortest clip, seconds.
    pub min_seconds: f32,
    /// Lowest sampling rate, frames per second.
    pub min_rate_hz: f32,
    /// SNR (dB) above which a pulse counts as found.
    pub min_snr_db: f32,
}

impl Default for RppgConfig {
    fn default() -> Self {
        RppgConfig {
            min_seconds: 6.0,
            min_rate_hz: 8.0,
            min_snr_db: 3.0,
        }
    }
}

/// Result of the pulse signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulse {
    /// Colour samples available.
    pub samples: usize,
    /// Span of the samples, seconds.
    pub seconds: f32,
    /// Strongest frequency in 0.7–4 Hz (when computed).
    pub frequency_hz: Option<f32>,
    /// SNR of that peak, dB (when computed).
    pub snr_db: Option<f32>,
    /// `Live` when a pulse stands out on a long enough clip, else `Inconclusive`.
    pub verdict: Verdict,
    /// Why the signal is or is not trusted.
    pub note: String,
}

/// Mean RGB of the central skin region of a face (cheeks, nose, lower forehead): the middle 50 %
/// of the box width, from 30 % to 80 % of its height.
pub fn skin_mean(img: &RgbImage, b: &BBox) -> [f32; 3] {
    let (w, h) = (b.width(), b.height());
    let map = Affine::crop(
        (b.x1 + 0.25 * w) as f64,
        (b.y1 + 0.3 * h) as f64,
        (0.5 * w) as f64,
        (0.5 * h) as f64,
        24,
        24,
    );
    let p = sample(img, &map, 24, 24);
    let mut acc = [0f32; 3];
    for px in p.data.chunks_exact(3) {
        for c in 0..3 {
            acc[c] += px[c];
        }
    }
    acc.map(|v| v / (24.0 * 24.0))
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt(),
    )
}

/// Pulse from `(time in seconds, mean RGB)` samples in time order.
pub fn pulse(samples: &[(f64, [f32; 3])], cfg: &RppgConfig) -> Pulse {
    let seconds = match (samples.first(), samples.last()) {
        (Some(a), Some(b)) => (b.0 - a.0) as f32,
        _ => 0.0,
    };
    let rate = if seconds > 0.0 {
        (samples.len() - 1) as f32 / seconds
    } else {
        0.0
    };
    let mut out = Pulse {
        samples: samples.len(),
        seconds,
        frequency_hz: None,
        snr_db: None,
        verdict: Verdict::Inconclusive,
        note: String::new(),
    };
    if seconds < cfg.min_seconds || rate < cfg.min_rate_hz {
        out.note = format!(
            "not evaluated: {} colour samples over {seconds:.1} s ({rate:.1} Hz); needs ≥ {} s at ≥ {} Hz",
            samples.len(),
            cfg.min_seconds,
            cfg.min_rate_hz
        );
        return out;
    }
    // CHROM.
    let ch = |c: usize| samples.iter().map(|s| s.1[c] as f64).collect::<Vec<_>>();
    let (r, g, b) = (ch(0), ch(1), ch(2));
    let (mr, mg, mb) = (mean_std(&r).0, mean_std(&g).0, mean_std(&b).0);
    if mr <= 0.0 || mg <= 0.0 || mb <= 0.0 {
        out.note = "not evaluated: dark skin region".into();
        return out;
    }
    let x: Vec<f64> = (0..r.len())
        .map(|i| 3.0 * r[i] / mr - 2.0 * g[i] / mg)
        .collect();
    let y: Vec<f64> = (0..r.len())
        .map(|i| 1.5 * r[i] / mr + g[i] / mg - 1.5 * b[i] / mb)
        .collect();
    let (sx, sy) = (mean_std(&x).1, mean_std(&y).1.max(1e-12));
    let s: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a - sx / sy * b).collect();
    // Even resampling at the mean rate (linear interpolation).
    let t0 = samples[0].0;
    let n = samples.len();
    let dt = seconds as f64 / (n - 1) as f64;
    let mut even = Vec::with_capacity(n);
    let mut k = 0;
    for i in 0..n {
        let t = t0 + i as f64 * dt;
        while k + 2 < n && samples[k + 1].0 < t {
            k += 1;
        }
        let (ta, tb) = (samples[k].0, samples[k + 1].0);
        let f = if tb > ta {
            ((t - ta) / (tb - ta)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        even.push(s[k] + (s[k + 1] - s[k]) * f);
    }
    // Remove the linear trend (slow lighting and exposure drift).
    let tm = (n - 1) as f64 / 2.0;
    let (m, _) = mean_std(&even);
    let slope = even
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64 - tm) * (v - m))
        .sum::<f64>()
        / (0..n)
            .map(|i| (i as f64 - tm).powi(2))
            .sum::<f64>()
            .max(1e-12);
    let len = (4 * n).next_power_of_two();
    let mut re = vec![0.0; len];
    for (i, v) in even.iter().enumerate() {
        let hann = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (n - 1) as f64).cos();
        re[i] = (v - m - slope * (i as f64 - tm)) * hann;
    }
    let mut im = vec![0.0; len];
    fft(&mut re, &mut im);
    let fs = 1.0 / dt;
    let hz = |bin: usize| bin as f64 * fs / len as f64;
    let band: Vec<usize> = (1..len / 2)
        .filter(|&k| (0.7..=4.0).contains(&hz(k)))
        .collect();
    let power = |k: usize| re[k] * re[k] + im[k] * im[k];
    let Some(&peak) = band.iter().max_by(|&&a, &&b| power(a).total_cmp(&power(b))) else {
        out.note = "not evaluated: sampling too slow for the 0.7–4 Hz band".into();
        return out;
    };
    let f = hz(peak);
    let near = |k: usize| (hz(k) - f).abs() <= 0.15 || (hz(k) - 2.0 * f).abs() <= 0.15;
    let (sig, noise) = band.iter().fold((0.0, 0.0), |(s, z), &k| {
        if near(k) {
            (s + power(k), z)
        } else {
            (s, z + power(k))
        }
    });
    let snr = 10.0 * (sig / noise.max(1e-18)).log10();
    out.frequency_hz = Some(f as f32);
    out.snr_db = Some(snr as f32);
    if snr as f32 >= cfg.min_snr_db {
        out.verdict = Verdict::Live;
        out.note = format!("pulse at {:.0} bpm", f * 60.0);
    } else {
        out.note = "no pulse above the noise (common on compressed or moving clips)".into();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise in −0.5..0.5.
    fn noise(i: usize, seed: u64) -> f32 {
        let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 29;
        (x % 10_000) as f32 / 10_000.0 - 0.5
    }

    fn series(hz: f32, amplitude: f32, seconds: f32, fps: f32) -> Vec<(f64, [f32; 3])> {
        let n = (seconds * fps) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / fps;
                let p = amplitude * (2.0 * std::f32::consts::PI * hz * t).sin();
                // Pulse mostly in green, as on skin; slow drift and camera noise on all channels.
                let drift = 3.0 * t / seconds;
                (
                    t as f64,
                    [
                        150.0 + 0.3 * p + drift + 0.4 * noise(i, 1),
                        110.0 + p + drift + 0.4 * noise(i, 2),
                        90.0 + 0.2 * p + drift + 0.4 * noise(i, 3),
                    ],
                )
            })
            .collect()
    }

    #[test]
    fn finds_the_pulse_frequency_of_a_synthetic_signal() {
        for hz in [0.9f32, 1.25, 2.0] {
            let p = pulse(&series(hz, 0.5, 10.0, 30.0), &RppgConfig::default());
            let f = p.frequency_hz.unwrap();
            assert!((f - hz).abs() < 0.06, "{hz} Hz found as {f}");
            assert_eq!(p.verdict, Verdict::Live, "{p:?}");
        }
    }

    #[test]
    fn noise_alone_is_not_a_pulse() {
        let p = pulse(&series(1.2, 0.0, 10.0, 30.0), &RppgConfig::default());
        assert_eq!(p.verdict, Verdict::Inconclusive, "{p:?}");
    }

    #[test]
    fn short_or_sparse_clips_are_not_evaluated() {
        let p = pulse(&series(1.2, 0.5, 3.0, 30.0), &RppgConfig::default());
        assert!(p.frequency_hz.is_none() && p.verdict == Verdict::Inconclusive);
        let p = pulse(&series(1.2, 0.5, 10.0, 2.7), &RppgConfig::default());
        assert!(p.frequency_hz.is_none());
    }
}
