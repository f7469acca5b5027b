//! The quantiser a video was encoded with: the QP of each slice (`26 + pic_init_qp_minus26 +
//! slice_qp_delta`), read from the parameter sets and slice headers as the NAL units go to the
//! decoder, averaged over the slices decoded.
//!
//! Why: how coarsely a capture was compressed decides whether fine facial texture survives it.
//! Liveness needs that texture (a print's motion is told from a head's by sub-pixel tracking), and
//! a quantiser is a property of the encode, unlike bits per pixel, which also depend on how much
//! the scene moves. Macroblock-level `mb_qp_delta`s are not read (that needs the entropy decoder):
//! rate-controlled encoders move them around the slice QP, which is what is averaged.

use std::collections::HashMap;

use super::bits::{Bits, rbsp};
use super::sps::{Sps, parse_sps};

/// The fields of a picture parameter set a slice header depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pps {
    sps_id: u64,
    entropy_cabac: bool,
    bottom_field_pic_order_present: bool,
    num_ref_idx_default: [u64; 2],
    weighted_pred: bool,
    weighted_bipred_idc: u32,
    pic_init_qp: i64,
    redundant_pic_cnt_present: bool,
}

/// Parses a PPS NAL unit (header byte included) as `(pps_id, Pps)`. Slice-group maps (FMO,
/// baseline-only and unused in practice) are not supported: `None`.
fn parse_pps(nal: &[u8]) -> Option<(u64, Pps)> {
    if nal.first()? & 0x1F != 8 {
        return None;
    }
    let data = rbsp(&nal[1..]);
    let mut r = Bits::new(&data);
    let id = r.ue()?;
    let sps_id = r.ue()?;
    let entropy_cabac = r.bit()? == 1;
    let bottom_field_pic_order_present = r.bit()? == 1;
    if r.ue()? != 0 {
        return None; // num_slice_groups_minus1
    }
    let num_ref_idx_default = [r.ue()? + 1, r.ue()? + 1];
    let weighted_pred = r.bit()? == 1;
    let weighted_bipred_idc = r.bits(2)?;
    let pic_init_qp = 26 + r.se()?;
    r.se()?; // pic_init_qs_minus26
    r.se()?; // chroma_qp_index_offset
    r.bit()?; // deblocking_filter_control_present_flag
    r.bit()?; // constrained_intra_pred_flag
    let redundant_pic_cnt_present = r.bit()? == 1;
    Some((
        id,
        Pps {
            sps_id,
            entropy_cabac,
            bottom_field_pic_order_present,
            num_ref_idx_default,
            weighted_pred,
            weighted_bipred_idc,
            pic_init_qp,
            redundant_pic_cnt_present,
        },
    ))
}

/// Skips a `ref_pic_list_modification()` list.
fn skip_list_modification(r: &mut Bits<'_>) -> Option<()> {
    if r.bit()? == 1 {
        for _ in 0..=64 {
            match r.ue()? {
                3 => return Some(()),
                0..=2 => {
                    r.ue()?;
                }
                _ => return None,
            }
        }
        return None;
    }
    Some(())
}

/// Skips a `pred_weight_table()` for `lists` reference lists of the given lengths.
fn skip_pred_weight_table(r: &mut Bits<'_>, chroma: bool, refs: &[u64]) -> Option<()> {
    r.ue()?; // luma_log2_weight_denom
    if chroma {
        r.ue()?; // chroma_log2_weight_denom
    }
    for &n in refs {
        for _ in 0..n.min(32) {
            if r.bit()? == 1 {
                r.se()?;
                r.se()?;
            }
            if chroma && r.bit()? == 1 {
                for _ in 0..4 {
                    r.se()?;
                }
            }
        }
    }
    Some(())
}

