//! Running one analysis over chosen media: the engine's findings per media, the decisions by the
//! thresholds, the analysis filled in. Persists nothing: the caller says where the media bytes
//! come from ([`MediaBytes`]) and what to do with the best shots it gets back. The worker stores
//! them as objects (`run_analysis`); the Instant API returns them inline.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::Result;
use crate::domain::analysis::{
    Analysis, AnalysisState, AnalysisType, ResultMedia, Thresholds, worst,
};
use crate::domain::collection::{Candidate, Collection, CollectionParams, CollectionRef};
use crate::domain::objects::{Media, MediaType, Resolution};
use crate::domain::tags::{Gesture, gesture_of};
use crate::domain::{CompanyId, MediaId};
use crate::ports::{AnalyzeError, AnalyzeRequest, Analyzer, Blobs, FaceFindings, GestureOutcome};

/// Where the bytes of a media come from.
#[async_trait]
pub trait MediaBytes: Send + Sync {
    /// The bytes of media `m`.
    async fn bytes(&self, m: &Media) -> Result<Bytes>;
    /// Findings shared by the analyses of one request over these media (none by default: a
    /// worker runs one analysis per job).
    fn shared(&self) -> Option<&SharedFindings> {
        None
    }
}

/// Media read from the object store, under their object keys.
pub struct StoredMedia<'a>(pub &'a dyn Blobs);

#[async_trait]
impl MediaBytes for StoredMedia<'_> {
    async fn bytes(&self, m: &Media) -> Result<Bytes> {
        Ok(self.0.get(&super::repo::media_object(m)).await?)
    }
}

/// Media held in memory (the Instant API's request), by id, with the findings its analyses
/// share.
pub struct HeldMedia {
    pub bytes: HashMap<MediaId, Bytes>,
    pub shared: SharedFindings,
}

#[async_trait]
impl MediaBytes for HeldMedia {
    async fn bytes(&self, m: &Media) -> Result<Bytes> {
        self.bytes
            .get(&m.media_id)
            .cloned()
            .ok_or(crate::Error::NotFound("media"))
    }

    fn shared(&self) -> Option<&SharedFindings> {
        Some(&self.shared)
    }
}

/// What analysis `a` asks the engine about media `m`.
fn request(a: &Analysis, m: &Media) -> AnalyzeRequest {
    match a.kind {
        AnalysisType::Quality => AnalyzeRequest {
            liveness: true,
            template: false,
            best_shot: a
                .params
                .get("extract_best_shot")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            gesture: gesture_of(&m.tags),
        },
        AnalysisType::Biometry | AnalysisType::Collection => AnalyzeRequest {
            template: true,
            ..AnalyzeRequest::default()
        },
        AnalysisType::Documents => AnalyzeRequest::default(),
    }
}

/// The findings of several analyses over the same media (a request that runs `quality` and
/// `biometry` on a selfie): each media goes through the engine once, for everything any of
/// them asks of it, instead of once per analysis.
#[derive(Default)]
pub struct SharedFindings {
    wanted: HashMap<MediaId, AnalyzeRequest>,
    done: std::sync::Mutex<HashMap<MediaId, std::result::Result<FaceFindings, String>>>,
}

impl SharedFindings {
    /// Findings for `analyses`, each with the media it will take.
    pub fn new<'a>(analyses: impl IntoIterator<Item = (&'a Analysis, &'a [Media])>) -> Self {
        let mut wanted: HashMap<MediaId, AnalyzeRequest> = HashMap::new();
        for (a, media) in analyses {
            for m in media {
                let r = request(a, m);
                let w = wanted.entry(m.media_id).or_insert(r);
                w.liveness |= r.liveness;
                w.template |= r.template;
                w.best_shot |= r.best_shot;
                w.gesture = w.gesture.or(r.gesture);
            }
        }
        Self {
            wanted,
            done: Default::default(),
        }
    }
}

/// The best frame of one media, as a JPEG, for the caller to store or return.
#[derive(Debug, Clone)]
pub struct BestShot {
    pub media_id: MediaId,
    pub jpeg: Bytes,
}

/// The collections a `collection` analysis searches.
#[async_trait]
pub trait Collections: Send + Sync {
    /// The collection of `company` that `r` names; `NotFound` for a missing one and for
    /// another company's.
    async fn find(&self, company: CompanyId, r: &CollectionRef) -> Result<Collection>;
    /// The `k` templates of `c` most similar to `probe`, best first.
    async fn search(&self, c: &Collection, probe: &[f32], k: usize) -> Result<Vec<Candidate>>;
}

