//! Port contract: the same tests run against the embedded adapters (SQLite, files) and the AWS
//! adapters on moto (DynamoDB, S3, SQS), so the services can rely on one behaviour.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use shared::aws::{Clients, DynamoStore, S3Blobs, SqsQueue, provision};
use shared::domain::signing::UrlSigner;
use shared::local::{FsBlobs, Redrive, SqliteQueue, SqliteStore};
use shared::ports::{
    BlobError, Blobs, Condition, Item, Queue, QueueError, Range, Store, StoreError, Write,
};
use shared::testing::moto;

async fn clients() -> (Clients, shared::config::AwsResources) {
    let m = moto();
    let res = m.fresh_resources();
    (Clients::new(&m.sdk_config().await, true), res)
}

async fn dynamo() -> DynamoStore {
    let (c, res) = clients().await;
    provision::ensure_table(&c.dynamodb, &res.table)
        .await
        .unwrap();
    DynamoStore::new(c.dynamodb, res.table)
}

async fn s3() -> S3Blobs {
    let (c, res) = clients().await;
    provision::ensure_bucket(&c.s3, &res.bucket).await.unwrap();
    S3Blobs::new(c.s3, res.bucket)
}

/// A queue whose messages go to the returned dead-letter queue on the third delivery.
async fn sqs() -> (SqsQueue, SqsQueue) {
    let (c, res) = clients().await;
    let (url, dlq) = provision::ensure_queue(&c.sqs, &res.analysis_queue, VISIBILITY, 2)
        .await
        .unwrap();
    (SqsQueue::new(c.sqs.clone(), url), SqsQueue::new(c.sqs, dlq))
}

fn sqlite(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("t.db")).unwrap()
}

fn fs_blobs(dir: &tempfile::TempDir) -> FsBlobs {
    FsBlobs::new(
        dir.path().join("media"),
        "http://127.0.0.1:9".into(),
        UrlSigner::new(b"k"),
    )
    .unwrap()
}

const VISIBILITY: Duration = Duration::from_secs(30);

fn local_queue(dir: &tempfile::TempDir) -> (SqliteQueue, SqliteQueue) {
    let redrive = Redrive {
        dead_letter: "q-dlq".into(),
        max_receives: 2,
    };
    let q = SqliteQueue::open(&dir.path().join("t.db"), "q", VISIBILITY, Some(redrive)).unwrap();
    let dlq = q.sibling("q-dlq", VISIBILITY, None);
    (q, dlq)
}

fn sks(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.sk.as_str()).collect()
}

// ---- Store ----

