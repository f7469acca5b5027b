//! The engine facade: all models loaded once, per-frame analysis, multi-frame fusion and 1:1
//! comparison. `Engine` is `Send + Sync`; share it as `Arc<Engine>`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use rayon::prelude::*;

use crate::best_shot::{self, BestShot, QualityInputs};
use crate::calibration::{self, CalibrationInfo, DEFAULT_MATCH_THRESHOLD, Similarity};
use crate::detect::{self, BBox, DetectConfig, DetectOutcome, Detection};
use crate::embed::{self, Embedding};
use crate::error::{EngineError, Result};
use crate::eye::{self, EyeState};
use crate::landmarks::{self, Landmarks};
use crate::liveness::{self, DEFAULT_SPOOF_THRESHOLD, FusedSpoof};
use crate::model::{Model, ModelInfo};
use crate::pose::{self, HeadPose};
use crate::sampling::box_shrink;

/// Environment variable naming the models folder.
pub const MODELS_DIR_ENV: &str = "OZ_MODELS_DIR";

/// The six models (file stems in the models folder) and the fixed input shapes they run with.
pub const MODELS: [(&str, &[usize]); 6] = [
    ("fr_detect", &[1, 3, 240, 320]),
    ("fr_landmark", &[1, 1, 64, 64]),
    (embed::MODEL, &[1, 3, 112, 112]),
    ("fr_liveness", &[1, 3, 128, 128]),
    ("fr_eye", &[1, 1, 24, 24]),
    ("fr_pose", &[1, 3, 224, 224]),
];

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EngineConfig {
    /// Detection settings.
    pub detect: DetectConfig,
    /// Images with more pixels are refused.
    pub max_pixels: u64,
    /// Images whose longer side exceeds this are shrunk by an integer factor (block average)
    /// before any analysis; boxes and landmarks are reported in the original coordinates.
    pub max_work_side: u32,
    /// Decision threshold on `confidence_spoofing`.
    pub spoof_threshold: f32,
    /// Decision threshold on the calibrated match score.
    pub match_threshold: f32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            detect: DetectConfig::default(),
            max_pixels: 40_000_000,
            max_work_side: 1920,
            spoof_threshold: DEFAULT_SPOOF_THRESHOLD,
            match_threshold: DEFAULT_MATCH_THRESHOLD,
        }
    }
}

/// Which models, versions and thresholds produced a result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EngineInfo {
    /// Version of this crate.
    pub engine_version: String,
    /// Loaded models with their SHA-256 prefixes.
    pub models: Vec<ModelInfo>,
    /// Settings in force.
    pub config: EngineConfig,
    /// Cosine → score calibration.
    pub calibration: CalibrationInfo,
    /// How per-frame spoof scores are fused.
    pub spoof_fusion: String,
    /// Time spent loading all models, milliseconds.
    pub load_ms: f64,
}

/// What to compute for each face.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalyzeOptions {
    /// Compute the embedding (the most expensive model).
    pub embedding: bool,
    /// Compute the anti-spoofing score.
    pub liveness: bool,
    /// Compute the head pose (`fr_pose`). Sharpness and the best-shot quality are always
    /// computed: they cost a fraction of a millisecond and rank the frames.
    pub pose: bool,
    /// Compute the eye state (`fr_eye`).
    pub eyes: bool,
}

impl AnalyzeOptions {
    /// Detection and landmarks only: no model beyond the detector and the landmarker.
    pub const DETECTION_ONLY: AnalyzeOptions = AnalyzeOptions {
        embedding: false,
        liveness: false,
        pose: false,
        eyes: false,
    };
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            embedding: true,
            liveness: true,
            pose: true,
            eyes: true,
        }
    }
}

/// Wall time of each stage for one frame, milliseconds (0 when the stage did not run).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StageTimings {
    /// Bounding the image size (shrinking a large photo).
    pub prepare_ms: f64,
    /// `fr_detect` with pre/post-processing.
    pub detect_ms: f64,
    /// `fr_landmark`.
    pub landmarks_ms: f64,
    /// Alignment and the embedding model (`mobilefacenet_b1`).
    pub embed_ms: f64,
    /// `fr_liveness`.
    pub liveness_ms: f64,
    /// `fr_eye` (both eyes).
    pub eye_ms: f64,
    /// `fr_pose`.
    pub pose_ms: f64,
    /// Sharpness and quality.
    pub quality_ms: f64,
    /// Whole frame.
    pub total_ms: f64,
}

