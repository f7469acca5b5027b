//! Runs analysis jobs from the queue. Every delivery goes through [`process`]: the job runs in
//! its own task (a panic fails that message only), its visibility is renewed while it runs (so a
//! worker that dies mid-job loses it for one visibility period only), a failed job comes back
//! after the retry delay, and the outcome says whether the message may be deleted. Running a job
//! twice is harmless: [`shared::App::run_analysis`] writes a result only while the analysis is
//! PROCESSING.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use shared::App;
use shared::app::analyses::{AnalysisJob, RunOutcome};
use shared::ports::Analyzer;

/// What became of one delivery.
#[derive(Debug, PartialEq)]
pub enum Delivery {
    /// Done (or a duplicate of finished work, or unreadable): delete the message.
    Done,
    /// Failed for now: leave the message to be redelivered (and, after too many tries, to land
    /// in the dead-letter queue).
    Retry,
}

/// Runs the job in `body`, renewing `receipt`'s visibility while it runs; on failure the message
/// is left to come back after the retry delay.
pub async fn process(
    app: Arc<App>,
    analyzer: Arc<dyn Analyzer>,
    body: &str,
    receipt: Option<String>,
) -> Delivery {
    let job: AnalysisJob = match serde_json::from_str(body) {
        Ok(j) => j,
        Err(e) => {
            // It will never parse: retrying only delays its trip to the dead-letter queue.
            tracing::error!(error = %e, "unreadable analysis job dropped");
            return Delivery::Done;
        }
    };
    let run = {
        let (app, analyzer, job) = (app.clone(), analyzer.clone(), job.clone());
        tokio::spawn(async move { app.run_analysis(&*analyzer, &job).await })
    };
    let mut run = std::pin::pin!(run);
    let visibility = app.config.analysis_visibility;
    tracing::info!(analysis_id = %job.analysis_id, "analysis job started");
    let mut beat =
        tokio::time::interval_at(tokio::time::Instant::now() + visibility / 3, visibility / 3);
    let result = loop {
        tokio::select! {
            r = &mut run => break r,
            _ = beat.tick() => {
                if let Some(r) = &receipt
                    && let Err(e) = app.analysis_queue.extend_visibility(r, visibility).await
                {
                    tracing::warn!(analysis_id = %job.analysis_id, error = %e, "visibility extension failed");
                }
            }
        }
    };
    let outcome = match result {
        Ok(Ok(RunOutcome::Finished(resolution))) => {
            tracing::info!(analysis_id = %job.analysis_id, ?resolution, "job done");
            Delivery::Done
        }
        Ok(Ok(RunOutcome::AlreadyDone)) => {
            tracing::info!(analysis_id = %job.analysis_id, "job already done (redelivery)");
            Delivery::Done
        }
        Ok(Err(e)) => {
            tracing::error!(analysis_id = %job.analysis_id, error = %e, "job failed; will retry");
            Delivery::Retry
        }
        Err(e) => {
            tracing::error!(analysis_id = %job.analysis_id, error = %e, "job panicked; will retry");
            Delivery::Retry
        }
    };
    if outcome == Delivery::Retry
        && let Some(r) = &receipt
        && let Err(e) = app
            .analysis_queue
            .extend_visibility(r, app.config.analysis_retry_delay)
            .await
    {
        tracing::warn!(analysis_id = %job.analysis_id, error = %e, "setting the retry delay failed");
    }
    outcome
}

/// Handles one SQS batch (the `worker` Lambda): failed messages are reported, so SQS redelivers
/// only those (`ReportBatchItemFailures`).
pub async fn handle_sqs_batch(
    app: Arc<App>,
    analyzer: Arc<dyn Analyzer>,
    event: SqsEvent,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for m in event.records {
        let body = m.body.unwrap_or_default();
        let outcome = process(app.clone(), analyzer.clone(), &body, m.receipt_handle).await;
        if outcome == Delivery::Retry {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = m.message_id.unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Starts `workers` loops that take jobs from the app's analysis queue until the process ends
/// (the local server's stand-in for the SQS-triggered Lambda), and one that ends the analyses of
/// dead-lettered jobs FAILED (the stand-in for the `deadletters` Lambda).
pub fn spawn_pool(app: Arc<App>, analyzer: Arc<dyn Analyzer>, workers: usize) {
    let dead = app.clone();
    tokio::spawn(async move {
        loop {
            let batch = match dead
                .analysis_dead_letters
                .receive(10, Duration::from_secs(1))
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "receiving dead letters failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            for m in batch {
                match dead.fail_dead_letter(&m.body).await {
                    Ok(()) => {
                        if let Err(e) = dead.analysis_dead_letters.delete(&m.receipt).await {
                            tracing::error!(error = %e, "deleting a dead letter failed");
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "failing a dead-lettered analysis failed")
                    }
                }
            }
        }
    });
    for n in 0..workers.max(1) {
        let (app, analyzer) = (app.clone(), analyzer.clone());
        tokio::spawn(async move {
            tracing::info!(worker = n, "analysis worker started");
            loop {
                let batch = match app.analysis_queue.receive(1, Duration::from_secs(1)).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "receiving jobs failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                for m in batch {
                    let outcome = process(
                        app.clone(),
                        analyzer.clone(),
                        &m.body,
                        Some(m.receipt.clone()),
                    )
                    .await;
                    if outcome == Delivery::Done
                        && let Err(e) = app.analysis_queue.delete(&m.receipt).await
                    {
                        tracing::error!(error = %e, "deleting a finished job failed");
                    }
                }
            }
        });
    }
}
