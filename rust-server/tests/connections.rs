//! Connection handling of CONTRACT.md section 1: keep-alive, close, pipelining, the header
//! limit and malformed requests; and the `Host` rule of contract/README.md ("Edges").

mod common;

use common::TestServer;

#[tokio::test]
async fn http_1_1_keeps_the_connection_alive_by_default() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    let first = client.get("/").await;
    assert!(first.header_values("Connection").is_empty());
    let second = client.get("/json").await;
    assert_eq!(second.body_text(), r#"{"message":"Hello, World!"}"#);
}

#[tokio::test]
async fn connection_close_is_answered_with_connection_close_then_closed() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client
        .send(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await;
    let response = client.response().await;
    assert_eq!(response.body_text(), "Hello, World!");
    assert_eq!(response.header("Connection"), "close");
    client.expect_closed().await;
}

#[tokio::test]
async fn http_1_0_without_keep_alive_is_closed_after_the_answer() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client.send(b"GET /json HTTP/1.0\r\n\r\n").await;
    let response = client.response().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body_text(), r#"{"message":"Hello, World!"}"#);
    client.expect_closed().await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    // The slow one first: its answer must still come first.
    client
        .send(
            b"GET /io?ms=100 HTTP/1.1\r\nHost: a\r\n\r\n\
              GET /json HTTP/1.1\r\nHost: a\r\n\r\n\
              GET /nope HTTP/1.1\r\nHost: a\r\n\r\n\
              GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        )
        .await;
    assert_eq!(client.response().await.body_text(), "Hello, World!");
    assert_eq!(
        client.response().await.body_text(),
        r#"{"message":"Hello, World!"}"#
    );
    assert_eq!(client.response().await.status, 404);
    assert_eq!(client.response().await.body_text(), "Hello, World!");
}

#[tokio::test]
async fn many_pipelined_requests_beyond_8_kib_in_all_are_answered_in_order() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    let paths = ["/", "/json", "/nope"];
    let mut batch = Vec::new();
    for i in 0..1000 {
        batch.extend_from_slice(
            format!("GET {} HTTP/1.1\r\nHost: a\r\n\r\n", paths[i % 3]).as_bytes(),
        );
    }
    assert!(
        batch.len() > 3 * 8192,
        "the limit is per head, not per read"
    );
    client.send(&batch).await;
    for i in 0..1000 {
        let response = client.response().await;
        let expected = [200, 200, 404][i % 3];
        assert_eq!(response.status, expected, "answer {i}");
        if i % 3 == 1 {
            assert_eq!(
                response.body_text(),
                r#"{"message":"Hello, World!"}"#,
                "answer {i}"
            );
        }
    }
}

#[tokio::test]
async fn http_1_0_with_keep_alive_keeps_the_connection() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    for _ in 0..2 {
        client
            .send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .await;
        let response = client.response().await;
        assert_eq!(response.body_text(), "Hello, World!");
        assert_eq!(response.header("Connection"), "keep-alive");
    }
}

/// A GET whose request line and headers together take `head_bytes` bytes.
fn request_with_head_of(head_bytes: usize) -> Vec<u8> {
    let start = "GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: ";
    let end = "\r\n\r\n";
    let padding = "a".repeat(head_bytes - start.len() - end.len());
    format!("{start}{padding}{end}").into_bytes()
}

#[tokio::test]
async fn a_header_section_of_7_kib_is_accepted() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client.send(&request_with_head_of(7 * 1024)).await;
    assert_eq!(client.response().await.status, 200);
}

#[tokio::test]
async fn a_header_section_of_exactly_8_kib_is_accepted() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client.send(&request_with_head_of(8 * 1024)).await;
    assert_eq!(client.response().await.status, 200);
}

#[tokio::test]
async fn a_header_section_over_8_kib_gets_431_and_a_close() {
    let server = TestServer::start().await;
    for head_bytes in [8 * 1024 + 1, 9 * 1024, 64 * 1024] {
        let mut client = server.connect().await;
        client.send(&request_with_head_of(head_bytes)).await;
        let response = client.response().await;
        assert_eq!(response.status, 431, "{head_bytes} bytes");
        client.expect_closed().await;
    }
}

