//! Coded picture size from an H.264 sequence parameter set, so a stream whose SPS claims a
//! huge picture is refused before the decoder allocates frame buffers for it, and the fields a
//! slice header depends on ([`super::quantiser`]).

use super::bits::{Bits, rbsp};

/// The fields of a sequence parameter set that the picture size and the slice headers depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sps {
    /// `seq_parameter_set_id`.
    pub id: u64,
    /// `ChromaArrayType` (0 for monochrome or separately coded colour planes).
    pub chroma_array_type: u64,
    /// `separate_colour_plane_flag`.
    pub separate_colour_plane: bool,
    /// Bits of `frame_num`.
    pub frame_num_bits: u32,
    /// `pic_order_cnt_type`.
    pub poc_type: u64,
    /// Bits of `pic_order_cnt_lsb` (POC type 0).
    pub poc_lsb_bits: u32,
    /// `delta_pic_order_always_zero_flag` (POC type 1).
    pub delta_poc_always_zero: bool,
    /// `frame_mbs_only_flag`.
    pub frame_mbs_only: bool,
    /// Coded width in pixels (whole macroblocks, before cropping).
    pub width: u64,
    /// Coded height in pixels (whole macroblocks, before cropping).
    pub height: u64,
}

/// Parses an SPS NAL unit (header byte included). `None` if it is not an SPS or cannot be parsed.
pub(crate) fn parse_sps(nal: &[u8]) -> Option<Sps> {
    if nal.first()? & 0x1F != 7 {
        return None;
    }
    let data = rbsp(&nal[1..]);
    let mut r = Bits::new(&data);
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags + level
    let id = r.ue()?;
    let (mut chroma_format, mut separate_colour_plane) = (1, false);
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma_format = r.ue()?;
        if chroma_format == 3 {
            separate_colour_plane = r.bit()? == 1;
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
    let frame_num_bits = u32::try_from(r.ue()?).ok().filter(|v| *v <= 12)? + 4;
    let poc_type = r.ue()?;
    let (mut poc_lsb_bits, mut delta_poc_always_zero) = (0, false);
    match poc_type {
        0 => poc_lsb_bits = u32::try_from(r.ue()?).ok().filter(|v| *v <= 12)? + 4,
        1 => {
            delta_poc_always_zero = r.bit()? == 1;
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
    let frame_mbs_only = r.bit()? == 1;
    Some(Sps {
        id,
        chroma_array_type: if separate_colour_plane {
            0
        } else {
            chroma_format
        },
        separate_colour_plane,
        frame_num_bits,
        poc_type,
        poc_lsb_bits,
        delta_poc_always_zero,
        frame_mbs_only,
        width: w_mbs * 16,
        height: h_units * 16 * (2 - u64::from(frame_mbs_only)),
    })
}

/// Coded width and height (whole macroblocks, before cropping) declared by an SPS NAL unit
/// (header byte included). `None` if it is not an SPS or cannot be parsed.
pub(crate) fn coded_size(nal: &[u8]) -> Option<(u64, u64)> {
    parse_sps(nal).map(|s| (s.width, s.height))
}

#[cfg(test)]
mod tests {
    use super::coded_size;
    use crate::mp4::bits::W;

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
        assert_eq!(coded_size(&w.nal(0x67)), Some((320, 240)));
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
        assert_eq!(coded_size(&w.nal(0x67)), Some((1920, 1088)));
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
        assert_eq!(coded_size(&w.nal(0x67)), Some((1 << 20, 1 << 20)));
        assert_eq!(coded_size(&[0x68, 0xCE]), None);
        assert_eq!(coded_size(&[0x67, 0x64]), None);
    }
}
