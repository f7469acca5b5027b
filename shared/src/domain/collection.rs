//! Blacklist collections (oz-api.md §2, §5): a company's named set of persons, each holding face
//! images whose templates the 1:N search scans, and the rules of the `collection` analysis.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::objects::MetaData;
use super::{CollectionId, CompanyId, PersonId, PersonImageId};
use crate::{Error, Result};

/// Longest collection alias.
pub const MAX_ALIAS: usize = 128;
/// Most images one person may hold: a person and all its images are deleted in one transaction
/// (DynamoDB takes 100 writes), so deleting a person takes its templates out of search at once.
pub const MAX_IMAGES_PER_PERSON: u32 = 50;
/// Default decision threshold of the `collection` analysis (calibrated score, 1 = same person).
pub const DEFAULT_DECISION_THRESHOLD: f32 = 0.85;
/// Default number of candidates at or above the threshold that make a hit.
pub const DEFAULT_DECISION_COUNT: usize = 1;
/// Default and largest number of candidates reported per media.
pub const DEFAULT_TOP_K: usize = 5;
pub const MAX_TOP_K: usize = 100;

/// A blacklist of one company.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Collection {
    pub collection_id: CollectionId,
    pub company_id: CompanyId,
    /// Unique within the company (case-insensitive); analyses may name the collection by it.
    pub alias: String,
    pub description: String,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    /// **ours**: bumped by every enrolment and deletion, in the same transaction; the search
    /// rebuilds its in-memory index when it differs from the one the index was built at.
    #[serde(default)]
    pub revision: u64,
    pub time_created: f64,
    pub time_updated: f64,
}

/// The collection an analysis searched, as its document shows it (`collection`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionTag {
    pub collection_id: CollectionId,
    pub alias: String,
}

impl From<&Collection> for CollectionTag {
    fn from(c: &Collection) -> Self {
        Self {
            collection_id: c.collection_id,
            alias: c.alias.clone(),
        }
    }
}

/// A person of a collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Person {
    pub person_id: PersonId,
    pub collection_id: CollectionId,
    pub company_id: CompanyId,
    pub meta_data: MetaData,
    pub technical_meta_data: MetaData,
    /// How many images the person holds (kept under a write condition, bounded).
    #[serde(default)]
    pub image_count: u32,
    pub time_created: f64,
    pub time_updated: f64,
}

/// A face image of a person, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonImage {
    pub person_image_id: PersonImageId,
    pub person_id: PersonId,
    pub collection_id: CollectionId,
    pub company_id: CompanyId,
    pub original_name: String,
    /// The image's `media:tags` (photo tags), as enrolled.
    #[serde(default)]
    pub tags: Vec<String>,
    /// width, height, size, sha256 of the file and the face box the template came from.
    pub technical_meta_data: MetaData,
    pub time_created: f64,
    pub time_updated: f64,
}

/// A person image with its face template (an API Lite template, base64), as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPersonImage {
    #[serde(flatten)]
    pub image: PersonImage,
    pub template: String,
}

/// Checks and normalises an alias: trimmed, 1 to [`MAX_ALIAS`] characters, no control characters.
pub fn check_alias(alias: &str) -> Result<String> {
    super::trimmed_within(alias, MAX_ALIAS)
        .filter(|_| !alias.chars().any(char::is_control))
        .map(str::to_string)
        .ok_or_else(|| {
            Error::invalid(format!(
                "alias must be 1 to {MAX_ALIAS} printable characters"
            ))
        })
}

/// The `params` of a `collection` analysis, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionParams {
    /// `collection_id` (a UUID) or the collection's alias (`collection_id` holding a non-UUID,
    /// or `alias` / `collection_alias`).
    pub collection: CollectionRef,
    pub decision_threshold: f32,
    pub decision_count: usize,
    pub top_k: usize,
}

/// How an analysis names its collection.
#[derive(Debug, Clone, PartialEq)]
pub enum CollectionRef {
    Id(CollectionId),
    Alias(String),
}

fn number(params: &MetaData, key: &str) -> Result<Option<f64>> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(Error::InvalidType(format!("params.{key} must be a number"))),
    }
}

