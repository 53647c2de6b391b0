//! The four endpoints of the contract, written as plain hyper service code.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE, SERVER};
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;

const HELLO: &str = "Hello, World!";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";
/// The longest wait `/io` accepts, in milliseconds.
const MAX_IO_WAIT_MS: u64 = 10_000;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// The `/user` record. The incremental-build scenario inserts one line after the marker (the
/// line is in README.md); `Default` gives the new field its zero value where `user` builds it.
#[derive(Serialize, Default)]
struct User {
    id: u64,
    name: &'static str,
    email: &'static str,
    username: &'static str,
    age: u32,
    active: bool,
    role: &'static str,
    country: &'static str,
    city: &'static str,
    created_at: &'static str,
    followers: u64,
    tags: &'static [&'static str],
    verified: bool,
    // hellobench:add-field
}

// The `..Default::default()` base is needless until the build scenario adds a field, and is
// what lets that scenario be a one-line change.
#[allow(clippy::needless_update)]
fn user() -> User {
    User {
        id: 42,
        name: "Ada Lovelace",
        email: "ada@example.com",
        username: "ada",
        age: 36,
        active: true,
        role: "admin",
        country: "GB",
        city: "London",
        created_at: "2026-01-01T00:00:00Z",
        followers: 1024,
        tags: &["math", "computing"],
        verified: true,
        ..Default::default()
    }
}

/// Answers one request. hyper adds `Date` and, for these fixed-size bodies, `Content-Length`.
pub async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => text(StatusCode::OK, HELLO),
        (&Method::GET, "/json") => json(&Message { message: HELLO }),
        (&Method::GET, "/user") => json(&user()),
        (&Method::GET, "/io") => match io_wait(req.uri().query()) {
            Some(wait) => {
                // A timer parks this task only, never a worker thread.
                tokio::time::sleep(wait).await;
                text(StatusCode::OK, HELLO)
            }
            None => text(StatusCode::BAD_REQUEST, "ms must be an integer 0..10000"),
        },
        (_, "/" | "/json" | "/user" | "/io") => {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET"));
            response
        }
        _ => text(StatusCode::NOT_FOUND, "Not Found"),
    })
}

/// The `ms` query parameter of `/io` (its first occurrence): decimal digits only, 0..10000.
fn io_wait(query: Option<&str>) -> Option<Duration> {
    let ms = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("ms="))?;
    if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms: u64 = ms.parse().ok().filter(|&ms| ms <= MAX_IO_WAIT_MS)?;
    Some(Duration::from_millis(ms))
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    response(status, TEXT, Bytes::from_static(body.as_bytes()))
}

fn json<T: Serialize>(value: &T) -> Response<Full<Bytes>> {
    match serde_json::to_vec(value) {
        Ok(body) => response(StatusCode::OK, JSON, Bytes::from(body)),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    }
}

fn response(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("hellobench"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
