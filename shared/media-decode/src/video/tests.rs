//! Tests of the H.264 path on MP4s encoded by the test itself (moving square).
use super::*;
use crate::testutil::{self, Mp4Opts, ROT90};
use crate::{decode, probe};

const W: u32 = 160;
const H: u32 = 96;

fn clip(n: u32, opts: &Mp4Opts) -> Vec<u8> {
    testutil::make_mp4(&testutil::moving_square(n, W, H), opts)
}

fn square_at(i: u32) -> f64 {
    f64::from(4 + 6 * i) + 3.5
}

#[test]
fn probe_reports_h264_metadata() {
    let mp4 = clip(20, &Mp4Opts::default());
    let info = probe(&mp4, &Limits::default()).unwrap();
    assert_eq!(
        (info.kind, info.format),
        (MediaKind::Video, MediaFormat::Mp4)
    );
    assert_eq!((info.width, info.height), (W, H));
    assert_eq!(info.frame_count, Some(20));
    assert_eq!(info.duration_ms, Some(2000));
    assert!(
        info.codec.as_deref().unwrap().starts_with("avc1."),
        "{:?}",
        info.codec
    );
    assert_eq!(info.rotation_deg, 0);
}

#[test]
fn decode_reports_the_quantiser_the_encoder_used() {
    for qp in [20u8, 32, 44] {
        let opts = Mp4Opts {
            qp: Some((qp, qp)),
            ..Default::default()
        };
        let d = decode(&clip(12, &opts), &Limits::default(), Sampling::All).unwrap();
        let q = d.quantiser.expect("slice headers read");
        assert!((q - f32::from(qp)).abs() <= 1.0, "QP {qp}: read {q}");
    }
}

#[test]
fn decode_all_frames_in_order_with_timestamps() {
    let mp4 = clip(20, &Mp4Opts::default());
    let d = decode(&mp4, &Limits::default(), Sampling::All).unwrap();
    assert_eq!(d.frames.len(), 20);
    for (i, f) in d.frames.iter().enumerate() {
        let i = i as u32;
        assert_eq!(f.index, i);
        assert_eq!(f.timestamp_ms, u64::from(i) * 100);
        assert_eq!(f.image.dimensions(), (W, H));
        let x = testutil::square_x(&f.image).expect("square visible");
        assert!((x - square_at(i)).abs() < 2.0, "frame {i}: square at {x}");
    }
}

#[test]
fn evenly_and_keyframes_select_the_right_frames() {
    let mp4 = clip(
        20,
        &Mp4Opts {
            gop: 5,
            ..Mp4Opts::default()
        },
    );
    let d = decode(&mp4, &Limits::default(), Sampling::Evenly(5)).unwrap();
    let idx: Vec<u32> = d.frames.iter().map(|f| f.index).collect();
    assert_eq!(idx, [0, 4, 9, 14, 19]);
    for f in &d.frames {
        assert_eq!(f.timestamp_ms, u64::from(f.index) * 100);
        let x = testutil::square_x(&f.image).unwrap();
        assert!(
            (x - square_at(f.index)).abs() < 2.0,
            "frame {}: {x}",
            f.index
        );
    }
    let k = decode(&mp4, &Limits::default(), Sampling::KeyframesOnly).unwrap();
    let idx: Vec<u32> = k.frames.iter().map(|f| f.index).collect();
    assert_eq!(idx, [0, 5, 10, 15]);
    for f in &k.frames {
        let x = testutil::square_x(&f.image).unwrap();
        assert!(
            (x - square_at(f.index)).abs() < 2.0,
            "keyframe {}: {x}",
            f.index
        );
    }
    let none = decode(&mp4, &Limits::default(), Sampling::Evenly(0)).unwrap();
    assert!(none.frames.is_empty());
    assert_eq!(none.info.frame_count, Some(20));
}

