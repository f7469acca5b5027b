//! Verification per capture condition (`face-eval match`): how matching holds when one or both
//! faces come from an ID document instead of a colour photo.
//!
//! - **Conditions.** `colour`: both faces as captured. `id-photo`: the second face of every pair
//!   degraded like the portrait of a scanned ID document ([`id_portrait`]): a portrait crop about
//!   the face, 112–160 px wide, grayscale, slightly blurred, JPEG at quality 45–55. `degraded`: both
//!   faces degraded.
//! - **Splits.** `dev` is `faces-deepface` (25 labelled photos of 9 people, every pair of
//!   `master.csv`): the split the thresholds and calibration were fitted on. `held-out` is made of
//!   other people and another source: frames of the `video/` clips (three people, one of them in
//!   three videos filmed on different days), 8 frames spread over each clip, every pair of frames
//!   labelled by who is in the video.
//! - **Methods.** `single`: the embedding of the aligned face (the shipped engine). `flip`: the
//!   normalised sum of the embeddings of the face and its mirror image (tried, not shipped).
//!   With `--alt-embedder FILE`, a third method: that model fed the same aligned crop — given
//!   `../shared/models/fr_feature.onnx`, the embedder this engine shipped until 2026-12-04, which
//!   with the `base` columns is the baseline of the issue that replaced it.
//!
//! Each row gives FNMR at FMR 0.1 % and 1 % (thresholds set on that row's own impostors) and
//! FMR/FNMR at the default decision (calibrated score ≥ 0.85) with the shipped calibration, and
//! at cosine ≥ [`BASELINE_COSINE_AT_085`], the default decision of the `fr_feature` engine
//! before that issue (`base` columns). A face that is not found counts as a non-match (a false
//! non-match for a genuine pair).

use std::fmt::Write as _;
use std::path::Path;

use face_engine::detect::BBox;
use face_engine::embed::{Embedding, merge};
use face_engine::io::load_image;
use face_engine::model::Model;
use face_engine::{AnalyzeOptions, Engine};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};
use media_decode::Sampling;
use rayon::prelude::*;

use crate::eval::{PairScore, VerificationReport, pct, verification_metrics};

/// The cosine at which the `fr_feature` calibration fitted on colour photos only (SLOPE 13.3716,
/// MIDPOINT 0.4571) put the default decision 0.85: the baseline this report is compared with.
pub const BASELINE_COSINE_AT_085: f64 = 0.5868;

/// Frames taken from each held-out video, unless the report is asked for more.
pub const FRAMES_PER_VIDEO: usize = 8;

/// The held-out videos and who is in each (the replay attack is left out: it is a spoof).
const HELD_OUT_VIDEOS: [(&str, &str); 5] = [
    ("selfie-turns-live.mp4", "A"),
    ("talking-blinks.mp4", "C"),
    ("talk-zoom-out.mp4", "B"),
    ("zoom-turns-1.mp4", "B"),
    ("zoom-turns-2.mp4", "B"),
];

/// The portrait of a scanned ID document made from a photo whose face is `face`: a 3:4 crop
/// about the face (1.8 face widths wide), scaled to 112–160 px wide, grayscale, blurred by
/// σ = 0.6 px, JPEG at quality 45–55. `seed` picks the width and quality, so that a file always
/// gets the same copy.
pub fn id_portrait(img: &RgbImage, face: &BBox, seed: u64) -> anyhow::Result<RgbImage> {
    let (cx, cy) = ((face.x1 + face.x2) / 2.0, (face.y1 + face.y2) / 2.0);
    let w = (1.8 * (face.x2 - face.x1)).min(img.width() as f32);
    let h = (w * 4.0 / 3.0).min(img.height() as f32);
    let x0 = (cx - w / 2.0).clamp(0.0, img.width() as f32 - w) as u32;
    let y0 = (cy - h / 2.0 + 0.05 * h).clamp(0.0, img.height() as f32 - h) as u32;
    let crop = image::imageops::crop_imm(img, x0, y0, w as u32, h as u32).to_image();
    let out_w = 112 + (seed % 49) as u32;
    let out_h = (out_w as f32 * h / w).round() as u32;
    let small = image::imageops::resize(&crop, out_w, out_h, FilterType::Triangle);
    let gray = DynamicImage::ImageRgb8(small).grayscale().to_rgb8();
    let blurred = image::imageops::blur(&gray, 0.6);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 45 + (seed / 49 % 11) as u8).encode_image(&blurred)?;
    Ok(image::load_from_memory(&jpeg)?.to_rgb8())
}

