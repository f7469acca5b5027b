//! The stack of `template.yaml` run as Lambda runs it, on one machine: resources provisioned in
//! moto under the names CloudFormation would give them, every function's real binary (the
//! test-profile build in the target dir) started under its own Runtime API with the
//! environment the template declares, the HTTP API in front, and the event sources (SQS
//! mappings, S3 notifications) playing the Lambda service's part.

pub mod gateway;
pub mod runtime_api;
pub mod sources;
pub mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_yaml_ng::Value as Yaml;

pub use runtime_api::Instance;
use template::{EventSource, FunctionSpec, Stack, Template};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// How to deploy.
pub struct Options {
    /// The template (the repo's by default; `OZ_LAMBDA_TEMPLATE` overrides it).
    pub template: PathBuf,
    /// `sam deploy --parameter-overrides`.
    pub parameters: Vec<(String, String)>,
    /// Variables set on every function on top of the template's, each with its reason.
    pub env_overrides: Vec<(String, String)>,
    /// CPUs the function processes may use (`taskset -c`), all when `None`.
    pub cpus: Option<String>,
    /// Only these functions (logical ids); all when empty.
    pub only: Vec<String>,
    /// The stack to deploy into: a fresh one when `None`; an existing name reuses its resources
    /// and data (a later cold start, with the first ADMIN already there).
    pub stack_name: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        let template = std::env::var_os("OZ_LAMBDA_TEMPLATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml"));
        Self {
            template,
            parameters: vec![],
            env_overrides: vec![],
            cpus: None,
            only: vec![],
            stack_name: None,
        }
    }
}

