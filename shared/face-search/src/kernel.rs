//! Integer dot-product kernels: one int8 gallery row against the int16 probe, accumulated in
//! i32 (exact: the probe's int16 range is chosen so that no partial sum can overflow).
//!
//! x86_64 always has SSE2 (`pmaddwd`), AVX2 is used when the CPU has it (runtime detection,
//! no `target-cpu` flag needed); aarch64 always has NEON. The scalar kernel is the portable
//! fallback and the reference the SIMD kernels are tested against (LLVM auto-vectorises it,
//! but less well than the hand-written kernels: see the benchmark).

/// Dot-product kernel used by the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kernel {
    /// Portable Rust loop (auto-vectorised by LLVM where it can).
    Scalar,
    /// x86_64 SSE2 (`pmaddwd`, baseline on every x86_64 CPU).
    Sse2,
    /// x86_64 AVX2 (`vpmovsxbw` + `vpmaddwd`), picked at run time when the CPU has it.
    Avx2,
    /// aarch64 NEON (`smlal`), baseline on every aarch64 CPU.
    Neon,
}

impl Kernel {
    /// The fastest kernel this CPU supports.
    pub fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                Kernel::Avx2
            } else {
                Kernel::Sse2
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            Kernel::Neon
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            Kernel::Scalar
        }
    }

    /// Whether this kernel can run on this CPU.
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2 => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "aarch64")]
            Kernel::Neon => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Short lowercase name (`scalar`, `sse2`, `avx2`, `neon`).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Sse2 => "sse2",
            Kernel::Avx2 => "avx2",
            Kernel::Neon => "neon",
        }
    }
}

/// Reference kernel: `Σ a[i]·b[i]` in i32. Written as an iterator sum so LLVM can vectorise it.
#[inline]
pub(crate) fn dot_scalar(a: &[i8], b: &[i16]) -> i32 {
    debug_assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum()
}

/// SSE2 kernel: sign-extend 16 int8 to two 8×i16 (unpack + arithmetic shift), `pmaddwd` with
/// the probe, two i32 accumulators.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn dot_sse2(a: &[i8], b: &[i16]) -> i32 {
    use std::arch::x86_64::*;
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let blocks = n / 16;
    // SAFETY: SSE2 is part of the x86_64 baseline; every load reads 16 bytes of `a` or
    // 8 i16 of `b` at offsets < blocks * 16 <= n = a.len() = b.len() (unaligned loads).
    let mut total = unsafe {
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm_setzero_si128();
        let mut acc1 = _mm_setzero_si128();
        for i in 0..blocks {
            let v = _mm_loadu_si128(pa.add(i * 16) as *const __m128i);
            let lo = _mm_srai_epi16::<8>(_mm_unpacklo_epi8(v, v));
            let hi = _mm_srai_epi16::<8>(_mm_unpackhi_epi8(v, v));
            let p0 = _mm_loadu_si128(pb.add(i * 16) as *const __m128i);
            let p1 = _mm_loadu_si128(pb.add(i * 16 + 8) as *const __m128i);
            acc0 = _mm_add_epi32(acc0, _mm_madd_epi16(lo, p0));
            acc1 = _mm_add_epi32(acc1, _mm_madd_epi16(hi, p1));
        }
        let acc = _mm_add_epi32(acc0, acc1);
        let acc = _mm_add_epi32(acc, _mm_shuffle_epi32::<0b01_00_11_10>(acc));
        let acc = _mm_add_epi32(acc, _mm_shuffle_epi32::<0b10_11_00_01>(acc));
        _mm_cvtsi128_si32(acc)
    };
    let tail = blocks * 16;
    total += dot_scalar(&a[tail..], &b[tail..]);
    total
}