/// Skips a `dec_ref_pic_marking()`.
fn skip_ref_pic_marking(r: &mut Bits<'_>, idr: bool) -> Option<()> {
    if idr {
        r.bits(2)?; // no_output_of_prior_pics_flag, long_term_reference_flag
        return Some(());
    }
    if r.bit()? == 1 {
        for _ in 0..=64 {
            match r.ue()? {
                0 => return Some(()),
                1 | 2 | 4 | 6 => {
                    r.ue()?;
                }
                3 => {
                    r.ue()?;
                    r.ue()?;
                }
                5 => {}
                _ => return None,
            }
        }
        return None;
    }
    Some(())
}

/// Slice QP of a coded slice NAL unit (types 1 and 5), given the parameter sets seen so far.
fn slice_qp(nal: &[u8], sps: &HashMap<u64, Sps>, pps: &HashMap<u64, Pps>) -> Option<i64> {
    let header = *nal.first()?;
    let nal_type = header & 0x1F;
    if nal_type != 1 && nal_type != 5 {
        return None;
    }
    let idr = nal_type == 5;
    // The header fields come first; 64 bytes hold any sane slice header.
    let data = rbsp(&nal[1..nal.len().min(65)]);
    let mut r = Bits::new(&data);
    r.ue()?; // first_mb_in_slice
    let slice_type = r.ue()? % 5; // 0 P, 1 B, 2 I, 3 SP, 4 SI
    let p = pps.get(&r.ue()?)?;
    let s = sps.get(&p.sps_id)?;
    if s.separate_colour_plane {
        r.bits(2)?; // colour_plane_id
    }
    r.bits(s.frame_num_bits)?;
    let mut field = false;
    if !s.frame_mbs_only {
        field = r.bit()? == 1;
        if field {
            r.bit()?; // bottom_field_flag
        }
    }
    if idr {
        r.ue()?; // idr_pic_id
    }
    if s.poc_type == 0 {
        r.bits(s.poc_lsb_bits)?;
        if p.bottom_field_pic_order_present && !field {
            r.se()?;
        }
    }
    if s.poc_type == 1 && !s.delta_poc_always_zero {
        r.se()?;
        if p.bottom_field_pic_order_present && !field {
            r.se()?;
        }
    }
    if p.redundant_pic_cnt_present {
        r.ue()?;
    }
    let (b, inter) = (slice_type == 1, matches!(slice_type, 0 | 1 | 3));
    if b {
        r.bit()?; // direct_spatial_mv_pred_flag
    }
    let mut refs = p.num_ref_idx_default;
    if inter && r.bit()? == 1 {
        refs[0] = r.ue()? + 1;
        if b {
            refs[1] = r.ue()? + 1;
        }
    }
    if slice_type != 2 && slice_type != 4 {
        skip_list_modification(&mut r)?;
        if b {
            skip_list_modification(&mut r)?;
        }
    }
    if (p.weighted_pred && matches!(slice_type, 0 | 3)) || (p.weighted_bipred_idc == 1 && b) {
        let lists = if b { &refs[..] } else { &refs[..1] };
        skip_pred_weight_table(&mut r, s.chroma_array_type != 0, lists)?;
    }
    if header & 0x60 != 0 {
        skip_ref_pic_marking(&mut r, idr)?;
    }
    if p.entropy_cabac && slice_type != 2 && slice_type != 4 {
        r.ue()?; // cabac_init_idc
    }
    let qp = p.pic_init_qp + r.se()?;
    (0..=51).contains(&qp).then_some(qp)
}

/// Collects the slice QPs of the NAL units fed to it, in decoding order.
#[derive(Debug, Default)]
pub(crate) struct QuantiserMeter {
    sps: HashMap<u64, Sps>,
    pps: HashMap<u64, Pps>,
    sum: i64,
    slices: u64,
}

impl QuantiserMeter {
    /// Reads one NAL unit (header byte included): remembers parameter sets, counts slice QPs.
    /// Units it cannot parse are ignored (the decoder decides whether the stream is valid).
    pub(crate) fn feed(&mut self, nal: &[u8]) {
        match nal.first().map(|h| h & 0x1F) {
            Some(7) => {
                if let Some(s) = parse_sps(nal) {
                    self.sps.insert(s.id, s);
                }
            }
            Some(8) => {
                if let Some((id, p)) = parse_pps(nal) {
                    self.pps.insert(id, p);
                }
            }
            Some(1 | 5) => {
                if let Some(qp) = slice_qp(nal, &self.sps, &self.pps) {
                    self.sum += qp;
                    self.slices += 1;
                }
            }
            _ => {}
        }
    }

