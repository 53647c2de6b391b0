//! The endpoints of CONTRACT.md section 1, over a real socket with raw HTTP/1.1 bytes.

mod common;

use std::time::{Duration, SystemTime};

use common::{http_date, TestServer};

const USER: &str = r#"{"id":42,"name":"Ada Lovelace","email":"ada@example.com","username":"ada","age":36,"active":true,"role":"admin","country":"GB","city":"London","created_at":"2026-01-01T00:00:00Z","followers":1024,"tags":["math","computing"],"verified":true}"#;

#[tokio::test]
async fn root_answers_hello_world_as_plain_text() {
    let server = TestServer::start().await;
    let response = server.connect().await.get("/").await;
    assert_eq!(response.status_line, "HTTP/1.1 200 OK");
    assert_eq!(response.body_text(), "Hello, World!");
    assert_eq!(response.header("Content-Type"), "text/plain; charset=utf-8");
    assert_eq!(response.header("Content-Length"), "13");
}

#[tokio::test]
async fn json_answers_the_message_object() {
    let server = TestServer::start().await;
    let response = server.connect().await.get("/json").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body_text(), r#"{"message":"Hello, World!"}"#);
    assert_eq!(response.header("Content-Type"), "application/json");
    assert_eq!(response.header("Content-Length"), "27");
}

#[tokio::test]
async fn user_answers_the_thirteen_field_record() {
    let server = TestServer::start().await;
    let response = server.connect().await.get("/user").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body_text(), USER);
    assert_eq!(response.header("Content-Type"), "application/json");
    assert_eq!(response.header("Content-Length"), "240");
}

#[tokio::test]
async fn every_response_carries_server_date_type_and_length_and_no_chunking() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    for path in ["/", "/json", "/user", "/io?ms=0", "/io?ms=x", "/nope"] {
        let response = client.get(path).await;
        assert_eq!(response.header("Server"), "hellobench", "{path}");
        response.header("Date");
        response.header("Content-Type");
        assert_eq!(
            response.header("Content-Length"),
            response.body.len().to_string(),
            "{path}"
        );
        assert!(
            response.header_values("Transfer-Encoding").is_empty(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn date_is_the_current_time_in_rfc_7231_format() {
    let server = TestServer::start().await;
    let before = SystemTime::now();
    let response = server.connect().await.get("/").await;
    let after = SystemTime::now();
    // hyper caches the Date value for up to a second, which the contract allows.
    let acceptable = [
        http_date(before - Duration::from_secs(1)),
        http_date(before),
        http_date(after),
    ];
    let date = response.header("Date");
    assert!(
        acceptable.iter().any(|a| a == date),
        "{date} not in {acceptable:?}"
    );
}

#[tokio::test]
async fn headers_are_sent_in_canonical_case() {
    let server = TestServer::start().await;
    let response = server.connect().await.get("/").await;
    let names: Vec<&str> = response.headers.iter().map(|(n, _)| n.as_str()).collect();
    for name in ["Server", "Content-Type", "Content-Length", "Date"] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
}

#[tokio::test]
async fn io_waits_the_given_milliseconds_then_answers_as_root() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    let started = tokio::time::Instant::now();
    let response = client.get("/io?ms=300").await;
    let waited = started.elapsed();
    assert_eq!(response.status, 200);
    assert_eq!(response.body_text(), "Hello, World!");
    assert_eq!(response.header("Content-Type"), "text/plain; charset=utf-8");
    assert!(
        waited >= Duration::from_millis(300),
        "answered after {waited:?}"
    );
    assert!(waited < Duration::from_secs(2), "answered after {waited:?}");
}

#[tokio::test]
async fn io_accepts_zero_and_the_maximum_only_as_decimal_digits() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    assert_eq!(client.get("/io?ms=0").await.status, 200);
    assert_eq!(client.get("/io?other=1&ms=0").await.status, 200);
    assert_eq!(
        client.get("/io?ms=0&ms=99999").await.status,
        200,
        "first ms wins"
    );
}

#[tokio::test]
async fn io_rejects_a_bad_wait_with_400_and_a_short_text() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    for path in [
        "/io",
        "/io?ms=",
        "/io?ms=10001",
        "/io?ms=-1",
        "/io?ms=+5",
        "/io?ms=1.5",
        "/io?ms=abc",
        "/io?ms=99999999999999999999999",
        "/io?milliseconds=5",
    ] {
        let response = client.get(path).await;
        assert_eq!(response.status, 400, "{path}");
        assert_eq!(
            response.body_text(),
            "ms must be an integer 0..10000",
            "{path}"
        );
        assert_eq!(response.header("Content-Type"), "text/plain; charset=utf-8");
    }
}

#[tokio::test]
async fn the_maximum_wait_is_accepted() {
    // Checked without waiting 10 s: the answer must not be a 400 right away.
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client
        .send(b"GET /io?ms=10000 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await;
    client.expect_open_for(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn an_unknown_path_is_404() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    for path in ["/nope", "/json/", "//json", "/JSON", "/user/1"] {
        let response = client.get(path).await;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.body_text(), "Not Found");
        assert_eq!(response.header("Content-Type"), "text/plain; charset=utf-8");
    }
}

#[tokio::test]
async fn another_method_on_a_known_path_is_405_with_allow_get() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    for (method, path) in [
        ("POST", "/"),
        ("PUT", "/json"),
        ("DELETE", "/user"),
        ("HEAD", "/io"),
    ] {
        client
            .send(
                format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
                    .as_bytes(),
            )
            .await;
        let response = if method == "HEAD" {
            // A HEAD answer has no body, whatever its Content-Length says.
            client.head_response().await
        } else {
            client.response().await
        };
        assert_eq!(response.status, 405, "{method} {path}");
        assert_eq!(response.header("Allow"), "GET", "{method} {path}");
    }
}

#[tokio::test]
async fn another_method_on_an_unknown_path_is_404() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client
        .send(b"POST /nope HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        .await;
    assert_eq!(client.response().await.status, 404);
}
