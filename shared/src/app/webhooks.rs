//! Webhooks: when every analysis of one request has ended, the folder (with its media and
//! analyses) is POSTed once to the request's `resolution_endpoint`, signed with the company's
//! secret. Deliveries go through the webhook queue: a failed attempt leaves the message hidden for
//! a growing delay and the queue redelivers it; after the last allowed attempt it is parked in
//! the dead-letter queue. Every attempt is recorded on the request's delivery record, which the
//! analyses show as `technical_meta_data.webhook`.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::App;
use super::folders::FolderView;
use super::repo;
use crate::domain::analysis::{Analysis, AnalysisState};
use crate::domain::clock::{now, now_secs};
use crate::domain::objects::Folder;
use crate::domain::webhook::{
    Attempt, DeliveryState, Destination, WebhookDelivery, check_address, check_endpoint,
    retry_delay, signature,
};
use crate::domain::{AnalysisId, FolderId};
use crate::metrics::{Record, Unit};
use crate::ports::{Condition, StoreError};
use crate::{Error, Result};

/// The message a webhook delivery carries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookJob {
    pub folder_id: FolderId,
    pub group_id: AnalysisId,
}

/// What to do with a webhook message after one attempt.
#[derive(Debug, PartialEq)]
pub enum WebhookOutcome {
    /// Delivered, given up for good, or nothing to deliver: delete the message.
    Done,
    /// Leave the message hidden this long, then let the queue deliver it again (or, past the
    /// last attempt, move it to the dead-letter queue).
    RetryAfter(Duration),
}

impl App {
    /// Checks a `resolution_endpoint` when analyses start, under this deployment's policy.
    pub fn check_resolution_endpoint(&self, endpoint: &str) -> Result<()> {
        check_endpoint(endpoint, self.config.webhooks.policy)
            .map(drop)
            .map_err(Error::invalid)
    }

    /// Called whenever analysis `a` is known to have ended (by its finisher, or by a redelivered
    /// job that found it ended): once every analysis of its request has ended, creates the
    /// request's delivery record and queues it. The record is created only if absent, so
    /// however many times this runs, one webhook is queued.
    pub(crate) async fn queue_webhook_when_done(&self, a: &Analysis) -> Result<()> {
        let Some(endpoint) = a.resolution_endpoint.clone() else {
            return Ok(());
        };
        let group: Vec<Analysis> = repo::folder_analyses(&*self.store, a.folder_id)
            .await?
            .into_iter()
            .filter(|x| x.group_id == a.group_id)
            .collect();
        if group.iter().any(|x| x.state == AnalysisState::Processing) {
            return Ok(());
        }
        let t = now();
        let record = WebhookDelivery {
            group_id: a.group_id,
            folder_id: a.folder_id,
            company_id: a.company_id,
            endpoint,
            state: DeliveryState::Queued,
            attempts: Vec::new(),
            time_created: t,
            time_updated: t,
        };
        match self
            .store
            .put(repo::delivery_item(&record), Condition::NotExists)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let job = WebhookJob {
            folder_id: a.folder_id,
            group_id: a.group_id,
        };
        let body = serde_json::to_string(&job).expect("jobs serialise");
        let company = a.company_id.to_string();
        let sent = self
            .webhook_queue
            .send(&body, &[("company_id", &company)], Duration::ZERO)
            .await;
        if let Err(e) = sent {
            // Undo the record so the redelivered analysis job queues the webhook again.
            let _ = self
                .store
                .delete(
                    &repo::folder_pk(a.folder_id),
                    &repo::delivery_sk(a.group_id),
                )
                .await;
            return Err(Error::Unexpected(anyhow::anyhow!(
                "queueing the webhook failed: {e}"
            )));
        }
        tracing::info!(folder_id = %a.folder_id, group_id = %a.group_id, "webhook queued");
        Ok(())
    }