/// One face as each method embeds it; `None` where no face was found.
#[derive(Default, Clone)]
struct Views {
    single: Option<Embedding>,
    flip: Option<Embedding>,
    /// The second embedder's embedding of the face, when one is given.
    alt: Option<Embedding>,
}

/// The embedders a report compares: the engine's, and optionally a second model fed the same
/// aligned crop.
#[derive(Clone, Copy)]
pub struct Embedders<'a> {
    /// The engine (detection, landmarks, its embedding model).
    pub engine: &'a Engine,
    /// A second embedding model (1×3×112×112 input) and its name.
    pub alt: Option<(&'a Model, &'a str)>,
}

/// A labelled image, as captured and as an ID portrait.
struct Subject {
    name: String,
    who: String,
    captured: Views,
    portrait: Views,
}

fn views(emb: Embedders, img: &RgbImage) -> (Views, Option<BBox>) {
    let engine = emb.engine;
    let Some(face) = engine
        .analyze_frame(img, &AnalyzeOptions::DETECTION_ONLY)
        .ok()
        .and_then(|a| a.face)
    else {
        return (Views::default(), None);
    };
    let Ok(pair) = engine.embed_views_with_landmarks(img, &face.landmarks) else {
        return (Views::default(), None);
    };
    let alt = emb
        .alt
        .and_then(|(m, _)| engine.embed_views_by(m, img, &face.landmarks).ok());
    let v = Views {
        flip: Some(merge(&pair)),
        single: Some(pair[0].clone()),
        alt: alt.map(|[a, _]| a),
    };
    (v, Some(face.detection.bbox))
}

