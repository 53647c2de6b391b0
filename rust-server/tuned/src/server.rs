//! The accept loop of one listener: the stock server's, with the tuned handlers and the shared
//! state as a `&'static App`. `main.rs` runs one such loop per thread, each on its own
//! current-thread runtime with its own `SO_REUSEPORT` listener.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rust_server::{App, Config, TimedStream};
use tokio::net::TcpListener;

use crate::handlers::handle;

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then stops accepting and gives
/// the open connections up to `config.shutdown_timeout` to finish (as the stock `serve`).
///
/// `app` is kept for the rest of the process (one `Arc` is leaked): the handlers then borrow it
/// as `&'static App` instead of cloning the `Arc` per request, which on several threads would
/// make every request write the same reference count. The server's `App` lives as long as the
/// process anyway; tests that start many servers keep each one's (small) `App`. (Each request
/// does clone its connection's `RequestSignal`, for the deadlines: a count that only that
/// connection's thread writes.)
pub async fn serve(
    listener: TcpListener,
    config: Config,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) {
    let app: &'static App = Box::leak(Box::new(app));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        // Off: hyper's timer would also run while a connection is idle; `TimedStream` keeps
        // the head, body, write and idle deadlines instead (stock timeouts.rs).
        .header_read_timeout(None)
        .max_header_size(config.max_header_bytes)
        // `Content-Type`, not `content-type`: the bytes the other servers send.
        .title_case_headers(true);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    eprintln!("rust-tuned-server: accept: {error}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TimedStream::new(stream, config.timeouts);
        let signal = io.request_signal();
        let service = service_fn(move |req| signal.serve(req, move |req| handle(req, app)));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(config.shutdown_timeout, graceful.shutdown()).await;
}