/// How much of a frame [`Engine::analyze_frame_at`] analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FrameDepth {
    /// What the options ask for.
    Full,
    /// Landmarks and eye closure only (no embedding, spoof score, pose or quality), for frames
    /// sampled densely to catch a blink. [`Engine::analyze_frames_with`] takes the face box
    /// interpolated between the neighbouring full frames when both have a face (about 5 ms a
    /// frame), else detects (about 25 ms).
    Eyes,
}

/// Analysis of the primary face of a frame.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaceAnalysis {
    /// Detection (original image coordinates).
    pub detection: Detection,
    /// 68 landmarks (original image coordinates).
    pub landmarks: Landmarks,
    /// Shorter side of the face box, pixels of the original image.
    pub face_size_px: f32,
    /// Inner-lip gap over mouth width.
    pub mouth_open_ratio: f32,
    /// Head pose (when requested).
    pub pose: Option<HeadPose>,
    /// Eye closure (when requested).
    pub eyes: Option<EyeState>,
    /// Sharpness of the face crop (every fully analysed frame).
    pub sharpness: Option<f32>,
    /// Best-shot quality 0..1 (every fully analysed frame).
    pub quality: Option<f32>,
    /// `confidence_spoofing` = 1 − p(live) (when liveness was requested).
    pub spoof_score: Option<f32>,
    /// Embedding (when requested).
    pub embedding: Option<Embedding>,
}

/// Analysis of one image or video frame.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrameAnalysis {
    /// Original width.
    pub width: u32,
    /// Original height.
    pub height: u32,
    /// Every face found (original coordinates), highest score first; empty when none.
    pub detections: Vec<Detection>,
    /// Index into `detections` of the analysed face.
    pub primary: Option<usize>,
    /// Analysis of the primary face; `None` when no face was found.
    pub face: Option<FaceAnalysis>,
    /// Stage timings.
    pub timings: StageTimings,
}

impl FrameAnalysis {
    /// More than one face in the frame.
    pub fn multiple_faces(&self) -> bool {
        self.detections.len() > 1
    }
}

/// A frame of a video or shot set, as the engine needs it.
pub trait AsFrame {
    /// The pixels.
    fn image(&self) -> &RgbImage;
    /// Index reported for this frame; `position` is its place in the slice.
    fn frame_index(&self, position: usize) -> usize {
        position
    }
}

impl AsFrame for RgbImage {
    fn image(&self) -> &RgbImage {
        self
    }
}

impl<T: AsFrame> AsFrame for &T {
    fn image(&self) -> &RgbImage {
        (*self).image()
    }
    fn frame_index(&self, position: usize) -> usize {
        (*self).frame_index(position)
    }
}

/// Analysis of a set of frames (a video or shot set).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MediaAnalysis {
    /// Per-frame analyses, in input order (without embeddings).
    pub frames: Vec<(usize, FrameAnalysis)>,
    /// Frames in which a face was found.
    pub frames_with_face: usize,
    /// Frames with more than one face.
    pub frames_with_multiple_faces: usize,
    /// Spoof scores fused over frames (see [`liveness::fuse_spoof_scores`]).
    pub spoof: Option<FusedSpoof>,
    /// Best frame for recognition.
    pub best_shot: Option<BestShot>,
    /// Embedding of the primary face of the best frame.
    pub embedding: Option<Embedding>,
    /// Wall time of the whole analysis, milliseconds.
    pub total_ms: f64,
}

/// All models, loaded once.
#[derive(Debug)]
pub struct Engine {
    detect: Model,
    landmark: Model,
    feature: Model,
    liveness: Model,
    eye: Model,
    pose: Model,
    config: EngineConfig,
    info: EngineInfo,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn scale_box(b: &BBox, k: f32) -> BBox {
    b.scaled(k)
}

fn scale_landmarks(lm: &Landmarks, k: f32) -> Landmarks {
    Landmarks {
        points: lm.points.iter().map(|p| [p[0] * k, p[1] * k]).collect(),
    }
}

/// Default models folder: `$OZ_MODELS_DIR`, else `./models`, else `models/` beside the
/// executable, else the repository's `models/` (from the crate's source location).
pub fn default_models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(MODELS_DIR_ENV) {
        return PathBuf::from(dir);
    }
    let candidates = [
        Some(PathBuf::from("models")),
        std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|p| p.join("models"))),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("fr_detect.onnx").is_file())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"))
}

