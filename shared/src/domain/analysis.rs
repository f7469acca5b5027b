//! Analyses: their types, states and results, which media each type takes (the Oz rules of
//! assigning analyses), how one decides, and how a folder's decision rolls up from its analyses.
//! Pure rules; the services run them and the engine supplies the scores.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::collection::CollectionTag;
use super::objects::{FolderStatus, Media, MediaType, MetaData, Resolution};
use super::{AnalysisId, CompanyId, FolderId, MediaId, UserId};

/// What an analysis checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AnalysisType {
    /// Liveness (presentation-attack detection) of each selfie media.
    Quality,
    /// 1:1 matching across every pair of the folder's media.
    Biometry,
    /// 1:N search against a blacklist collection.
    Collection,
    /// OCR/MRZ of ID documents (not realised).
    Documents,
}

impl AnalysisType {
    /// Parses the request spelling (`quality`, `QUALITY`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "quality" | "liveness" => Some(Self::Quality),
            "biometry" => Some(Self::Biometry),
            "collection" => Some(Self::Collection),
            "documents" => Some(Self::Documents),
            _ => None,
        }
    }

    /// The lowercase name, as in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quality => "quality",
            Self::Biometry => "biometry",
            Self::Collection => "collection",
            Self::Documents => "documents",
        }
    }
}

/// Processing state of an analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AnalysisState {
    Processing,
    Failed,
    Finished,
}

/// One media's outcome within an analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultMedia {
    pub source_media_id: Option<MediaId>,
    /// The scores and evidence for this media (e.g. `confidence_spoofing`).
    pub results_data: MetaData,
    /// This media's own decision.
    pub resolution_status: Option<Resolution>,
    /// Why this media has no score (e.g. no face found).
    pub error_message: Option<String>,
    /// Object-store keys of images produced for this media (best shot); shown as URLs.
    #[serde(default)]
    pub output_keys: Vec<String>,
}

impl ResultMedia {
    /// An empty result for media `id`, to be filled by the analysis.
    pub fn of(id: MediaId) -> Self {
        Self {
            source_media_id: Some(id),
            ..Self::default()
        }
    }
}

/// An analysis of a folder's media.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Analysis {
    pub analysis_id: AnalysisId,
    pub folder_id: FolderId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    /// The analyses started by one request share it; their webhook fires when all have ended.
    pub group_id: AnalysisId,
    #[serde(rename = "type")]
    pub kind: AnalysisType,
    pub state: AnalysisState,
    pub resolution_status: Resolution,
    pub source_media: Vec<MediaId>,
    pub results_media: Vec<ResultMedia>,
    pub results_data: MetaData,
    pub params: MetaData,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    /// Models, versions and thresholds used (set when the engine ran).
    pub engine: Option<Value>,
    pub resolution_endpoint: Option<String>,
    /// The collection a COLLECTION analysis searches, as resolved when it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionTag>,
    pub meta_data: MetaData,
    /// System-owned facts: the operator's decision; in responses also the request's webhook
    /// delivery (`webhook`).
    #[serde(default)]
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
}

/// Tag prefixes of selfie videos; photo selfies are scored as single frames.
fn is_selfie(m: &Media) -> bool {
    m.tags
        .iter()
        .any(|t| t.starts_with("video_selfie") || t == "photo_selfie")
}

/// The media of `all` an analysis of `kind` takes (before any explicit `source_media` narrowing).
pub fn eligible(kind: AnalysisType, all: &[Media]) -> Vec<&Media> {
    all.iter()
        .filter(|m| match kind {
            AnalysisType::Quality => is_selfie(m),
            AnalysisType::Biometry | AnalysisType::Collection => {
                !m.tags.iter().any(|t| t == "photo_id_back")
            }
            AnalysisType::Documents => m.media_type == MediaType::ImageFolder,
        })
        .collect()
}

/// Decision thresholds (per company; fields left out of a change keep their defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// `confidence_spoofing` at or above this is an attack (default 0.5).
    pub liveness: f32,
    /// `min_confidence` at or above this is the same person (default 0.85).
    pub biometry: f32,
    /// When set, `min_confidence` in `[operator_band, biometry)` asks an operator instead of
    /// declining.
    pub operator_band: Option<f32>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            liveness: 0.5,
            biometry: 0.85,
            operator_band: None,
        }
    }
}

impl Thresholds {
    /// Refuses thresholds outside `(0, 1]` and an operator band that is not below `biometry`.
    pub fn validate(&self) -> Result<(), String> {
        let unit = |x: f32| x > 0.0 && x <= 1.0;
        if !unit(self.liveness) {
            return Err(format!(
                "liveness threshold {} is not in (0, 1]",
                self.liveness
            ));
        }
        if !unit(self.biometry) {
            return Err(format!(
                "biometry threshold {} is not in (0, 1]",
                self.biometry
            ));
        }
        if let Some(b) = self.operator_band
            && !(b >= 0.0 && b < self.biometry)
        {
            return Err(format!(
                "operator_band {b} must be in [0, biometry threshold {})",
                self.biometry
            ));
        }
        Ok(())
    }

    /// The decision on one media's spoof score.
    pub fn liveness_decision(&self, confidence_spoofing: f32) -> Resolution {
        if confidence_spoofing >= self.liveness {
            Resolution::Declined
        } else {
            Resolution::Success
        }
    }

