//! Service metrics as CloudWatch Embedded Metric Format (EMF) lines: one JSON object per line on
//! stdout, which Lambda ships to CloudWatch Logs and CloudWatch turns into metrics — no SDK call
//! on the request path and no `cloudwatch:PutMetricData` permission. Off by default outside
//! Lambda, where nothing would read them (`OZ_METRICS_EMF`).
//!
//! Each record publishes its values twice: under `Service` alone (totals an alarm can watch) and
//! under `Service` plus the record's own dimensions (per analysis type and resolution, per webhook
//! outcome). Ids (`analyse_id`, `folder_id`) go in as plain properties: searchable in Logs
//! Insights, never dimensions (one metric per id would be unbounded).

use std::io::Write as _;

use serde_json::{Map, Value, json};

/// The unit of a metric value (EMF `Unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// `d` in (fractional) milliseconds, the unit of every duration metric.
pub fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One observation: the values measured together, the dimensions they are broken down by and
/// the properties that only describe them.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    service: &'static str,
    dimensions: Vec<(&'static str, String)>,
    values: Vec<(&'static str, f64, Unit)>,
    properties: Vec<(&'static str, Value)>,
}

impl Record {
    /// A record of `service` (the `Service` dimension: `analyses`, `webhooks`).
    pub fn new(service: &'static str) -> Self {
        Self {
            service,
            dimensions: Vec::new(),
            values: Vec::new(),
            properties: Vec::new(),
        }
    }

    /// Breaks the values down by `name` (keep the set of values small: a type, an outcome).
    pub fn dimension(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.dimensions.push((name, value.into()));
        self
    }

    /// A metric value.
    pub fn value(mut self, name: &'static str, value: f64, unit: Unit) -> Self {
        self.values.push((name, value, unit));
        self
    }

    /// A property kept in the log line but not a metric nor a dimension.
    pub fn property(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.properties.push((name, value.into()));
        self
    }

    /// The EMF document of this record in `namespace`, stamped `timestamp_ms`.
    pub fn to_emf(&self, namespace: &str, timestamp_ms: u64) -> Value {
        let mut root = Map::new();
        for (k, v) in &self.properties {
            root.insert((*k).into(), v.clone());
        }
        root.insert("Service".into(), self.service.into());
        let mut detailed = vec!["Service"];
        for (k, v) in &self.dimensions {
            root.insert((*k).into(), v.as_str().into());
            detailed.push(k);
        }
        let mut sets = vec![vec!["Service"]];
        if detailed.len() > 1 {
            sets.push(detailed);
        }
        let metrics: Vec<Value> = self
            .values
            .iter()
            .map(|(name, value, unit)| {
                root.insert((*name).into(), json!(value));
                json!({ "Name": name, "Unit": unit.as_str() })
            })
            .collect();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": sets,
                    "Metrics": metrics,
                }],
            }),
        );
        Value::Object(root)
    }
}

/// Where records go: EMF lines on stdout, or nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    /// The CloudWatch namespace (`OZ_METRICS_NAMESPACE`); `None` when metrics are off.
    namespace: Option<String>,
}

impl Metrics {
    /// Records go nowhere.
    pub fn off() -> Self {
        Self { namespace: None }
    }

    /// Records become EMF lines in `namespace`.
    pub fn emf(namespace: impl Into<String>) -> Self {
        Self {
            namespace: Some(namespace.into()),
        }
    }

    /// Writes `record` (one line, so it never interleaves with a log line).
    pub fn record(&self, record: Record) {
        let Some(namespace) = &self.namespace else {
            return;
        };
        let now_ms = (crate::domain::clock::now() * 1e3) as u64;
        let mut line = record.to_emf(namespace, now_ms).to_string();
        line.push('\n');
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_an_emf_document_whose_dimensions_and_metrics_are_members() {
        let r = Record::new("analyses")
            .dimension("AnalysisType", "QUALITY")
            .dimension("Resolution", "SUCCESS")
            .value("AnalysesProcessed", 1.0, Unit::Count)
            .value("AnalysisDuration", 412.5, Unit::Milliseconds)
            .property("analyse_id", "a-1");
        let doc = r.to_emf("OzApi", 1_700_000_000_123);
        let aws = &doc["_aws"];
        assert_eq!(aws["Timestamp"], 1_700_000_000_123u64);
        let directive = &aws["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "OzApi");
        assert_eq!(
            directive["Dimensions"],
            json!([["Service"], ["Service", "AnalysisType", "Resolution"]])
        );
        // The specification: every dimension and metric named in the directive is a member of
        // the root, a dimension's value a string, a metric's a number.
        for set in directive["Dimensions"].as_array().unwrap() {
            for d in set.as_array().unwrap() {
                assert!(doc[d.as_str().unwrap()].is_string(), "{d}");
            }
        }
        for m in directive["Metrics"].as_array().unwrap() {
            assert!(doc[m["Name"].as_str().unwrap()].is_number(), "{m}");
        }
        assert_eq!(directive["Metrics"][1]["Unit"], "Milliseconds");
        assert_eq!(doc["AnalysisDuration"], 412.5);
        assert_eq!(doc["analyse_id"], "a-1");
    }

    #[test]
    fn a_record_without_dimensions_publishes_only_the_service_totals() {
        let doc = Record::new("webhooks")
            .value("WebhookAttempts", 1.0, Unit::Count)
            .to_emf("N", 0);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Service"]])
        );
    }
}