async fn store_contract(s: &dyn Store) {
    // Conditional puts.
    let body = json!({"n": 1, "f": 0.25, "s": "é ✓", "l": [1, "x", null, {"deep": true}], "e": {}});
    let a = Item::new("P", "A#1", body.clone()).with_index(2, "X", "2");
    s.put(a.clone(), Condition::NotExists).await.unwrap();
    assert!(matches!(
        s.put(a.clone(), Condition::NotExists).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(s.get("P", "A#1").await.unwrap().unwrap(), a, "round trip");
    assert!(s.get("P", "nope").await.unwrap().is_none());
    assert!(matches!(
        s.put(Item::new("P", "nope", json!({})), Condition::Exists)
            .await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        s.put(a.clone(), Condition::FieldEquals("n".into(), json!(2)))
            .await,
        Err(StoreError::Conflict)
    ));
    let mut a2 = a.clone();
    a2.body["n"] = json!(2);
    s.put(a2.clone(), Condition::FieldEquals("n".into(), json!(1)))
        .await
        .unwrap();
    s.put(a2.clone(), Condition::FieldEquals("s".into(), json!("é ✓")))
        .await
        .unwrap();
    s.put(a2.clone(), Condition::Exists).await.unwrap();

    // Ranges: prefix, bounds, both, order.
    for sk in ["A#2", "A#3", "B#1", "AB"] {
        s.put(
            Item::new("P", sk, json!({"sk": sk})).with_index(2, "X", format!("1{sk}")),
            Condition::None,
        )
        .await
        .unwrap();
    }
    assert_eq!(
        sks(&s.query("P", &Range::prefix("A#")).await.unwrap()),
        ["A#1", "A#2", "A#3"]
    );
    let desc = Range {
        descending: true,
        ..Range::prefix("A#")
    };
    assert_eq!(
        sks(&s.query("P", &desc).await.unwrap()),
        ["A#3", "A#2", "A#1"]
    );
    let bounded = Range {
        prefix: Some("A#".into()),
        from: Some("A#2".into()),
        to: Some("B".into()),
        descending: false,
    };
    assert_eq!(sks(&s.query("P", &bounded).await.unwrap()), ["A#2", "A#3"]);
    let to = Range {
        to: Some("A#2".into()),
        ..Range::default()
    };
    assert_eq!(sks(&s.query("P", &to).await.unwrap()), ["A#1", "A#2"]);
    assert!(s.query("Q", &Range::default()).await.unwrap().is_empty());

    // Indexes: sorted by the index sort key; sparse (items without the slot are absent).
    let idx = s.query_index(2, "X", &Range::default()).await.unwrap();
    assert_eq!(sks(&idx), ["A#2", "A#3", "AB", "B#1", "A#1"]);
    assert!(
        s.query_index(1, "X", &Range::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.query_index(4, "X", &Range::default()).await.is_err());

    // TTL: an expired item is invisible to reads and counts as absent for conditions.
    let old = Item::new("P", "A#9", json!({})).expiring(1);
    s.put(old.clone(), Condition::None).await.unwrap();
    assert!(s.get("P", "A#9").await.unwrap().is_none());
    assert_eq!(
        sks(&s.query("P", &Range::prefix("A#")).await.unwrap()).len(),
        3
    );
    assert!(matches!(
        s.put(old.clone(), Condition::Exists).await,
        Err(StoreError::Conflict)
    ));
    s.put(
        Item::new("P", "A#9", json!({})).expiring(i64::from(u32::MAX)),
        Condition::NotExists,
    )
    .await
    .unwrap();
    assert!(s.get("P", "A#9").await.unwrap().is_some());

    // Transactions: all or nothing.
    let r = s
        .transact(vec![
            Write::Delete {
                pk: "P".into(),
                sk: "B#1".into(),
            },
            Write::Put(Item::new("P", "A#1", json!({})), Condition::NotExists),
        ])
        .await;
    assert!(matches!(r, Err(StoreError::Conflict)), "{r:?}");
    assert!(s.get("P", "B#1").await.unwrap().is_some(), "rolled back");
    s.transact(vec![
        Write::Delete {
            pk: "P".into(),
            sk: "B#1".into(),
        },
        Write::Put(Item::new("P", "C#1", json!({})), Condition::NotExists),
    ])
    .await
    .unwrap();
    assert!(s.get("P", "B#1").await.unwrap().is_none());
    assert!(s.get("P", "C#1").await.unwrap().is_some());
    s.transact(Vec::new()).await.unwrap();

    // Deletes say whether something was there.
    assert!(s.delete("P", "C#1").await.unwrap());
    assert!(!s.delete("P", "C#1").await.unwrap());

    // Many items in one partition come back complete (DynamoDB pages them).
    let big = "x".repeat(20_000);
    for i in 0..120 {
        s.put(
            Item::new("MANY", format!("{i:04}"), json!({ "pad": big })),
            Condition::None,
        )
        .await
        .unwrap();
    }
    let all = s.query("MANY", &Range::default()).await.unwrap();
    assert_eq!(all.len(), 120);
    assert_eq!(all[119].sk, "0119");
}

#[tokio::test]
async fn store_contract_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    store_contract(&sqlite(&dir)).await;
}

#[tokio::test]
async fn store_contract_dynamodb() {
    store_contract(&dynamo().await).await;
}

#[tokio::test]
async fn concurrent_conditional_puts_admit_exactly_one_writer() {
    let dir = tempfile::tempdir().unwrap();
    let stores: [Arc<dyn Store>; 2] = [Arc::new(sqlite(&dir)), Arc::new(dynamo().await)];
    for s in stores {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.put(
                        Item::new("RACE", "ONE", json!({ "i": i })),
                        Condition::NotExists,
                    )
                    .await
                })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => won += 1,
                Err(StoreError::Conflict) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(won, 1);
    }
}

// ---- Blobs ----