/// A stable per-file seed for [`id_portrait`].
pub(crate) fn seed(name: &str) -> u64 {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn subject(emb: Embedders, name: String, who: String, img: &RgbImage) -> Subject {
    let (captured, bbox) = views(emb, img);
    let portrait = bbox
        .and_then(|b| id_portrait(img, &b, seed(&name)).ok())
        .map(|p| views(emb, &p).0)
        .unwrap_or_default();
    Subject {
        name,
        who,
        captured,
        portrait,
    }
}

/// `faces-deepface`: every file of `master.csv`, each labelled by its identity (the connected
/// components of the genuine pairs).
fn dev_subjects(emb: Embedders, dir: &Path) -> anyhow::Result<Vec<Subject>> {
    let text = std::fs::read_to_string(dir.join("master.csv"))?;
    let mut files: Vec<String> = Vec::new();
    let mut same: Vec<(String, String)> = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.trim().split(',').map(str::trim).collect();
        if cols.len() < 3 {
            continue;
        }
        files.extend([cols[0].to_string(), cols[1].to_string()]);
        if cols[2].eq_ignore_ascii_case("yes") {
            same.push((cols[0].to_string(), cols[1].to_string()));
        }
    }
    files.sort();
    files.dedup();
    // Union-find over the genuine pairs.
    let mut parent: Vec<usize> = (0..files.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for (a, b) in &same {
        let (a, b) = (
            files.binary_search(a).unwrap(),
            files.binary_search(b).unwrap(),
        );
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[ra] = rb;
    }
    let labels: Vec<usize> = (0..files.len()).map(|i| root(&mut parent, i)).collect();
    files
        .into_par_iter()
        .zip(labels)
        .map(|(f, who)| {
            let img = load_image(&dir.join(&f), emb.engine.config().max_pixels)?;
            Ok(subject(emb, f, who.to_string(), &img))
        })
        .collect()
}

/// Frames of the held-out videos, labelled by who is in the video.
fn held_out_subjects(
    emb: Embedders,
    dir: &Path,
    frames_per_video: usize,
) -> anyhow::Result<Vec<Subject>> {
    let mut frames = Vec::new();
    for (file, who) in HELD_OUT_VIDEOS {
        let Ok(bytes) = std::fs::read(dir.join(file)) else {
            continue;
        };
        let decoded = media_decode::decode(
            &bytes,
            &crate::pad_eval::eval_limits(),
            Sampling::Evenly(frames_per_video),
        )?;
        // Named by position, not frame index: the name seeds the ID portrait's degradation.
        for (i, f) in decoded.frames.into_iter().enumerate() {
            frames.push((format!("{file}#{i}"), who.to_string(), f.image));
        }
    }
    Ok(frames
        .into_par_iter()
        .map(|(name, who, img)| subject(emb, name, who, &img))
        .collect())
}

/// Which views of the two faces of a pair a condition compares.
#[derive(Clone, Copy)]
enum Condition {
    Colour,
    IdPhoto,
    Degraded,
}

impl Condition {
    const ALL: [Condition; 3] = [Condition::Colour, Condition::IdPhoto, Condition::Degraded];

    fn name(self) -> &'static str {
        match self {
            Condition::Colour => "colour",
            Condition::IdPhoto => "id-photo",
            Condition::Degraded => "degraded",
        }
    }

    fn views<'a>(self, x: &'a Subject, y: &'a Subject) -> (&'a Views, &'a Views) {
        match self {
            Condition::Colour => (&x.captured, &y.captured),
            Condition::IdPhoto => (&x.captured, &y.portrait),
            Condition::Degraded => (&x.portrait, &y.portrait),
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConditionRow {
    /// `dev` or `held-out`.
    pub split: String,
    /// `colour`, `id-photo` or `degraded`.
    pub condition: String,
    /// `single` or `flip`.
    pub method: String,
    /// Faces not found (in the views this condition compares).
    pub no_face: usize,
    /// FMR at the baseline's default decision (cosine ≥ [`BASELINE_COSINE_AT_085`]).
    pub baseline_fmr_at_085: f64,
    /// FNMR at the baseline's default decision.
    pub baseline_fnmr_at_085: f64,
    /// The verification numbers.
    pub report: VerificationReport,
}

/// The report: every split × condition × method.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConditionsReport {
    /// The rows.
    pub rows: Vec<ConditionRow>,
}

fn rows(split: &str, subjects: &[Subject], alt: Option<&str>) -> Vec<ConditionRow> {
    let mut out = Vec::new();
    let mut methods = vec!["single".to_string(), "flip".to_string()];
    if let Some(name) = alt {
        methods.push(name.to_string());
    }
    for condition in Condition::ALL {
        for (m, method) in methods.iter().enumerate() {
            let pick = |v: &Views| match m {
                0 => v.single.clone(),
                1 => v.flip.clone(),
                _ => v.alt.clone(),
            };
            let mut pairs = Vec::new();
            let mut missing = std::collections::BTreeSet::new();
            for (i, x) in subjects.iter().enumerate() {
                for y in &subjects[i + 1..] {
                    let (a, b) = condition.views(x, y);
                    let (a, b) = (pick(a), pick(b));
                    for (e, s) in [(&a, x), (&b, y)] {
                        if e.is_none() {
                            missing.insert(s.name.clone());
                        }
                    }
                    let cosine = a.zip(b).map(|(a, b)| a.cosine(&b) as f64);
                    pairs.push(PairScore {
                        file_x: x.name.clone(),
                        file_y: y.name.clone(),
                        genuine: x.who == y.who,
                        score: cosine
                            .map(|c| face_engine::calibration::calibrated_score(c as f32) as f64),
                        cosine,
                    });
                }
            }
            let rate = |genuine: bool| {
                let of: Vec<_> = pairs.iter().filter(|p| p.genuine == genuine).collect();
                let matched = of
                    .iter()
                    .filter(|p| p.cosine.is_some_and(|c| c >= BASELINE_COSINE_AT_085))
                    .count();
                let n = of.len().max(1) as f64;
                if genuine {
                    1.0 - matched as f64 / n
                } else {
                    matched as f64 / n
                }
            };
            let (baseline_fmr_at_085, baseline_fnmr_at_085) = (rate(false), rate(true));
            let report = verification_metrics(pairs, missing.iter().cloned().collect());
            out.push(ConditionRow {
                split: split.to_string(),
                condition: condition.name().to_string(),
                method: method.to_string(),
                no_face: missing.len(),
                baseline_fmr_at_085,
                baseline_fnmr_at_085,
                report,
            });
        }
    }
    out
}

/// Runs the report over `data_dir` (the `../shared/data` layout), `frames_per_video` frames
/// of each held-out video ([`FRAMES_PER_VIDEO`] by default); a split whose folder is missing
/// has no rows.
pub fn evaluate_conditions(
    emb: Embedders,
    data_dir: &Path,
    frames_per_video: usize,
) -> anyhow::Result<ConditionsReport> {
    let mut out = Vec::new();
    let alt = emb.alt.map(|(_, name)| name);
    let dev = data_dir.join("faces-deepface");
    if dev.join("master.csv").is_file() {
        out.extend(rows("dev", &dev_subjects(emb, &dev)?, alt));
    }
    let videos = data_dir.join("video");
    if videos.is_dir() {
        out.extend(rows(
            "held-out",
            &held_out_subjects(emb, &videos, frames_per_video)?,
            alt,
        ));
    }
    Ok(ConditionsReport { rows: out })
}

impl ConditionsReport {
    /// Human-readable table.
    pub fn to_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<9} {:<9} {:<22} {:>4} {:>5} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}",
            "split",
            "condition",
            "method",
            "gen",
            "imp",
            "noface",
            "FNMR@0.1",
            "FNMR@1",
            "FMR@.85",
            "FNMR@.85",
            "base FMR",
            "base FNMR",
            "gen p5",
            "imp max"
        );
        for r in &self.rows {
            let v = &r.report;
            let _ = writeln!(
                s,
                "{:<9} {:<9} {:<22} {:>4} {:>5} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8.3} {:>8.3}",
                r.split,
                r.condition,
                r.method,
                v.genuine,
                v.impostor,
                r.no_face,
                pct(v.at_fmr_0_1.fnmr),
                pct(v.at_fmr_1.fnmr),
                pct(v.fmr_at_085),
                pct(v.fnmr_at_085),
                pct(r.baseline_fmr_at_085),
                pct(r.baseline_fnmr_at_085),
                v.genuine_cosine.p5,
                v.impostor_cosine.max
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_portrait_is_small_gray_and_stable() {
        let mut img = RgbImage::new(640, 480);
        img.enumerate_pixels_mut()
            .for_each(|(x, y, p)| *p = image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let face = BBox {
            x1: 250.0,
            y1: 150.0,
            x2: 390.0,
            y2: 320.0,
        };
        let a = id_portrait(&img, &face, seed("img1.jpg")).unwrap();
        assert!((112..=160).contains(&a.width()), "{}", a.width());
        assert_eq!(a.height(), (a.width() as f32 * 4.0 / 3.0).round() as u32);
        assert!(
            a.pixels()
                .all(|p| p[0].abs_diff(p[1]) <= 2 && p[1].abs_diff(p[2]) <= 2)
        );
        assert_eq!(a, id_portrait(&img, &face, seed("img1.jpg")).unwrap());
    }
}
