//! Accuracy report (`face-eval report`) on the team's evaluation data (`../shared/data`):
//! verification error rates on `faces-deepface/master.csv` and presentation-attack detection
//! error rates (ISO/IEC 30107-3 APCER per attack type, BPCER) on `spoof-samples`, `pad` and bona
//! fide photos.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use face_engine::calibration::calibrated_score;
use face_engine::embed::Embedding;
use face_engine::io::load_image;
use face_engine::liveness::fuse_spoof_scores;
use face_engine::{AnalyzeOptions, Engine, EngineInfo};
use rayon::prelude::*;

/// Distribution summary of a set of scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Distribution {
    /// Number of values.
    pub n: usize,
    /// Minimum.
    pub min: f64,
    /// 1st percentile.
    pub p1: f64,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
}

/// Percentile (linear interpolation) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Summarises `values`.
pub fn distribution(values: &[f64]) -> Distribution {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return Distribution::default();
    }
    Distribution {
        n: v.len(),
        min: v[0],
        p1: percentile(&v, 1.0),
        p5: percentile(&v, 5.0),
        p50: percentile(&v, 50.0),
        p95: percentile(&v, 95.0),
        p99: percentile(&v, 99.0),
        max: v[v.len() - 1],
    }
}

/// One labelled pair.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairScore {
    /// First image.
    pub file_x: String,
    /// Second image.
    pub file_y: String,
    /// Same person.
    pub genuine: bool,
    /// Cosine; `None` when a face was not found in one of the images.
    pub cosine: Option<f64>,
    /// Calibrated score.
    pub score: Option<f64>,
}

/// An operating point on the verification curve.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OperatingPoint {
    /// Target false-match rate.
    pub target_fmr: f64,
    /// Cosine threshold reaching it (match when cosine ≥ threshold).
    pub cosine_threshold: f64,
    /// Same threshold on the calibrated score.
    pub score_threshold: f64,
    /// Achieved FMR.
    pub fmr: f64,
    /// FNMR at that threshold.
    pub fnmr: f64,
}

/// Verification results on labelled pairs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VerificationReport {
    /// Genuine pairs scored.
    pub genuine: usize,
    /// Impostor pairs scored.
    pub impostor: usize,
    /// Images in which no face was found (their pairs count as non-matches).
    pub no_face: Vec<String>,
    /// FNMR at FMR = 0.1 %.
    pub at_fmr_0_1: OperatingPoint,
    /// FNMR at FMR = 1 %.
    pub at_fmr_1: OperatingPoint,
    /// Equal error rate.
    pub eer: f64,
    /// FMR at the default score threshold 0.85.
    pub fmr_at_085: f64,
    /// FNMR at the default score threshold 0.85.
    pub fnmr_at_085: f64,
    /// Genuine cosines.
    pub genuine_cosine: Distribution,
    /// Impostor cosines.
    pub impostor_cosine: Distribution,
    /// Genuine calibrated scores.
    pub genuine_score: Distribution,
    /// Impostor calibrated scores.
    pub impostor_score: Distribution,
    /// Every pair.
    pub pairs: Vec<PairScore>,
}

/// FNMR at the lowest threshold whose FMR does not exceed `target` (match when ≥ threshold).
fn operating_point(genuine_v: &[f64], imp: &[f64], target: f64) -> OperatingPoint {
    let mut imp_sorted = imp.to_vec();
    imp_sorted.sort_by(|a, b| b.total_cmp(a)); // descending
    let allowed = (target * imp.len() as f64).floor() as usize;
    // Threshold just above the (allowed+1)-th highest impostor.
    let thr = imp_sorted
        .get(allowed)
        .map(|v| v + 1e-6)
        .unwrap_or(f64::NEG_INFINITY);
    let fmr = imp.iter().filter(|&&v| v >= thr).count() as f64 / imp.len().max(1) as f64;
    let fnmr =
        genuine_v.iter().filter(|&&v| v < thr).count() as f64 / genuine_v.len().max(1) as f64;
    OperatingPoint {
        target_fmr: target,
        cosine_threshold: thr,
        score_threshold: calibrated_score(thr as f32) as f64,
        fmr,
        fnmr,
    }
}

