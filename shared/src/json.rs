//! JSON as Oz writes it. Oz is a Django service, and Python's `json.dumps` separates keys from
//! values with `": "` and items with `", "`, on one line; shell clients grep answers for
//! `"access_token": "`, so every answer and webhook body is written this way.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// The `serde_json` formatter with Django's separators.
#[derive(Debug, Default, Clone, Copy)]
pub struct DjangoFormatter;

impl Formatter for DjangoFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// `value` as Oz writes JSON.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    value.serialize(&mut Serializer::with_formatter(&mut out, DjangoFormatter))?;
    Ok(out)
}

/// The wire name of a unit enum variant (`Resolution::OperatorRequired` → `OPERATOR_REQUIRED`).
pub fn variant_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn writes_django_separators_on_one_line() {
        let v = json!({"access_token": "t", "list": [1, {"a": null}], "n": 1.5, "s": "a, b: c"});
        let text = String::from_utf8(super::to_vec(&v).unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"access_token": "t", "list": [1, {"a": null}], "n": 1.5, "s": "a, b: c"}"#
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
        assert_eq!(super::to_vec(&json!({})).unwrap(), b"{}");
        assert_eq!(super::to_vec(&json!([])).unwrap(), b"[]");
    }
}
