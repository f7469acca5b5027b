//! A small H.264 MP4 writer: OpenH264 encoder plus a minimal faststart `ftyp`/`moov`/`mdat`
//! muxer (one video track, one chunk). Used to make test fixtures and the evaluation's synthetic
//! attack and low-resolution videos (`face-eval`), not by the upload path: behind the feature
//! `encoder`, which the product crates do not enable.

use image::RgbImage;
use openh264::OpenH264API;
use openh264::encoder::{BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, QpRange};
use openh264::formats::{RgbSliceU8, YUVBuffer};

/// Options for [`make_mp4`].
pub struct Mp4Opts {
    /// Frames per second.
    pub fps: u32,
    /// `tkhd` matrix.
    pub matrix: [i32; 9],
    /// Keyframe every `gop` frames.
    pub gop: u32,
    /// Quantiser range `(min, max)` (0..=51, higher = coarser); `None`: the encoder's quality mode.
    pub qp: Option<(u8, u8)>,
    /// Target bitrate of the quality mode, bits per second; `None`: OpenH264's default (120 kbit/s).
    pub bitrate_bps: Option<u32>,
}

impl Default for Mp4Opts {
    fn default() -> Self {
        Self {
            fps: 10,
            matrix: IDENTITY,
            gop: 5,
            qp: None,
            bitrate_bps: None,
        }
    }
}

/// `tkhd` matrix of an unrotated track.
pub const IDENTITY: [i32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];
/// `tkhd` matrix of a track to be shown rotated by 90°.
pub const ROT90: [i32; 9] = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x4000_0000];

/// Splits Annex-B into NAL units (without start codes).
fn split_annexb(b: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut e = starts.get(k + 1).map_or(b.len(), |&n| n - 3);
        while e > s && b[e - 1] == 0 {
            e -= 1;
        }
        nals.push(&b[s..e]);
    }
    nals
}

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

