//! Analyses: starting them (validated, stored PROCESSING, one job queued per analysis), reading
//! them, and running one (the worker's step): media through the [`Analyzer`], decisions by the
//! thresholds, result written once under a state condition, folder decision rolled up.

use serde::Deserialize;
use serde_json::json;

use super::App;
use super::evaluate;
use super::repo;
use crate::domain::analysis::Thresholds;
use crate::domain::analysis::{Analysis, AnalysisState, AnalysisType, eligible, roll_up};
use crate::domain::clock::now;
use crate::domain::collection::{CollectionParams, CollectionTag};
use crate::domain::metadata;
use crate::domain::objects::{Folder, Media, MetaData, Resolution, StoredUser};
use crate::domain::{Actor, AnalysisId, CompanyId, FolderId, MediaId, UserId};
use crate::metrics::{Record, Unit};
use crate::ports::{Analyzer, Condition, StoreError, Write};
use crate::{Error, Result};

/// Most analyses one request may start.
pub const MAX_ANALYSES_PER_REQUEST: usize = 10;

/// One analysis asked for in `POST /api/folders/{id}/analyses/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisRequest {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub source_media: Option<Vec<MediaId>>,
    #[serde(default)]
    pub params: Option<MetaData>,
    #[serde(default)]
    pub meta_data: Option<serde_json::Value>,
}

/// One requested analysis, checked and in one shape whatever variant the client sent: the type
/// parsed (`liveness` is `quality`), `source_media` read from `params` when it is there (as Oz
/// clients send it for collection analyses), biometry thresholds checked, the collection resolved.
#[derive(Debug, Clone)]
pub struct Planned {
    pub kind: AnalysisType,
    pub source_media: Option<Vec<MediaId>>,
    pub params: MetaData,
    pub meta_data: MetaData,
    pub collection: Option<CollectionTag>,
}

impl Planned {
    /// The analysis this plan starts on `folder` for `user`, PROCESSING.
    pub fn start(
        self,
        folder: &Folder,
        user: UserId,
        group: AnalysisId,
        resolution_endpoint: Option<String>,
    ) -> Analysis {
        let t = now();
        Analysis {
            analysis_id: AnalysisId::new(),
            folder_id: folder.folder_id,
            company_id: folder.company_id,
            user_id: user,
            group_id: group,
            kind: self.kind,
            state: AnalysisState::Processing,
            resolution_status: Resolution::Processing,
            source_media: self.source_media.unwrap_or_default(),
            results_media: Vec::new(),
            results_data: MetaData::new(),
            params: self.params,
            error_code: None,
            error_message: None,
            engine: None,
            resolution_endpoint,
            collection: self.collection,
            meta_data: self.meta_data,
            technical_meta_data: MetaData::new(),
            time_created: t,
            time_updated: t,
        }
    }
}

/// The body of `POST /api/folders/{id}/analyses/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartAnalyses {
    pub analyses: Vec<AnalysisRequest>,
    #[serde(default)]
    pub resolution_endpoint: Option<String>,
}

/// The job a queue message carries.
#[derive(Debug, Clone, serde::Serialize, Deserialize, PartialEq)]
pub struct AnalysisJob {
    pub analysis_id: AnalysisId,
    pub folder_id: FolderId,
}

impl AnalysisJob {
    /// A metric record of this job's analysis, broken down by its type and decision.
    pub fn metric(&self, kind: AnalysisType, resolution: Resolution) -> Record {
        Record::new("analyses")
            .dimension("AnalysisType", kind.as_str())
            .dimension("Resolution", crate::json::variant_name(&resolution))
            .property("analyse_id", self.analysis_id.to_string())
            .property("folder_id", self.folder_id.to_string())
    }
}

/// What running a job did.
#[derive(Debug, PartialEq)]
pub enum RunOutcome {
    /// This call wrote the result.
    Finished {
        kind: AnalysisType,
        resolution: Resolution,
    },
    /// The analysis had already ended (a redelivered or duplicated job): nothing was written.
    AlreadyDone,
}

