//! Rules for client `meta_data`: a bounded JSON object, replaced or merged key by key.

use serde_json::Value;

use super::objects::MetaData;
use crate::{Error, Result};

/// Largest serialised `meta_data` object, in bytes.
pub const MAX_BYTES: usize = 16 * 1024;
/// Deepest nesting allowed inside `meta_data`.
pub const MAX_DEPTH: usize = 8;

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Accepts `v` as a `meta_data` object if it is an object within the size and depth bounds.
pub fn parse(v: Value) -> Result<MetaData> {
    let Value::Object(map) = v else {
        return Err(Error::InvalidType("meta_data must be a JSON object".into()));
    };
    let checked = Value::Object(map);
    if depth(&checked) > MAX_DEPTH {
        return Err(Error::invalid(format!(
            "meta_data nests deeper than {MAX_DEPTH} levels"
        )));
    }
    if checked.to_string().len() > MAX_BYTES {
        return Err(Error::TooLarge(format!(
            "meta_data is larger than {MAX_BYTES} bytes"
        )));
    }
    match checked {
        Value::Object(map) => Ok(map),
        _ => unreachable!("checked above"),
    }
}

/// Merges `patch` into `base`: keys with `null` are removed, others set.
pub fn merge(base: &MetaData, patch: MetaData) -> Result<MetaData> {
    let mut out = base.clone();
    for (k, v) in patch {
        if v.is_null() {
            out.remove(&k);
        } else {
            out.insert(k, v);
        }
    }
    parse(Value::Object(out))
}

/// True when `md` has `key` whose value, as text, equals `value` (the `meta_data=key==value` filter).
pub fn matches(md: &MetaData, key: &str, value: &str) -> bool {
    match md.get(key) {
        Some(Value::String(s)) => s == value,
        Some(other) => serde_json::to_string(other).is_ok_and(|s| s == value),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bounds_and_merge() {
        assert!(parse(json!([1])).is_err());
        assert!(parse(json!({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}})).is_err());
        assert!(parse(json!({"a": "x".repeat(MAX_BYTES)})).is_err());
        let base = parse(json!({"a": 1, "b": 2})).unwrap();
        let merged = merge(&base, parse(json!({"a": null, "c": "3"})).unwrap()).unwrap();
        assert_eq!(Value::Object(merged.clone()), json!({"b": 2, "c": "3"}));
        assert!(
            matches(&merged, "c", "3") && matches(&merged, "b", "2") && !matches(&merged, "a", "1")
        );
    }
}
