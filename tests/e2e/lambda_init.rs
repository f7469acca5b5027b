//! Cold starts, measured: every function of `template.yaml` started alone under the Runtime API
//! harness (so no other process competes for the CPUs), with its declared environment, several
//! times; init (process start to the first `/next`), the first invocation and peak RSS. The
//! engine functions (those with the models layer) again on one CPU (`taskset -c 0`).
//!
//! A measurement, not a check: `#[ignore]`d, run by `scripts/lambda-init`, which prints the
//! table the README quotes. `OZ_LAMBDA_BINARIES` points it at other builds (e.g. `target/release`).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::lambda::template::EventSource;
use crate::common::lambda::{self, Options};

/// Cold starts per function and CPU setting; the table shows their median.
const RUNS: usize = 5;
/// lambda-perf measures 14–16 ms for a Rust hello-world; an API function may add its config.
const API_GOAL: Duration = Duration::from_millis(30);
/// Engine functions load six ONNX models; the goal on two vCPUs.
const ENGINE_GOAL: Duration = Duration::from_millis(400);

struct Sample {
    init: Duration,
    first: Duration,
    peak_rss_kb: u64,
}

/// One cold start of `id` on `cpus`, and its first invocation.
async fn cold_start(stack: &str, id: &str, cpus: Option<&str>) -> Sample {
    let d = lambda::deploy(Options {
        only: vec![id.to_string()],
        cpus: cpus.map(str::to_string),
        stack_name: Some(stack.to_string()),
        ..crate::lambda_runtime::options()
    })
    .await
    .unwrap_or_else(|e| panic!("{id} starts: {e}"));
    let f = &d.functions[id];
    let init = d.init[id];
    let started = Instant::now();
    match f.spec.events.first() {
        // The first request an API function sees: a route of its own, without a token.
        Some(EventSource::Http { path, .. }) => {
            let path = path.replace("{proxy+}", "x");
            reqwest::get(format!("{}{path}", d.url)).await.unwrap();
        }
        // An empty batch: the runtime, the handler and its clients, no work.
        _ => {
            f.invoke(&json!({ "Records": [] })).await;
        }
    }
    let first = started.elapsed();
    let (_, peak_rss_kb) = f.rss_kb().expect("the process is alive");
    Sample {
        init,
        first,
        peak_rss_kb,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: scripts/lambda-init runs it and prints the table"]
async fn cold_start_table() {
    // One deployment of everything first: the function list, the first ADMIN created (a later
    // cold start finds it, as every cold start but the stack's first does) and warm page caches
    // (Lambda keeps a function's code on local disk too).
    let stack = format!("oz-init-{}", std::process::id());
    let specs: Vec<_> = {
        let d = lambda::deploy(Options {
            stack_name: Some(stack.clone()),
            ..crate::lambda_runtime::options()
        })
        .await
        .unwrap();
        d.functions.values().map(|f| f.spec.clone()).collect()
    };
    println!(
        "binaries: {} ({RUNS} cold starts each; median, min–max)\n",
        lambda::binaries_dir().display()
    );
    println!(
        "| function | memory (MB) | CPUs | init (ms) | init min–max | first invoke (ms) | peak RSS (MB) | goal | met |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|---|");
    for spec in &specs {
        let engine = !spec.layers.is_empty();
        let settings: &[Option<&str>] = if engine { &[None, Some("0")] } else { &[None] };
        for cpus in settings {
            let mut samples = vec![];
            for _ in 0..RUNS {
                samples.push(cold_start(&stack, &spec.logical_id, *cpus).await);
            }
            let inits: Vec<Duration> = samples.iter().map(|s| s.init).collect();
            let init = median(inits.clone());
            let first = median(samples.iter().map(|s| s.first).collect());
            let rss = samples.iter().map(|s| s.peak_rss_kb).max().unwrap();
            let (goal, met) = match (engine, cpus) {
                (false, _) => (API_GOAL, Some(init <= API_GOAL)),
                (true, None) => (ENGINE_GOAL, Some(init <= ENGINE_GOAL)),
                (true, Some(_)) => (ENGINE_GOAL, None),
            };
            println!(
                "| {} | {} | {} | {} | {}–{} | {} | {:.0} | ≤ {} ms{} | {} |",
                spec.logical_id,
                spec.memory_mb,
                if cpus.is_some() { 1 } else { 2 },
                ms(init),
                ms(*inits.iter().min().unwrap()),
                ms(*inits.iter().max().unwrap()),
                ms(first),
                rss as f64 / 1024.0,
                goal.as_millis(),
                if met.is_none() { " (on 2)" } else { "" },
                match met {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "—",
                },
            );
        }
    }
}
