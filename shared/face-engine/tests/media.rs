//! End-to-end tests through the media entry point (`face_engine::media`): H.264 videos and ZIP
//! shot sets generated in the test from a face still (with `media-decode`'s `testutil`), a video
//! without a face, and hostile inputs.
//!
//! Needs the fixture photos of `scripts/fetch-fixtures.sh` (see tests/engine.rs).

use face_engine::{AnalyzeOptions, DetectOutcome, Engine, EngineError, MediaAnalysis};
use image::{ImageFormat, RgbImage};
use media_decode::testutil::{Mp4Opts, encode, make_mp4, make_zip};

use face_eval::data::{engine, fixture};

fn astronaut() -> RgbImage {
    fixture("astronaut.png")
}

/// `n` 640×480 frames: the astronaut portrait scaled to 480×480 on a grey canvas, moved 3 px
/// right per frame.
fn face_frames(n: u32) -> Vec<RgbImage> {
    let face = image::imageops::resize(
        &astronaut(),
        480,
        480,
        image::imageops::FilterType::Triangle,
    );
    (0..n)
        .map(|i| {
            let mut canvas = RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
            image::imageops::replace(&mut canvas, &face, 60 + 3 * i as i64, 0);
            canvas
        })
        .collect()
}

fn still_embedding(e: &Engine) -> face_engine::Embedding {
    e.analyze_frame(&astronaut(), &AnalyzeOptions::default())
        .unwrap()
        .face
        .expect("face in the still")
        .embedding
        .expect("embedding")
}

/// A face in (nearly) every analysed frame, a best shot that is one of them with a box inside the
/// image, and an embedding matching the still's.
fn assert_face_media(e: &Engine, m: &MediaAnalysis, analysed: usize, w: u32, h: u32) {
    assert_eq!(m.frames.len(), analysed, "frames analysed");
    assert!(
        m.frames_with_face + 1 >= analysed,
        "face in {}/{analysed} frames",
        m.frames_with_face
    );
    // The face is found with certainty; a marginal second detection (score ≈ 0.72 against the
    // 0.7 threshold, on compression artefacts above the head) may appear in a frame of the video.
    for (i, a) in &m.frames {
        if let Some(f) = &a.face {
            assert!(f.detection.score > 0.99, "frame {i}: {:?}", a.detections);
        }
    }
    assert!(
        m.frames_with_multiple_faces <= 1,
        "{} frames with several faces",
        m.frames_with_multiple_faces
    );
    let best = m.best_shot.as_ref().expect("best shot");
    let (_, frame) = m
        .frames
        .iter()
        .find(|(i, _)| *i == best.frame_index)
        .expect("best shot is an analysed frame");
    assert!(frame.face.is_some(), "best shot frame has a face");
    let b = best.bbox;
    assert!(
        b.x1 >= 0.0 && b.y1 >= 0.0 && b.x2 <= w as f32 && b.y2 <= h as f32,
        "best-shot box {b:?} inside {w}x{h}"
    );
    assert!(b.width() > 50.0 && b.height() > 50.0, "{b:?}");
    let spoof = m.spoof.as_ref().expect("fused spoof score");
    assert_eq!(spoof.frames, m.frames_with_face);
    let s = e.compare(
        m.embedding.as_ref().expect("embedding"),
        &still_embedding(e),
    );
    assert!(s.score >= 0.85 && e.is_match(&s), "video vs still: {s:?}");
    eprintln!(
        "{analysed} frames, face in {}, best shot {} (quality {:.3}), spoof {:.3}, \
         vs still: cosine {:.3} score {:.3}",
        m.frames_with_face, best.frame_index, best.quality, spoof.score, s.cosine, s.score
    );
}

#[test]
fn h264_video_of_a_face_is_found_and_matches_the_still() {
    let e = engine();
    let frames = face_frames(20);
    let mp4 = make_mp4(
        &frames,
        &Mp4Opts {
            fps: 10,
            ..Mp4Opts::default()
        },
    );
    let m = face_engine::media::analyze_media_bytes(&e, &mp4).unwrap();
    // 20 frames, DEFAULT_FRAMES sampled evenly; indices are video frame numbers.
    assert!(m.frames.iter().all(|(i, _)| *i < 20));
    assert_eq!(m.frames.first().map(|f| f.0), Some(0));
    assert_eq!(m.frames.last().map(|f| f.0), Some(19));
    assert_face_media(&e, &m, face_engine::media::DEFAULT_FRAMES, 640, 480);
    // The face moves right with the frames: boxes follow.
    let x = |k: usize| m.frames[k].1.face.as_ref().unwrap().detection.bbox.x1;
    let last = m.frames.len() - 1;
    assert!(x(last) > x(0) + 30.0, "{} vs {}", x(0), x(last));
}

