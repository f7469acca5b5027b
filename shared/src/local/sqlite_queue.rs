//! [`Queue`] on the embedded SQLite database: a durable job table with SQS semantics (visibility
//! timeout, receive count, redrive to a dead-letter queue after too many deliveries), so the local
//! server keeps queued work across restarts.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use rusqlite::{Connection, params};

use crate::domain::clock::now;
use crate::ports::{MAX_RECEIVE, Queue, QueueError, Received};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue_messages (
  queue TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, attributes TEXT NOT NULL,
  seq INTEGER NOT NULL, visible_at REAL NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0,
  receipt TEXT,
  PRIMARY KEY (queue, id));
CREATE INDEX IF NOT EXISTS queue_visible ON queue_messages(queue, visible_at, seq);
CREATE UNIQUE INDEX IF NOT EXISTS queue_receipt ON queue_messages(receipt) WHERE receipt IS NOT NULL;
";

/// Where messages go after too many deliveries.
#[derive(Debug, Clone)]
pub struct Redrive {
    /// Name of the dead-letter queue (in the same database).
    pub dead_letter: String,
    /// Deliveries allowed before the next receive moves the message there.
    pub max_receives: u32,
}

/// One named queue in the embedded database.
#[derive(Clone)]
pub struct SqliteQueue {
    conn: Arc<Mutex<Connection>>,
    name: String,
    visibility: Duration,
    redrive: Option<Redrive>,
}

fn backend(e: impl Into<anyhow::Error>) -> QueueError {
    QueueError::Backend(e.into())
}

impl SqliteQueue {
    /// Opens queue `name` in the database at `path`; a delivery hides a message for `visibility`.
    pub fn open(
        path: &Path,
        name: &str,
        visibility: Duration,
        redrive: Option<Redrive>,
    ) -> anyhow::Result<Self> {
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)
            .context("creating queue schema")?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            name: name.to_string(),
            visibility,
            redrive,
        })
    }

    /// Another queue in the same database (e.g. the dead-letter queue), sharing the connection.
    pub fn sibling(&self, name: &str, visibility: Duration, redrive: Option<Redrive>) -> Self {
        Self {
            conn: self.conn.clone(),
            name: name.to_string(),
            visibility,
            redrive,
        }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, QueueError>,
    ) -> Result<T, QueueError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| backend(anyhow::anyhow!("queue lock poisoned")))?;
        f(&mut conn)
    }

    /// One receive attempt: takes up to `max` visible messages for `hide`, redriving the
    /// exhausted ones.
    fn take(&self, max: usize, hide: Duration) -> Result<Vec<Received>, QueueError> {
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(backend)?;
            let t = now();
            let candidates: Vec<(String, String, String, u32)> = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT id, body, attributes, receive_count FROM queue_messages
                         WHERE queue = ?1 AND visible_at <= ?2 ORDER BY seq LIMIT ?3",
                    )
                    .map_err(backend)?;
                stmt.query_map(params![self.name, t, (max * 4) as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?
            };
            let mut out = Vec::new();
            for (id, body, attrs, count) in candidates {
                if let Some(r) = &self.redrive
                    && count >= r.max_receives
                {
                    tx.execute(
                        "UPDATE queue_messages SET queue = ?1, receive_count = 0, receipt = NULL,
                         visible_at = ?2 WHERE queue = ?3 AND id = ?4",
                        params![r.dead_letter, t, self.name, id],
                    )
                    .map_err(backend)?;
                    continue;
                }
                if out.len() == max {
                    break;
                }
                let receipt = uuid::Uuid::new_v4().simple().to_string();
                tx.execute(
                    "UPDATE queue_messages SET receive_count = receive_count + 1, receipt = ?1,
                     visible_at = ?2 WHERE queue = ?3 AND id = ?4",
                    params![receipt, t + hide.as_secs_f64(), self.name, id],
                )
                .map_err(backend)?;
                out.push(Received {
                    id,
                    receipt,
                    body,
                    attributes: serde_json::from_str(&attrs).map_err(backend)?,
                    receive_count: count + 1,
                    sent_at: None,
                });
            }
            tx.commit().map_err(backend)?;
            Ok(out)
        })
    }
}

#[async_trait]
impl Queue for SqliteQueue {
    async fn send(
        &self,
        body: &str,
        attributes: &[(&str, &str)],
        delay: Duration,
    ) -> Result<String, QueueError> {
        let id = uuid::Uuid::new_v4().to_string();
        let attrs: BTreeMap<&str, &str> = attributes.iter().copied().collect();
        let attrs = serde_json::to_string(&attrs).map_err(backend)?;
        self.with(|c| {
            c.execute(
                "INSERT INTO queue_messages (queue, id, body, attributes, seq, visible_at)
                 VALUES (?1, ?2, ?3, ?4,
                   (SELECT COALESCE(MAX(seq), 0) + 1 FROM queue_messages), ?5)",
                params![self.name, id, body, attrs, now() + delay.as_secs_f64()],
            )
            .map_err(backend)
        })?;
        Ok(id)
    }

    async fn receive_hidden(
        &self,
        max: usize,
        wait: Duration,
        hide: Option<Duration>,
    ) -> Result<Vec<Received>, QueueError> {
        let max = max.clamp(1, MAX_RECEIVE);
        let hide = hide.unwrap_or(self.visibility);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let got = self.take(max, hide)?;
            if !got.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(got);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        // Like SQS, deleting with a stale receipt is not an error: the message is gone or
        // redelivered, and the redelivery's consumer owns it now.
        self.with(|c| {
            c.execute(
                "DELETE FROM queue_messages WHERE queue = ?1 AND receipt = ?2",
                params![self.name, receipt],
            )
            .map_err(backend)
        })?;
        Ok(())
    }

    async fn extend_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), QueueError> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE queue_messages SET visible_at = ?1 WHERE queue = ?2 AND receipt = ?3",
                params![now() + timeout.as_secs_f64(), self.name, receipt],
            )
            .map_err(backend)
        })?;
        if n == 0 {
            return Err(QueueError::StaleReceipt);
        }
        Ok(())
    }
}