fn count(params: &MetaData, key: &str, default: usize, max: usize) -> Result<usize> {
    match number(params, key)? {
        None => Ok(default),
        Some(n) if n.fract() == 0.0 && n >= 1.0 && n <= max as f64 => Ok(n as usize),
        Some(n) => Err(Error::invalid(format!(
            "params.{key} must be a whole number from 1 to {max}, got {n}"
        ))),
    }
}

impl CollectionParams {
    /// Reads the analysis `params`: the collection (required), `decision_threshold` in [0, 1]
    /// (default 0.85), `decision_count` ≥ 1 (default 1) and **ours** `top_k` (default 5).
    pub fn parse(params: &MetaData) -> Result<Self> {
        let text = |k: &str| match params.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(Error::InvalidType(format!("params.{k} must be a string"))),
        };
        let collection = match (
            text("collection_id")?,
            text("alias")?.or(text("collection_alias")?),
        ) {
            (Some(id), _) => match id.parse::<CollectionId>() {
                Ok(id) => CollectionRef::Id(id),
                Err(_) => CollectionRef::Alias(check_alias(&id)?),
            },
            (None, Some(alias)) => CollectionRef::Alias(check_alias(&alias)?),
            (None, None) => {
                return Err(Error::InvalidStructure(
                    "a collection analysis needs params.collection_id (or params.alias)".into(),
                ));
            }
        };
        let decision_threshold = match number(params, "decision_threshold")? {
            None => DEFAULT_DECISION_THRESHOLD,
            Some(t) if (0.0..=1.0).contains(&t) => t as f32,
            Some(t) => {
                return Err(Error::invalid(format!(
                    "params.decision_threshold must be in [0, 1], got {t}"
                )));
            }
        };
        let top_k = count(params, "top_k", DEFAULT_TOP_K, MAX_TOP_K)?;
        let decision_count = count(params, "decision_count", DEFAULT_DECISION_COUNT, MAX_TOP_K)?;
        Ok(Self {
            collection,
            decision_threshold,
            decision_count,
            top_k: top_k.max(decision_count),
        })
    }
}

/// One template of the collection close to the probe.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Candidate {
    pub person_id: PersonId,
    pub person_image_id: PersonImageId,
    /// Cosine of the int8 templates (within `face_search::MAX_COSINE_ERROR` of the exact one).
    pub cosine: f32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> MetaData {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn params_name_the_collection_by_id_or_alias() {
        let id = CollectionId::new();
        let p = CollectionParams::parse(&params(json!({"collection_id": id.to_string()}))).unwrap();
        assert_eq!(p.collection, CollectionRef::Id(id));
        assert_eq!(p.decision_threshold, 0.85);
        assert_eq!((p.decision_count, p.top_k), (1, 5));
        let p = CollectionParams::parse(&params(json!({"collection_id": " wanted "}))).unwrap();
        assert_eq!(p.collection, CollectionRef::Alias("wanted".into()));
        let p = CollectionParams::parse(&params(
            json!({"alias": "x", "decision_threshold": 0.9, "decision_count": 7}),
        ))
        .unwrap();
        assert_eq!(p.collection, CollectionRef::Alias("x".into()));
        assert_eq!((p.decision_count, p.top_k), (7, 7));
    }

    #[test]
    fn bad_params_are_refused() {
        for bad in [
            json!({}),
            json!({"collection_id": ""}),
            json!({"collection_id": 5}),
            json!({"alias": "x", "decision_threshold": 1.5}),
            json!({"alias": "x", "decision_threshold": "high"}),
            json!({"alias": "x", "decision_count": 0}),
            json!({"alias": "x", "decision_count": 2.5}),
            json!({"alias": "x", "top_k": 1000}),
        ] {
            assert!(
                CollectionParams::parse(&params(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn aliases_are_bounded() {
        assert_eq!(check_alias("  list ").unwrap(), "list");
        assert!(check_alias(" ").is_err());
        assert!(check_alias(&"a".repeat(MAX_ALIAS + 1)).is_err());
        assert!(check_alias("a\nb").is_err());
    }
}