/// Equal error rate: over all candidate thresholds, `(FMR + FNMR) / 2` where `|FMR − FNMR|` is
/// smallest.
fn eer(genuine_v: &[f64], imp: &[f64]) -> f64 {
    let mut best = (f64::INFINITY, 0.0);
    for &t in genuine_v.iter().chain(imp) {
        for thr in [t, t + 1e-9] {
            let fmr = imp.iter().filter(|&&v| v >= thr).count() as f64 / imp.len().max(1) as f64;
            let fnmr = genuine_v.iter().filter(|&&v| v < thr).count() as f64
                / genuine_v.len().max(1) as f64;
            if (fmr - fnmr).abs() < best.0 {
                best = ((fmr - fnmr).abs(), (fmr + fnmr) / 2.0);
            }
        }
    }
    best.1
}

/// Verification metrics from labelled cosines (`None` = failure to acquire, counted as a
/// non-match: a genuine false non-match, an impostor correct rejection).
pub fn verification_metrics(pairs: Vec<PairScore>, no_face: Vec<String>) -> VerificationReport {
    let low = -2.0;
    let genuine_v: Vec<f64> = pairs
        .iter()
        .filter(|p| p.genuine)
        .map(|p| p.cosine.unwrap_or(low))
        .collect();
    let imp: Vec<f64> = pairs
        .iter()
        .filter(|p| !p.genuine)
        .map(|p| p.cosine.unwrap_or(low))
        .collect();
    let score = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .filter(|&&c| c > low)
            .map(|&c| calibrated_score(c as f32) as f64)
            .collect()
    };
    let (gs, is) = (score(&genuine_v), score(&imp));
    let default = face_engine::calibration::DEFAULT_MATCH_THRESHOLD as f64;
    VerificationReport {
        genuine: genuine_v.len(),
        impostor: imp.len(),
        no_face,
        at_fmr_0_1: operating_point(&genuine_v, &imp, 0.001),
        at_fmr_1: operating_point(&genuine_v, &imp, 0.01),
        eer: eer(&genuine_v, &imp),
        fmr_at_085: is.iter().filter(|&&s| s >= default).count() as f64 / imp.len().max(1) as f64,
        fnmr_at_085: 1.0
            - gs.iter().filter(|&&s| s >= default).count() as f64 / genuine_v.len().max(1) as f64,
        genuine_cosine: distribution(
            &genuine_v
                .iter()
                .copied()
                .filter(|&c| c > low)
                .collect::<Vec<_>>(),
        ),
        impostor_cosine: distribution(
            &imp.iter().copied().filter(|&c| c > low).collect::<Vec<_>>(),
        ),
        genuine_score: distribution(&gs),
        impostor_score: distribution(&is),
        pairs,
    }
}

/// One presentation scored by the anti-spoofing model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PadSample {
    /// File, relative to the data folder.
    pub file: String,
    /// Attack type (`None` = bona fide).
    pub attack_type: Option<String>,
    /// `confidence_spoofing`; `None` when no face was found.
    pub spoof_score: Option<f64>,
}

/// Error rate of one group of presentations.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PadRate {
    /// Group name (attack type, or the bona fide set).
    pub name: String,
    /// Presentations with a face.
    pub n: usize,
    /// Presentations without a detected face (not counted in `rate`).
    pub no_face: usize,
    /// APCER (attacks accepted as live) or BPCER (bona fide rejected), 0..1.
    pub rate: f64,
    /// Lowest / highest spoof score in the group.
    pub min_score: f64,
    /// Highest spoof score.
    pub max_score: f64,
}

/// Presentation-attack detection results.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PadReport {
    /// Threshold on `confidence_spoofing` (attack when above).
    pub threshold: f64,
    /// APCER per attack type (single images).
    pub apcer: Vec<PadRate>,
    /// APCER over all single-image attacks.
    pub apcer_all: PadRate,
    /// APCER over print and replay attacks only (masks excluded: a single-frame texture model
    /// is not expected to catch a worn 3D mask).
    pub apcer_print_replay: PadRate,
    /// BPCER per bona fide set.
    pub bpcer: Vec<PadRate>,
    /// Per-frame and fused (upper quartile) results on the replay-frames sets.
    pub replay_frames: Vec<PadRate>,
    /// Every sample.
    pub samples: Vec<PadSample>,
}

