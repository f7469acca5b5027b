//! The drivers, once for every consumer: partial failures, panics, retry delays, lease renewal.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};

use super::*;
use crate::local::SqliteQueue;

/// Does what the body says: `ok`, `fail` (retry at once), `panic`, or `slow` (outlasts its lease
/// three times over, then done). Records every delivery.
struct Scripted {
    queue: Arc<dyn Queue>,
    lease: Option<Duration>,
    seen: Mutex<Vec<(String, u32)>>,
}

#[async_trait]
impl Consumer for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn queue(&self) -> Option<Arc<dyn Queue>> {
        Some(self.queue.clone())
    }
    fn lease(&self) -> Option<Duration> {
        self.lease
    }
    fn after_panic(&self) -> Outcome {
        Outcome::Retry(Some(Duration::ZERO))
    }
    async fn handle(&self, m: &Message) -> Outcome {
        self.seen
            .lock()
            .unwrap()
            .push((m.body.clone(), m.receive_count));
        match m.body.as_str() {
            "fail" => Outcome::Retry(Some(Duration::ZERO)),
            "panic" => panic!("scripted panic"),
            "slow" => {
                tokio::time::sleep(self.lease.unwrap() * 3).await;
                Outcome::Done
            }
            _ => Outcome::Done,
        }
    }
}

fn scripted(visibility: Duration, lease: Option<Duration>) -> (Arc<Scripted>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let q = SqliteQueue::open(&dir.path().join("q.sqlite3"), "jobs", visibility, None).unwrap();
    let consumer = Arc::new(Scripted {
        queue: Arc::new(q),
        lease,
        seen: Mutex::new(Vec::new()),
    });
    (consumer, dir)
}

fn seen(c: &Scripted, body: &str) -> Vec<u32> {
    let seen = c.seen.lock().unwrap();
    seen.iter()
        .filter(|(b, _)| b == body)
        .map(|(_, n)| *n)
        .collect()
}

#[tokio::test]
async fn an_sqs_batch_reports_exactly_the_failed_and_panicked_records() {
    let (consumer, _dir) = scripted(Duration::from_secs(30), None);
    let mut event = SqsEvent::default();
    for (id, body) in [("1", "ok"), ("2", "fail"), ("3", "panic"), ("4", "ok")] {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(body.into());
        m.attributes
            .insert("ApproximateReceiveCount".into(), "3".into());
        event.records.push(m);
    }
    let res = sqs::handle(&consumer, event).await;
    let failed: Vec<&str> = res
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["2", "3"]);
    assert_eq!(
        seen(&consumer, "ok"),
        [3, 3],
        "every record ran, with its count"
    );
}

#[tokio::test]
async fn polling_deletes_what_is_done_and_redelivers_the_rest() {
    let (consumer, _dir) = scripted(Duration::from_secs(30), None);
    let q = consumer.queue.clone();
    for body in ["ok", "fail", "panic"] {
        q.send(body, &[], Duration::ZERO).await.unwrap();
    }
    poll::spawn(consumer.clone(), 1, MAX_RECEIVE);
    let start = Instant::now();
    while (seen(&consumer, "fail").len() < 3 || seen(&consumer, "panic").len() < 3)
        && start.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The retry delay (zero) became the visibility, so failures came back at once, counted;
    // the panic failed its message only and the loop went on.
    assert_eq!(seen(&consumer, "fail")[..3], [1, 2, 3]);
    assert_eq!(seen(&consumer, "panic")[..3], [1, 2, 3]);
    assert_eq!(seen(&consumer, "ok"), [1], "done messages are deleted");
}

#[tokio::test]
async fn a_running_message_keeps_its_lease() {
    // Visibility 1 s, but the job takes 1.5 s: without renewal a second poller would get it.
    let lease = Duration::from_millis(500);
    let (consumer, _dir) = scripted(Duration::from_secs(1), Some(lease));
    let q = consumer.queue.clone();
    q.send("slow", &[], Duration::ZERO).await.unwrap();
    let first = q.receive(1, Duration::from_secs(1)).await.unwrap();
    let delivering = tokio::spawn({
        let c = consumer.clone();
        let m: Message = first[0].clone().into();
        async move { drive::deliver(&c, m).await }
    });
    let stolen = q.receive(1, Duration::from_millis(1600)).await.unwrap();
    assert!(stolen.is_empty(), "renewed while running: {stolen:?}");
    assert_eq!(delivering.await.unwrap(), Outcome::Done);
}