async fn blobs_contract(b: &dyn Blobs) {
    let bytes = Bytes::from_static(b"\xff\xd8\xff hello");
    b.put("c/f/m1", bytes.clone(), "image/jpeg").await.unwrap();
    b.put("c/f/m2", Bytes::from_static(b"2"), "image/png")
        .await
        .unwrap();
    b.put("c/g/m3", Bytes::from_static(b"3"), "image/png")
        .await
        .unwrap();
    assert_eq!(b.get("c/f/m1").await.unwrap(), bytes);
    assert_eq!(b.head("c/f/m1").await.unwrap(), Some(bytes.len() as u64));
    assert_eq!(b.head("c/f/none").await.unwrap(), None);
    assert!(matches!(b.get("c/f/none").await, Err(BlobError::NotFound)));
    b.delete("c/f/m2").await.unwrap();
    b.delete("c/f/m2").await.unwrap();
    assert!(matches!(b.get("c/f/m2").await, Err(BlobError::NotFound)));
    b.delete_prefix("c/f/").await.unwrap();
    assert_eq!(b.head("c/f/m1").await.unwrap(), None);
    assert_eq!(
        b.head("c/g/m3").await.unwrap(),
        Some(1),
        "other prefixes stay"
    );
    b.delete_prefix("c/none/").await.unwrap();
}

#[tokio::test]
async fn blobs_contract_files() {
    let dir = tempfile::tempdir().unwrap();
    blobs_contract(&fs_blobs(&dir)).await;
}

#[tokio::test]
async fn blobs_contract_s3() {
    blobs_contract(&s3().await).await;
}

/// The local presigned URLs are served by the API (`/files`) and tested end to end there; S3's are
/// checked here against moto with a plain HTTP client.
#[tokio::test]
async fn s3_presigned_urls_read_and_write() {
    let b = s3().await;
    let http = reqwest::Client::new();
    b.put("c/f/m", Bytes::from_static(b"abc"), "image/png")
        .await
        .unwrap();
    let url = b
        .presign_get("c/f/m", Duration::from_secs(60))
        .await
        .unwrap();
    let got = http.get(&url).send().await.unwrap();
    assert!(got.status().is_success(), "{}", got.status());
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"abc");

    let body = b"0123456789".to_vec();
    let put = b
        .presign_put(
            "c/f/up",
            "image/jpeg",
            body.len() as u64,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(
        put.headers.get("content-type").map(String::as_str),
        Some("image/jpeg")
    );
    let mut req = http.put(&put.url).body(body.clone());
    for (k, v) in &put.headers {
        req = req.header(k, v);
    }
    let r = req.send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    assert_eq!(b.get("c/f/up").await.unwrap().as_ref(), body.as_slice());
    assert_eq!(b.head("c/f/up").await.unwrap(), Some(10));
}

// ---- Queue ----