/// A deployed stack.
pub struct Deployment {
    /// The HTTP API's base URL.
    pub url: String,
    pub functions: BTreeMap<String, Arc<Instance>>,
    /// Init durations (process start to first `/next`), by logical id.
    pub init: BTreeMap<String, Duration>,
    pub stack: Stack,
    pub clients: shared::aws::Clients,
    pub deliveries: sources::Shared,
    /// Event source mappings that may be switched off (`aws lambda update-event-source-mapping
    /// --no-enabled`), by queue logical id.
    pub mappings: BTreeMap<String, Arc<AtomicBool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Deployment {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The folder the function binaries are in: `OZ_LAMBDA_BINARIES`, or the test binary's target
/// profile dir.
pub fn binaries_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OZ_LAMBDA_BINARIES") {
        return dir.into();
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Provisions the template's table, bucket and queues in moto, fills the stack's references.
async fn provision(t: &Template, name: &str, opts: &Options) -> (Stack, shared::aws::Clients) {
    use shared::aws::provision::{ensure_bucket, ensure_queue, ensure_table};
    let moto = shared::testing::moto();
    let clients = shared::aws::Clients::new(&moto.sdk_config().await, true);
    let mut stack = Stack::default();
    for (k, v) in [
        ("AWS::StackName", name),
        ("AWS::AccountId", ACCOUNT),
        ("AWS::Region", REGION),
        ("AWS::Partition", "aws"),
        ("AWS::URLSuffix", "amazonaws.com"),
    ] {
        stack.refs.insert(k.into(), v.into());
    }
    let params: Vec<(&str, &str)> = opts
        .parameters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    stack.refs.extend(t.parameters(&params));
    // Every resource has a name and an ARN; the kinds the functions use are then created.
    for id in t.resource_ids() {
        stack.refs.insert(id.clone(), format!("{name}-{id}"));
        stack.attrs.insert(
            format!("{id}.Arn"),
            format!("arn:aws:::{ACCOUNT}:{name}-{id}"),
        );
    }
    for (id, _) in t.resources("AWS::DynamoDB::Table") {
        let table = format!("{name}-{id}");
        ensure_table(&clients.dynamodb, &table).await.unwrap();
        stack.attrs.insert(
            format!("{id}.Arn"),
            format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"),
        );
        stack.refs.insert(id, table);
    }
    for (id, r) in t.resources("AWS::S3::Bucket") {
        let bucket = match &r["Properties"]["BucketName"] {
            Yaml::Null => format!("{name}-{}", id.to_lowercase()),
            v => stack.resolve(v),
        };
        ensure_bucket(&clients.s3, &bucket).await.unwrap();
        stack
            .attrs
            .insert(format!("{id}.Arn"), format!("arn:aws:s3:::{bucket}"));
        stack.refs.insert(id, bucket);
    }
    // A queue with a redrive policy is created with its dead-letter queue (`<name>-dlq`).
    let queues = t.resources("AWS::SQS::Queue");
    let dead_letter_of = |id: &str| {
        queues.iter().find_map(|(src, r)| {
            let target = &r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"];
            let Yaml::Tagged(tag) = target else {
                return None;
            };
            (tag.value.as_str()?.split('.').next()? == id).then(|| src.clone())
        })
    };
    let mut urls = BTreeMap::new();
    for (id, r) in &queues {
        if dead_letter_of(id).is_some() {
            continue;
        }
        let p = &r["Properties"];
        let visibility = p["VisibilityTimeout"].as_u64().unwrap_or(30);
        let receives = match &p["RedrivePolicy"]["maxReceiveCount"] {
            Yaml::Null => 1000,
            v => stack.resolve(v).parse().unwrap(),
        };
        let queue = format!("{name}-{id}");
        let (url, dlq) = ensure_queue(
            &clients.sqs,
            &queue,
            Duration::from_secs(visibility),
            receives,
        )
        .await
        .unwrap();
        urls.insert(id.clone(), (queue.clone(), url));
        if let Some((dlq_id, _)) = queues
            .iter()
            .find(|(d, _)| dead_letter_of(d).as_deref() == Some(id))
        {
            urls.insert(dlq_id.clone(), (format!("{queue}-dlq"), dlq));
        }
    }
    for (id, (queue, url)) in urls {
        stack.attrs.insert(
            format!("{id}.Arn"),
            format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"),
        );
        stack.attrs.insert(format!("{id}.QueueName"), queue);
        stack.refs.insert(id, url);
    }
    (stack, clients)
}

/// Deploys the template: provisions, starts every function (in parallel, as a burst of cold
/// starts would), waits for each to finish init, then serves the API and runs the sources.
/// Err names the function whose init failed, with its logs.
pub async fn deploy(opts: Options) -> Result<Deployment, String> {
    let t = Template::read(&opts.template);
    let name = opts
        .stack_name
        .clone()
        .unwrap_or_else(|| format!("oz-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]));
    let (stack, clients) = provision(&t, &name, &opts).await;
    let mut extra: BTreeMap<String, String> = [
        ("AWS_ENDPOINT_URL", shared::testing::moto().url.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    extra.extend(opts.env_overrides.iter().cloned());
    let specs: Vec<FunctionSpec> = t
        .functions(&stack)
        .into_iter()
        .filter(|f| opts.only.is_empty() || opts.only.contains(&f.logical_id))
        .collect();
    let dir = binaries_dir();
    let mut functions = BTreeMap::new();
    for spec in &specs {
        let bin = dir.join(&spec.binary);
        if !bin.exists() {
            return Err(format!(
                "{} is not built: run `cargo build --workspace --bins --tests` (scripts/test does)",
                bin.display()
            ));
        }
        let inst = Instance::start(spec, &bin, &extra, REGION, opts.cpus.as_deref()).await;
        functions.insert(spec.logical_id.clone(), Arc::new(inst));
    }
    let mut init = BTreeMap::new();
    for (id, f) in &functions {
        let took = f
            .ready(Duration::from_secs(120))
            .await
            .map_err(|e| format!("{id} ({}): {e}", f.spec.binary))?;
        init.insert(id.clone(), took);
    }

    let deliveries = sources::Shared::default();
    let mut routes = vec![];
    let mut tasks = vec![];
    let mut mappings = BTreeMap::new();
    for spec in &specs {
        let f = functions[&spec.logical_id].clone();
        for e in &spec.events {
            match e {
                EventSource::Http { method, path } => routes.push(gateway::Route {
                    method: method.clone(),
                    path: path.clone(),
                    function: f.clone(),
                }),
                EventSource::Sqs {
                    queue,
                    batch_size,
                    partial_failures,
                } => {
                    let enabled = Arc::new(AtomicBool::new(true));
                    mappings.insert(queue.clone(), enabled.clone());
                    tasks.push(sources::sqs_mapping(
                        clients.sqs.clone(),
                        sources::SqsMapping {
                            queue_id: queue.clone(),
                            queue_url: stack.refs[queue].clone(),
                            batch_size: *batch_size,
                            partial_failures: *partial_failures,
                        },
                        f.clone(),
                        deliveries.clone(),
                        enabled,
                    ))
                }
                EventSource::S3 { bucket } => tasks.push(sources::s3_notifications(
                    clients.s3.clone(),
                    stack.refs[bucket].clone(),
                    f.clone(),
                    deliveries.clone(),
                )),
            }
        }
    }
    let (addr, api) = gateway::serve(routes).await;
    tasks.push(api);
    Ok(Deployment {
        url: format!("http://{addr}"),
        functions,
        init,
        stack,
        clients,
        deliveries,
        mappings,
        tasks,
    })
}

impl Deployment {
    /// Switches the event source mapping of queue `queue_id` on or off.
    pub fn set_mapping(&self, queue_id: &str, on: bool) {
        self.mappings[queue_id].store(on, Ordering::SeqCst);
    }

    /// The function with this logical id.
    pub fn function(&self, id: &str) -> &Instance {
        &self.functions[id]
    }
}
