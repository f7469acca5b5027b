//! Active liveness through the API: a quality analysis on videos tagged with a gesture. A still
//! photo replayed as a `video_selfie_zoom_in` video is DECLINED with the gesture's evidence; a
//! video that zooms in passes the gesture; a passive (`video_selfie_blank`) video gets no gesture
//! check. Videos are generated from a face still (H.264, 3 s at 8 fps).

use crate::common::*;
use serde_json::Value;

/// 24 640×480 frames of the astronaut portrait scaled to `side(t)` px, centred, `t` in 0..=1.
fn video(side: impl Fn(f32) -> f32) -> Vec<u8> {
    let still = image::load_from_memory(&fixture("astronaut.png"))
        .unwrap()
        .to_rgb8();
    let frames: Vec<image::RgbImage> = (0..24)
        .map(|i| {
            let s = side(i as f32 / 23.0).round() as u32;
            let face = image::imageops::resize(&still, s, s, image::imageops::Triangle);
            let mut c = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
            image::imageops::replace(&mut c, &face, 320 - s as i64 / 2, 240 - s as i64 / 2);
            c
        })
        .collect();
    media_decode::testutil::make_mp4(
        &frames,
        &media_decode::testutil::Mp4Opts {
            fps: 8,
            ..Default::default()
        },
    )
}

#[tokio::test]
async fn a_still_replayed_fails_its_gesture_and_a_zoom_passes_it() {
    let app = spawn_app().await;
    app.start_workers();
    let (_, _, client, _) = app.acme_client_folder().await;
    let f = folder(
        &app,
        &client,
        vec![
            (
                "still",
                "still.mp4",
                video(|_| 320.0),
                &["video_selfie", "video_selfie_zoom_in"],
            ),
            (
                "zoom",
                "zoom.mp4",
                video(|t| 260.0 + 200.0 * t),
                &["video_selfie", "video_selfie_zoom_in"],
            ),
            (
                "blank",
                "blank.mp4",
                video(|_| 320.0),
                &["video_selfie", "video_selfie_blank"],
            ),
        ],
    )
    .await;
    let q = run_one(&app, &client, &f, "quality").await;
    assert_eq!(q["state"], "FINISHED", "{q}");
    assert_eq!(q["resolution_status"], "DECLINED", "{q}");
    let by_name = |name: &str| -> Value {
        let id = f["media"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["original_name"] == name)
            .unwrap()["media_id"]
            .clone();
        q["results_media"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["source_media_id"] == id)
            .unwrap_or_else(|| panic!("{name} in {q}"))
            .clone()
    };

    // The still: declined because the gesture is missing, with the evidence.
    let still = by_name("still.mp4");
    assert_eq!(still["resolution_status"], "DECLINED", "{still}");
    let g = &still["results_data"]["gesture"];
    assert_eq!(g["name"], "zoom_in", "{g}");
    assert_eq!(g["performed"], false, "{g}");
    assert!(
        g["reason"].as_str().unwrap().contains("grew at most"),
        "{g}"
    );
    assert_eq!(g["evidence"]["signal"], "face_width", "{g}");
    let samples = g["evidence"]["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 8, "{g}");
    assert!(samples.iter().all(|s| s["face_width"].is_number()), "{g}");

    // The zoom: the gesture passes; the decision is then the spoof score's.
    let zoom = by_name("zoom.mp4");
    let g = &zoom["results_data"]["gesture"];
    assert_eq!(g["performed"], true, "{g}");
    assert!(
        !g["evidence"]["frames"].as_array().unwrap().is_empty(),
        "{g}"
    );
    let spoof = zoom["results_data"]["confidence_spoofing"]
        .as_f64()
        .unwrap();
    let want = if spoof >= 0.5 { "DECLINED" } else { "SUCCESS" };
    assert_eq!(zoom["resolution_status"], want, "{zoom}");

    // Passive: no gesture checked.
    let blank = by_name("blank.mp4");
    assert!(blank["results_data"].get("gesture").is_none(), "{blank}");
    let spoof = blank["results_data"]["confidence_spoofing"]
        .as_f64()
        .unwrap();
    let want = if spoof >= 0.5 { "DECLINED" } else { "SUCCESS" };
    assert_eq!(blank["resolution_status"], want, "{blank}");
}
