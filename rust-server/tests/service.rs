//! The service workload over a real socket: every vector of contract/vectors/service.json,
//! then what the vectors cannot say (chunked bodies, the 1 MiB close, bodies on other routes).

mod common;

use std::time::Duration;

use common::vector::{base64_decode, Vector};
use common::{Client, Response, TestServer};
use serde::Deserialize;

const VECTORS: &str = include_str!("../../contract/vectors/service.json");
const TEXT: &str = "text/plain; charset=utf-8";
const EXAMPLE: &str =
    r#"{"customer_id":7,"items":[{"sku":"A-1","qty":2,"price_cents":1250}],"note":"..."}"#;
const EXAMPLE_ANSWER: &str =
    r#"{"customer_id":7,"customer_name":"user-7","item_count":1,"total_cents":2500}"#;

#[derive(Deserialize)]
struct Vectors {
    live_mb: u32,
    vectors: Vec<Vector>,
}

#[test]
fn base64_decodes_the_vectors_encoding() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("wIA="), [0xc0, 0x80]);
    assert_eq!(base64_decode("YWJj"), b"abc");
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).expect("contract/vectors/service.json")
}

#[tokio::test]
async fn every_vector_is_answered_byte_for_byte_on_one_keep_alive_connection() {
    let vectors = vectors();
    assert_eq!(vectors.live_mb, 1);
    assert!(vectors.vectors.len() >= 80, "{}", vectors.vectors.len());
    let server = TestServer::start_with_live_mb(vectors.live_mb).await;
    let mut client = server.connect().await;
    let mut failures = Vec::new();
    for vector in &vectors.vectors {
        client.send(&vector.request()).await;
        let response = client.response().await;
        failures.extend(vector.mismatch(&response));
        let after = client.get("/").await;
        assert_eq!(after.status, 200, "GET / after {}", vector.name);
        assert_eq!(after.body_text(), "Hello, World!", "after {}", vector.name);
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.vectors.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_vector_is_answered_also_when_all_are_pipelined_in_one_write() {
    let vectors = vectors();
    let server = TestServer::start_with_live_mb(vectors.live_mb).await;
    let client = server.connect().await;
    let mut all = Vec::new();
    for vector in &vectors.vectors {
        all.extend(vector.request());
    }
    all.extend_from_slice(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    // Written from another task: the server answers while the client still writes.
    let (mut reader, mut writer) = client.stream.into_split();
    let writing = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        writer.write_all(&all).await.unwrap();
        writer
    });
    let mut buffered = Vec::new();
    let mut failures = Vec::new();
    for vector in &vectors.vectors {
        let response = read_response(&mut reader, &mut buffered).await;
        failures.extend(vector.mismatch(&response));
    }
    assert_eq!(read_response(&mut reader, &mut buffered).await.status, 200);
    drop(writing.await.unwrap());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A Content-Length-framed response from a split read half.
async fn read_response(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    buffered: &mut Vec<u8>,
) -> Response {
    use tokio::io::AsyncReadExt;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if let Some(end) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(buffered[..end].to_vec()).unwrap();
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap().to_string();
            let headers: Vec<(String, String)> = lines
                .map(|line| {
                    let (name, value) = line.split_once(':').unwrap();
                    (name.to_string(), value.trim().to_string())
                })
                .collect();
            let length: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
                .map(|(_, v)| v.parse().unwrap())
                .unwrap();
            if buffered.len() >= end + 4 + length {
                let body = buffered[end + 4..end + 4 + length].to_vec();
                buffered.drain(..end + 4 + length);
                return Response {
                    status: status_line.split(' ').nth(1).unwrap().parse().unwrap(),
                    status_line,
                    headers,
                    body,
                };
            }
        }
        let n = tokio::time::timeout(common::IO_TIMEOUT, reader.read(&mut chunk))
            .await
            .expect("read timed out")
            .unwrap();
        assert!(n > 0, "connection closed");
        buffered.extend_from_slice(&chunk[..n]);
    }
}

/// `POST /orders` with a JSON Content-Length body.
fn order_request(body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

async fn post_order(client: &mut Client, body: &[u8]) -> Response {
    client.send(&order_request(body)).await;
    client.response().await
}

/// `body` in chunks of `chunk` bytes, with the final empty chunk.
fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

const CHUNKED_HEAD: &[u8] = b"POST /orders HTTP/1.1\r\nHost: localhost\r\n\
    Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

#[tokio::test]
async fn a_chunked_order_is_accepted_also_when_its_chunks_arrive_one_by_one() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    client.send(CHUNKED_HEAD).await;
    for piece in chunked(EXAMPLE.as_bytes(), 7).chunks(9) {
        client.send(piece).await;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let response = client.response().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body_text(), EXAMPLE_ANSWER);
    // With trailers too, in one write, then the connection goes on.
    let mut request = CHUNKED_HEAD.to_vec();
    let body = chunked(EXAMPLE.as_bytes(), 1000);
    request.extend_from_slice(&body[..body.len() - 2]);
    request.extend_from_slice(b"X-Trailer: 1\r\n\r\n");
    client.send(&request).await;
    assert_eq!(client.response().await.body_text(), EXAMPLE_ANSWER);
    assert_eq!(client.get("/").await.status, 200);
}