/// Attack type from a file name in `pad/attacks` (source prefix and extension removed), e.g.
/// `miniai-print-cutout-bent.jpg` → `print-cutout-bent`.
pub fn attack_type_from_name(file: &str) -> String {
    let stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file);
    let stem = stem
        .strip_prefix("miniai-")
        .or_else(|| stem.strip_prefix("recognito-"))
        .unwrap_or(stem);
    stem.to_string()
}

/// Attack family used to group attack types: `replay`, `print` or `mask`.
pub fn attack_family(attack_type: &str) -> &'static str {
    if attack_type.contains("replay") || attack_type.contains("screen") {
        "replay"
    } else if attack_type.contains("mask") {
        "mask"
    } else {
        "print"
    }
}

/// The whole accuracy report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalReport {
    /// Data folder evaluated.
    pub data_dir: PathBuf,
    /// Models and thresholds.
    pub engine: EngineInfo,
    /// Verification on `faces-deepface/master.csv` (absent when the folder is missing).
    pub verification: Option<VerificationReport>,
    /// Anti-spoofing on `spoof-samples` and `pad` (absent when the folders are missing).
    pub pad: Option<PadReport>,
    /// Single-frame baseline vs fused multi-signal PAD on photos, video clips and synthetic
    /// hand-held prints (absent when the folders are missing).
    #[serde(default)]
    pub pad_fusion: Option<crate::pad_eval::PadEvalReport>,
    /// Verification per capture condition (`face-eval match`; no rows when the folders are
    /// missing).
    #[serde(default)]
    pub conditions: Option<crate::conditions::ConditionsReport>,
    /// Wall time, seconds.
    pub seconds: f64,
}

fn list_images(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()),
                        Some(ref e) if e == "jpg" || e == "jpeg" || e == "png" || e == "webp"
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

struct Scored {
    embedding: Option<Embedding>,
    spoof: Option<f64>,
}

fn score_image(engine: &Engine, path: &Path, embedding: bool) -> Scored {
    let opts = AnalyzeOptions {
        embedding,
        liveness: true,
        pose: false,
        eyes: false,
    };
    let face = load_image(path, engine.config().max_pixels)
        .and_then(|img| engine.analyze_frame(&img, &opts))
        .ok()
        .and_then(|a| a.face);
    Scored {
        spoof: face.as_ref().and_then(|f| f.spoof_score.map(|s| s as f64)),
        embedding: face.and_then(|f| f.embedding),
    }
}

fn pad_rate(name: &str, scores: &[Option<f64>], threshold: f64, attack: bool) -> PadRate {
    let s: Vec<f64> = scores.iter().flatten().copied().collect();
    let errors = s
        .iter()
        .filter(|&&v| {
            if attack {
                v <= threshold
            } else {
                v > threshold
            }
        })
        .count();
    PadRate {
        name: name.to_string(),
        n: s.len(),
        no_face: scores.len() - s.len(),
        rate: errors as f64 / s.len().max(1) as f64,
        min_score: s.iter().copied().fold(f64::NAN, f64::min),
        max_score: s.iter().copied().fold(f64::NAN, f64::max),
    }
}

