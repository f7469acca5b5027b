//! [`Store`] on an embedded SQLite database (one file, WAL journal). The table mirrors the
//! DynamoDB single-table layout: `(pk, sk)` primary key, three `(ipk, isk)` index pairs, a JSON body
//! and a TTL column that reads ignore once passed. Behaviour is pinned by the port contract tests
//! (`shared/tests/ports_contract.rs`), which run the same checks on DynamoDB.

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context as _;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use crate::ports::{Condition, INDEXES, Item, Range, Store, StoreError, Write};

/// The embedded metadata store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
  pk TEXT NOT NULL, sk TEXT NOT NULL,
  i1pk TEXT, i1sk TEXT, i2pk TEXT, i2sk TEXT, i3pk TEXT, i3sk TEXT,
  body TEXT NOT NULL, expires_at INTEGER,
  PRIMARY KEY (pk, sk)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_i1 ON items(i1pk, i1sk) WHERE i1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_i2 ON items(i2pk, i2sk) WHERE i2pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_i3 ON items(i3pk, i3sk) WHERE i3pk IS NOT NULL;
";

const COLUMNS: &str = "pk, sk, i1pk, i1sk, i2pk, i2sk, i3pk, i3sk, body, expires_at";

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA).context("creating schema")?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Backend(anyhow::anyhow!("store lock poisoned")))?;
        f(&mut conn)
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn backend(e: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Backend(e.into())
}

fn row_to_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let mut index: [Option<(String, String)>; INDEXES] = [None, None, None];
    for (n, slot) in index.iter_mut().enumerate() {
        let p: Option<String> = row.get(2 + 2 * n)?;
        let s: Option<String> = row.get(3 + 2 * n)?;
        *slot = p.zip(s);
    }
    let body: String = row.get(8)?;
    let body = serde_json::from_str(&body).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Item {
        pk: row.get(0)?,
        sk: row.get(1)?,
        index,
        body,
        expires_at: row.get(9)?,
    })
}

fn get_live(conn: &Connection, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)"),
        params![pk, sk, now()],
        row_to_item,
    )
    .optional()
    .map_err(backend)
}

fn check(conn: &Connection, pk: &str, sk: &str, cond: &Condition) -> Result<(), StoreError> {
    let holds = match cond {
        Condition::None => true,
        Condition::NotExists => get_live(conn, pk, sk)?.is_none(),
        Condition::Exists => get_live(conn, pk, sk)?.is_some(),
        Condition::FieldEquals(field, value) => {
            get_live(conn, pk, sk)?.is_some_and(|item| item.body.get(field) == Some(value))
        }
    };
    if holds {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

fn write_item(conn: &Connection, item: &Item) -> Result<(), StoreError> {
    let idx = |n: usize| item.index[n].as_ref();
    conn.execute(
        &format!("INSERT OR REPLACE INTO items ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![
            item.pk,
            item.sk,
            idx(0).map(|i| &i.0),
            idx(0).map(|i| &i.1),
            idx(1).map(|i| &i.0),
            idx(1).map(|i| &i.1),
            idx(2).map(|i| &i.0),
            idx(2).map(|i| &i.1),
            item.body.to_string(),
            item.expires_at,
        ],
    )
    .map_err(backend)?;
    Ok(())
}

fn range_query(
    conn: &Connection,
    pk_col: &str,
    sk_col: &str,
    pk: &str,
    range: &Range,
) -> Result<Vec<Item>, StoreError> {
    let order = if range.descending { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT {COLUMNS} FROM items WHERE {pk_col} = ?1
           AND (?2 IS NULL OR substr({sk_col}, 1, length(?2)) = ?2)
           AND (?3 IS NULL OR {sk_col} >= ?3) AND (?4 IS NULL OR {sk_col} <= ?4)
           AND (expires_at IS NULL OR expires_at > ?5)
         ORDER BY {sk_col} {order}"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let rows = stmt
        .query_map(
            params![pk, range.prefix, range.from, range.to, now()],
            row_to_item,
        )
        .map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.with(|c| get_live(c, pk, sk))
    }

    async fn put(&self, item: Item, cond: Condition) -> Result<(), StoreError> {
        self.transact(vec![Write::Put(item, cond)]).await
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
                params![pk, sk],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
    }

    async fn query(&self, pk: &str, range: &Range) -> Result<Vec<Item>, StoreError> {
        self.with(|c| range_query(c, "pk", "sk", pk, range))
    }

    async fn query_index(
        &self,
        n: usize,
        pk: &str,
        range: &Range,
    ) -> Result<Vec<Item>, StoreError> {
        if !(1..=INDEXES).contains(&n) {
            return Err(backend(anyhow::anyhow!("no index {n}")));
        }
        self.with(|c| range_query(c, &format!("i{n}pk"), &format!("i{n}sk"), pk, range))
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(backend)?;
            for w in &writes {
                match w {
                    Write::Put(item, cond) => {
                        check(&tx, &item.pk, &item.sk, cond)?;
                        write_item(&tx, item)?;
                    }
                    Write::Delete { pk, sk } => {
                        tx.execute(
                            "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
                            params![pk, sk],
                        )
                        .map_err(backend)?;
                    }
                }
            }
            tx.commit().map_err(backend)
        })
    }
}