fn may_start(user: &StoredUser, kind: AnalysisType) -> bool {
    let u = &user.user;
    match kind {
        AnalysisType::Quality => u.can_start_analysis_quality,
        AnalysisType::Biometry => u.can_start_analysis_biometry,
        AnalysisType::Collection => u.can_start_analysis_collection,
        AnalysisType::Documents => u.can_start_analysis_documents,
    }
}

impl App {
    /// Checks a request to start analyses on a folder of `company` before anything is stored:
    /// its size, its webhook destination, each type and its params, and the caller's right to
    /// start each; answers the plans in request order.
    pub async fn check_analyses_request(
        &self,
        actor: &Actor,
        company: CompanyId,
        req: &StartAnalyses,
    ) -> Result<Vec<Planned>> {
        actor.require_folder_write()?;
        if req.analyses.is_empty() || req.analyses.len() > MAX_ANALYSES_PER_REQUEST {
            return Err(Error::invalid(format!(
                "analyses must list 1 to {MAX_ANALYSES_PER_REQUEST} analyses"
            )));
        }
        if let Some(e) = req
            .resolution_endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            self.check_resolution_endpoint(e)?;
        }
        let user: StoredUser =
            repo::get_meta(&*self.store, &repo::user_pk(actor.user_id), "user").await?;
        let mut plans = Vec::with_capacity(req.analyses.len());
        for r in &req.analyses {
            let kind = AnalysisType::parse(&r.kind).ok_or_else(|| {
                Error::invalid(format!(
                    "type {:?}: use quality (or liveness), biometry, collection or documents",
                    r.kind
                ))
            })?;
            let mut params = r.params.clone().unwrap_or_default();
            let source_media = match (&r.source_media, params.remove("source_media")) {
                (Some(ids), _) => Some(ids.clone()),
                (None, None | Some(serde_json::Value::Null)) => None,
                (None, Some(v)) => Some(serde_json::from_value(v).map_err(|_| {
                    Error::InvalidType("params.source_media must be a list of media ids".into())
                })?),
            };
            let mut collection = None;
            match kind {
                AnalysisType::Documents => {
                    return Err(Error::NotRealized("documents analyses".into()));
                }
                AnalysisType::Collection => {
                    // The named collection must exist for the caller's company (another
                    // company's answers exactly like a missing one).
                    let p = CollectionParams::parse(&params)?;
                    let c = self.find_collection(company, &p.collection).await.map_err(
                        |e| match e {
                            Error::NotFound(_) => Error::invalid(
                                "params: no collection of this company has that id or alias",
                            ),
                            other => other,
                        },
                    )?;
                    collection = Some(CollectionTag::from(&c));
                }
                AnalysisType::Biometry => {
                    Thresholds::default()
                        .for_biometry(&params)
                        .map_err(Error::InvalidValue)?;
                }
                AnalysisType::Quality => {}
            }
            if !may_start(&user, kind) {
                return Err(Error::forbidden(format!(
                    "this user may not start {} analyses",
                    kind.as_str()
                )));
            }
            let meta_data = match r.meta_data.clone().filter(|v| !v.is_null()) {
                Some(v) => metadata::parse(v)?,
                None => MetaData::new(),
            };
            plans.push(Planned {
                kind,
                source_media,
                params,
                meta_data,
                collection,
            });
        }
        Ok(plans)
    }

    /// Starts the requested analyses on folder `id`: each is stored PROCESSING and queued.
    pub async fn start_analyses(
        &self,
        actor: &Actor,
        id: FolderId,
        mut req: StartAnalyses,
    ) -> Result<Vec<Analysis>> {
        let folder = self.get_folder(actor, id).await?;
        req.resolution_endpoint = req
            .resolution_endpoint
            .filter(|e| !e.trim().is_empty())
            .map(|e| e.trim().to_string());
        let plans = self
            .check_analyses_request(actor, folder.company_id, &req)
            .await?;
        self.complete_folder_uploads(id).await?;
        let media = repo::folder_media(&*self.store, id).await?;
        let group = AnalysisId::new();
        let mut analyses = Vec::with_capacity(plans.len());
        for plan in plans {
            if let Some(bad) = plan
                .source_media
                .iter()
                .flatten()
                .find(|m| !media.iter().any(|x| x.media_id == **m))
            {
                return Err(Error::invalid(format!(
                    "source_media {bad} is not a media of this folder"
                )));
            }
            analyses.push(plan.start(
                &folder,
                actor.user_id,
                group,
                req.resolution_endpoint.clone(),
            ));
        }
        let t = analyses.first().map_or_else(now, |a| a.time_created);
        let mut writes: Vec<Write> = analyses
            .iter()
            .map(|a| Write::Put(repo::analysis_item(a), Condition::NotExists))
            .collect();
        let mut f = folder.clone();
        f.resolution_status = crate::domain::objects::FolderStatus::Processing;
        f.system_resolution = Resolution::Processing;
        f.time_updated = t;
        writes.push(Write::Put(repo::folder_item(&f), Condition::Exists));
        self.store.transact(writes).await.map_err(|e| match e {
            StoreError::Conflict => Error::NotFound("folder"),
            other => other.into(),
        })?;
        for a in &mut analyses {
            let job = AnalysisJob {
                analysis_id: a.analysis_id,
                folder_id: id,
            };
            let body = serde_json::to_string(&job).expect("jobs serialise");
            let sent = self
                .analysis_queue
                .send(
                    &body,
                    &[
                        ("type", a.kind.as_str()),
                        ("company_id", &a.company_id.to_string()),
                    ],
                    std::time::Duration::ZERO,
                )
                .await;
            if let Err(e) = sent {
                tracing::error!(analysis_id = %a.analysis_id, error = %e, "queueing analysis failed");
                *a = self
                    .fail_analysis(a.analysis_id, "the analysis could not be queued")
                    .await?
                    .unwrap_or_else(|| a.clone());
            }
        }
        tracing::info!(folder_id = %id, count = analyses.len(), "analyses started");
        Ok(analyses)
    }

    /// The analysis, if the caller may see its folder.
    pub async fn get_analysis(&self, actor: &Actor, id: AnalysisId) -> Result<Analysis> {
        let a = repo::get_analysis(&*self.store, id).await?;
        self.get_folder(actor, a.folder_id)
            .await
            .map_err(|_| Error::NotFound("analysis"))?;
        Ok(a)
    }

    /// The analyses of folder `id`, oldest first.
    pub async fn folder_analyses(&self, actor: &Actor, id: FolderId) -> Result<Vec<Analysis>> {
        self.get_folder(actor, id).await?;
        repo::folder_analyses(&*self.store, id).await
    }

    /// Handles a job that reached the dead-letter queue: its analysis ends FAILED (unless it
    /// ended meanwhile). Unreadable bodies and deleted folders are nothing to do.
    pub async fn fail_dead_letter(&self, body: &str) -> Result<()> {
        let Ok(job) = serde_json::from_str::<AnalysisJob>(body) else {
            tracing::error!("unreadable dead-letter job dropped");
            return Ok(());
        };
        let reason = "the analysis job failed on every attempt; the worker logs say why";
        match self.fail_analysis(job.analysis_id, reason).await {
            Ok(Some(a)) => {
                tracing::warn!(analysis_id = %job.analysis_id, "dead-lettered analysis failed");
                self.config
                    .metrics
                    .record(job.metric(a.kind, a.resolution_status).value(
                        "AnalysesDeadLettered",
                        1.0,
                        Unit::Count,
                    ));
                Ok(())
            }
            Ok(None) | Err(Error::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Ends analysis `id` as FAILED with `reason` unless it has ended already; rolls up.
    pub async fn fail_analysis(&self, id: AnalysisId, reason: &str) -> Result<Option<Analysis>> {
        let mut a = repo::get_analysis(&*self.store, id).await?;
        if a.state != AnalysisState::Processing {
            return Ok(None);
        }
        a.state = AnalysisState::Failed;
        a.resolution_status = Resolution::Failed;
        a.error_code = Some(0);
        a.error_message = Some(reason.to_string());
        a.time_updated = now();
        if self.finish(&a).await? {
            Ok(Some(a))
        } else {
            Ok(None)
        }
    }

    /// Runs the analysis a job names. Idempotent: an analysis that has ended is left alone, and
    /// the result is written under the condition that it is still PROCESSING, so two deliveries
    /// racing each other write one result.
    pub async fn run_analysis(
        &self,
        analyzer: &dyn Analyzer,
        job: &AnalysisJob,
    ) -> Result<RunOutcome> {
        let mut a = match repo::get_analysis(&*self.store, job.analysis_id).await {
            Ok(a) => a,
            // The folder (and its analyses) was deleted meanwhile: nothing to do.
            Err(Error::NotFound(_)) => return Ok(RunOutcome::AlreadyDone),
            Err(e) => return Err(e),
        };
        if a.state != AnalysisState::Processing {
            // Whoever ended it may have died before rolling up or queueing the webhook; both
            // are idempotent, so a redelivery completes them.
            self.after_end(&a).await?;
            return Ok(RunOutcome::AlreadyDone);
        }
        let media = repo::folder_media(&*self.store, a.folder_id).await?;
        let chosen: Vec<Media> = eligible(a.kind, &media)
            .into_iter()
            .filter(|m| a.source_media.is_empty() || a.source_media.contains(&m.media_id))
            .cloned()
            .collect();
        let thresholds = self.thresholds(a.company_id).await?;
        let source = evaluate::StoredMedia(&*self.blobs);
        let shots =
            evaluate::evaluate(analyzer, &mut a, &chosen, &source, &thresholds, self).await?;
        for shot in shots {
            let key = repo::best_shot_object(&a, shot.media_id);
            self.blobs.put(&key, shot.jpeg, "image/jpeg").await?;
            if let Some(r) = a
                .results_media
                .iter_mut()
                .find(|r| r.source_media_id == Some(shot.media_id))
            {
                r.output_keys.push(key);
            }
        }
        a.time_updated = now();
        if self.finish(&a).await? {
            tracing::info!(analysis_id = %a.analysis_id, kind = a.kind.as_str(),
                resolution = ?a.resolution_status, "analysis finished");
            Ok(RunOutcome::Finished {
                kind: a.kind,
                resolution: a.resolution_status,
            })
        } else {
            Ok(RunOutcome::AlreadyDone)
        }
    }

    /// Writes the ended analysis if it is still PROCESSING in the store (false when another
    /// delivery won), then does what follows an end.
    async fn finish(&self, a: &Analysis) -> Result<bool> {
        let cond = Condition::FieldEquals("state".into(), json!("PROCESSING"));
        match self.store.put(repo::analysis_item(a), cond).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        self.after_end(a).await?;
        Ok(true)
    }

    /// What follows an analysis's end: the folder's decision rolls up, and the request's webhook
    /// is queued once all its analyses have ended. Both are idempotent.
    async fn after_end(&self, a: &Analysis) -> Result<()> {
        self.roll_up_folder(a.folder_id).await?;
        self.queue_webhook_when_done(a).await
    }

    /// Recomputes the folder's status from its analyses. Optimistic: the folder is written only if
    /// nobody changed it since it was read, else recomputed, so concurrent finishers converge.
    async fn roll_up_folder(&self, id: FolderId) -> Result<()> {
        for _ in 0..10 {
            let folder: Folder =
                match repo::get_meta(&*self.store, &repo::folder_pk(id), "folder").await {
                    Ok(f) => f,
                    Err(Error::NotFound(_)) => return Ok(()),
                    Err(e) => return Err(e),
                };
            let analyses = repo::folder_analyses(&*self.store, id).await?;
            let (status, decision) = roll_up(&analyses);
            if (folder.resolution_status, folder.system_resolution) == (status, decision) {
                return Ok(());
            }
            let mut f = folder.clone();
            f.resolution_status = status;
            f.system_resolution = decision;
            f.time_updated = now().max(folder.time_updated + 1e-3);
            let cond = Condition::FieldEquals("time_updated".into(), json!(folder.time_updated));
            match self.store.put(repo::folder_item(&f), cond).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Unexpected(anyhow::anyhow!(
            "folder {id}: roll-up kept conflicting"
        )))
    }
}

/// Body of `PATCH /api/analyses/{id}`: an operator's decision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorDecision {
    pub resolution_status: String,
}

impl App {
    /// An operator decides an OPERATOR_REQUIRED analysis (SUCCESS or DECLINED); who and when are
    /// recorded in `technical_meta_data.operator_decision`, and the folder rolls up.
    pub async fn decide_analysis(
        &self,
        actor: &Actor,
        id: AnalysisId,
        d: OperatorDecision,
    ) -> Result<Analysis> {
        let mut a = self.get_analysis(actor, id).await?;
        actor.require_operator()?;
        let to = match d.resolution_status.to_ascii_uppercase().as_str() {
            "SUCCESS" => Resolution::Success,
            "DECLINED" => Resolution::Declined,
            other => {
                return Err(Error::invalid(format!(
                    "resolution_status {other:?}: an operator decides SUCCESS or DECLINED"
                )));
            }
        };
        if a.resolution_status != Resolution::OperatorRequired {
            return Err(Error::invalid(format!(
                "only OPERATOR_REQUIRED analyses are decided by an operator; this one is {}",
                serde_json::to_value(a.resolution_status).unwrap_or_default()
            )));
        }
        let t = now();
        a.resolution_status = to;
        a.technical_meta_data.insert(
            "operator_decision".into(),
            json!({
                "user_id": actor.user_id,
                "role": actor.role.as_str(),
                "from": "OPERATOR_REQUIRED",
                "to": to,
                "time": t,
            }),
        );
        a.time_updated = t.max(a.time_updated + 1e-3);
        let cond = Condition::FieldEquals("resolution_status".into(), json!("OPERATOR_REQUIRED"));
        match self.store.put(repo::analysis_item(&a), cond).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(Error::invalid("the analysis was decided meanwhile"));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(analysis_id = %id, user_id = %actor.user_id, resolution = ?to, "operator decided");
        self.roll_up_folder(a.folder_id).await?;
        Ok(a)
    }

    /// Saves an ended analysis's new `meta_data`. Refused while it runs: the worker writes the
    /// whole analysis when it ends and would drop the change.
    pub async fn save_analysis_meta(
        &self,
        actor: &Actor,
        id: AnalysisId,
        md: MetaData,
    ) -> Result<MetaData> {
        let mut a = self.get_analysis(actor, id).await?;
        actor.require_folder_write()?;
        if a.state == AnalysisState::Processing {
            return Err(Error::invalid(
                "the analysis is still PROCESSING; change its meta_data once it has ended",
            ));
        }
        let seen = a.time_updated;
        a.meta_data = md;
        a.time_updated = now().max(seen + 1e-3);
        let cond = Condition::FieldEquals("time_updated".into(), json!(seen));
        match self.store.put(repo::analysis_item(&a), cond).await {
            Ok(()) => Ok(a.meta_data),
            Err(StoreError::Conflict) => Err(Error::invalid(
                "the analysis changed meanwhile; read it and try again",
            )),
            Err(e) => Err(e.into()),
        }
    }
}

impl App {
    /// Waits up to `wait` for the analyses `ids` of folder `folder` to end and for the folder's
    /// roll-up that follows the last one (single request: a new folder, these analyses only);
    /// true when both happened. Polls the store with a growing interval, since the worker may be
    /// another process.
    pub async fn await_analyses(
        &self,
        folder: FolderId,
        ids: &[AnalysisId],
        wait: std::time::Duration,
    ) -> Result<bool> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut pause = std::time::Duration::from_millis(100);
        loop {
            let running = repo::folder_analyses(&*self.store, folder)
                .await?
                .iter()
                .any(|a| ids.contains(&a.analysis_id) && a.state == AnalysisState::Processing);
            if !running {
                let f: Folder =
                    repo::get_meta(&*self.store, &repo::folder_pk(folder), "folder").await?;
                if f.resolution_status != crate::domain::objects::FolderStatus::Processing {
                    return Ok(true);
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(std::time::Duration::from_secs(1));
        }
    }
}