/// Runs the evaluation over `data_dir` (the `../shared/data` layout).
pub fn evaluate(engine: &Engine, data_dir: &Path) -> anyhow::Result<EvalReport> {
    let start = Instant::now();
    let verification = evaluate_verification(engine, &data_dir.join("faces-deepface"))?;
    let pad = evaluate_pad(engine, data_dir)?;
    let pad_fusion = crate::pad_eval::evaluate_pad_fusion(
        engine,
        data_dir,
        &face_engine::pad::PadConfig::default(),
    )?;
    let conditions = Some(crate::conditions::evaluate_conditions(
        crate::conditions::Embedders { engine, alt: None },
        data_dir,
        crate::conditions::FRAMES_PER_VIDEO,
    )?);
    Ok(EvalReport {
        data_dir: data_dir.to_path_buf(),
        engine: engine.info().clone(),
        verification,
        pad,
        pad_fusion,
        conditions,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn evaluate_verification(
    engine: &Engine,
    dir: &Path,
) -> anyhow::Result<Option<VerificationReport>> {
    let csv = dir.join("master.csv");
    if !csv.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&csv)?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.trim().split(',').map(str::trim).collect();
        if i == 0 || cols.len() < 3 {
            continue;
        }
        let genuine = match cols[2].to_ascii_lowercase().as_str() {
            "yes" => true,
            "no" => false,
            other => anyhow::bail!("{}:{}: unexpected decision {other:?}", csv.display(), i + 1),
        };
        rows.push((cols[0].to_string(), cols[1].to_string(), genuine));
    }
    let mut files: Vec<String> = rows
        .iter()
        .flat_map(|(a, b, _)| [a.clone(), b.clone()])
        .collect();
    files.sort();
    files.dedup();
    let embeddings: BTreeMap<String, Option<Embedding>> = files
        .par_iter()
        .map(|f| (f.clone(), score_image(engine, &dir.join(f), true).embedding))
        .collect();
    let no_face: Vec<String> = embeddings
        .iter()
        .filter(|(_, e)| e.is_none())
        .map(|(f, _)| f.clone())
        .collect();
    let pairs = rows
        .into_iter()
        .map(|(x, y, genuine)| {
            let cosine = match (&embeddings[&x], &embeddings[&y]) {
                (Some(a), Some(b)) => Some(a.cosine(b) as f64),
                _ => None,
            };
            PairScore {
                file_x: x,
                file_y: y,
                genuine,
                score: cosine.map(|c| calibrated_score(c as f32) as f64),
                cosine,
            }
        })
        .collect();
    Ok(Some(verification_metrics(pairs, no_face)))
}

fn evaluate_pad(engine: &Engine, data: &Path) -> anyhow::Result<Option<PadReport>> {
    let mut inputs: Vec<(String, Option<String>, String)> = Vec::new(); // file, attack type, set
    let rel = |p: &Path| {
        p.strip_prefix(data)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    for p in list_images(&data.join("spoof-samples")) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let t = if name.contains("_F1") {
            Some("printed-photo".to_string())
        } else if name.contains("_F2") {
            Some("screen-replay".to_string())
        } else {
            None
        };
        inputs.push((rel(&p), t, "spoof-samples".into()));
    }
    for p in list_images(&data.join("pad/attacks")) {
        let t = attack_type_from_name(&p.file_name().unwrap().to_string_lossy());
        inputs.push((rel(&p), Some(t), "pad/attacks".into()));
    }
    for p in list_images(&data.join("pad/bona-fide")) {
        inputs.push((rel(&p), None, "pad/bona-fide".into()));
    }
    for p in list_images(&data.join("faces-deepface")) {
        inputs.push((rel(&p), None, "faces-deepface".into()));
    }
    let frame_sets = [
        ("pad/replay-frames/replay", true),
        ("pad/replay-frames/live", false),
    ];
    let mut frame_files = Vec::new();
    for (set, _) in frame_sets {
        for p in list_images(&data.join(set)) {
            frame_files.push((rel(&p), set));
        }
    }
    if inputs.is_empty() && frame_files.is_empty() {
        return Ok(None);
    }
    let threshold = engine.config().spoof_threshold as f64;
    let samples: Vec<PadSample> = inputs
        .par_iter()
        .map(|(file, t, _)| PadSample {
            file: file.clone(),
            attack_type: t.clone(),
            spoof_score: score_image(engine, &data.join(file), false).spoof,
        })
        .collect();
    let mut by_type: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut all_attacks = Vec::new();
    let mut flat_attacks = Vec::new();
    for s in &samples {
        if let Some(t) = &s.attack_type {
            by_type.entry(t.clone()).or_default().push(s.spoof_score);
            by_type
                .entry(format!("[{}]", attack_family(t)))
                .or_default()
                .push(s.spoof_score);
            all_attacks.push(s.spoof_score);
            if attack_family(t) != "mask" {
                flat_attacks.push(s.spoof_score);
            }
        }
    }
    let apcer = by_type
        .iter()
        .map(|(t, v)| pad_rate(t, v, threshold, true))
        .collect();
    let mut bpcer = Vec::new();
    for set in ["spoof-samples", "pad/bona-fide", "faces-deepface"] {
        let v: Vec<Option<f64>> = samples
            .iter()
            .zip(&inputs)
            .filter(|(s, (_, _, st))| s.attack_type.is_none() && st == set)
            .map(|(s, _)| s.spoof_score)
            .collect();
        if !v.is_empty() {
            bpcer.push(pad_rate(set, &v, threshold, false));
        }
    }
    let mut replay_frames = Vec::new();
    for (set, attack) in frame_sets {
        let scores: Vec<Option<f64>> = frame_files
            .par_iter()
            .filter(|(_, s)| *s == set)
            .map(|(f, _)| score_image(engine, &data.join(f), false).spoof)
            .collect();
        if scores.is_empty() {
            continue;
        }
        replay_frames.push(pad_rate(
            &format!("{set} (per frame)"),
            &scores,
            threshold,
            attack,
        ));
        let present: Vec<f32> = scores.iter().flatten().map(|&v| v as f32).collect();
        if let Some(f) = fuse_spoof_scores(&present, threshold as f32) {
            replay_frames.push(pad_rate(
                &format!("{set} (fused p75, 1 clip)"),
                &[Some(f.score as f64)],
                threshold,
                attack,
            ));
        }
    }
    Ok(Some(PadReport {
        threshold,
        apcer_all: pad_rate("all attacks", &all_attacks, threshold, true),
        apcer_print_replay: pad_rate("print + replay attacks", &flat_attacks, threshold, true),
        apcer,
        bpcer,
        replay_frames,
        samples,
    }))
}

pub(crate) fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

impl EvalReport {
    /// Human-readable table.
    pub fn to_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "data: {}  ({:.1} s)",
            self.data_dir.display(),
            self.seconds
        );
        let models: Vec<String> = self
            .engine
            .models
            .iter()
            .map(|m| format!("{}@{}", m.name, &m.sha256_prefix[..8]))
            .collect();
        let _ = writeln!(s, "models: {}", models.join(" "));
        let c = &self.engine.calibration;
        let _ = writeln!(
            s,
            "calibration: score = 1/(1+exp(-{:.3}(cos-{:.4}))), score 0.85 at cosine {:.4}",
            c.slope, c.midpoint, c.cosine_at_085
        );
        match &self.verification {
            None => {
                let _ = writeln!(s, "\nverification: faces-deepface/master.csv not found");
            }
            Some(v) => {
                let _ = writeln!(
                    s,
                    "\nVERIFICATION faces-deepface/master.csv: {} genuine, {} impostor pairs, no face in {:?}",
                    v.genuine, v.impostor, v.no_face
                );
                let _ = writeln!(
                    s,
                    "{:<22} {:>8} {:>8} {:>8} {:>8}",
                    "operating point", "cos thr", "score", "FMR", "FNMR"
                );
                for (name, p) in [("FMR = 0.1%", &v.at_fmr_0_1), ("FMR = 1%", &v.at_fmr_1)] {
                    let _ = writeln!(
                        s,
                        "{:<22} {:>8.4} {:>8.4} {:>8} {:>8}",
                        name,
                        p.cosine_threshold,
                        p.score_threshold,
                        pct(p.fmr),
                        pct(p.fnmr)
                    );
                }
                let _ = writeln!(
                    s,
                    "{:<22} {:>8.4} {:>8.4} {:>8} {:>8}",
                    "score >= 0.85 (default)",
                    c.cosine_at_085,
                    0.85,
                    pct(v.fmr_at_085),
                    pct(v.fnmr_at_085)
                );
                let _ = writeln!(s, "EER: {}", pct(v.eer));
                let _ = writeln!(
                    s,
                    "{:<18} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
                    "distribution", "n", "min", "p1", "p5", "p50", "p95", "p99", "max"
                );
                for (name, d) in [
                    ("genuine cosine", &v.genuine_cosine),
                    ("impostor cosine", &v.impostor_cosine),
                    ("genuine score", &v.genuine_score),
                    ("impostor score", &v.impostor_score),
                ] {
                    let _ = writeln!(
                        s,
                        "{:<18} {:>5} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4}",
                        name, d.n, d.min, d.p1, d.p5, d.p50, d.p95, d.p99, d.max
                    );
                }
            }
        }
        match &self.pad {
            None => {
                let _ = writeln!(s, "\nanti-spoofing: spoof-samples / pad not found");
            }
            Some(p) => {
                let _ = writeln!(
                    s,
                    "\nANTI-SPOOFING (attack when confidence_spoofing > {})",
                    p.threshold
                );
                let _ = writeln!(
                    s,
                    "{:<40} {:>4} {:>7} {:>8} {:>7} {:>7}",
                    "APCER by attack type [family]", "n", "noface", "APCER", "min", "max"
                );
                for r in p.apcer.iter().chain([&p.apcer_all, &p.apcer_print_replay]) {
                    let _ = writeln!(
                        s,
                        "{:<40} {:>4} {:>7} {:>8} {:>7.4} {:>7.4}",
                        r.name,
                        r.n,
                        r.no_face,
                        pct(r.rate),
                        r.min_score,
                        r.max_score
                    );
                }
                let _ = writeln!(
                    s,
                    "{:<40} {:>4} {:>7} {:>8} {:>7} {:>7}",
                    "BPCER by bona fide set", "n", "noface", "BPCER", "min", "max"
                );
                for r in &p.bpcer {
                    let _ = writeln!(
                        s,
                        "{:<40} {:>4} {:>7} {:>8} {:>7.4} {:>7.4}",
                        r.name,
                        r.n,
                        r.no_face,
                        pct(r.rate),
                        r.min_score,
                        r.max_score
                    );
                }
                let _ = writeln!(
                    s,
                    "{:<40} {:>4} {:>7} {:>8} {:>7} {:>7}",
                    "replay frames (APCER / BPCER)", "n", "noface", "rate", "min", "max"
                );
                let _ = writeln!(
                    s,
                    "  (tight face crops: the detector often misses the face and the 2.7x liveness \
                     context is cut off, so these rates understate the model on full frames)"
                );
                for r in &p.replay_frames {
                    let _ = writeln!(
                        s,
                        "{:<40} {:>4} {:>7} {:>8} {:>7.4} {:>7.4}",
                        r.name,
                        r.n,
                        r.no_face,
                        pct(r.rate),
                        r.min_score,
                        r.max_score
                    );
                }
            }
        }
        if let Some(f) = &self.pad_fusion {
            s.push_str(&f.to_table());
        }
        if let Some(c) = &self.conditions {
            s.push_str("\nverification per capture condition (face-eval match):\n");
            s.push_str(&c.to_table());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operating_points() {
        let genuine_v = [0.9, 0.8, 0.7, 0.3];
        let imp: Vec<f64> = (0..200).map(|i| i as f64 / 1000.0).collect(); // 0 .. 0.199
        let p = operating_point(&genuine_v, &imp, 0.01);
        assert_eq!(p.fmr, 0.01);
        assert!((p.cosine_threshold - 0.198).abs() < 1e-3);
        assert_eq!(p.fnmr, 0.0);
        assert_eq!(eer(&genuine_v, &imp), 0.0);
        let d = distribution(&[3.0, 1.0, 2.0]);
        assert_eq!((d.min, d.p50, d.max), (1.0, 2.0, 3.0));
    }

    #[test]
    fn attack_names() {
        assert_eq!(
            attack_type_from_name("miniai-print-cutout-bent.jpg"),
            "print-cutout-bent"
        );
        assert_eq!(
            attack_type_from_name("recognito-phone-replay.jpg"),
            "phone-replay"
        );
        assert_eq!(attack_family("tablet-replay"), "replay");
        assert_eq!(attack_family("3d-mask"), "mask");
        assert_eq!(attack_family("framed-print-or-screen"), "replay");
    }
}
