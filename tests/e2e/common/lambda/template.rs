//! `template.yaml` read the way CloudFormation and the Lambda service would: each function's
//! environment (Globals merged with its own, `!Ref`/`!Sub`/`!GetAtt` resolved against the
//! resources the test provisions), memory size, layers and event sources.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;
use serde_yaml_ng::value::TaggedValue;

/// The parsed template.
pub struct Template {
    doc: Value,
    /// The folder the template sits in (`CodeUri`/`ContentUri` are relative to it).
    pub dir: PathBuf,
}

/// What the stack resolves references to: parameter values, resources' physical ids
/// (`!Ref`) and attributes (`!GetAtt X.Arn`), and the pseudo parameters.
#[derive(Default)]
pub struct Stack {
    pub refs: BTreeMap<String, String>,
    pub attrs: BTreeMap<String, String>,
}

/// One `AWS::Serverless::Function`, its environment resolved.
#[derive(Clone, Debug)]
pub struct FunctionSpec {
    /// The logical id, e.g. `WorkerFunction`.
    pub logical_id: String,
    /// The cargo binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    pub memory_mb: u64,
    pub timeout_s: u64,
    pub env: BTreeMap<String, String>,
    /// Local folders of the function's layers, mounted at `/opt` on Lambda.
    pub layers: Vec<PathBuf>,
    /// `AWS_LAMBDA_LOG_FORMAT` (`LoggingConfig.LogFormat`), `Text` unless set.
    pub log_format: String,
    pub events: Vec<EventSource>,
}

/// An event source of a function.
#[derive(Clone, Debug)]
pub enum EventSource {
    /// An `HttpApi` route: `method` (`ANY` or a verb) and path (`/a/{proxy+}` or exact).
    Http { method: String, path: String },
    /// An `SQS` event source mapping on the queue with this logical id.
    Sqs {
        queue: String,
        batch_size: usize,
        partial_failures: bool,
    },
    /// `S3` object notifications of the bucket with this logical id.
    S3 { bucket: String },
}

impl Template {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Self {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let doc = serde_yaml_ng::from_str(&text).expect("template.yaml parses");
        Self {
            doc,
            dir: path.parent().unwrap().to_path_buf(),
        }
    }

    /// Logical ids and properties of the resources of `kind` (e.g. `AWS::SQS::Queue`).
    pub fn resources(&self, kind: &str) -> Vec<(String, &Value)> {
        let Some(map) = self.doc["Resources"].as_mapping() else {
            return vec![];
        };
        map.iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .map(|(id, r)| (id.as_str().unwrap().to_string(), r))
            .collect()
    }

