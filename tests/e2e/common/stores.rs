//! A snapshot of everything a server has stored, to prove that a request wrote nothing: every
//! row of every SQLite table and the media folder's files (local), or the DynamoDB table's items,
//! the bucket's objects and the queues' counters (AWS mode, on moto).

use std::collections::BTreeMap;
use std::path::Path;

use shared::config::Storage;

use super::TestApp;

/// Everything stored, as sorted lines; equal snapshots mean nothing was written.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<String, Vec<String>>);

impl Snapshot {
    /// The lines only one of the two snapshots holds, `+` for `self`, `-` for `other`.
    pub fn diff(&self, other: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        let keys: std::collections::BTreeSet<&String> =
            self.0.keys().chain(other.0.keys()).collect();
        for k in keys {
            let (a, b) = (self.0.get(k), other.0.get(k));
            let (a, b) = (a.map_or(&[][..], |v| v), b.map_or(&[][..], |v| v));
            out.extend(
                a.iter()
                    .filter(|l| !b.contains(l))
                    .map(|l| format!("+ {k}: {l}")),
            );
            out.extend(
                b.iter()
                    .filter(|l| !a.contains(l))
                    .map(|l| format!("- {k}: {l}")),
            );
        }
        out
    }
}

fn sqlite_rows(db: &Path) -> BTreeMap<String, Vec<String>> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the store read-only");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.retain(|t: &String| !t.starts_with("sqlite_"));
    let mut out = BTreeMap::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let cols: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(cols.join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.insert(format!("sqlite:{t}"), rows);
    }
    out
}

fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.push(format!("{}/", p.strip_prefix(root).unwrap().display()));
            files(root, &p, out);
        } else {
            let bytes = std::fs::read(&p).unwrap();
            let sum: u64 = bytes.iter().fold(0xcbf29ce484222325, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
            });
            out.push(format!(
                "{} {} {sum:016x}",
                p.strip_prefix(root).unwrap().display(),
                bytes.len()
            ));
        }
    }
}

async fn aws_state(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    let res = &app.app.config.aws;
    let sdk = shared::testing::moto().sdk_config().await;
    let c = shared::aws::Clients::new(&sdk, res.s3_path_style);
    let mut out = BTreeMap::new();

    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = c
            .dynamodb
            .scan()
            .table_name(&res.table)
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .send()
            .await
            .expect("scan");
        for item in page.items() {
            // Through JSON, whose maps are ordered: the SDK's nested maps are not.
            let sorted: BTreeMap<_, _> = item
                .iter()
                .map(|(k, v)| (k, shared::aws::dynamo::from_attr(v).unwrap()))
                .collect();
            items.push(serde_json::to_string(&sorted).unwrap());
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    items.sort();
    out.insert("dynamodb".into(), items);

    let listed =
        c.s3.list_objects_v2()
            .bucket(&res.bucket)
            .send()
            .await
            .expect("list objects");
    let mut objects: Vec<String> = listed
        .contents()
        .iter()
        .map(|o| format!("{:?} {:?} {:?}", o.key(), o.size(), o.e_tag()))
        .collect();
    objects.sort();
    out.insert("s3".into(), objects);

    for q in [
        &res.analysis_queue,
        &res.analysis_dead_letters,
        &res.webhook_queue,
    ] {
        let url = shared::aws::provision::queue_url(&c.sqs, q)
            .await
            .expect("queue url");
        let attrs = c
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names("ApproximateNumberOfMessages".into())
            .attribute_names("ApproximateNumberOfMessagesNotVisible".into())
            .attribute_names("ApproximateNumberOfMessagesDelayed".into())
            .send()
            .await
            .expect("queue attributes");
        let mut lines: Vec<String> = attrs
            .attributes()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k:?}={v}"))
            .collect();
        lines.sort();
        out.insert(format!("sqs:{q}"), lines);
    }
    out
}

/// Everything `app` has stored right now.
pub async fn snapshot(app: &TestApp) -> Snapshot {
    match app.app.config.storage {
        Storage::Local => {
            let mut out = sqlite_rows(&app.data_dir.join("oz.sqlite3"));
            let mut tree = Vec::new();
            files(&app.data_dir, &app.data_dir, &mut tree);
            // The database's own files change on reads (WAL checkpoints); their rows are above.
            tree.retain(|l| !l.starts_with("oz.sqlite3"));
            tree.sort();
            out.insert("files".into(), tree);
            Snapshot(out)
        }
        Storage::Aws => Snapshot(aws_state(app).await),
    }
}