#[test]
fn rotation_matrix_is_applied() {
    let mp4 = clip(
        6,
        &Mp4Opts {
            matrix: ROT90,
            ..Mp4Opts::default()
        },
    );
    let info = probe(&mp4, &Limits::default()).unwrap();
    assert_eq!((info.width, info.height, info.rotation_deg), (H, W, 90));
    let d = decode(&mp4, &Limits::default(), Sampling::All).unwrap();
    for f in &d.frames {
        assert_eq!(f.image.dimensions(), (H, W));
        // Clockwise: stored (x, y) shows at (H - 1 - y, x).
        let y = testutil::square_y(&f.image).unwrap();
        let x = testutil::square_x(&f.image).unwrap();
        assert!(
            (y - square_at(f.index)).abs() < 2.0,
            "frame {}: y {y}",
            f.index
        );
        assert!(
            (x - (f64::from(H) - 1.0 - 13.5)).abs() < 2.0,
            "frame {}: x {x}",
            f.index
        );
    }
}

#[test]
fn truncated_mp4_is_corrupt() {
    let mp4 = clip(10, &Mp4Opts::default());
    for cut in [mp4.len() - 10, mp4.len() / 2, 40] {
        match probe(&mp4[..cut], &Limits::default()) {
            Err(DecodeError::Corrupt(m)) => assert!(m.contains("truncated"), "{cut}: {m}"),
            other => panic!("cut {cut}: {other:?}"),
        }
    }
}