#[test]
fn zip_shot_set_of_jpegs_is_found_and_matches_the_still() {
    let e = engine();
    let jpegs: Vec<(String, Vec<u8>)> = face_frames(6)
        .iter()
        .enumerate()
        .map(|(i, f)| (format!("shot_{i:02}.jpg"), encode(f, ImageFormat::Jpeg)))
        .collect();
    let entries: Vec<(&str, &[u8])> = jpegs
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let zip = make_zip(&entries);
    let m = face_engine::media::analyze_media_bytes(&e, &zip).unwrap();
    assert_eq!(
        m.frames.iter().map(|f| f.0).collect::<Vec<_>>(),
        (0..6).collect::<Vec<_>>()
    );
    assert_face_media(&e, &m, 6, 640, 480);
    assert_eq!(m.frames_with_face, 6);
}

#[test]
fn video_without_a_face_is_the_no_face_outcome() {
    let e = engine();
    let frames: Vec<RgbImage> = (0..15u32)
        .map(|i| {
            RgbImage::from_fn(640, 480, |x, y| {
                image::Rgb([
                    ((x + 4 * i) / 3) as u8,
                    (60 + y / 4) as u8,
                    (255 - y / 2) as u8,
                ])
            })
        })
        .collect();
    let mp4 = make_mp4(&frames, &Mp4Opts::default());
    let m = face_engine::media::analyze_media_bytes(&e, &mp4).unwrap();
    assert_eq!(m.frames.len(), face_engine::media::DEFAULT_FRAMES.min(15));
    assert_eq!(m.frames_with_face, 0);
    assert!(
        m.frames
            .iter()
            .all(|(_, a)| a.face.is_none() && a.detections.is_empty() && a.primary.is_none())
    );
    assert!(m.spoof.is_none() && m.best_shot.is_none() && m.embedding.is_none());
    // Frame by frame, the detector's typed outcome.
    let decoded = media_decode::decode(
        &mp4,
        &face_engine::media::limits(&e),
        media_decode::Sampling::Evenly(3),
    )
    .unwrap();
    for f in &decoded.frames {
        assert_eq!(e.detect(&f.image).unwrap(), DetectOutcome::NoFace);
    }
}

fn assert_decode_error(e: &Engine, bytes: &[u8], what: &str) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        face_engine::media::analyze_media_bytes(e, bytes)
    }));
    match r {
        Ok(Err(EngineError::Decode(msg))) => eprintln!("{what}: {msg}"),
        Ok(other) => panic!("{what}: expected a decode error, got {other:?}"),
        Err(_) => panic!("{what}: panicked"),
    }
}

#[test]
fn hostile_media_is_a_clean_error() {
    let e = engine();
    let mp4 = make_mp4(&face_frames(10), &Mp4Opts::default());
    for cut in [mp4.len() / 2, mp4.len() - 100, 64, 12] {
        assert_decode_error(&e, &mp4[..cut], &format!("MP4 truncated to {cut} bytes"));
    }
    let zeros = vec![0u8; 16 << 20];
    let bomb = make_zip(&[("a.jpg", &zeros)]);
    assert!(bomb.len() < 1 << 20, "bomb is small: {}", bomb.len());
    assert_decode_error(&e, &bomb, "zip bomb (16 MiB of zeros)");
    let mut not_jpeg = b"\xFF\xD8\xFF\xE0".to_vec();
    not_jpeg.extend(std::iter::repeat_n(0x55, 4096));
    assert_decode_error(
        &e,
        &make_zip(&[("shot.jpg", not_jpeg.as_slice())]),
        "shot set with a corrupt JPEG",
    );
    assert_decode_error(&e, b"not media at all", "garbage");
    assert_decode_error(&e, &[], "empty");
}
