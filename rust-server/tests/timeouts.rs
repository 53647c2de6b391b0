//! The header and idle timeouts (contract: 10 s and 60 s), with short values injected
//! through `Config` so each test takes well under a second.

mod common;

use std::time::Duration;

use common::{short_timeouts, TestServer};

const HEADER_MS: u64 = 300;
const IDLE_MS: u64 = 800;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_dropped_after_the_header_timeout() {
    let server = TestServer::start_with(short_timeouts(HEADER_MS, IDLE_MS)).await;
    let mut client = server.connect().await;
    let closed_after = client.expect_closed_within(ms(2000)).await;
    assert!(
        closed_after >= ms(HEADER_MS - 50),
        "closed after {closed_after:?}"
    );
    assert!(closed_after < ms(IDLE_MS), "closed after {closed_after:?}");
}

#[tokio::test]
async fn a_head_sent_too_slowly_is_dropped_after_the_header_timeout() {
    let server = TestServer::start_with(short_timeouts(HEADER_MS, IDLE_MS)).await;
    let mut client = server.connect().await;
    client.send(b"GET / HTTP/1.1\r\n").await;
    tokio::time::sleep(ms(200)).await;
    client.send(b"Host: localhost\r\n").await;
    // The deadline runs from the first byte: 100 ms after the second part. Had the second
    // part restarted it, the close would come 300 ms after it.
    let closed_after = client.expect_closed_within(ms(2000)).await;
    assert!(
        closed_after < ms(HEADER_MS - 50),
        "closed {closed_after:?} after the 2nd part"
    );
}

#[tokio::test]
async fn a_head_completed_within_the_header_timeout_is_answered() {
    let server = TestServer::start_with(short_timeouts(HEADER_MS, IDLE_MS)).await;
    let mut client = server.connect().await;
    client.send(b"GET / HTTP/1.1\r\n").await;
    tokio::time::sleep(ms(HEADER_MS / 2)).await;
    client.send(b"Host: localhost\r\n\r\n").await;
    assert_eq!(client.response().await.status, 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_outlives_the_header_timeout() {
    let server = TestServer::start_with(short_timeouts(HEADER_MS, IDLE_MS)).await;
    let mut client = server.connect().await;
    assert_eq!(client.get("/").await.status, 200);
    client.expect_open_for(ms(HEADER_MS * 2)).await;
    assert_eq!(client.get("/json").await.status, 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = TestServer::start_with(short_timeouts(HEADER_MS, IDLE_MS)).await;
    let mut client = server.connect().await;
    assert_eq!(client.get("/").await.status, 200);
    let closed_after = client.expect_closed_within(ms(3000)).await;
    assert!(
        closed_after >= ms(IDLE_MS - 50),
        "closed after {closed_after:?}"
    );
    assert!(
        closed_after < ms(IDLE_MS + 500),
        "closed after {closed_after:?}"
    );
}

#[tokio::test]
async fn each_request_restarts_the_idle_timeout() {
    let idle_ms = 400;
    let server = TestServer::start_with(short_timeouts(HEADER_MS, idle_ms)).await;
    let mut client = server.connect().await;
    // Four requests 250 ms apart: 1 s in all, more than twice the idle timeout.
    for _ in 0..4 {
        assert_eq!(client.get("/").await.status, 200);
        tokio::time::sleep(ms(250)).await;
    }
    assert_eq!(client.get("/").await.status, 200);
}

#[tokio::test]
async fn a_head_begun_after_an_idle_wait_gets_the_header_timeout_from_its_first_byte() {
    let server = TestServer::start_with(short_timeouts(HEADER_MS, IDLE_MS)).await;
    let mut client = server.connect().await;
    assert_eq!(client.get("/").await.status, 200);
    tokio::time::sleep(ms(200)).await;
    client.send(b"GET / HTTP/1.1\r\n").await;
    // Header deadline from the first byte: 300 ms from here. Timed from the end of the
    // response it would be 100 ms; left to the idle deadline it would be 600 ms.
    let closed_after = client.expect_closed_within(ms(2000)).await;
    assert!(
        closed_after >= ms(HEADER_MS - 50),
        "closed after {closed_after:?}"
    );
    assert!(
        closed_after < ms(HEADER_MS + 200),
        "closed after {closed_after:?}"
    );
}

#[tokio::test]
async fn a_request_handled_for_longer_than_both_timeouts_is_answered() {
    let server = TestServer::start_with(short_timeouts(HEADER_MS, IDLE_MS)).await;
    let mut client = server.connect().await;
    let response = client.get(&format!("/io?ms={}", IDLE_MS + 400)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body_text(), "Hello, World!");
}

#[tokio::test]
async fn the_contract_timeouts_are_the_defaults() {
    let config = rust_server::Config::default();
    assert_eq!(config.timeouts.header, Duration::from_secs(10));
    assert_eq!(config.timeouts.idle, Duration::from_secs(60));
    assert_eq!(config.max_header_bytes, 8192);
}

/// Why `TimedStream` exists: hyper's own `header_read_timeout` also runs while a keep-alive
/// connection is idle, so it cannot give 10 s for a head and 60 s of idleness. Should a hyper
/// upgrade change that, this test fails and the wrapper can be reconsidered.
#[tokio::test]
async fn hyper_header_read_timeout_alone_would_close_idle_connections_early() {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::{TokioIo, TokioTimer};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let _ = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(ms(HEADER_MS))
            .serve_connection(
                TokioIo::new(stream),
                service_fn(|req| rust_server::handle(req, Default::default())),
            )
            .await;
    });
    let mut client = common::Client::connect(addr).await;
    assert_eq!(client.get("/").await.status, 200);
    let closed_after = client.expect_closed_within(ms(2000)).await;
    assert!(
        closed_after < ms(HEADER_MS + 200),
        "closed after {closed_after:?}"
    );
}