#[test]
fn other_codecs_are_unsupported() {
    let mp4 = clip(3, &Mp4Opts::default());
    for (to, needle) in [
        (b"hvc1", "HEVC"),
        (b"hev1", "HEVC"),
        (b"vp09", "VP8/VP9"),
        (b"mp4v", "mp4v"),
    ] {
        let mut patched = mp4.clone();
        testutil::patch(&mut patched, b"avc1\0\0\0\0", &to[..]);
        match probe(&patched, &Limits::default()) {
            Err(DecodeError::UnsupportedCodec(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("{to:?}: {other:?}"),
        }
        assert!(matches!(
            decode(&patched, &Limits::default(), Sampling::All),
            Err(DecodeError::UnsupportedCodec(_))
        ));
    }
    match probe(
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm",
        &Limits::default(),
    ) {
        Err(DecodeError::UnsupportedCodec(m)) => assert!(m.contains("WebM"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sps_size_is_checked_before_decoding() {
    let mut mp4 = clip(3, &Mp4Opts::default());
    assert_eq!(
        plan(&mp4, &Limits::default()).unwrap().avc.sps_size,
        Some((160, 96))
    );
    // The sample entry claims 16×16 but the SPS says 160×96.
    let at = mp4
        .windows(10)
        .position(|w| w == b"avc1\0\0\0\0\0\0")
        .unwrap()
        + 4;
    mp4[at + 24..at + 28].copy_from_slice(&[0, 16, 0, 16]);
    let limits = Limits {
        max_pixels: u64::from(W * H) - 1,
        ..Limits::default()
    };
    match probe(&mp4, &limits) {
        Err(DecodeError::LimitExceeded(m)) => {
            assert!(m.contains("H.264 stream declares 160×96"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sps_parser_agrees_with_real_files() {
    let dir = std::env::var_os("OZ_SHARED_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        })
        .join("video");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: {} not found", dir.display());
        return;
    };
    let limits = Limits {
        max_duration_ms: 300_000,
        max_frames: 10_000,
        ..Limits::default()
    };
    for e in entries.flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        let p = plan(&bytes, &limits).unwrap();
        let (w, h) = p.avc.sps_size.expect("SPS parsed");
        let (ew, eh) = p.entry_size;
        assert!(
            w >= u64::from(ew) && w - u64::from(ew) < 16,
            "{:?}: {w} vs {ew}",
            e.path()
        );
        assert!(
            h >= u64::from(eh) && h - u64::from(eh) < 32,
            "{:?}: {h} vs {eh}",
            e.path()
        );
    }
}

#[test]
fn heic_photo_is_refused_by_brand() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08meta";
    match probe(heic, &Limits::default()) {
        Err(DecodeError::UnsupportedCodec(m)) => assert!(m.contains("HEIC"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn limits_are_enforced_with_named_limit() {
    let mp4 = clip(12, &Mp4Opts::default());
    let cases: [(Limits, &str); 4] = [
        (
            Limits {
                max_frames: 10,
                ..Limits::default()
            },
            "max_frames",
        ),
        (
            Limits {
                max_duration_ms: 1000,
                ..Limits::default()
            },
            "max_duration_ms",
        ),
        (
            Limits {
                max_pixels: 100 * 90,
                ..Limits::default()
            },
            "max_pixels",
        ),
        (
            Limits {
                max_decoded_bytes: 5 * u64::from(W * H * 3),
                ..Limits::default()
            },
            "max_decoded_bytes",
        ),
    ];
    for (limits, name) in cases {
        match decode(&mp4, &limits, Sampling::All) {
            Err(DecodeError::LimitExceeded(m)) => assert!(m.contains(name), "{m}"),
            other => panic!("{name}: {:?}", other.map(|d| d.frames.len())),
        }
    }
    // Evenly stays under the byte limit that All exceeds.
    let limits = Limits {
        max_decoded_bytes: 5 * u64::from(W * H * 3),
        ..Limits::default()
    };
    assert_eq!(
        decode(&mp4, &limits, Sampling::Evenly(4))
            .unwrap()
            .frames
            .len(),
        4
    );
}

#[test]
fn hostile_sample_count_is_refused_before_indexing() {
    let mut mp4 = clip(3, &Mp4Opts::default());
    // stsz: constant sample size 1, four billion samples — would make re_mp4 loop/allocate.
    let at = mp4.windows(4).position(|w| w == b"stsz").unwrap();
    mp4[at + 8..at + 12].copy_from_slice(&1u32.to_be_bytes());
    mp4[at + 12..at + 16].copy_from_slice(&u32::MAX.to_be_bytes());
    let limits = Limits {
        max_frames: usize::MAX,
        ..Limits::default()
    };
    match probe(&mp4, &limits) {
        Err(DecodeError::LimitExceeded(m)) => assert!(m.contains("samples"), "{m}"),
        other => panic!("{other:?}"),
    }
    match probe(&mp4, &Limits::default()) {
        Err(DecodeError::LimitExceeded(m)) => assert!(m.contains("max_frames"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn random_corruption_never_panics() {
    let mp4 = clip(8, &Mp4Opts::default());
    let moov = mp4.windows(4).position(|w| w == b"moov").unwrap();
    let mdat = mp4.windows(4).position(|w| w == b"mdat").unwrap();
    for seed in 0..300u64 {
        let mut bad = mp4.clone();
        let r = testutil::random_bytes(8, seed);
        // Mostly container damage, some bitstream damage.
        let span = if seed % 3 == 0 {
            mdat..mp4.len()
        } else {
            moov..mdat
        };
        for k in 0..4 {
            let pos = span.start + (usize::from(r[k]) * 257 + usize::from(r[k + 4])) % span.len();
            bad[pos] = r[(k + 1) % 8];
        }
        let _ = probe(&bad, &Limits::default());
        let _ = decode(&bad, &Limits::default(), Sampling::Evenly(3));
    }
    assert!(matches!(
        probe(&testutil::random_bytes(10_000, 3), &Limits::default()),
        Err(DecodeError::Unrecognised)
    ));
}

/// Found by the property tests: a nested box of size 0 made `re_mp4` re-read the same header
/// forever (the worker hung). It is refused as corrupt, quickly.
#[test]
fn a_nested_box_of_size_zero_is_refused_not_looped_on() {
    let mut mp4 = clip(4, &Mp4Opts::default());
    let at = mp4.windows(4).position(|w| w == b"stco").expect("stco") - 4;
    mp4[at..at + 4].copy_from_slice(&0u32.to_be_bytes());
    for r in [
        probe(&mp4, &Limits::default()).map(|_| ()),
        decode(&mp4, &Limits::default(), Sampling::Evenly(2)).map(|_| ()),
    ] {
        assert!(matches!(r, Err(DecodeError::Corrupt(_))), "{r:?}");
    }
}
