//! `oz-api`: the whole Oz-compatible API on one machine (`cargo run --release`), and the face
//! engine's command line (`cargo run --release -- engine ...`).

mod engine_cli;

use clap::{Parser, Subcommand};
use oz_api::serve;

#[derive(Parser)]
#[command(
    name = "oz-api",
    version,
    about = "Oz-compatible facial biometrics API"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the API on OZ_BIND with the embedded stores under OZ_DATA_DIR (the default).
    Serve,
    /// Run the face engine on files: compare, liveness, detect (the evaluation: `face-eval`).
    Engine(engine_cli::EngineArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd.unwrap_or(Cmd::Serve) {
        Cmd::Serve => {
            serve::init_tracing();
            let config = shared::Config::from_env()?;
            tokio::runtime::Runtime::new()?.block_on(serve::run(config, None))
        }
        Cmd::Engine(args) => engine_cli::run(args),
    }
}
