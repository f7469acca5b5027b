//! Analysis jobs (the `worker` Lambda; locally [`super::spawn_analysis_workers`]): each names one
//! analysis, run on the face engine. Running a job twice is harmless: [`App::run_analysis`]
//! writes a result only while the analysis is PROCESSING.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument as _;

use async_trait::async_trait;

use super::{Consumer, Message, Outcome};
use crate::App;
use crate::app::analyses::{AnalysisJob, RunOutcome};
use crate::domain::clock::now;
use crate::metrics::{Unit, millis};
use crate::ports::{Analyzer, Queue};

/// Runs analysis jobs.
pub struct AnalysisJobs {
    app: Arc<App>,
    analyzer: Arc<dyn Analyzer>,
}

impl AnalysisJobs {
    /// Jobs of `app`'s analysis queue, run on `analyzer`.
    pub fn new(app: Arc<App>, analyzer: Arc<dyn Analyzer>) -> Self {
        Self { app, analyzer }
    }

    fn retry(&self) -> Outcome {
        Outcome::Retry(Some(self.app.config.analysis_retry_delay))
    }
}

#[async_trait]
impl Consumer for AnalysisJobs {
    fn name(&self) -> &'static str {
        "analysis_jobs"
    }

    fn queue(&self) -> Option<Arc<dyn Queue>> {
        Some(self.app.analysis_queue.clone())
    }

    fn lease(&self) -> Option<Duration> {
        Some(self.app.config.analysis_visibility)
    }

    fn after_panic(&self) -> Outcome {
        self.retry()
    }

    async fn handle(&self, m: &Message) -> Outcome {
        let job: AnalysisJob = match serde_json::from_str(&m.body) {
            Ok(j) => j,
            Err(e) => {
                // It will never parse: retrying only delays its trip to the dead-letter queue.
                tracing::error!(error = %e, "unreadable analysis job dropped");
                return Outcome::Done;
            }
        };
        // The Oz ids on every line of the job, the engine's included (a JSON log field each).
        let span = tracing::info_span!("analysis", analyse_id = %job.analysis_id, folder_id = %job.folder_id);
        async {
            tracing::info!("analysis job started");
            let started = Instant::now();
            match self.app.run_analysis(&*self.analyzer, &job).await {
                Ok(RunOutcome::Finished { kind, resolution }) => {
                    tracing::info!(?resolution, "job done");
                    let mut record = job
                        .metric(kind, resolution)
                        .value("AnalysesProcessed", 1.0, Unit::Count)
                        .value(
                            "AnalysisDuration",
                            millis(started.elapsed()),
                            Unit::Milliseconds,
                        )
                        .value("Deliveries", m.receive_count.into(), Unit::Count);
                    if let Some(sent) = m.sent_at {
                        let age_ms = (now() - sent).max(0.0) * 1e3;
                        record = record.value("QueueAge", age_ms, Unit::Milliseconds);
                    }
                    self.app.config.metrics.record(record);
                    Outcome::Done
                }
                Ok(RunOutcome::AlreadyDone) => {
                    tracing::info!("job already done (redelivery)");
                    Outcome::Done
                }
                Err(e) => {
                    tracing::error!(error = %e, "job failed; will retry");
                    self.retry()
                }
            }
        }
        .instrument(span)
        .await
    }
}
