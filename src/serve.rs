//! The local server: every Lambda function's routes behind one listener, on the embedded adapters
//! (default) or on DynamoDB/S3/SQS (`OZ_STORAGE=aws`, e.g. against moto).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use shared::api::{Function, router};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt as _;

/// Logs as JSON when `OZ_LOG_JSON` is true (`1`, `true`, `yes`), else human-readable; level
/// from `RUST_LOG` (default info).
pub fn init_tracing() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    if shared::config::flag("OZ_LOG_JSON", false).unwrap_or(false) {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Serves until SIGINT/SIGTERM on the adapters `config.storage` selects (the AWS SDK reads its
/// endpoint, region and credentials from the environment). `ready` receives the bound address.
pub async fn run(
    config: shared::Config,
    ready: Option<oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    let app = shared::wiring::build(config, format!("http://{addr}")).await?;
    start_workers(app.clone());
    serve_app(listener, app, ready).await
}

/// Starts the webhook sender; loads the face engine in the background, then hands it to the
/// synchronous APIs (Instant, Lite) and runs the analysis worker pool on the app's queue. The API
/// serves meanwhile (queued analyses wait for the engine, synchronous requests a bounded time).
fn start_workers(app: Arc<shared::App>) {
    shared::events::spawn_webhook_sender(app.clone());
    tokio::spawn(async move {
        match face_analyzer::EngineAnalyzer::load().await {
            Ok(analyzer) => {
                let analyzer = Arc::new(analyzer);
                app.analyzer.set(analyzer.clone());
                let workers = app.config.analysis_workers;
                shared::events::spawn_analysis_workers(app, analyzer, workers);
            }
            Err(e) => tracing::error!(
                error = format!("{e:#}"),
                "face engine did not load; analyses will wait"
            ),
        }
    });
}

/// Serves `app` on `listener` until SIGINT/SIGTERM, then lets open requests finish.
///
/// Its own accept loop rather than `axum::serve`, for what a server facing clients directly
/// needs: request headers must arrive within `read_timeout` (else the connection is closed), a
/// body that pauses longer is answered 408, and the peer address reaches login throttling.
pub async fn serve_app(
    listener: TcpListener,
    app: Arc<shared::App>,
    ready: Option<oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let storage = app.config.storage;
    let read_timeout = app.config.read_timeout;
    let service = router(app, &Function::ALL);
    let mut connections = auto::Builder::new(TokioExecutor::new());
    connections
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout);
    let graceful = GracefulShutdown::new();
    tracing::info!(%addr, ?storage, "Oz API listening; log in with POST /api/authorize/auth");
    if let Some(tx) = ready {
        let _ = tx.send(addr);
    }
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, mostly: wait for connections to close.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let handle = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let req = shared::api::extract::from_connection(req, peer.ip(), read_timeout);
            service.clone().oneshot(req)
        });
        let conn = connections.serve_connection_with_upgrades(TokioIo::new(stream), handle);
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open 30 s after the shutdown signal; leaving them");
    }
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