    /// Makes one delivery attempt for the message `body`, the `receive_count`-th delivery of it.
    /// Never fails: problems become a retry or, when they cannot get better, the end.
    pub async fn deliver_webhook(&self, body: &str, receive_count: u32) -> WebhookOutcome {
        let cfg = self.config.webhooks;
        let Ok(job) = serde_json::from_str::<WebhookJob>(body) else {
            tracing::error!("unreadable webhook job dropped");
            return WebhookOutcome::Done;
        };
        match self.attempt(&job, receive_count).await {
            Ok(outcome) => outcome,
            Err(e) => {
                // Our own storage failed, not the receiver: try again soon.
                tracing::error!(group_id = %job.group_id, error = %e, "webhook attempt could not run");
                WebhookOutcome::RetryAfter(cfg.retry_base)
            }
        }
    }

    async fn attempt(&self, job: &WebhookJob, receive_count: u32) -> Result<WebhookOutcome> {
        let Some(record) =
            repo::webhook_delivery(&*self.store, job.folder_id, job.group_id).await?
        else {
            // The folder was deleted: nobody is waiting for this any more.
            return Ok(WebhookOutcome::Done);
        };
        if record.state != DeliveryState::Queued {
            return Ok(WebhookOutcome::Done);
        }
        let folder: Folder =
            match repo::get_meta(&*self.store, &repo::folder_pk(job.folder_id), "folder").await {
                Ok(f) => f,
                Err(Error::NotFound(_)) => return Ok(WebhookOutcome::Done),
                Err(e) => return Err(e),
            };
        let media = repo::folder_media(&*self.store, job.folder_id).await?;
        let view = FolderView {
            folder,
            media: Some(media),
        };
        let payload = super::views::folder(self, &view, super::views::Embed::ANALYSES).await?;
        let body = crate::json::to_vec(&payload).expect("views serialise");
        let secret = self.webhook_secret(record.company_id).await?;
        let sig = signature(secret.as_bytes(), now_secs() as u64, &body);
        let started = Instant::now();
        let sent = self.post(&record.endpoint, job.group_id, body, sig).await;
        let mut attempt = Attempt {
            time: now(),
            status_code: None,
            error: None,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        let cfg = self.config.webhooks;
        let (state, outcome) = match sent {
            Ok(status) if (200..300).contains(&status) => {
                attempt.status_code = Some(status);
                (DeliveryState::Delivered, WebhookOutcome::Done)
            }
            Err(SendError::Refused(why)) => {
                attempt.error = Some(why);
                (DeliveryState::Failed, WebhookOutcome::Done)
            }
            other => {
                match other {
                    Ok(status) => attempt.status_code = Some(status),
                    Err(e) => attempt.error = Some(e.to_string()),
                }
                if receive_count >= cfg.max_receives {
                    // The queue moves the message to the dead-letter queue on its next receive.
                    (
                        DeliveryState::Failed,
                        WebhookOutcome::RetryAfter(Duration::ZERO),
                    )
                } else {
                    let delay = retry_delay(receive_count, cfg.retry_base, cfg.retry_max);
                    (DeliveryState::Queued, WebhookOutcome::RetryAfter(delay))
                }
            }
        };
        tracing::info!(group_id = %job.group_id, attempt = receive_count, status = ?attempt.status_code,
            error = ?attempt.error, ?state, "webhook attempt");
        let outcome_name = match state {
            DeliveryState::Delivered => "DELIVERED",
            DeliveryState::Queued => "RETRYING",
            DeliveryState::Failed => "FAILED",
        };
        self.config.metrics.record(
            Record::new("webhooks")
                .dimension("Outcome", outcome_name)
                .value("WebhookAttempts", 1.0, Unit::Count)
                .value(
                    "WebhookDuration",
                    attempt.duration_ms as f64,
                    Unit::Milliseconds,
                )
                .property("folder_id", job.folder_id.to_string())
                .property("group_id", job.group_id.to_string())
                .property("attempt", receive_count)
                .property("status_code", attempt.status_code),
        );
        self.record_attempt(job, attempt, state).await?;
        Ok(outcome)
    }

    /// Appends `attempt` to the delivery record (optimistically: the record is rewritten only if
    /// unchanged since read).
    async fn record_attempt(
        &self,
        job: &WebhookJob,
        attempt: Attempt,
        state: DeliveryState,
    ) -> Result<()> {
        for _ in 0..5 {
            let Some(mut d) =
                repo::webhook_delivery(&*self.store, job.folder_id, job.group_id).await?
            else {
                return Ok(());
            };
            let seen = d.time_updated;
            d.attempts.push(attempt.clone());
            d.state = state;
            d.time_updated = now().max(seen + 1e-3);
            let cond = Condition::FieldEquals("time_updated".into(), json!(seen));
            match self.store.put(repo::delivery_item(&d), cond).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Unexpected(anyhow::anyhow!(
            "webhook record {} kept conflicting",
            job.group_id
        )))
    }

    /// POSTs `body` to `endpoint`, connecting only to an address that passes the policy (the one
    /// checked is the one used, so a DNS answer cannot change between check and connect).
    async fn post(
        &self,
        endpoint: &str,
        delivery: AnalysisId,
        body: Vec<u8>,
        sig: String,
    ) -> std::result::Result<u16, SendError> {
        let cfg = self.config.webhooks;
        let dest = check_endpoint(endpoint, cfg.policy).map_err(SendError::Refused)?;
        let addr = resolve(&dest, cfg.policy, cfg.timeout).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(cfg.timeout)
            .resolve(&dest.host, addr)
            .build()
            .map_err(|e| SendError::Transport(e.to_string()))?;
        let res = client
            .post(dest.url.clone())
            .header("content-type", "application/json")
            .header(
                "user-agent",
                concat!("oz-api-webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .header("x-signature", sig)
            .header("x-oz-delivery", delivery.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| {
                SendError::Transport(if e.is_timeout() {
                    "timed out".into()
                } else {
                    // Without the URL: it may carry a token of the receiver's.
                    e.without_url().to_string()
                })
            })?;
        Ok(res.status().as_u16())
    }
}

/// Why an attempt got no status.
#[derive(Debug, thiserror::Error)]
enum SendError {
    /// The destination is not allowed: retrying cannot help.
    #[error("{0}")]
    Refused(String),
    /// Resolution, connection or timeout: may work later.
    #[error("{0}")]
    Transport(String),
}

/// The address to connect to: every address the host resolves to must pass the policy.
async fn resolve(
    d: &Destination,
    policy: crate::config::DestinationPolicy,
    timeout: Duration,
) -> std::result::Result<SocketAddr, SendError> {
    let scheme = d.url.scheme();
    let addrs: Vec<SocketAddr> = if let Ok(ip) = d.host.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, d.port)]
    } else {
        tokio::time::timeout(timeout, tokio::net::lookup_host((d.host.as_str(), d.port)))
            .await
            .map_err(|_| SendError::Transport(format!("resolving {} timed out", d.host)))?
            .map_err(|e| SendError::Transport(format!("resolving {}: {e}", d.host)))?
            .collect()
    };
    for a in &addrs {
        check_address(a.ip(), scheme, policy).map_err(SendError::Refused)?;
    }
    addrs
        .first()
        .copied()
        .ok_or_else(|| SendError::Transport(format!("{} has no address", d.host)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DestinationPolicy::{Local, Strict};

    fn dest(url: &str) -> Destination {
        let url = url::Url::parse(url).unwrap();
        Destination {
            host: url.host_str().unwrap().to_string(),
            port: url.port_or_known_default().unwrap(),
            url,
        }
    }

    #[tokio::test]
    async fn names_are_judged_by_every_address_they_resolve_to() {
        // `localhost` resolves through the hosts file on every machine, to loopback.
        let t = Duration::from_secs(5);
        let refused = resolve(&dest("https://localhost:9/h"), Strict, t).await;
        assert!(matches!(refused, Err(SendError::Refused(_))), "{refused:?}");
        let ok = resolve(&dest("http://localhost:9/h"), Local, t)
            .await
            .unwrap();
        assert!(ok.ip().is_loopback() && ok.port() == 9);
        let metadata = resolve(&dest("http://169.254.169.254/"), Local, t).await;
        assert!(matches!(metadata, Err(SendError::Refused(_))));
    }
}