    /// These thresholds as a biometry analysis's `params` change them (Oz client variant):
    /// `threshold_max` is the score at and above which the media match (SUCCESS), and
    /// `threshold_min` the score below which they do not (DECLINED); between the two an
    /// operator decides. Each is a number in [0, 1]; the one left out keeps its value, the
    /// match threshold rising to `threshold_min` when only that is given.
    pub fn for_biometry(mut self, params: &MetaData) -> Result<Self, String> {
        let read = |key: &str| match params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if (0.0..=1.0).contains(&x) => Ok(Some(x as f32)),
                _ => Err(format!("params.{key} must be in [0, 1], got {n}")),
            },
            Some(_) => Err(format!("params.{key} must be a number")),
        };
        let (min, max) = (read("threshold_min")?, read("threshold_max")?);
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(format!(
                "params.threshold_min {lo} is above params.threshold_max {hi}"
            ));
        }
        if let Some(hi) = max {
            self.biometry = hi;
        }
        if let Some(lo) = min {
            self.biometry = self.biometry.max(lo);
            self.operator_band = (lo < self.biometry).then_some(lo);
        }
        Ok(self)
    }

    /// The decision on the least similar pair's score.
    pub fn biometry_decision(&self, min_confidence: f32) -> Resolution {
        if min_confidence >= self.biometry {
            Resolution::Success
        } else if self.operator_band.is_some_and(|b| min_confidence >= b) {
            Resolution::OperatorRequired
        } else {
            Resolution::Declined
        }
    }
}

/// The worst of several decisions: FAILED, then DECLINED, then OPERATOR_REQUIRED, then SUCCESS.
pub fn worst(decisions: impl IntoIterator<Item = Resolution>) -> Resolution {
    let rank = |r: Resolution| match r {
        Resolution::Failed => 4,
        Resolution::Declined => 3,
        Resolution::OperatorRequired => 2,
        Resolution::Processing => 1,
        Resolution::Success | Resolution::Initial => 0,
    };
    decisions
        .into_iter()
        .max_by_key(|r| rank(*r))
        .unwrap_or(Resolution::Success)
}

/// The folder's `(resolution_status, system_resolution)` given all its analyses: processing
/// while any is, else the worst decision.
pub fn roll_up(analyses: &[Analysis]) -> (FolderStatus, Resolution) {
    if analyses.is_empty() {
        return (FolderStatus::Initial, Resolution::Initial);
    }
    if analyses
        .iter()
        .any(|a| a.state == AnalysisState::Processing)
    {
        return (FolderStatus::Processing, Resolution::Processing);
    }
    let decision = worst(analyses.iter().map(|a| a.resolution_status));
    let status = if decision == Resolution::Failed {
        FolderStatus::Failed
    } else {
        FolderStatus::Finished
    };
    (status, decision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biometry_params_set_the_decision_band() {
        let t = Thresholds::default();
        let with = |v: serde_json::Value| t.for_biometry(v.as_object().unwrap());
        let b = with(serde_json::json!({"threshold_min": 0.5, "threshold_max": 0.9})).unwrap();
        assert_eq!(b.biometry_decision(0.49), Resolution::Declined);
        assert_eq!(b.biometry_decision(0.5), Resolution::OperatorRequired);
        assert_eq!(b.biometry_decision(0.89), Resolution::OperatorRequired);
        assert_eq!(b.biometry_decision(0.9), Resolution::Success);
        let only_max = with(serde_json::json!({"threshold_max": 0.6})).unwrap();
        assert_eq!((only_max.biometry, only_max.operator_band), (0.6, None));
        let only_min = with(serde_json::json!({"threshold_min": 0.95})).unwrap();
        assert_eq!((only_min.biometry, only_min.operator_band), (0.95, None));
        let same = with(serde_json::json!({"threshold_min": 0.7, "threshold_max": 0.7})).unwrap();
        assert_eq!(same.biometry_decision(0.69), Resolution::Declined);
        assert_eq!(same.biometry_decision(0.7), Resolution::Success);
        assert_eq!(with(serde_json::json!({})).unwrap(), t);
        for bad in [
            serde_json::json!({"threshold_min": 0.9, "threshold_max": 0.5}),
            serde_json::json!({"threshold_max": 1.5}),
            serde_json::json!({"threshold_min": "0.5"}),
        ] {
            assert!(with(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn decisions_follow_the_thresholds() {
        let t = Thresholds::default();
        assert_eq!(t.liveness_decision(0.5), Resolution::Declined);
        assert_eq!(t.liveness_decision(0.49), Resolution::Success);
        assert_eq!(t.biometry_decision(0.85), Resolution::Success);
        assert_eq!(t.biometry_decision(0.84), Resolution::Declined);
        let banded = Thresholds {
            operator_band: Some(0.6),
            ..t
        };
        assert_eq!(banded.biometry_decision(0.7), Resolution::OperatorRequired);
        assert_eq!(banded.biometry_decision(0.5), Resolution::Declined);
    }

    #[test]
    fn thresholds_are_validated() {
        assert!(Thresholds::default().validate().is_ok());
        let t = Thresholds::default();
        for bad in [
            Thresholds { liveness: 0.0, ..t },
            Thresholds { liveness: 1.5, ..t },
            Thresholds {
                biometry: f32::NAN,
                ..t
            },
            Thresholds {
                operator_band: Some(0.9),
                ..t
            },
            Thresholds {
                operator_band: Some(-0.1),
                ..t
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let partial: Thresholds = serde_json::from_str(r#"{"operator_band": 0.7}"#).unwrap();
        assert_eq!((partial.biometry, partial.operator_band), (0.85, Some(0.7)));
        assert!(serde_json::from_str::<Thresholds>(r#"{"liveliness": 0.3}"#).is_err());
    }

    #[test]
    fn worst_decision_wins() {
        use Resolution::*;
        assert_eq!(worst([Success, OperatorRequired]), OperatorRequired);
        assert_eq!(worst([OperatorRequired, Declined, Success]), Declined);
        assert_eq!(worst([Declined, Failed]), Failed);
        assert_eq!(worst([]), Success);
    }
}