async fn queue_contract(q: &dyn Queue, dlq: &dyn Queue) {
    let none = Duration::ZERO;
    let short = Duration::from_millis(200);
    assert!(q.receive(10, none).await.unwrap().is_empty());

    // Send with attributes; a delivery hides the message; delete removes it for good.
    let id = q
        .send(
            r#"{"job":1}"#,
            &[("kind", "quality"), ("company", "c1")],
            none,
        )
        .await
        .unwrap();
    let got = q.receive(10, Duration::from_secs(2)).await.unwrap();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(
        (m.id.as_str(), m.body.as_str()),
        (id.as_str(), r#"{"job":1}"#)
    );
    assert_eq!(
        m.attributes.get("kind").map(String::as_str),
        Some("quality")
    );
    assert_eq!(m.attributes.get("company").map(String::as_str), Some("c1"));
    assert_eq!(m.receive_count, 1);
    assert!(q.receive(10, short).await.unwrap().is_empty(), "in flight");
    q.extend_visibility(&m.receipt, Duration::from_secs(60))
        .await
        .unwrap();
    q.delete(&m.receipt).await.unwrap();
    q.delete(&m.receipt).await.unwrap();
    assert!(matches!(
        q.extend_visibility(&m.receipt, none).await,
        Err(QueueError::StaleReceipt)
    ));

    // Batches are bounded; order of a FIFO-less queue is not promised, the set is.
    for i in 0..12 {
        q.send(&format!("b{i}"), &[], none).await.unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..10 {
        let batch = q.receive(10, short).await.unwrap();
        assert!(batch.len() <= 10);
        for m in batch {
            seen.push(m.body.clone());
            q.delete(&m.receipt).await.unwrap();
        }
        if seen.len() == 12 {
            break;
        }
    }
    seen.sort();
    let mut want: Vec<_> = (0..12).map(|i| format!("b{i}")).collect();
    want.sort();
    assert_eq!(seen, want);

    // Released twice, the message goes to the dead-letter queue on its third receive.
    q.send("poison", &[("n", "1")], none).await.unwrap();
    for n in 1..=2 {
        let got = q.receive(1, Duration::from_secs(2)).await.unwrap();
        assert_eq!(got.len(), 1, "delivery {n}");
        assert_eq!(got[0].receive_count, n);
        q.extend_visibility(&got[0].receipt, none).await.unwrap();
    }
    assert!(q.receive(10, short).await.unwrap().is_empty());
    let dead = dlq.receive(10, Duration::from_secs(2)).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].attributes.get("n").map(String::as_str), Some("1"));

    // A receive may hide its messages for less than the queue's timeout.
    q.send("brief", &[], none).await.unwrap();
    let brief = q
        .receive_hidden(1, Duration::from_secs(2), Some(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(brief.len(), 1);
    assert!(q.receive(10, none).await.unwrap().is_empty(), "hidden");
    let again = q.receive(1, Duration::from_secs(5)).await.unwrap();
    assert_eq!((again.len(), again[0].receive_count), (1, 2));
    q.delete(&again[0].receipt).await.unwrap();

    // Delayed messages stay hidden until their delay passes.
    q.send("later", &[], Duration::from_secs(1)).await.unwrap();
    assert!(q.receive(10, none).await.unwrap().is_empty());
    let later = q.receive(10, Duration::from_secs(5)).await.unwrap();
    assert_eq!(later.len(), 1);
}

#[tokio::test]
async fn queue_contract_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (q, dlq) = local_queue(&dir);
    queue_contract(&q, &dlq).await;
}

#[tokio::test]
async fn queue_contract_sqs() {
    let (q, dlq) = sqs().await;
    queue_contract(&q, &dlq).await;
}

/// moto accepts any presigned URL; `s3s-fs` verifies SigV4 like S3 does. Our S3 URLs must carry
/// what the API promises: a signature over the key, the expiry, and for uploads the content type
/// and exact length.
#[tokio::test]
async fn s3_presigned_urls_are_enforced_by_a_verifying_peer() {
    let peer = shared::testing::s3s_fs("media");
    let b = S3Blobs::new(Clients::new(&peer.sdk_config().await, true).s3, "media");
    let http = reqwest::Client::new();
    let status = |r: reqwest::Response| r.status().as_u16();
    b.put("c/f/a", Bytes::from_static(b"aaa"), "image/png")
        .await
        .unwrap();
    b.put("c/f/b", Bytes::from_static(b"bbb"), "image/png")
        .await
        .unwrap();

    let url = b
        .presign_get("c/f/a", Duration::from_secs(60))
        .await
        .unwrap();
    let ok = http.get(&url).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.bytes().await.unwrap().as_ref(), b"aaa");
    let (base, sig) = url.rsplit_once("X-Amz-Signature=").unwrap();
    let flipped = format!(
        "{base}X-Amz-Signature={}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    assert_eq!(status(http.get(&flipped).send().await.unwrap()), 403);
    let other_key = url.replace("/c/f/a?", "/c/f/b?");
    assert_eq!(status(http.get(&other_key).send().await.unwrap()), 403);
    let short = b
        .presign_get("c/f/a", Duration::from_secs(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        status(http.get(&short).send().await.unwrap()),
        403,
        "expired"
    );

    let body = b"0123456789".to_vec();
    let put = b
        .presign_put("c/f/up", "image/jpeg", 10, Duration::from_secs(60))
        .await
        .unwrap();
    let send = |ct: &'static str, bytes: Vec<u8>| {
        http.put(&put.url)
            .header("content-type", ct)
            .body(bytes)
            .send()
    };
    assert_eq!(
        status(send("image/png", body.clone()).await.unwrap()),
        403,
        "other type"
    );
    let refused = status(send("image/jpeg", b"01234567890".to_vec()).await.unwrap());
    assert!((400..500).contains(&refused), "other length: {refused}");
    assert_eq!(
        b.head("c/f/up").await.unwrap(),
        None,
        "nothing refused was stored"
    );
    assert_eq!(status(send("image/jpeg", body.clone()).await.unwrap()), 200);
    assert_eq!(b.get("c/f/up").await.unwrap().as_ref(), body.as_slice());
}