/// An order padded with an ignored member to exactly `size` bytes.
fn padded_order(size: usize) -> Vec<u8> {
    let head = r#"{"customer_id":7,"items":[{"sku":"A-1","qty":2,"price_cents":1250}],"pad":""#;
    let mut body = head.as_bytes().to_vec();
    body.resize(size - 2, b'p');
    body.extend_from_slice(b"\"}");
    body
}

#[tokio::test]
async fn chunked_bodies_have_the_same_size_limits() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    for (size, status) in [(64 * 1024, 200), (64 * 1024 + 1, 413), (1024 * 1024, 413)] {
        let mut request = CHUNKED_HEAD.to_vec();
        request.extend(chunked(&padded_order(size), 10_000));
        client.send(&request).await;
        let response = client.response().await;
        assert_eq!(response.status, status, "{size} bytes");
        assert!(response.header_values("Connection").is_empty(), "{size}");
        assert_eq!(client.get("/").await.status, 200, "after {size} bytes");
    }
    // One byte more than 1 MiB: 413, Connection: close, closed.
    let mut request = CHUNKED_HEAD.to_vec();
    request.extend(chunked(&padded_order(1024 * 1024 + 1), 10_000));
    client.send(&request).await;
    let response = client.response().await;
    assert_eq!(response.status, 413);
    assert_eq!(response.body_text(), "body over 64 KiB");
    assert_eq!(response.header("Connection"), "close");
    client.expect_closed().await;
}

#[tokio::test]
async fn a_body_of_1_mib_is_read_and_discarded_and_the_connection_kept() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    let response = post_order(&mut client, &padded_order(1024 * 1024)).await;
    assert_eq!(response.status, 413);
    assert_eq!(response.body_text(), "body over 64 KiB");
    assert!(response.header_values("Connection").is_empty());
    assert_eq!(
        post_order(&mut client, EXAMPLE.as_bytes()).await.status,
        200
    );
}

#[tokio::test]
async fn a_body_declared_over_1_mib_is_413_and_closes_at_once() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    // The head alone: the answer must not wait for the body.
    client
        .send(
            b"POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
              Content-Length: 1048577\r\n\r\n{\"customer_id\":",
        )
        .await;
    let response = client.response().await;
    assert_eq!(response.status, 413);
    assert_eq!(response.body_text(), "body over 64 KiB");
    assert_eq!(response.header("Content-Type"), TEXT);
    assert_eq!(response.header("Connection"), "close");
    client.expect_closed().await;
}

#[tokio::test]
async fn a_body_found_over_1_mib_is_413_and_closes() {
    let server = TestServer::start_with_live_mb(1).await;
    let client = server.connect().await;
    // Sent in full from another task: the server stops reading after 1 MiB.
    let body = padded_order(1024 * 1024 + 5000);
    let mut request = CHUNKED_HEAD.to_vec();
    request.extend(chunked(&body, 64 * 1024));
    let (mut reader, mut writer) = client.stream.into_split();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut buffered = Vec::new();
    let response = read_response(&mut reader, &mut buffered).await;
    assert_eq!(response.status, 413);
    assert_eq!(response.header("Connection"), "close");
}

#[tokio::test]
async fn refusals_before_the_body_is_needed_still_read_it_and_keep_the_connection() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    let big = padded_order(512 * 1024);
    for (head, status) in [
        ("POST /orders HTTP/1.1\r\nContent-Type: text/plain\r\n", 415),
        (
            "PUT /orders HTTP/1.1\r\nContent-Type: application/json\r\n",
            405,
        ),
        ("POST /users/1 HTTP/1.1\r\n", 405),
        ("POST / HTTP/1.1\r\n", 405),
        ("POST /nope HTTP/1.1\r\n", 404),
    ] {
        let mut request = format!("{head}Host: a\r\nContent-Length: {}\r\n\r\n", big.len());
        request.push_str(std::str::from_utf8(&big).unwrap());
        client.send(request.as_bytes()).await;
        let response = client.response().await;
        assert_eq!(response.status, status, "{head}");
        assert!(response.header_values("Connection").is_empty(), "{head}");
        assert_eq!(client.get("/").await.status, 200, "after {head}");
    }
}

