//! The accept loop: one task per connection, graceful shutdown on request.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::handlers::{handle, App};
use crate::timeouts::{TimedStream, Timeouts};

/// Connection limits; `Config::default()` holds the contract's values, tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub timeouts: Timeouts,
    /// Request line and headers, in bytes; a larger head gets 431 and a close.
    pub max_header_bytes: usize,
    /// How long requests in flight may run on after shutdown begins; the rest are cut off.
    pub shutdown_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timeouts: Timeouts {
                header: Duration::from_secs(10),
                body: Duration::from_secs(60),
                write: Duration::from_secs(60),
                idle: Duration::from_secs(60),
            },
            max_header_bytes: 8 * 1024,
            shutdown_timeout: Duration::from_secs(1),
        }
    }
}

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then stops accepting and gives
/// the connections still open up to `config.shutdown_timeout` to finish their requests.
/// `app` holds the `--live-mb` store and the `--db` pool, shared read-only by every request.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        // Off: hyper's timer would also run while a connection is idle; `TimedStream` keeps
        // the head, body, write and idle deadlines instead (see timeouts.rs).
        .header_read_timeout(None)
        .max_header_size(config.max_header_bytes)
        // `Content-Type`, not `content-type`: the bytes the other two servers send.
        .title_case_headers(true);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait, do not spin or exit.
                    eprintln!("rust-server: accept: {error}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // As Go's net/http does for every TCP connection. It fails only on a socket the client
        // has already reset, which hyper then finds closed: not a reason to stop serving.
        let _ = stream.set_nodelay(true);
        let io = TimedStream::new(stream, config.timeouts);
        let signal = io.request_signal();
        let app = Arc::clone(&app);
        let service = service_fn(move |req| {
            let app = Arc::clone(&app);
            signal.serve(req, move |req| handle(req, app))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            // Errors are the client's doing (reset, malformed request, timeout): nothing to do.
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(config.shutdown_timeout, graceful.shutdown()).await;
}
