//! A TCP proxy on a free loopback port in front of a storage peer (moto), which a test can take
//! down — open connections reset, new ones refused at once — bring back, and slow down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// The proxy's switches.
#[derive(Default)]
struct Switches {
    down: AtomicBool,
    delay_ms: AtomicU64,
    /// Connections cut or refused while down.
    dropped: AtomicU64,
}

/// A running proxy; it stops with the test's runtime.
#[derive(Clone)]
pub struct Proxy {
    pub url: String,
    switches: Arc<Switches>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("upstream host:port");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let switches = Arc::new(Switches::default());
        let s = switches.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { pipe(client, upstream, s).await });
            }
        });
        Self { url, switches }
    }

    /// Cuts every open connection and refuses new ones (`true`), or lets them through again.
    pub fn set_down(&self, down: bool) {
        self.switches.down.store(down, Ordering::SeqCst);
    }

    /// Holds each new connection this long before it reaches the peer.
    pub fn set_delay(&self, delay: Duration) {
        self.switches
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Connections cut or refused so far.
    pub fn dropped(&self) -> u64 {
        self.switches.dropped.load(Ordering::SeqCst)
    }
}

async fn pipe(mut client: TcpStream, upstream: SocketAddr, s: Arc<Switches>) {
    let refuse = |s: &Switches| s.dropped.fetch_add(1, Ordering::SeqCst);
    if s.down.load(Ordering::SeqCst) {
        refuse(&s);
        return;
    }
    let delay = s.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let watch_down = async {
        while !s.down.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        () = watch_down => { refuse(&s); }
    }
}
