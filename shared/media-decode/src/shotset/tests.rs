//! Tests of ZIP shot sets built by the test itself: order, sampling, bombs, names.
use image::ImageFormat;

use super::*;
use crate::testutil;
use crate::{decode, probe};

fn shot(x: u32, fmt: ImageFormat) -> Vec<u8> {
    testutil::encode(&testutil::pattern(64, 48, x), fmt)
}

fn expect_err(zip: &[u8], limits: &Limits, needle: &str) -> DecodeError {
    let err = probe(zip, limits).expect_err("must fail");
    let msg = err.to_string();
    assert!(msg.contains(needle), "{msg}");
    err
}

#[test]
fn shot_set_is_ordered_by_name_and_sampled() {
    let (a, b, c) = (
        shot(4, ImageFormat::Png),
        shot(20, ImageFormat::Jpeg),
        shot(36, ImageFormat::Png),
    );
    let zip = testutil::make_zip(&[
        ("shots/003.png", &c),
        ("shots/001.png", &a),
        ("__MACOSX/shots/._001.png", b"junk"),
        ("shots/002.jpg", &b),
    ]);
    let info = probe(&zip, &Limits::default()).unwrap();
    assert_eq!(
        (info.kind, info.format),
        (MediaKind::ShotSet, MediaFormat::Zip)
    );
    assert_eq!(
        (info.width, info.height, info.frame_count),
        (64, 48, Some(3))
    );
    assert_eq!(info.codec.as_deref(), Some("jpeg+png"));
    let all = decode(&zip, &Limits::default(), Sampling::All).unwrap();
    let xs: Vec<f64> = all
        .frames
        .iter()
        .map(|f| testutil::square_x(&f.image).unwrap())
        .collect();
    assert!(xs[0] < xs[1] && xs[1] < xs[2], "{xs:?}");
    assert_eq!(
        all.frames.iter().map(|f| f.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let two = decode(&zip, &Limits::default(), Sampling::Evenly(2)).unwrap();
    assert_eq!(
        two.frames.iter().map(|f| f.index).collect::<Vec<_>>(),
        [0, 2]
    );
}

#[test]
fn zip_bomb_is_refused() {
    // 20 MB of zeros deflates ~1000:1.
    let zeros = vec![0u8; 20 << 20];
    let zip = testutil::make_zip(&[("a.jpg", &shot(4, ImageFormat::Jpeg)), ("bomb.jpg", &zeros)]);
    assert!(matches!(
        expect_err(&zip, &Limits::default(), "max_zip_ratio"),
        DecodeError::LimitExceeded(_)
    ));
    let limits = Limits {
        max_zip_ratio: 10_000,
        max_zip_uncompressed: 1 << 20,
        ..Limits::default()
    };
    assert!(matches!(
        expect_err(&zip, &limits, "max_zip_uncompressed"),
        DecodeError::LimitExceeded(_)
    ));
}

#[test]
fn too_many_entries() {
    let img = shot(4, ImageFormat::Png);
    let names: Vec<String> = (0..12).map(|i| format!("{i:03}.png")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), img.as_slice())).collect();
    let zip = testutil::make_zip(&entries);
    let limits = Limits {
        max_zip_entries: 10,
        ..Limits::default()
    };
    assert!(matches!(
        expect_err(&zip, &limits, "max_zip_entries"),
        DecodeError::LimitExceeded(_)
    ));
    let limits = Limits {
        max_frames: 5,
        ..Limits::default()
    };
    assert!(matches!(
        expect_err(&zip, &limits, "max_frames"),
        DecodeError::LimitExceeded(_)
    ));
    assert_eq!(
        probe(&zip, &Limits::default()).unwrap().frame_count,
        Some(12)
    );
}

#[test]
fn unsafe_names_are_refused() {
    let img = shot(4, ImageFormat::Png);
    for (name, why) in [
        ("../evil.jpg", "path traversal"),
        ("shots/../../evil.jpg", "path traversal"),
        ("/etc/evil.jpg", "absolute"),
        ("C:/evil.jpg", "drive"),
        ("a\\..\\evil.jpg", "backslash"),
        ("a/b/c.jpg", "folder level"),
    ] {
        let zip = testutil::make_zip(&[("ok.png", &img), (name, &img)]);
        let err = expect_err(&zip, &Limits::default(), why);
        assert!(matches!(err, DecodeError::Corrupt(_)), "{name}: {err:?}");
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn non_image_and_corrupt_entries() {
    let img = shot(4, ImageFormat::Png);
    let zip = testutil::make_zip(&[("a.png", &img), ("notes.txt", b"hello")]);
    assert!(matches!(
        expect_err(&zip, &Limits::default(), "notes.txt"),
        DecodeError::UnsupportedCodec(_)
    ));
    let zip = testutil::make_zip(&[("a.jpg", &shot(4, ImageFormat::Jpeg)[..300])]);
    assert!(matches!(
        expect_err(&zip, &Limits::default(), "a.jpg"),
        DecodeError::Corrupt(_)
    ));
    let zip = testutil::make_zip(&[("dir/", b"")]);
    assert!(matches!(
        expect_err(&zip, &Limits::default(), "no images"),
        DecodeError::Corrupt(_)
    ));
    let zip = testutil::make_zip(&[("a.png", &img)]);
    assert!(matches!(
        probe(&zip[..zip.len() - 10], &Limits::default()),
        Err(DecodeError::Corrupt(_))
    ));
}
