//! The engine CLI of the root binary (`src/engine_cli.rs`, wired there as `oz-api engine …`),
//! built here too so it is compiled and linted with this crate:
//! `cargo run -p face-engine --example engine -- eval`.

#[path = "../../../src/engine_cli.rs"]
mod engine_cli;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "engine",
    about = "Face engine: compare, liveness, detect, eval (JSON output)"
)]
struct Cli {
    #[command(flatten)]
    args: engine_cli::EngineArgs,
}

fn main() -> anyhow::Result<()> {
    engine_cli::run(Cli::parse().args)
}
