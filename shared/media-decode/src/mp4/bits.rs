//! Bit-level reading of H.264 RBSPs (Exp-Golomb codes, emulation prevention).

/// MSB-first bit reader over an RBSP (emulation-prevention bytes already removed).
pub(crate) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bits<'a> {
    /// Reader at the first bit of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Bits { data, pos: 0 }
    }

    pub(crate) fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }

    pub(crate) fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| Some((acc << 1) | self.bit()?))
    }

    /// Unsigned Exp-Golomb; `None` past the end or beyond 32 bits.
    pub(crate) fn ue(&mut self) -> Option<u64> {
        let mut zeros = 0u32;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 32 {
                return None;
            }
        }
        Some((1u64 << zeros) - 1 + u64::from(self.bits(zeros)?))
    }

    pub(crate) fn se(&mut self) -> Option<i64> {
        let k = self.ue()? as i64;
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

/// Removes emulation-prevention bytes (`00 00 03` → `00 00`).
pub(crate) fn rbsp(nal: &[u8]) -> Vec<u8> {
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

/// Test helper: writes fields MSB-first (`ue`/`se` as Exp-Golomb) and wraps them as a NAL unit.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct W(Vec<bool>);

#[cfg(test)]
impl W {
    pub(crate) fn u(&mut self, n: u32, v: u64) -> &mut Self {
        for i in (0..n).rev() {
            self.0.push((v >> i) & 1 == 1);
        }
        self
    }

    pub(crate) fn ue(&mut self, v: u64) -> &mut Self {
        let len = 64 - (v + 1).leading_zeros();
        self.u(len - 1, 0).u(len, v + 1)
    }

    pub(crate) fn se(&mut self, v: i64) -> &mut Self {
        self.ue(if v > 0 {
            2 * v as u64 - 1
        } else {
            2 * v.unsigned_abs()
        })
    }

    /// The bits so far, a stop bit and padding, after the NAL header byte `header`.
    pub(crate) fn nal(&mut self, header: u8) -> Vec<u8> {
        let mut bits = self.0.clone();
        bits.push(true); // rbsp stop bit
        let mut out = vec![header];
        for chunk in bits.chunks(8) {
            let mut b = 0u8;
            for (i, &bit) in chunk.iter().enumerate() {
                b |= u8::from(bit) << (7 - i);
            }
            out.push(b);
        }
        out
    }
}
