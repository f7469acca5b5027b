//! [`Store`] on one DynamoDB table. Attribute layout:
//!
//! | attribute          | type | what                                                   |
//! |--------------------|------|--------------------------------------------------------|
//! | `pk`, `sk`         | S    | table key                                              |
//! | `i{n}pk`, `i{n}sk` | S    | key of GSI `gsi{n}` (n = 1..3), only when the slot is set (sparse index) |
//! | `body`             | M    | the JSON body as a native map, so conditions can read its fields |
//! | `expires_at`       | N    | TTL attribute; reads also hide expired items, since TTL deletion lags |
//!
//! Reads of the table are strongly consistent; GSI reads are eventually consistent (DynamoDB
//! offers nothing else), which is why uniqueness and state transitions never depend on an index.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use serde_json::{Number, Value};

use crate::domain::clock::now_secs;
use crate::ports::{Condition, INDEXES, Item, Range, Store, StoreError, Write};

/// The metadata table on DynamoDB.
pub struct DynamoStore {
    client: Client,
    table: String,
}

type Attrs = HashMap<String, AttributeValue>;

/// DynamoDB's limit on writes in one transaction.
const MAX_TRANSACTION: usize = 100;

impl DynamoStore {
    /// The store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn backend(e: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Backend(e.into())
}

/// A JSON value as a DynamoDB attribute.
pub fn to_attr(v: &Value) -> AttributeValue {
    match v {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(a) => AttributeValue::L(a.iter().map(to_attr).collect()),
        Value::Object(m) => {
            AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect())
        }
    }
}

/// A DynamoDB attribute as JSON (the inverse of [`to_attr`] on everything it produces).
pub fn from_attr(a: &AttributeValue) -> Result<Value, StoreError> {
    Ok(match a {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(n) => Value::Number(parse_number(n)?),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(l) => Value::Array(l.iter().map(from_attr).collect::<Result<_, _>>()?),
        AttributeValue::M(m) => Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), from_attr(v)?)))
                .collect::<Result<_, StoreError>>()?,
        ),
        other => return Err(backend(anyhow!("unexpected attribute type {other:?}"))),
    })
}

