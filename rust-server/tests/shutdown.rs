//! Graceful shutdown through `serve`: stop accepting, finish requests in flight, and cut off
//! what is still running after the shutdown timeout.

mod common;

use std::time::Duration;

use common::{TestServer, IO_TIMEOUT};
use rust_server::Config;
use tokio::net::TcpStream;

#[tokio::test]
async fn a_request_in_flight_is_finished_after_shutdown_begins() {
    let mut server = TestServer::start().await;
    let mut client = server.connect().await;
    client
        .send(b"GET /io?ms=300 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.begin_shutdown();
    let response = client.response().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body_text(), "Hello, World!");
    // hyper closes a connection after its last answer once shutdown has begun.
    client.expect_closed().await;
    server.finished().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_shutdown() {
    let mut server = TestServer::start().await;
    let mut client = server.connect().await;
    assert_eq!(client.get("/").await.status, 200);
    server.begin_shutdown();
    let closed_after = client.expect_closed_within(Duration::from_secs(1)).await;
    assert!(
        closed_after < Duration::from_millis(500),
        "{closed_after:?}"
    );
    server.finished().await;
}

#[tokio::test]
async fn no_connection_is_accepted_after_shutdown() {
    let mut server = TestServer::start().await;
    let addr = server.addr;
    server.begin_shutdown();
    server.finished().await;
    let refused = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr))
        .await
        .unwrap();
    assert!(refused.is_err(), "connected after shutdown");
}

#[tokio::test]
async fn a_request_longer_than_the_shutdown_timeout_is_cut_off() {
    let config = Config {
        shutdown_timeout: Duration::from_millis(200),
        ..Config::default()
    };
    let mut server = TestServer::start_with(config).await;
    let mut client = server.connect().await;
    client
        .send(b"GET /io?ms=5000 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = tokio::time::Instant::now();
    server.begin_shutdown();
    server.finished().await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(200),
        "serve returned after {took:?}"
    );
    assert!(
        took < Duration::from_millis(1000),
        "serve returned after {took:?}"
    );
}