#[async_trait]
impl Collections for crate::App {
    async fn find(&self, company: CompanyId, r: &CollectionRef) -> Result<Collection> {
        self.find_collection(company, r).await
    }

    async fn search(&self, c: &Collection, probe: &[f32], k: usize) -> Result<Vec<Candidate>> {
        self.search_collection(c, probe, k).await
    }
}

/// Fills `a` (results, decision, state, `engine`) by running `analyzer` over `media` (already
/// narrowed to the analysis's eligible media) with `t`; returns the best shots it produced.
pub async fn evaluate(
    analyzer: &dyn Analyzer,
    a: &mut Analysis,
    media: &[Media],
    source: &dyn MediaBytes,
    t: &Thresholds,
    collections: &dyn Collections,
) -> Result<Vec<BestShot>> {
    let started = std::time::Instant::now();
    let mut shots = Vec::new();
    // The request's own biometry thresholds were checked when it started.
    let applied = match a.kind {
        AnalysisType::Biometry => t.for_biometry(&a.params).unwrap_or(*t),
        _ => *t,
    };
    let t = &applied;
    match a.kind {
        AnalysisType::Quality => run_quality(analyzer, a, media, source, t, &mut shots).await?,
        AnalysisType::Biometry => run_biometry(analyzer, a, media, source, t).await?,
        AnalysisType::Collection => run_collection(analyzer, a, media, source, collections).await?,
        AnalysisType::Documents => {
            a.state = AnalysisState::Failed;
            a.resolution_status = Resolution::Failed;
            a.error_code = Some(2);
            a.error_message = Some(format!("{} analyses are not realised", a.kind.as_str()));
        }
    }
    a.engine = Some(json!({
        "models": analyzer.info(),
        "thresholds": t,
        "processing_ms": started.elapsed().as_millis() as u64,
    }));
    Ok(shots)
}

/// Reads one media's bytes and runs the analyzer on them (once for all the analyses that share
/// `source`'s findings); the inner `Err` is the per-media reason.
async fn findings(
    analyzer: &dyn Analyzer,
    m: &Media,
    source: &dyn MediaBytes,
    req: AnalyzeRequest,
) -> Result<std::result::Result<FaceFindings, String>> {
    let shared = source
        .shared()
        .and_then(|s| Some((s, *s.wanted.get(&m.media_id)?)));
    let Some((shared, wanted)) = shared else {
        return analyze(analyzer, m, source, req).await;
    };
    let kept = shared
        .done
        .lock()
        .expect("findings lock")
        .get(&m.media_id)
        .cloned();
    if let Some(f) = kept {
        return Ok(f);
    }
    let f = analyze(analyzer, m, source, wanted).await?;
    shared
        .done
        .lock()
        .expect("findings lock")
        .insert(m.media_id, f.clone());
    Ok(f)
}

/// [`findings`] from the engine.
async fn analyze(
    analyzer: &dyn Analyzer,
    m: &Media,
    source: &dyn MediaBytes,
    req: AnalyzeRequest,
) -> Result<std::result::Result<FaceFindings, String>> {
    let bytes = source.bytes(m).await?;
    match analyzer.analyze(bytes, req).await {
        Ok(f) if f.frames_with_face == 0 => Ok(Err(format!(
            "no face found in media {} ({} frames analysed)",
            m.media_id, f.frames
        ))),
        Ok(f) => Ok(Ok(f)),
        Err(AnalyzeError::Undecodable(e)) => Ok(Err(format!("media {}: {e}", m.media_id))),
        // Engine failures are deterministic for the same bytes: retrying the job would only
        // delay the same answer, so the media gets the reason now.
        Err(AnalyzeError::Engine(e)) => {
            tracing::error!(media_id = %m.media_id, error = format!("{e:#}"), "engine failed on media");
            Ok(Err(format!(
                "media {} could not be analysed: {e}",
                m.media_id
            )))
        }
    }
}