#[tokio::test]
async fn a_refusal_with_a_body_over_1_mib_closes_the_connection() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    client
        .send(b"POST /orders HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 2000000\r\n\r\n")
        .await;
    let response = client.response().await;
    assert_eq!(response.status, 415, "the first failing check answers");
    assert_eq!(response.header("Connection"), "close");
    client.expect_closed().await;
}

#[tokio::test]
async fn content_type_is_matched_on_its_media_type_only() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    for (content_type, status) in [
        ("application/json", 200),
        ("  application/json\t ; charset=utf-8", 200),
        ("APPLICATION/JSON;", 200),
        ("application/json ; x=y", 200),
        ("application/ json", 415),
        ("application/json2", 415),
        ("json", 415),
        ("", 415),
        (";application/json", 415),
    ] {
        let request = format!(
            "POST /orders HTTP/1.1\r\nHost: a\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n\r\n{EXAMPLE}",
            EXAMPLE.len()
        );
        client.send(request.as_bytes()).await;
        let response = client.response().await;
        assert_eq!(response.status, status, "{content_type:?}");
    }
}

#[tokio::test]
async fn shape_errors_that_serde_would_let_through_or_misfile() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    for (body, status, why) in [
        (&br#"[7,[{"sku":"A","qty":1,"price_cents":1}],null]"#[..], 422, "an order as an array"),
        (br#"{"customer_id":7,"items":[["A",1,1]]}"#, 422, "an item as an array"),
        (br#"{"customer_id":1e400,"items":[{"sku":"A","qty":1,"price_cents":1}]}"#, 422, "a number too large for f64 is still JSON"),
        (br#"{"customer_id":7,"items":[{"sku":"A","qty":1e0,"price_cents":1}]}"#, 422, "qty with an exponent"),
        (br#"{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"x":"\ud800"}"#, 200, "a lone surrogate escape is JSON"),
        (b"{\"customer_id\":7,\"x\":\"\xff\",\"items\":[{\"sku\":\"A\",\"qty\":1,\"price_cents\":1}]}", 400, "invalid UTF-8 in an ignored member"),
        (br#"{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"x":01}"#, 400, "a leading zero"),
        (br#"{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"x":[1,]}"#, 400, "a trailing comma in an ignored member"),
        (b"{\"customer_id\":7,\"items\":[{\"sku\":\"A\",\"qty\":1,\"price_cents\":1}],\"x\":\"a\tb\"}", 400, "a raw tab in a string"),
        (r#"{"customer_id":7,"items":[{"sku":"é","qty":1,"price_cents":1}]}"#.as_bytes(), 200, "a multibyte sku"),
        (br#"{"customer_id":9223372036854775807,"items":[{"sku":"A","qty":1,"price_cents":1}]}"#, 200, "the largest customer_id"),
    ] {
        let response = post_order(&mut client, body).await;
        assert_eq!(response.status, status, "{why}: {}", response.body_text());
    }
}

#[tokio::test]
async fn a_valid_order_from_the_largest_customer_id_names_no_customer() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    let response = post_order(
        &mut client,
        br#"{"customer_id":9223372036854775807,"items":[{"sku":"A","qty":3,"price_cents":7}]}"#,
    )
    .await;
    assert_eq!(
        response.body_text(),
        r#"{"customer_id":9223372036854775807,"customer_name":null,"item_count":1,"total_cents":21}"#
    );
}

#[tokio::test]
async fn without_a_store_every_user_is_404_and_every_customer_unknown() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    assert_eq!(client.get("/users/0").await.status, 404);
    let response = post_order(&mut client, EXAMPLE.as_bytes()).await;
    assert_eq!(
        response.body_text(),
        r#"{"customer_id":7,"customer_name":null,"item_count":1,"total_cents":2500}"#
    );
}

#[tokio::test]
async fn users_route_on_the_raw_path() {
    let server = TestServer::start_with_live_mb(1).await;
    let mut client = server.connect().await;
    for (target, status) in [
        ("/users/000000000000000007", 200),
        ("/users/0000000000000000007", 400),
        ("/users/7/", 404),
        ("/users//7", 404),
        ("/users/7%2F", 400),
        ("/Users/7", 404),
        ("/users/%207", 400),
    ] {
        let response = client.get(target).await;
        assert_eq!(response.status, status, "{target}");
    }
    client
        .send(b"DELETE /users/x HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    let response = client.response().await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("Allow"), "GET");
}