fn parse_number(n: &str) -> Result<Number, StoreError> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| backend(anyhow!("number {n:?} out of range")))
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn key(pk: &str, sk: &str) -> Attrs {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

fn to_attrs(item: &Item) -> Attrs {
    let mut a = key(&item.pk, &item.sk);
    for (n, slot) in item.index.iter().enumerate() {
        if let Some((p, k)) = slot {
            a.insert(format!("i{}pk", n + 1), s(p));
            a.insert(format!("i{}sk", n + 1), s(k));
        }
    }
    a.insert("body".into(), to_attr(&item.body));
    if let Some(t) = item.expires_at {
        a.insert("expires_at".into(), AttributeValue::N(t.to_string()));
    }
    a
}

fn string(a: &Attrs, name: &str) -> Option<String> {
    a.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn from_attrs(a: &Attrs) -> Result<Item, StoreError> {
    let mut index: [Option<(String, String)>; INDEXES] = [None, None, None];
    for (n, slot) in index.iter_mut().enumerate() {
        *slot = string(a, &format!("i{}pk", n + 1)).zip(string(a, &format!("i{}sk", n + 1)));
    }
    Ok(Item {
        pk: string(a, "pk").context("item without pk")?,
        sk: string(a, "sk").context("item without sk")?,
        index,
        body: from_attr(a.get("body").context("item without body")?)?,
        expires_at: match a.get("expires_at") {
            Some(AttributeValue::N(n)) => Some(n.parse().context("bad expires_at")?),
            _ => None,
        },
    })
}

fn live(item: &Item, now: i64) -> bool {
    item.expires_at.is_none_or(|t| t > now)
}

/// The condition expression for `cond`, with its names and values; `None` when unconditional.
struct ConditionExpr {
    expr: String,
    names: HashMap<String, String>,
    values: Attrs,
}

fn condition(cond: &Condition) -> Option<ConditionExpr> {
    let now = || AttributeValue::N(now_secs().to_string());
    // An item whose TTL has passed counts as absent, as it does for reads.
    let alive =
        "(attribute_exists(pk) AND (attribute_not_exists(expires_at) OR expires_at > :now))";
    let (expr, names, mut values) = match cond {
        Condition::None => return None,
        Condition::NotExists => (
            "attribute_not_exists(pk) OR expires_at <= :now".to_string(),
            HashMap::new(),
            HashMap::new(),
        ),
        Condition::Exists => (alive.to_string(), HashMap::new(), HashMap::new()),
        Condition::FieldEquals(field, value) => (
            format!("{alive} AND #body.#field = :value"),
            HashMap::from([
                ("#body".to_string(), "body".to_string()),
                ("#field".to_string(), field.clone()),
            ]),
            HashMap::from([(":value".to_string(), to_attr(value))]),
        ),
    };
    values.insert(":now".into(), now());
    Some(ConditionExpr {
        expr,
        names,
        values,
    })
}

/// True when a service error says a condition failed (alone or inside a cancelled transaction).
fn is_conflict<E, R>(e: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    let Some(service) = e.as_service_error() else {
        return false;
    };
    match service.code() {
        Some("ConditionalCheckFailedException") => true,
        Some("TransactionCanceledException") => service
            .message()
            .is_some_and(|m| m.contains("ConditionalCheckFailed")),
        _ => false,
    }
}

fn sdk_error<E, R>(what: &str, e: SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if is_conflict(&e) {
        return StoreError::Conflict;
    }
    StoreError::Backend(
        anyhow::Error::msg(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
            .context(what.to_string()),
    )
}

/// The key condition for `range` on sort key attribute `sk`. DynamoDB takes one sort-key
/// condition, so a prefix combined with bounds is narrowed by the bounds here and by the prefix
/// in [`in_range`] afterwards.
fn key_condition(range: &Range, pk_attr: &str, sk_attr: &str, values: &mut Attrs) -> String {
    let mut expr = format!("{pk_attr} = :pk");
    let cond = match (&range.from, &range.to, &range.prefix) {
        (Some(from), Some(to), _) => {
            values.insert(":from".into(), s(from));
            values.insert(":to".into(), s(to));
            format!("{sk_attr} BETWEEN :from AND :to")
        }
        (Some(from), None, _) => {
            values.insert(":from".into(), s(from));
            format!("{sk_attr} >= :from")
        }
        (None, Some(to), _) => {
            values.insert(":to".into(), s(to));
            format!("{sk_attr} <= :to")
        }
        (None, None, Some(p)) => {
            values.insert(":prefix".into(), s(p));
            format!("begins_with({sk_attr}, :prefix)")
        }
        (None, None, None) => return expr,
    };
    expr.push_str(" AND ");
    expr.push_str(&cond);
    expr
}

fn in_range(sort: &str, range: &Range) -> bool {
    range.prefix.as_deref().is_none_or(|p| sort.starts_with(p))
        && range.from.as_deref().is_none_or(|f| sort >= f)
        && range.to.as_deref().is_none_or(|t| sort <= t)
}

impl DynamoStore {
    async fn query_on(
        &self,
        index: Option<usize>,
        pk: &str,
        range: &Range,
    ) -> Result<Vec<Item>, StoreError> {
        let (pk_attr, sk_attr) = match index {
            None => ("pk".to_string(), "sk".to_string()),
            Some(n) => (format!("i{n}pk"), format!("i{n}sk")),
        };
        let mut values = HashMap::from([(":pk".to_string(), s(pk))]);
        let expr = key_condition(range, &pk_attr, &sk_attr, &mut values);
        let now = now_secs();
        let mut out = Vec::new();
        let mut start: Option<Attrs> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(|n| format!("gsi{n}")))
                .consistent_read(index.is_none())
                .key_condition_expression(&expr)
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(!range.descending)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("query", e))?;
            for a in page.items() {
                let item = from_attrs(a)?;
                let sort = match index {
                    None => Some(item.sk.as_str()),
                    Some(n) => item.index[n - 1].as_ref().map(|(_, k)| k.as_str()),
                };
                if live(&item, now) && sort.is_some_and(|k| in_range(k, range)) {
                    out.push(item);
                }
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get item", e))?;
        match out.item {
            Some(a) => {
                let item = from_attrs(&a)?;
                Ok(live(&item, now_secs()).then_some(item))
            }
            None => Ok(None),
        }
    }

    async fn put(&self, item: Item, cond: Condition) -> Result<(), StoreError> {
        let c = condition(&cond);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attrs(&item)))
            .set_condition_expression(c.as_ref().map(|c| c.expr.clone()))
            .set_expression_attribute_names(c.as_ref().and_then(|c| non_empty(&c.names)))
            .set_expression_attribute_values(c.map(|c| c.values))
            .send()
            .await
            .map_err(|e| sdk_error("put item", e))?;
        Ok(())
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error("delete item", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn query(&self, pk: &str, range: &Range) -> Result<Vec<Item>, StoreError> {
        self.query_on(None, pk, range).await
    }

    async fn query_index(
        &self,
        n: usize,
        pk: &str,
        range: &Range,
    ) -> Result<Vec<Item>, StoreError> {
        if !(1..=INDEXES).contains(&n) {
            return Err(backend(anyhow!("no index {n}")));
        }
        self.query_on(Some(n), pk, range).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        if writes.len() > MAX_TRANSACTION {
            return Err(backend(anyhow!(
                "{} writes in one transaction; DynamoDB takes at most {MAX_TRANSACTION}",
                writes.len()
            )));
        }
        let items = writes
            .iter()
            .map(|w| -> Result<TransactWriteItem, StoreError> {
                Ok(match w {
                    Write::Put(item, cond) => {
                        let c = condition(cond);
                        TransactWriteItem::builder()
                            .put(
                                Put::builder()
                                    .table_name(&self.table)
                                    .set_item(Some(to_attrs(item)))
                                    .set_condition_expression(c.as_ref().map(|c| c.expr.clone()))
                                    .set_expression_attribute_names(
                                        c.as_ref().and_then(|c| non_empty(&c.names)),
                                    )
                                    .set_expression_attribute_values(c.map(|c| c.values))
                                    .build()
                                    .map_err(backend)?,
                            )
                            .build()
                    }
                    Write::Delete { pk, sk } => TransactWriteItem::builder()
                        .delete(
                            Delete::builder()
                                .table_name(&self.table)
                                .set_key(Some(key(pk, sk)))
                                .build()
                                .map_err(backend)?,
                        )
                        .build(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| sdk_error("transaction", e))?;
        Ok(())
    }
}

fn non_empty(m: &HashMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_attributes() {
        let v = json!({"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": "", "big": u64::MAX});
        assert_eq!(from_attr(&to_attr(&v)).unwrap(), v);
    }

    #[test]
    fn range_filter_applies_every_bound() {
        let r = Range {
            prefix: Some("A#".into()),
            from: Some("A#2".into()),
            to: Some("B".into()),
            descending: false,
        };
        assert!(in_range("A#3", &r));
        assert!(!in_range("A#1", &r));
        assert!(!in_range("AB", &r));
    }
}
