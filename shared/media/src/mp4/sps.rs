//! Coded picture size from an H.264 sequence parameter set, so a stream whose SPS claims a
//! huge picture is refused before the decoder allocates frame buffers for it.

/// MSB-first bit reader over an RBSP (emulation-prevention bytes already removed).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| Some((acc << 1) | self.bit()?))
    }

    /// Unsigned Exp-Golomb; `None` past the end or beyond 32 bits.
    fn ue(&mut self) -> Option<u64> {
        let mut zeros = 0u32;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 32 {
                return None;
            }
        }
        Some((1u64 << zeros) - 1 + u64::from(self.bits(zeros)?))
    }

    fn se(&mut self) -> Option<i64> {
        let k = self.ue()? as i64;
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

/// Removes emulation-prevention bytes (`00 00 03` → `00 00`).
fn rbsp(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// Coded width and height (whole macroblocks, before cropping) declared by an SPS NAL unit
/// (header byte included). `None` if it is not an SPS or cannot be parsed.
pub(crate) fn coded_size(nal: &[u8]) -> Option<(u64, u64)> {
    if nal.first()? & 0x1F != 7 {
        return None;
    }
    let data = rbsp(&nal[1..]);
    let mut r = Bits {
        data: &data,
        pos: 0,
    };
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags + level
    r.ue()?; // seq_parameter_set_id
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        let chroma_format = r.ue()?;
        if chroma_format == 3 {
            r.bit()?; // separate_colour_plane_flag
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bit()?; // qpprime_y_zero_transform_bypass_flag
        if r.bit()? == 1 {
            let lists = if chroma_format == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i64, 8i64);
                    for _ in 0..size {
                        if next != 0 {
                            next = (last + r.se()? + 256).rem_euclid(256);
                        }
                        if next != 0 {
                            last = next;
                        }
                    }
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            let cycle = r.ue()?;
            if cycle > 255 {
                return None;
            }
            for _ in 0..cycle {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed_flag
    let w_mbs = r.ue()? + 1;
    let h_units = r.ue()? + 1;
    let frame_mbs_only = r.bit()?;
    Some((w_mbs * 16, h_units * 16 * (2 - u64::from(frame_mbs_only))))
}

#[cfg(test)]
mod tests {
    use super::coded_size;

    /// Writes fields MSB-first; `ue` as Exp-Golomb.
    #[derive(Default)]
    struct W(Vec<bool>);

    impl W {
        fn u(&mut self, n: u32, v: u64) -> &mut Self {
            for i in (0..n).rev() {
                self.0.push((v >> i) & 1 == 1);
            }
            self
        }
        fn ue(&mut self, v: u64) -> &mut Self {
            let len = 64 - (v + 1).leading_zeros();
            self.u(len - 1, 0).u(len, v + 1)
        }
        fn nal(&mut self) -> Vec<u8> {
            self.0.push(true); // rbsp stop bit
            let mut out = vec![0x67];
            for chunk in self.0.chunks(8) {
                let mut b = 0u8;
                for (i, &bit) in chunk.iter().enumerate() {
                    b |= u8::from(bit) << (7 - i);
                }
                out.push(b);
            }
            out
        }
    }

    #[test]
    fn parses_baseline_and_high_sps() {
        // Baseline: id 0, frame_num 4 bits, POC type 2, 1 ref, 320×240 progressive.
        let mut w = W::default();
        w.u(8, 66)
            .u(16, 30)
            .ue(0)
            .ue(0)
            .ue(2)
            .ue(1)
            .u(1, 0)
            .ue(19)
            .ue(14)
            .u(1, 1);
        assert_eq!(coded_size(&w.nal()), Some((320, 240)));
        // High: 4:2:0, 8-bit, no scaling lists, POC type 0, interlaced 1920×1088.
        let mut w = W::default();
        w.u(8, 100)
            .u(16, 40)
            .ue(0)
            .ue(1)
            .ue(0)
            .ue(0)
            .u(1, 0)
            .u(1, 0);
        w.ue(0).ue(0).ue(2).ue(4).u(1, 0).ue(119).ue(33).u(1, 0);
        assert_eq!(coded_size(&w.nal()), Some((1920, 1088)));
        // Absurd: 65536 macroblocks wide.
        let mut w = W::default();
        w.u(8, 66)
            .u(16, 30)
            .ue(0)
            .ue(0)
            .ue(2)
            .ue(1)
            .u(1, 0)
            .ue(65_535)
            .ue(65_535)
            .u(1, 1);
        assert_eq!(coded_size(&w.nal()), Some((1 << 20, 1 << 20)));
        assert_eq!(coded_size(&[0x68, 0xCE]), None);
        assert_eq!(coded_size(&[0x67, 0x64]), None);
    }
}