async fn run_quality(
    analyzer: &dyn Analyzer,
    a: &mut Analysis,
    media: &[Media],
    source: &dyn MediaBytes,
    t: &Thresholds,
    shots: &mut Vec<BestShot>,
) -> Result<()> {
    let mut decisions = Vec::new();
    for m in media {
        let mut r = ResultMedia::of(m.media_id);
        let req = request(a, m);
        match findings(analyzer, m, source, req).await? {
            Err(reason) => {
                // No face means no proof of liveness: the media is declined, with the reason.
                if let Some(g) = req.gesture {
                    let (_, v) = gesture_result(g, None, &reason);
                    r.results_data.insert("gesture".into(), v);
                }
                r.error_message = Some(reason);
                r.resolution_status = Some(Resolution::Declined);
            }
            Ok(f) => {
                let score = f.confidence_spoofing.unwrap_or(1.0);
                r.results_data
                    .insert("confidence_spoofing".into(), json!(score));
                r.results_data
                    .insert("frames_analysed".into(), json!(f.frames));
                r.results_data
                    .insert("frames_with_face".into(), json!(f.frames_with_face));
                r.results_data.insert(
                    "frames_with_multiple_faces".into(),
                    json!(f.frames_with_multiple_faces),
                );
                if m.media_type == MediaType::ImageFolder {
                    r.results_data.insert(
                        "note".into(),
                        json!("a single photo cannot prove liveness the way a video can"),
                    );
                }
                r.results_data.insert("evidence".into(), f.evidence.clone());
                if let Some((frame, b)) = f.best_frame {
                    r.results_data
                        .insert("best_shot".into(), json!({"frame": frame, "box": b}));
                }
                if let Some(jpeg) = f.best_shot_jpeg {
                    shots.push(BestShot {
                        media_id: m.media_id,
                        jpeg,
                    });
                }
                let mut decision = t.liveness_decision(score);
                if let Some(g) = req.gesture {
                    // Active liveness: a video that does not show its gesture is declined,
                    // whatever its spoof score (oz-api.md §4).
                    let unchecked = "the engine did not check the gesture";
                    let (performed, v) = gesture_result(g, f.gesture.as_ref(), unchecked);
                    r.results_data.insert("gesture".into(), v);
                    if !performed {
                        decision = Resolution::Declined;
                    }
                }
                r.resolution_status = Some(decision);
            }
        }
        decisions.extend(r.resolution_status);
        a.results_media.push(r);
    }
    a.state = AnalysisState::Finished;
    // No selfie media: nothing to refuse (oz-api.md §3).
    a.resolution_status = worst(decisions);
    Ok(())
}

/// Ends `a` FAILED with an invalid-value error.
fn fail(a: &mut Analysis, msg: String) {
    a.state = AnalysisState::Failed;
    a.resolution_status = Resolution::Failed;
    a.error_code = Some(4);
    a.error_message = Some(msg);
}

/// `results_data.gesture` of a gesture-tagged media: `{name, performed, reason, evidence}`; a
/// missing outcome counts as not performed, with `missing` as the reason.
fn gesture_result(g: Gesture, outcome: Option<&GestureOutcome>, missing: &str) -> (bool, Value) {
    let performed = outcome.is_some_and(|o| o.performed);
    let v = json!({
        "name": g.name(),
        "performed": performed,
        "reason": outcome.map_or(missing, |o| o.reason.as_str()),
        "evidence": outcome.map_or(Value::Null, |o| o.evidence.clone()),
    });
    (performed, v)
}

async fn run_biometry(
    analyzer: &dyn Analyzer,
    a: &mut Analysis,
    media: &[Media],
    source: &dyn MediaBytes,
    t: &Thresholds,
) -> Result<()> {
    if media.len() < 2 {
        fail(
            a,
            format!(
                "biometry needs at least 2 media with faces; this folder has {} eligible",
                media.len()
            ),
        );
        return Ok(());
    }
    let mut templates: Vec<(MediaId, Vec<f32>)> = Vec::new();
    let mut problems = Vec::new();
    for m in media {
        let mut r = ResultMedia::of(m.media_id);
        match findings(analyzer, m, source, request(a, m)).await? {
            Err(reason) => {
                problems.push(reason.clone());
                r.error_message = Some(reason);
            }
            Ok(f) => match f.template {
                Some(tpl) => templates.push((m.media_id, tpl)),
                None => problems.push(format!("no face template for media {}", m.media_id)),
            },
        }
        a.results_media.push(r);
    }
    if !problems.is_empty() {
        fail(a, problems.join("; "));
        return Ok(());
    }
    let mut pairs = Vec::new();
    let mut per_media: BTreeMap<MediaId, f32> = BTreeMap::new();
    for i in 0..templates.len() {
        for j in i + 1..templates.len() {
            let s = analyzer.similarity(&templates[i].1, &templates[j].1);
            pairs.push(json!({"media_ids": [templates[i].0, templates[j].0], "confidence": s}));
            for k in [i, j] {
                let e = per_media.entry(templates[k].0).or_insert(f32::MAX);
                *e = e.min(s);
            }
        }
    }
    let scores: Vec<f32> = pairs
        .iter()
        .filter_map(|p| p["confidence"].as_f64().map(|x| x as f32))
        .collect();
    let min = scores.iter().copied().fold(f32::MAX, f32::min);
    let max = scores.iter().copied().fold(f32::MIN, f32::max);
    for r in &mut a.results_media {
        if let Some(s) = r.source_media_id.and_then(|id| per_media.get(&id)) {
            r.results_data.insert("min_confidence".into(), json!(s));
        }
    }
    a.results_data.insert("min_confidence".into(), json!(min));
    a.results_data.insert("max_confidence".into(), json!(max));
    a.results_data.insert("pairs".into(), Value::Array(pairs));
    a.state = AnalysisState::Finished;
    a.resolution_status = t.biometry_decision(min);
    Ok(())
}