fn full(kind: &[u8; 4], version_flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = version_flags.to_be_bytes().to_vec();
    b.extend_from_slice(body);
    bx(kind, &b)
}

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// Encodes `frames` with OpenH264 and muxes them into a faststart MP4 (moov before mdat),
/// timescale 1000, one chunk. Panics when the encoder fails or drops a frame (fixtures and
/// evaluation only).
pub fn make_mp4(frames: &[RgbImage], opts: &Mp4Opts) -> Vec<u8> {
    let (w, h) = frames[0].dimensions();
    let config = EncoderConfig::new()
        .skip_frames(false)
        .max_frame_rate(FrameRate::from_hz(opts.fps as f32))
        .intra_frame_period(IntraFramePeriod::from_num_frames(opts.gop));
    let config = match opts.qp {
        Some((lo, hi)) => config.qp(QpRange::new(lo, hi)),
        None => config,
    };
    let config = match opts.bitrate_bps {
        Some(bps) => config.bitrate(BitRate::from_bps(bps)),
        None => config,
    };
    let mut enc = Encoder::with_api_config(OpenH264API::from_source(), config).unwrap();
    let (mut sps, mut pps) = (Vec::new(), Vec::new());
    let mut samples: Vec<Vec<u8>> = Vec::new();
    let mut sync = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let yuv =
            YUVBuffer::from_rgb8_source(RgbSliceU8::new(f.as_raw(), (w as usize, h as usize)));
        let bs = enc.encode(&yuv).unwrap().to_vec();
        let mut sample = Vec::new();
        let mut idr = false;
        for nal in split_annexb(&bs) {
            match nal[0] & 0x1F {
                7 => sps = nal.to_vec(),
                8 => pps = nal.to_vec(),
                t => {
                    idr |= t == 5;
                    sample.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    sample.extend_from_slice(nal);
                }
            }
        }
        assert!(!sample.is_empty(), "encoder skipped frame {i}");
        if idr {
            sync.push(i as u32 + 1);
        }
        samples.push(sample);
    }
    let n = samples.len() as u32;
    let delta = 1000 / opts.fps;
    let duration = n * delta;

    let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    let mdat_payload: Vec<u8> = samples.concat();
    let build_moov = |chunk_offset: u32| -> Vec<u8> {
        let mut mvhd = u32s(&[0, 0, 1000, duration, 0x0001_0000]);
        mvhd.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        mvhd.extend_from_slice(&u32s(&IDENTITY.map(|x| x as u32)));
        mvhd.extend_from_slice(&[0; 24]);
        mvhd.extend_from_slice(&2u32.to_be_bytes());
        let mvhd = full(b"mvhd", 0, &mvhd);

        let mut tkhd = u32s(&[0, 0, 1, 0, duration, 0, 0, 0, 0]);
        tkhd.truncate(32); // ctime, mtime, id, reserved, duration, reserved×2, layer+alt
        tkhd.extend_from_slice(&[0, 0, 0, 0]); // volume + reserved
        tkhd.extend_from_slice(&u32s(&opts.matrix.map(|x| x as u32)));
        tkhd.extend_from_slice(&u32s(&[w << 16, h << 16]));
        let tkhd = full(b"tkhd", 3, &tkhd);

        let mut mdhd = u32s(&[0, 0, 1000, duration]);
        mdhd.extend_from_slice(&[0x55, 0xC4, 0, 0]);
        let mdhd = full(b"mdhd", 0, &mdhd);
        let mut hdlr = u32s(&[0]);
        hdlr.extend_from_slice(b"vide");
        hdlr.extend_from_slice(&[0; 12]);
        hdlr.extend_from_slice(b"VideoHandler\0");
        let hdlr = full(b"hdlr", 0, &hdlr);

        let mut avcc = vec![1, sps[1], sps[2], sps[3], 0xFF, 0xE1];
        avcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
        avcc.extend_from_slice(&sps);
        avcc.push(1);
        avcc.extend_from_slice(&(pps.len() as u16).to_be_bytes());
        avcc.extend_from_slice(&pps);
        let mut avc1 = vec![0u8; 6];
        avc1.extend_from_slice(&[0, 1]); // data_reference_index
        avc1.extend_from_slice(&[0; 16]);
        avc1.extend_from_slice(&(w as u16).to_be_bytes());
        avc1.extend_from_slice(&(h as u16).to_be_bytes());
        avc1.extend_from_slice(&u32s(&[0x0048_0000, 0x0048_0000, 0]));
        avc1.extend_from_slice(&[0, 1]); // frame_count
        avc1.extend_from_slice(&[0; 32]);
        avc1.extend_from_slice(&[0, 0x18, 0xFF, 0xFF]);
        avc1.extend_from_slice(&bx(b"avcC", &avcc));
        let stsd = full(b"stsd", 0, &[u32s(&[1]), bx(b"avc1", &avc1)].concat());
        let stts = full(b"stts", 0, &u32s(&[1, n, delta]));
        let stss = full(
            b"stss",
            0,
            &[u32s(&[sync.len() as u32]), u32s(&sync)].concat(),
        );
        let stsc = full(b"stsc", 0, &u32s(&[1, 1, n, 1]));
        let sizes: Vec<u32> = samples.iter().map(|s| s.len() as u32).collect();
        let stsz = full(b"stsz", 0, &[u32s(&[0, n]), u32s(&sizes)].concat());
        let stco = full(b"stco", 0, &u32s(&[1, chunk_offset]));
        let stbl = bx(b"stbl", &[stsd, stts, stss, stsc, stsz, stco].concat());
        let vmhd = full(b"vmhd", 1, &[0; 8]);
        let dinf = bx(
            b"dinf",
            &full(b"dref", 0, &[u32s(&[1]), full(b"url ", 1, &[])].concat()),
        );
        let minf = bx(b"minf", &[vmhd, dinf, stbl].concat());
        let mdia = bx(b"mdia", &[mdhd, hdlr, minf].concat());
        let trak = bx(b"trak", &[tkhd, mdia].concat());
        bx(b"moov", &[mvhd, trak].concat())
    };
    let moov_len = build_moov(0).len();
    let offset = (ftyp.len() + moov_len + 8) as u32;
    let mut out = ftyp;
    out.extend_from_slice(&build_moov(offset));
    out.extend_from_slice(&bx(b"mdat", &mdat_payload));
    out
}