    /// Every resource's logical id.
    pub fn resource_ids(&self) -> Vec<String> {
        self.doc["Resources"]
            .as_mapping()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The stack's parameter values: `overrides` (as `--parameter-overrides`), else defaults.
    /// Panics on a parameter with neither, as `sam deploy` refuses it.
    pub fn parameters(&self, overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Some(map) = self.doc["Parameters"].as_mapping() {
            for (name, p) in map {
                let name = name.as_str().unwrap();
                let value = overrides
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
                    .or_else(|| scalar(&p["Default"]))
                    .unwrap_or_else(|| panic!("parameter {name} has no value"));
                out.insert(name.to_string(), value);
            }
        }
        out
    }

    /// Every function, resolved against `stack`.
    pub fn functions(&self, stack: &Stack) -> Vec<FunctionSpec> {
        let globals = &self.doc["Globals"]["Function"];
        self.resources("AWS::Serverless::Function")
            .into_iter()
            .map(|(logical_id, r)| {
                let props = &r["Properties"];
                let mut env = BTreeMap::new();
                for vars in [
                    &globals["Environment"]["Variables"],
                    &props["Environment"]["Variables"],
                ] {
                    if let Some(m) = vars.as_mapping() {
                        for (k, v) in m {
                            env.insert(k.as_str().unwrap().to_string(), stack.resolve(v));
                        }
                    }
                }
                let layers = props["Layers"]
                    .as_sequence()
                    .map(|ls| {
                        ls.iter()
                            .map(|l| {
                                let id = ref_target(l).expect("layers are !Ref");
                                let uri =
                                    self.doc["Resources"][id.as_str()]["Properties"]["ContentUri"]
                                        .as_str()
                                        .expect("layer ContentUri");
                                self.dir.join(uri)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let number = |key: &str| {
                    props[key]
                        .as_u64()
                        .or_else(|| globals[key].as_u64())
                        .unwrap_or_else(|| panic!("{logical_id} has no {key}"))
                };
                let log_format = scalar(&props["LoggingConfig"]["LogFormat"])
                    .or_else(|| scalar(&globals["LoggingConfig"]["LogFormat"]))
                    .unwrap_or_else(|| "Text".into());
                let binary = r["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()
                    .expect("BuildProperties.Binary")
                    .to_string();
                // `sam build` runs `cargo lambda build --bin <Binary>` in `CodeUri`: the package
                // there must be the one that has the binary.
                let code_uri = props["CodeUri"].as_str().expect("CodeUri");
                let manifest = std::fs::read_to_string(self.dir.join(code_uri).join("Cargo.toml"))
                    .unwrap_or_else(|e| {
                        panic!("{logical_id}: CodeUri {code_uri} has no Cargo.toml: {e}")
                    });
                assert!(
                    manifest.contains(&format!("name = \"{binary}\"")),
                    "{logical_id}: the package in CodeUri {code_uri} has no binary {binary}"
                );
                FunctionSpec {
                    binary,
                    memory_mb: number("MemorySize"),
                    timeout_s: number("Timeout"),
                    env,
                    layers,
                    log_format,
                    events: events(&props["Events"]),
                    logical_id,
                }
            })
            .collect()
    }
}

fn events(events: &Value) -> Vec<EventSource> {
    let Some(map) = events.as_mapping() else {
        return vec![];
    };
    map.values()
        .filter_map(|e| {
            let p = &e["Properties"];
            match e["Type"].as_str()? {
                "HttpApi" => Some(EventSource::Http {
                    method: p["Method"].as_str()?.to_ascii_uppercase(),
                    path: p["Path"].as_str()?.to_string(),
                }),
                "SQS" => Some(EventSource::Sqs {
                    queue: getatt_target(&p["Queue"])?,
                    batch_size: p["BatchSize"].as_u64().unwrap_or(10) as usize,
                    partial_failures: p["FunctionResponseTypes"]
                        .as_sequence()
                        .is_some_and(|t| t.iter().any(|t| t == "ReportBatchItemFailures")),
                }),
                "S3" => Some(EventSource::S3 {
                    bucket: ref_target(&p["Bucket"])?,
                }),
                _ => None,
            }
        })
        .collect()
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn tagged<'a>(v: &'a Value, tag: &str) -> Option<&'a TaggedValue> {
    match v {
        Value::Tagged(t) if t.tag == tag => Some(t),
        _ => None,
    }
}

/// The logical id a `!Ref X` names.
fn ref_target(v: &Value) -> Option<String> {
    scalar(&tagged(v, "!Ref")?.value)
}

/// The logical id a `!GetAtt X.Arn` names.
fn getatt_target(v: &Value) -> Option<String> {
    let t = scalar(&tagged(v, "!GetAtt")?.value)?;
    Some(t.split('.').next()?.to_string())
}

impl Stack {
    /// The value of `v`: a scalar, `!Ref`, `!GetAtt` or `!Sub` (panics on anything else, or on
    /// a reference the stack cannot resolve: the template would not deploy either).
    pub fn resolve(&self, v: &Value) -> String {
        if let Some(s) = scalar(v) {
            return s;
        }
        let Value::Tagged(t) = v else {
            panic!("unsupported value {v:?}")
        };
        let arg = scalar(&t.value).unwrap_or_else(|| panic!("unsupported {v:?}"));
        match t.tag.to_string().as_str() {
            "!Ref" => self.reference(&arg),
            "!GetAtt" => self.attribute(&arg),
            "!Sub" => {
                let mut out = String::new();
                let mut rest = arg.as_str();
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let end = rest[start..].find('}').expect("closed ${") + start;
                    let name = &rest[start + 2..end];
                    out.push_str(&if name.contains('.') && !name.starts_with("AWS::") {
                        self.attribute(name)
                    } else {
                        self.reference(name)
                    });
                    rest = &rest[end + 1..];
                }
                out.push_str(rest);
                out
            }
            other => panic!("unsupported intrinsic {other}"),
        }
    }

    fn reference(&self, name: &str) -> String {
        self.refs
            .get(name)
            .unwrap_or_else(|| panic!("!Ref {name}: not in the stack"))
            .clone()
    }

    fn attribute(&self, name: &str) -> String {
        self.attrs
            .get(name)
            .unwrap_or_else(|| panic!("!GetAtt {name}: not in the stack"))
            .clone()
    }
}