/// Searches every media's face in the collection the params name. A media whose face scores at
/// or above `decision_threshold` against at least `decision_count` distinct persons is a hit
/// (DECLINED); a hit decides the analysis even when another media could not be searched, which
/// otherwise fails it (a blacklist check that could not look at a face must not pass).
async fn run_collection(
    analyzer: &dyn Analyzer,
    a: &mut Analysis,
    media: &[Media],
    source: &dyn MediaBytes,
    collections: &dyn Collections,
) -> Result<()> {
    let p = match CollectionParams::parse(&a.params) {
        Ok(p) => p,
        Err(e) => {
            fail(a, e.to_string());
            return Ok(());
        }
    };
    let c = match collections.find(a.company_id, &p.collection).await {
        Ok(c) => c,
        Err(crate::Error::NotFound(_)) => {
            fail(a, "the collection named in params was not found".into());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if media.is_empty() {
        fail(
            a,
            "collection analysis needs at least one media with a face".into(),
        );
        return Ok(());
    }
    let (mut hits, mut failed) = (Vec::new(), false);
    let mut best = 0f32;
    for m in media {
        let mut r = ResultMedia::of(m.media_id);
        let template = match findings(analyzer, m, source, request(a, m)).await? {
            Err(reason) => Err(reason),
            Ok(f) => f
                .template
                .ok_or_else(|| format!("no face template for media {}", m.media_id)),
        };
        match template {
            Err(reason) => {
                failed = true;
                r.error_message = Some(reason);
                r.resolution_status = Some(Resolution::Failed);
            }
            Ok(tpl) => {
                // Several images of one person would crowd the list: ask for more and keep
                // each person's best image.
                let found = collections.search(&c, &tpl, p.top_k * 4).await?;
                let mut persons: Vec<Value> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for cand in found {
                    if persons.len() == p.top_k || !seen.insert(cand.person_id) {
                        continue;
                    }
                    let score = analyzer.calibrated(cand.cosine);
                    persons.push(json!({
                        "person_id": cand.person_id,
                        "person_image_id": cand.person_image_id,
                        "confidence": score,
                        "cosine": cand.cosine,
                    }));
                }
                let score_of = |v: &Value| v["confidence"].as_f64().unwrap_or(0.0) as f32;
                let top = persons.first().map(score_of).unwrap_or(0.0);
                best = best.max(top);
                let matched: Vec<&Value> = persons
                    .iter()
                    .filter(|v| score_of(v) >= p.decision_threshold)
                    .collect();
                let hit = matched.len() >= p.decision_count;
                r.results_data.insert(
                    "person_id".into(),
                    if hit {
                        matched[0]["person_id"].clone()
                    } else {
                        Value::Null
                    },
                );
                r.results_data.insert("confidence".into(), json!(top));
                r.results_data
                    .insert("candidates".into(), Value::Array(persons.clone()));
                if hit {
                    // Each person once, however many of the folder's media matched them.
                    for v in matched {
                        if !hits.contains(&v["person_id"]) {
                            hits.push(v["person_id"].clone());
                        }
                    }
                }
                r.resolution_status = Some(if hit {
                    Resolution::Declined
                } else {
                    Resolution::Success
                });
            }
        }
        a.results_media.push(r);
    }
    a.results_data
        .insert("collection_id".into(), json!(c.collection_id));
    a.results_data.insert("alias".into(), json!(c.alias));
    a.results_data
        .insert("decision_threshold".into(), json!(p.decision_threshold));
    a.results_data
        .insert("decision_count".into(), json!(p.decision_count));
    a.results_data.insert("max_confidence".into(), json!(best));
    a.results_data
        .insert("person_ids".into(), Value::Array(hits.clone()));
    a.state = AnalysisState::Finished;
    a.resolution_status = if !hits.is_empty() {
        Resolution::Declined
    } else if failed {
        Resolution::Failed
    } else {
        Resolution::Success
    };
    Ok(())
}