    /// Reads every NAL unit of an Annex-B buffer (4-byte start codes, as `avcC`'s parameter
    /// sets are kept); samples are fed unit by unit as they are converted.
    pub(crate) fn feed_annexb(&mut self, buf: &[u8]) {
        let starts: Vec<usize> = buf
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == [0, 0, 0, 1])
            .map(|(i, _)| i)
            .collect();
        for (k, &s) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(buf.len());
            if let Some(nal) = buf.get(s + 4..end) {
                self.feed(nal);
            }
        }
    }

    /// Mean slice QP, `None` before any slice was read.
    pub(crate) fn mean(&self) -> Option<f32> {
        (self.slices > 0).then(|| self.sum as f32 / self.slices as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::bits::W;

    /// Baseline SPS: id 0, 4-bit frame_num, POC type 0 with 4-bit LSB, 320×240 progressive.
    fn sps() -> Vec<u8> {
        let mut w = W::default();
        w.u(8, 66).u(16, 30).ue(0).ue(0).ue(0).ue(0).ue(1).u(1, 0);
        w.ue(19).ue(14).u(1, 1).u(1, 1).u(1, 0).u(1, 0);
        w.nal(0x67)
    }

    /// PPS id 0 on SPS 0, CAVLC, one reference, `pic_init_qp` = 26 + `init`.
    fn pps(init: i64) -> Vec<u8> {
        let mut w = W::default();
        w.ue(0)
            .ue(0)
            .u(1, 0)
            .u(1, 0)
            .ue(0)
            .ue(0)
            .ue(0)
            .u(1, 0)
            .u(2, 0);
        w.se(init).se(0).se(0).u(1, 1).u(1, 0).u(1, 0);
        w.nal(0x68)
    }

    #[test]
    fn reads_the_qp_of_idr_and_p_slices() {
        let mut m = QuantiserMeter::default();
        m.feed(&sps());
        m.feed(&pps(4));
        // IDR I slice: first_mb 0, type 7 (I), pps 0, frame_num, idr_pic_id, POC LSB,
        // dec_ref_pic_marking (2 bits), slice_qp_delta -2 → QP 28.
        let mut w = W::default();
        w.ue(0).ue(7).ue(0).u(4, 0).ue(0).u(4, 0).u(2, 0).se(-2);
        m.feed(&w.nal(0x65));
        // P slice: type 5 (P), no override, no list modification, adaptive marking off,
        // slice_qp_delta +8 → QP 38.
        let mut w = W::default();
        w.ue(0)
            .ue(5)
            .ue(0)
            .u(4, 1)
            .u(4, 2)
            .u(1, 0)
            .u(1, 0)
            .u(1, 0)
            .se(8);
        let p_slice = w.nal(0x41);
        m.feed(&p_slice);
        assert_eq!(m.mean(), Some(33.0));
        // The same units as the decoder gets them, Annex-B framed.
        let mut annexb = Vec::new();
        for nal in [sps(), pps(4), p_slice] {
            annexb.extend_from_slice(&[0, 0, 0, 1]);
            annexb.extend_from_slice(&nal);
        }
        let mut m = QuantiserMeter::default();
        m.feed_annexb(&annexb);
        assert_eq!(m.mean(), Some(38.0));
    }

    #[test]
    fn ignores_slices_without_parameter_sets_and_garbage() {
        let mut m = QuantiserMeter::default();
        let mut w = W::default();
        w.ue(0).ue(7).ue(0).u(4, 0).ue(0).u(4, 0).u(2, 0).se(0);
        m.feed(&w.nal(0x65));
        m.feed(&[]);
        m.feed(&[0x65]);
        m.feed(&[0x68, 0xFF, 0xFF]);
        assert_eq!(m.mean(), None);
    }
}