/// AVX2 kernel: `vpmovsxbw` 16 int8 → 16×i16, `vpmaddwd` with the probe, 32 int8 per step.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn dot_avx2(a: &[i8], b: &[i16]) -> i32 {
    use std::arch::x86_64::*;
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let blocks = n / 32;
    // SAFETY: the caller runs with AVX2 (target_feature); loads stay below blocks * 32 <= n.
    let mut total = unsafe {
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_si256();
        let mut acc1 = _mm256_setzero_si256();
        for i in 0..blocks {
            let o = i * 32;
            let w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(pa.add(o) as *const __m128i));
            let w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(pa.add(o + 16) as *const __m128i));
            let p0 = _mm256_loadu_si256(pb.add(o) as *const __m256i);
            let p1 = _mm256_loadu_si256(pb.add(o + 16) as *const __m256i);
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(w0, p0));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(w1, p1));
        }
        let acc = _mm256_add_epi32(acc0, acc1);
        let acc = _mm_add_epi32(
            _mm256_castsi256_si128(acc),
            _mm256_extracti128_si256::<1>(acc),
        );
        let acc = _mm_add_epi32(acc, _mm_shuffle_epi32::<0b01_00_11_10>(acc));
        let acc = _mm_add_epi32(acc, _mm_shuffle_epi32::<0b10_11_00_01>(acc));
        _mm_cvtsi128_si32(acc)
    };
    let tail = blocks * 32;
    total += dot_scalar(&a[tail..], &b[tail..]);
    total
}

/// NEON kernel: widen 16 int8 to i16 (`sxtl`), multiply-accumulate long into i32 (`smlal`).
#[cfg(target_arch = "aarch64")]
#[inline]
pub(crate) fn dot_neon(a: &[i8], b: &[i16]) -> i32 {
    use std::arch::aarch64::*;
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let blocks = n / 16;
    // SAFETY: NEON is part of the aarch64 baseline; loads stay below blocks * 16 <= n.
    let mut total = unsafe {
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = vdupq_n_s32(0);
        let mut acc1 = vdupq_n_s32(0);
        for i in 0..blocks {
            let v = vld1q_s8(pa.add(i * 16));
            let lo = vmovl_s8(vget_low_s8(v));
            let hi = vmovl_high_s8(v);
            let p0 = vld1q_s16(pb.add(i * 16));
            let p1 = vld1q_s16(pb.add(i * 16 + 8));
            acc0 = vmlal_s16(acc0, vget_low_s16(lo), vget_low_s16(p0));
            acc1 = vmlal_high_s16(acc1, lo, p0);
            acc0 = vmlal_s16(acc0, vget_low_s16(hi), vget_low_s16(p1));
            acc1 = vmlal_high_s16(acc1, hi, p1);
        }
        vaddvq_s32(vaddq_s32(acc0, acc1))
    };
    let tail = blocks * 16;
    total += dot_scalar(&a[tail..], &b[tail..]);
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u64) -> (Vec<i8>, Vec<i16>) {
        let mut s = seed;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as u32
        };
        let a = (0..n)
            .map(|_| (next() % 255) as i32 - 127)
            .map(|v| v as i8)
            .collect();
        let b = (0..n)
            .map(|_| (next() % 65535) as i32 - 32767)
            .map(|v| v as i16)
            .collect();
        (a, b)
    }

    #[test]
    fn simd_kernels_equal_scalar_including_tails_and_extremes() {
        for n in [0usize, 1, 7, 15, 16, 17, 31, 32, 33, 100, 512, 515] {
            let (a, b) = data(n, n as u64 + 1);
            let want = dot_scalar(&a, &b);
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!(dot_sse2(&a, &b), want, "sse2 n={n}");
                if Kernel::Avx2.is_supported() {
                    // SAFETY: AVX2 checked just above.
                    assert_eq!(unsafe { dot_avx2(&a, &b) }, want, "avx2 n={n}");
                }
            }
            #[cfg(target_arch = "aarch64")]
            assert_eq!(dot_neon(&a, &b), want, "neon n={n}");
            let _ = want;
        }
        // Extremes: the largest magnitude a 512-d row and probe can reach.
        let a = vec![-127i8; 512];
        let b = vec![-32767i16; 512];
        let want = 127 * 32767 * 512;
        assert_eq!(dot_scalar(&a, &b), want);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(dot_sse2(&a, &b), want);
            if Kernel::Avx2.is_supported() {
                // SAFETY: AVX2 checked just above.
                assert_eq!(unsafe { dot_avx2(&a, &b) }, want);
            }
        }
    }

    #[test]
    fn best_kernel_is_supported() {
        assert!(Kernel::best().is_supported());
        assert!(Kernel::Scalar.is_supported());
    }
}