#[tokio::test]
async fn an_over_long_head_that_never_ends_gets_431_and_a_close() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    let mut request = b"GET / HTTP/1.1\r\nX-Padding: ".to_vec();
    request.resize(9 * 1024, b'a');
    client.send(&request).await;
    assert_eq!(client.response().await.status, 431);
    client.expect_closed().await;
}

#[tokio::test]
async fn malformed_requests_get_400_and_a_close() {
    let server = TestServer::start().await;
    let malformed: [&[u8]; 5] = [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        b"GET\x00/ HTTP/1.1\r\n\r\n",
    ];
    for request in malformed {
        let mut client = server.connect().await;
        client.send(request).await;
        let response = client.response().await;
        assert_eq!(
            response.status,
            400,
            "{:?}",
            String::from_utf8_lossy(request)
        );
        client.expect_closed().await;
    }
    // And the server is still there.
    assert_eq!(server.connect().await.get("/").await.status, 200);
}

#[tokio::test]
async fn a_client_that_goes_away_mid_request_does_not_hurt_the_server() {
    let server = TestServer::start().await;
    {
        let mut client = server.connect().await;
        client
            .send(b"GET /io?ms=200 HTTP/1.1\r\nHost: a\r\n\r\n")
            .await;
        let mut half = server.connect().await;
        half.send(b"GET / HTTP/1.1\r\nHo").await;
    } // both dropped: closed with the request in flight or half sent
    assert_eq!(server.connect().await.get("/user").await.status, 200);
}

/// RFC 9112 3.2 (contract/README.md, "Edges"): an HTTP/1.1 request without `Host` gets 400,
/// in the server's usual error shape, and the connection is closed.
#[tokio::test]
async fn http_1_1_without_host_gets_400_and_a_close() {
    let server = TestServer::start().await;
    let requests: [&[u8]; 4] = [
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET /json HTTP/1.1\r\nAccept: */*\r\n\r\n",
        b"GET http://localhost/ HTTP/1.1\r\n\r\n",
        b"POST /orders HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]",
    ];
    for request in requests {
        let what = String::from_utf8_lossy(request);
        let mut client = server.connect().await;
        client.send(request).await;
        let response = client.response().await;
        assert_eq!(response.status_line, "HTTP/1.1 400 Bad Request", "{what}");
        assert_eq!(response.body_text(), "Bad Request", "{what}");
        assert_eq!(response.header("Content-Type"), "text/plain; charset=utf-8");
        assert_eq!(response.header("Content-Length"), "11");
        assert_eq!(response.header("Server"), "hellobench");
        assert!(!response.header("Date").is_empty());
        assert_eq!(response.header("Connection"), "close", "{what}");
        client.expect_closed().await;
    }
}

#[tokio::test]
async fn a_request_with_two_host_headers_gets_400_and_a_close() {
    let server = TestServer::start().await;
    for request in [
        &b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
    ] {
        let what = String::from_utf8_lossy(request);
        let mut client = server.connect().await;
        client.send(request).await;
        let response = client.response().await;
        assert_eq!(response.status, 400, "{what}");
        assert_eq!(response.body_text(), "Bad Request", "{what}");
        assert_eq!(response.header("Connection"), "close", "{what}");
        client.expect_closed().await;
    }
}

#[tokio::test]
async fn http_1_0_without_host_is_answered() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client.send(b"GET / HTTP/1.0\r\n\r\n").await;
    let response = client.response().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body_text(), "Hello, World!");
    client.expect_closed().await;
    // With keep-alive too, and the connection goes on.
    let mut client = server.connect().await;
    for _ in 0..2 {
        client
            .send(b"GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .await;
        assert_eq!(client.response().await.status, 200);
    }
}

#[tokio::test]
async fn a_request_with_one_host_keeps_the_connection() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client
        .send(b"GET / HTTP/1.1\r\nhost: localhost:8080\r\n\r\n")
        .await;
    assert_eq!(client.response().await.status, 200);
    assert_eq!(client.get("/").await.status, 200);
}
