//! Decoding the reference media in `../shared/data` (read in place, never copied into the
//! project). Skips with a message when that folder is absent. Folder: `$OZ_SHARED_DATA`, else
//! `<manifest>/../../../shared/data`.

use std::path::PathBuf;
use std::time::Instant;

use media_decode::{DecodeError, Limits, MediaKind, Sampling, decode, decode_image, probe};

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("OZ_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: shared data folder {} not found (set OZ_SHARED_DATA)",
            dir.display()
        );
        None
    }
}

fn files(dir: &PathBuf, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext)));
    v.sort();
    v
}

/// Generous limits so the 200 s clip is decodable too.
fn long_limits() -> Limits {
    Limits {
        max_duration_ms: 300_000,
        max_frames: 10_000,
        ..Limits::default()
    }
}

#[test]
fn every_shared_video_decodes_evenly() {
    let Some(root) = data_dir() else { return };
    let videos = files(&root.join("video"), "mp4");
    assert!(
        !videos.is_empty(),
        "no MP4 in {}",
        root.join("video").display()
    );
    for path in videos {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let info = probe(&bytes, &long_limits()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.kind, MediaKind::Video);
        let t = Instant::now();
        let d = decode(&bytes, &long_limits(), Sampling::Evenly(16))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let n = info.frame_count.unwrap();
        let dur = info.duration_ms.unwrap();
        eprintln!(
            "{name}: {}x{} rot {} {} frames {} ms {:?}; Evenly(16) -> {} frames in {:?}",
            info.width,
            info.height,
            info.rotation_deg,
            n,
            dur,
            info.codec,
            d.frames.len(),
            t.elapsed()
        );
        assert_eq!(d.info, info, "{name}: decode and probe disagree");
        assert!(
            (16..=8_300_000).contains(&(info.width * info.height)),
            "{name}: size"
        );
        assert!(n >= 1 && dur > 0, "{name}");
        assert_eq!(d.frames.len(), (n as usize).min(16), "{name}: frame count");
        let mut prev: Option<(u32, u64)> = None;
        for f in &d.frames {
            assert_eq!(
                f.image.dimensions(),
                (info.width, info.height),
                "{name}: frame {}",
                f.index
            );
            assert!(
                f.index < n && f.timestamp_ms <= dur,
                "{name}: frame {} at {}",
                f.index,
                f.timestamp_ms
            );
            if let Some((pi, pt)) = prev {
                assert!(
                    f.index > pi && f.timestamp_ms > pt,
                    "{name}: order at frame {}",
                    f.index
                );
            }
            prev = Some((f.index, f.timestamp_ms));
            let mean = f.image.as_raw().iter().map(|&v| u64::from(v)).sum::<u64>()
                / f.image.as_raw().len() as u64;
            assert!(
                (5..=250).contains(&mean),
                "{name}: frame {} is flat (mean {mean})",
                f.index
            );
        }
        assert_eq!(d.frames[0].index, 0, "{name}: first frame included");
        if dur > Limits::default().max_duration_ms {
            match probe(&bytes, &Limits::default()) {
                Err(DecodeError::LimitExceeded(m)) => assert!(m.contains("max_duration_ms"), "{m}"),
                other => panic!("{name}: default limits must refuse a {dur} ms clip: {other:?}"),
            }
        }
    }
}

/// With B-frames (`ctts`), skipping disposable frames and matching decoder output to
/// presentation times must give exactly the frames a full decode gives.
#[test]
fn sampled_frames_equal_the_same_frames_of_a_full_decode() {
    let Some(root) = data_dir() else { return };
    for name in ["talk-zoom-out.mp4", "tiny-5-frames.mp4"] {
        let bytes = std::fs::read(root.join("video").join(name)).unwrap();
        let all = decode(&bytes, &Limits::default(), Sampling::All).unwrap();
        assert_eq!(
            all.frames.len() as u32,
            all.info.frame_count.unwrap(),
            "{name}"
        );
        for (i, f) in all.frames.iter().enumerate() {
            assert_eq!(f.index as usize, i, "{name}");
        }
        for sampling in [Sampling::Evenly(16), Sampling::KeyframesOnly] {
            let some = decode(&bytes, &Limits::default(), sampling).unwrap();
            assert!(!some.frames.is_empty());
            for f in &some.frames {
                let full = &all.frames[f.index as usize];
                assert_eq!(
                    f.timestamp_ms, full.timestamp_ms,
                    "{name} {sampling:?} frame {}",
                    f.index
                );
                assert!(
                    f.image == full.image,
                    "{name} {sampling:?}: frame {} differs",
                    f.index
                );
            }
        }
    }
}

#[test]
fn exif_rotated_photo_comes_out_upright() {
    let Some(root) = data_dir() else { return };
    let path = root.join("spoof-samples/image_T1.jpg");
    let bytes = std::fs::read(&path).unwrap();
    // Raw stored size, no orientation applied.
    let raw = image::load_from_memory(&bytes).unwrap();
    let oriented = decode_image(&bytes, &Limits::default()).unwrap();
    let info = probe(&bytes, &Limits::default()).unwrap();
    eprintln!(
        "image_T1.jpg: stored {}x{}, decoded {}x{}, rotation {}",
        raw.width(),
        raw.height(),
        oriented.width(),
        oriented.height(),
        info.rotation_deg
    );
    assert!(
        raw.width() > raw.height(),
        "expected the stored JPEG to be landscape"
    );
    assert!(
        oriented.height() > oriented.width(),
        "EXIF orientation must make it portrait"
    );
    assert_eq!((info.width, info.height), oriented.dimensions());
    assert!(matches!(info.rotation_deg, 90 | 270));
}

#[test]
fn every_shared_photo_probes() {
    let Some(root) = data_dir() else { return };
    let mut n = 0;
    for sub in ["spoof-samples", "pad/attacks", "pad/bona-fide"] {
        for path in files(&root.join(sub), "jpg") {
            let bytes = std::fs::read(&path).unwrap();
            let info = probe(&bytes, &Limits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(info.kind, MediaKind::Image);
            assert!(info.width > 0 && info.height > 0);
            // The same bytes cut short must be refused.
            let cut = &bytes[..bytes.len() * 2 / 3];
            assert!(
                matches!(probe(cut, &Limits::default()), Err(DecodeError::Corrupt(_))),
                "{}: truncated copy accepted",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n > 0);
}

/// Timing for the engine bench: `cargo test -p media-decode --release --test shared_data --
/// --ignored --nocapture`.
#[test]
#[ignore = "timing only; run in release with --ignored --nocapture"]
fn selfie_turns_decode_timing() {
    let Some(root) = data_dir() else { return };
    let bytes = std::fs::read(root.join("video/selfie-turns-live.mp4")).unwrap();
    let limits = Limits {
        max_decoded_bytes: 8 << 30,
        ..Limits::default()
    };
    for sampling in [
        Sampling::Evenly(16),
        Sampling::KeyframesOnly,
        Sampling::All,
        Sampling::Evenly(16),
    ] {
        let t = Instant::now();
        let d = decode(&bytes, &limits, sampling).unwrap();
        eprintln!(
            "selfie-turns-live {sampling:?}: {} frames in {:?}",
            d.frames.len(),
            t.elapsed()
        );
    }
    let t = Instant::now();
    probe(&bytes, &limits).unwrap();
    eprintln!("selfie-turns-live probe: {:?}", t.elapsed());
}