impl Engine {
    /// Loads the six models from `models_dir` with the default configuration.
    pub fn load(models_dir: &Path) -> Result<Engine> {
        Self::load_with(models_dir, EngineConfig::default())
    }

    /// Loads from [`default_models_dir`].
    pub fn from_env() -> Result<Engine> {
        Self::load(&default_models_dir())
    }

    /// Loads the six models from `models_dir` with `config`. Models load in parallel.
    pub fn load_with(models_dir: &Path, config: EngineConfig) -> Result<Engine> {
        let start = Instant::now();
        let mut models = MODELS
            .par_iter()
            .map(|(name, shape)| Model::load(models_dir, name, shape))
            .collect::<Result<Vec<_>>>()?
            .into_iter();
        let mut next = || models.next().expect("six models");
        let (detect, landmark, feature, liveness, eye, pose) =
            (next(), next(), next(), next(), next(), next());
        let info = EngineInfo {
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            models: [&detect, &landmark, &feature, &liveness, &eye, &pose]
                .iter()
                .map(|m| m.info().clone())
                .collect(),
            config,
            calibration: calibration::calibration_info(),
            spoof_fusion: "upper quartile (p75) of per-frame spoof scores".to_string(),
            load_ms: ms(start),
        };
        Ok(Engine {
            detect,
            landmark,
            feature,
            liveness,
            eye,
            pose,
            config,
            info,
        })
    }

    /// Models, versions and thresholds in use.
    pub fn info(&self) -> &EngineInfo {
        &self.info
    }

    /// A loaded model by name (`fr_detect`, `fr_landmark`, `mobilefacenet_b1`, `fr_liveness`,
    /// `fr_eye`, `fr_pose`), for benchmarks and low-level use.
    pub fn model(&self, name: &str) -> Option<&Model> {
        [
            &self.detect,
            &self.landmark,
            &self.feature,
            &self.liveness,
            &self.eye,
            &self.pose,
        ]
        .into_iter()
        .find(|m| m.info().name == name)
    }

