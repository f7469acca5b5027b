//! The local server: every Lambda function's routes behind one listener, on the embedded adapters.

use std::net::SocketAddr;

use anyhow::Context as _;
use shared::api::{Function, router};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Logs as JSON when `OZ_LOG_JSON=1`, else human-readable; level from `RUST_LOG` (default info).
pub fn init_tracing() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    if std::env::var("OZ_LOG_JSON").is_ok_and(|v| v == "1") {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Serves until SIGINT/SIGTERM (or until `ready`'s receiver side is told nothing: tests use
/// [`spawn`] instead). `ready` receives the bound address once listening.
pub async fn run(
    config: shared::Config,
    ready: Option<oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let app = shared::App::local(config, public_url).await?;
    let service = router(app, &Function::ALL);
    tracing::info!(%addr, "Oz API listening; log in with POST /api/authorize/auth");
    if let Some(tx) = ready {
        let _ = tx.send(addr);
    }
    axum::serve(
        listener,
        axum::ServiceExt::<axum::extract::Request>::into_make_service(service),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving")?;
    tracing::info!("shut down cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