    /// Settings in use.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Checks the size limits and shrinks a large image; returns the working image and the factor
    /// from working to original coordinates.
    fn prepare<'a>(&self, img: &'a RgbImage) -> Result<(Cow<'a, RgbImage>, f32)> {
        let (w, h) = img.dimensions();
        if (w as u64) * (h as u64) > self.config.max_pixels {
            return Err(EngineError::ImageTooLarge {
                width: w,
                height: h,
                max_pixels: self.config.max_pixels,
            });
        }
        if w < 16 || h < 16 {
            return Err(EngineError::ImageTooSmall {
                width: w,
                height: h,
            });
        }
        let k = w.max(h).div_ceil(self.config.max_work_side.max(1));
        if k <= 1 {
            Ok((Cow::Borrowed(img), 1.0))
        } else {
            Ok((Cow::Owned(box_shrink(img, k)), k as f32))
        }
    }

    /// Detects faces (original image coordinates).
    pub fn detect(&self, img: &RgbImage) -> Result<DetectOutcome> {
        let (work, k) = self.prepare(img)?;
        let mut cfg = self.config.detect;
        cfg.min_face_px /= k;
        Ok(match detect::detect(&self.detect, &work, &cfg)? {
            DetectOutcome::NoFace => DetectOutcome::NoFace,
            DetectOutcome::Faces(f) => DetectOutcome::Faces(
                f.into_iter()
                    .map(|d| Detection {
                        bbox: scale_box(&d.bbox, k),
                        score: d.score,
                    })
                    .collect(),
            ),
        })
    }

    /// Analyses the primary face (largest, then most central) of one image.
    pub fn analyze_frame(&self, img: &RgbImage, opts: &AnalyzeOptions) -> Result<FrameAnalysis> {
        self.analyze_frame_at(img, opts, FrameDepth::Full)
    }

    /// [`Engine::analyze_frame`] at a depth: [`FrameDepth::Eyes`] computes detection, landmarks
    /// (mouth) and eye closure only, whatever `opts` asks beyond that.
    pub fn analyze_frame_at(
        &self,
        img: &RgbImage,
        opts: &AnalyzeOptions,
        depth: FrameDepth,
    ) -> Result<FrameAnalysis> {
        let eyes_only = depth == FrameDepth::Eyes;
        let opts = &AnalyzeOptions {
            embedding: opts.embedding && !eyes_only,
            liveness: opts.liveness && !eyes_only,
            pose: opts.pose && !eyes_only,
            eyes: opts.eyes || eyes_only,
        };
        let t_all = Instant::now();
        let mut t = StageTimings::default();
        let t0 = Instant::now();
        let (work, k) = self.prepare(img)?;
        let work: &RgbImage = &work;
        t.prepare_ms = ms(t0);

        let t0 = Instant::now();
        let mut cfg = self.config.detect;
        cfg.min_face_px /= k;
        let outcome = detect::detect(&self.detect, work, &cfg)?;
        t.detect_ms = ms(t0);
        let faces = outcome.faces().to_vec();
        let detections: Vec<Detection> = faces
            .iter()
            .map(|d| Detection {
                bbox: scale_box(&d.bbox, k),
                score: d.score,
            })
            .collect();
        let primary = detect::primary_face(&faces, work.width(), work.height());
        let mut analysis = FrameAnalysis {
            width: img.width(),
            height: img.height(),
            detections,
            primary,
            face: None,
            timings: t,
        };
        let Some(pi) = primary else {
            analysis.timings.total_ms = ms(t_all);
            return Ok(analysis);
        };
        let det = faces[pi];
        let b = det.bbox;

        let t0 = Instant::now();
        let lm = landmarks::landmarks(&self.landmark, work, &b)?;
        t.landmarks_ms = ms(t0);

        let embedding = if opts.embedding {
            let t0 = Instant::now();
            let e = embed::embed(&self.feature, work, &lm)?;
            t.embed_ms = ms(t0);
            Some(e)
        } else {
            None
        };
        let spoof_score = if opts.liveness {
            let t0 = Instant::now();
            let s = liveness::spoof_score(&self.liveness, work, &b)?;
            t.liveness_ms = ms(t0);
            Some(s)
        } else {
            None
        };
        let (mut pose, mut eyes, mut sharpness, mut quality) = (None, None, None, None);
        if opts.eyes {
            let t0 = Instant::now();
            eyes = Some(eye::eye_state(&self.eye, work, &lm)?);
            t.eye_ms = ms(t0);
        }
        if opts.pose {
            let t0 = Instant::now();
            pose = Some(pose::head_pose(&self.pose, work, &b)?);
            t.pose_ms = ms(t0);
        }
        if !eyes_only {
            let t0 = Instant::now();
            let s = best_shot::sharpness(work, &b);
            sharpness = Some(s);
            quality = Some(best_shot::quality(&QualityInputs {
                sharpness: s,
                face_size_px: b.width().min(b.height()) * k,
                pose,
                eyes,
                detection_score: det.score,
            }));
            t.quality_ms = ms(t0);
        }
        analysis.face = Some(FaceAnalysis {
            detection: analysis.detections[pi],
            face_size_px: b.width().min(b.height()) * k,
            mouth_open_ratio: lm.mouth_open_ratio(),
            landmarks: scale_landmarks(&lm, k),
            pose,
            eyes,
            sharpness,
            quality,
            spoof_score,
            embedding,
        });
        t.total_ms = ms(t_all);
        analysis.timings = t;
        Ok(analysis)
    }

    /// Landmarks, mouth and eye closure of the face in `det` (original image coordinates, e.g.
    /// interpolated from neighbouring frames), without detection: an eyes-only frame
    /// ([`FrameDepth::Eyes`]) whose only detection is `det`.
    pub fn analyze_eyes_in_box(&self, img: &RgbImage, det: Detection) -> Result<FrameAnalysis> {
        let t_all = Instant::now();
        let mut t = StageTimings::default();
        let (work, k) = self.prepare(img)?;
        let work: &RgbImage = &work;
        let b = det.bbox.scaled(1.0 / k);
        let t0 = Instant::now();
        let lm = landmarks::landmarks(&self.landmark, work, &b)?;
        t.landmarks_ms = ms(t0);
        let t0 = Instant::now();
        let eyes = eye::eye_state(&self.eye, work, &lm)?;
        t.eye_ms = ms(t0);
        t.total_ms = ms(t_all);
        Ok(FrameAnalysis {
            width: img.width(),
            height: img.height(),
            detections: vec![det],
            primary: Some(0),
            face: Some(FaceAnalysis {
                detection: det,
                face_size_px: det.bbox.width().min(det.bbox.height()),
                mouth_open_ratio: lm.mouth_open_ratio(),
                landmarks: scale_landmarks(&lm, k),
                pose: None,
                eyes: Some(eyes),
                sharpness: None,
                quality: None,
                spoof_score: None,
                embedding: None,
            }),
            timings: t,
        })
    }

    /// Embedding of a face given its landmarks in original image coordinates (e.g. from an
    /// earlier [`Engine::analyze_frame`] without embedding).
    pub fn embed_with_landmarks(&self, img: &RgbImage, lm: &Landmarks) -> Result<Embedding> {
        let (work, k) = self.prepare(img)?;
        embed::embed(&self.feature, &work, &scale_landmarks(lm, 1.0 / k))
    }

    /// The embeddings of the face and of its mirror image ([`embed::embed_views`]), given its
    /// landmarks in original image coordinates.
    pub fn embed_views_with_landmarks(
        &self,
        img: &RgbImage,
        lm: &Landmarks,
    ) -> Result<[Embedding; 2]> {
        self.embed_views_by(&self.feature, img, lm)
    }

    /// [`Engine::embed_views_with_landmarks`] with another embedding model fed the same way
    /// (for evaluations that compare embedders on the engine's own crops).
    pub fn embed_views_by(
        &self,
        model: &Model,
        img: &RgbImage,
        lm: &Landmarks,
    ) -> Result<[Embedding; 2]> {
        let (work, k) = self.prepare(img)?;
        embed::embed_views(model, &work, &scale_landmarks(lm, 1.0 / k))
    }

    /// 68 landmarks of the face in `bbox` (original image coordinates in and out).
    pub fn landmarks_for(&self, img: &RgbImage, bbox: &BBox) -> Result<Landmarks> {
        let (work, k) = self.prepare(img)?;
        let lm = landmarks::landmarks(&self.landmark, &work, &bbox.scaled(1.0 / k))?;
        Ok(scale_landmarks(&lm, k))
    }

    /// `confidence_spoofing` of the face in `bbox` (original image coordinates).
    pub fn spoof_score_for(&self, img: &RgbImage, bbox: &BBox) -> Result<f32> {
        let (work, k) = self.prepare(img)?;
        liveness::spoof_score(&self.liveness, &work, &bbox.scaled(1.0 / k))
    }

    /// Analyses frames in parallel (rayon; each tract run is single-threaded), then fuses spoof
    /// scores, selects the best shot and embeds its face.
    pub fn analyze_frames<F: AsFrame + Sync>(&self, frames: &[F]) -> Result<MediaAnalysis> {
        self.analyze_frames_with(frames, &AnalyzeOptions::default(), |_| FrameDepth::Full)
    }

    /// [`Engine::analyze_frames`] computing what `wanted` asks (spoof scores; the best shot's
    /// embedding; pose; eyes, which more than one frame always gets, for PAD's blink cue; the
    /// pose too when the best shot is embedded, so that the frame embedded is the most frontal),
    /// with a depth per frame position: spoof scores are fused and the best shot
    /// chosen over the [`FrameDepth::Full`] frames only (dense gesture sampling analyses the
    /// frames between them for eyes and mouth only).
    pub fn analyze_frames_with<F: AsFrame + Sync>(
        &self,
        frames: &[F],
        wanted: &AnalyzeOptions,
        depth: impl Fn(usize) -> FrameDepth + Sync,
    ) -> Result<MediaAnalysis> {
        let start = Instant::now();
        // The embedding is of the best shot only, after ranking.
        let opts = AnalyzeOptions {
            embedding: false,
            liveness: wanted.liveness,
            pose: wanted.pose || (wanted.embedding && frames.len() > 1),
            eyes: wanted.eyes || frames.len() > 1,
        };
        let depths: Vec<FrameDepth> = (0..frames.len()).map(&depth).collect();
        // Full frames first; then the eyes-only frames between two full frames with a face take
        // the face box interpolated between theirs (no detection: a blink happens while the user
        // holds still, and detection is four fifths of an eyes-only frame's cost), the others
        // detect.
        let full = frames
            .par_iter()
            .enumerate()
            .map(|(pos, f)| match depths[pos] {
                FrameDepth::Full => self
                    .analyze_frame_at(f.image(), &opts, FrameDepth::Full)
                    .map(Some),
                FrameDepth::Eyes => Ok(None),
            })
            .collect::<Result<Vec<Option<FrameAnalysis>>>>()?;
        let face_at = |p: usize| {
            full[p]
                .as_ref()
                .and_then(|a| a.face.as_ref())
                .map(|x| (frames[p].frame_index(p), x.detection))
        };
        let analyses = frames
            .par_iter()
            .enumerate()
            .map(|(pos, f)| {
                let index = f.frame_index(pos);
                if let Some(a) = &full[pos] {
                    return Ok((index, a.clone()));
                }
                let prev = (0..pos)
                    .rev()
                    .find(|&p| full[p].is_some())
                    .and_then(face_at);
                let next = (pos + 1..frames.len())
                    .find(|&p| full[p].is_some())
                    .and_then(face_at);
                let a = match (prev, next) {
                    (Some((i0, d0)), Some((i1, d1))) if i1 > i0 => {
                        let w = (index as f32 - i0 as f32) / (i1 - i0) as f32;
                        let mix = |a: f32, b: f32| a + (b - a) * w.clamp(0.0, 1.0);
                        let det = Detection {
                            bbox: BBox {
                                x1: mix(d0.bbox.x1, d1.bbox.x1),
                                y1: mix(d0.bbox.y1, d1.bbox.y1),
                                x2: mix(d0.bbox.x2, d1.bbox.x2),
                                y2: mix(d0.bbox.y2, d1.bbox.y2),
                            },
                            score: d0.score.min(d1.score),
                        };
                        self.analyze_eyes_in_box(f.image(), det)?
                    }
                    _ => self.analyze_frame_at(f.image(), &opts, FrameDepth::Eyes)?,
                };
                Ok((index, a))
            })
            .collect::<Result<Vec<_>>>()?;
        let spoof_scores: Vec<f32> = analyses
            .iter()
            .filter_map(|(_, a)| a.face.as_ref().and_then(|f| f.spoof_score))
            .collect();
        let best = best_shot::select_best(analyses.iter().filter_map(|(i, a)| {
            a.face
                .as_ref()
                .and_then(|f| f.quality.map(|q| (*i, f.detection.bbox, q)))
        }));
        let embedding = match best.filter(|_| wanted.embedding) {
            Some(b) => {
                let pos = analyses
                    .iter()
                    .position(|(i, _)| *i == b.frame_index)
                    .expect("best shot comes from the analyses");
                let face = analyses[pos].1.face.as_ref().expect("best shot has a face");
                Some(self.embed_with_landmarks(frames[pos].image(), &face.landmarks)?)
            }
            None => None,
        };
        Ok(MediaAnalysis {
            frames_with_face: analyses.iter().filter(|(_, a)| a.face.is_some()).count(),
            frames_with_multiple_faces: analyses.iter().filter(|(_, a)| a.multiple_faces()).count(),
            spoof: liveness::fuse_spoof_scores(&spoof_scores, self.config.spoof_threshold),
            best_shot: best,
            embedding,
            frames: analyses,
            total_ms: ms(start),
        })
    }

    /// Compares two embeddings: cosine and calibrated score.
    pub fn compare(&self, a: &Embedding, b: &Embedding) -> Similarity {
        calibration::similarity(a.cosine(b))
    }

    /// Whether a calibrated score is a match under the configured threshold.
    pub fn is_match(&self, s: &Similarity) -> bool {
        s.score >= self.config.match_threshold
    }

    /// Whether a spoof score is an attack under the configured threshold.
    pub fn is_attack(&self, spoof_score: f32) -> bool {
        spoof_score > self.config.spoof_threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Engine>();
    }
}
