//! The endpoints, tuned: the stock server's routes, statuses and bytes, with
//! - header values built at compile time (`HeaderValue::from_static` in constants, where the
//!   stock server checks each value's bytes per answer);
//! - JSON serialised into a reused per-thread buffer (`output.rs`), never a fresh `Vec`;
//! - orders parsed into borrowing structs (`orders.rs`);
//! - the shared state passed as `&'static App`, so a request touches no reference count.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Body;
use hyper::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE, SERVER};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};
use rust_server::body::{self, BodyRead};
use rust_server::{has_one_host, App, Db, DbError, Message, OrderError, Store};
use serde::Serialize;

use crate::orders::parse_order;
use crate::output::to_json_bytes;

const HELLO: &[u8] = b"Hello, World!";
const SERVER_VALUE: HeaderValue = HeaderValue::from_static("hellobench");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const CLOSE: HeaderValue = HeaderValue::from_static("close");
/// The longest wait `/io` and `/db/sleep` accept, in milliseconds.
const MAX_IO_WAIT_MS: u64 = 10_000;

type Answer = Response<Full<Bytes>>;

/// The `/user` record, as in the stock server. The incremental-build scenario of the tuned
/// entry inserts one line after the marker; `Default` gives the new field its zero value.
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

// The `..Default::default()` base is needless until the build scenario adds a field.
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

/// Answers one request. hyper adds `Date` and `Content-Length`. The body is the stock
/// server's `TimedBody` or any other body of `Bytes`.
pub async fn handle<B>(req: Request<B>, app: &'static App) -> Result<Answer, Infallible>
where
    B: Body<Data = Bytes> + Unpin,
{
    let (parts, body) = req.into_parts();
    if !has_one_host(&parts) {
        return Ok(bad_request_and_close());
    }
    if parts.uri.path() == "/orders" {
        return Ok(orders(&parts, body, &app.store).await);
    }
    // A body nobody needs is read and dropped, so that the connection can carry on; first, so
    // that a route's wait is the handler's own time, which no deadline cuts.
    let body_read = body::discard(body).await;
    let mut response = route(&parts, app).await;
    if !body_read {
        close(&mut response);
    }
    Ok(response)
}

/// `400 Bad Request` with `Connection: close`.
fn bad_request_and_close() -> Answer {
    let mut response = text(StatusCode::BAD_REQUEST, b"Bad Request");
    close(&mut response);
    response
}

/// Every route but `/orders`, none of which reads a body.
async fn route(req: &Parts, app: &App) -> Answer {
    let path = req.uri.path();
    let get = req.method == Method::GET;
    match path {
        "/" if get => return text(StatusCode::OK, HELLO),
        "/json" if get => {
            return json(&Message {
                message: std::borrow::Cow::Borrowed("Hello, World!"),
            })
        }
        "/user" if get => return json(&user()),
        "/io" if get => {
            return match wait_ms(req.uri.query()) {
                Some(ms) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    text(StatusCode::OK, HELLO)
                }
                None => bad_wait(),
            }
        }
        "/db/sleep" if get => {
            return match wait_ms(req.uri.query()) {
                Some(ms) => db_sleep(ms, app.db.as_ref()).await,
                None => bad_wait(),
            }
        }
        "/" | "/json" | "/user" | "/io" | "/db/sleep" => return method_not_allowed("GET"),
        _ => {}
    }
    if let Some(id) = path.strip_prefix("/users/") {
        if !id.contains('/') {
            return if get {
                user_by_id(id, &app.store)
            } else {
                method_not_allowed("GET")
            };
        }
    }
    if let Some(id) = path.strip_prefix("/db/users/") {
        if !id.contains('/') {
            return if get {
                db_user(id, app.db.as_ref()).await
            } else {
                method_not_allowed("GET")
            };
        }
    }
    not_found()
}

/// `GET /users/{id}`: `id` is the raw path after `/users/` (never percent-decoded).
fn user_by_id(id: &str, store: &Store) -> Answer {
    let Some(id) = parse_id(id) else {
        return bad_id();
    };
    match store.get(id) {
        Some(record) => json(record),
        None => not_found(),
    }
}

/// 1 to 18 ASCII digits, leading zeros allowed.
fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(id.bytes().fold(0, |n, b| n * 10 + u64::from(b - b'0')))
}

async fn db_user(id: &str, db: Option<&Db>) -> Answer {
    let Some(id) = parse_id(id).and_then(|id| i64::try_from(id).ok()) else {
        return bad_id();
    };
    let Some(db) = db else {
        return db_unavailable();
    };
    match db.user(id).await {
        Ok(Some(record)) => json(&record),
        Ok(None) => not_found(),
        Err(error) => db_error(error),
    }
}

async fn db_sleep(ms: u64, db: Option<&Db>) -> Answer {
    let Some(db) = db else {
        return db_unavailable();
    };
    match db.sleep(ms).await {
        Ok(()) => text(StatusCode::OK, HELLO),
        Err(error) => db_error(error),
    }
}

fn db_error(error: DbError) -> Answer {
    match error {
        DbError::Unavailable => db_unavailable(),
        DbError::BadRow => text(StatusCode::INTERNAL_SERVER_ERROR, b"Internal Server Error"),
    }
}

fn db_unavailable() -> Answer {
    text(StatusCode::SERVICE_UNAVAILABLE, b"database unavailable")
}

fn bad_id() -> Answer {
    text(StatusCode::BAD_REQUEST, b"id must be a decimal integer")
}

fn bad_wait() -> Answer {
    text(StatusCode::BAD_REQUEST, b"ms must be an integer 0..10000")
}

fn not_found() -> Answer {
    text(StatusCode::NOT_FOUND, b"Not Found")
}

/// `POST /orders`: method, Content-Type, size, syntax, shape, in the contract's order.
async fn orders<B>(req: &Parts, body: B, store: &Store) -> Answer
where
    B: Body<Data = Bytes> + Unpin,
{
    let refusal = if req.method != Method::POST {
        Some(method_not_allowed("POST"))
    } else if !is_json(req) {
        Some(text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            b"Content-Type must be application/json",
        ))
    } else {
        None
    };
    if let Some(mut response) = refusal {
        if !body::discard(body).await {
            close(&mut response);
        }
        return response;
    }
    let bytes = match body::read(body, body::MAX_KEPT_BYTES).await {
        BodyRead::Complete(bytes) => bytes,
        BodyRead::OverLimit => return too_large(),
        BodyRead::OverDiscardLimit => {
            let mut response = too_large();
            close(&mut response);
            return response;
        }
        BodyRead::Failed => return bad_request_and_close(),
    };
    match parse_order(&bytes) {
        Ok(order) => json(&order.answer(store)),
        Err(OrderError::Malformed) => text(StatusCode::BAD_REQUEST, b"malformed JSON"),
        Err(OrderError::Invalid) => text(StatusCode::UNPROCESSABLE_ENTITY, b"invalid order"),
    }
}

/// The media type (up to the first `;`, spaces and tabs trimmed) is `application/json`,
/// ignoring ASCII case.
fn is_json(req: &Parts) -> bool {
    let Some(value) = req.headers.get(CONTENT_TYPE) else {
        return false;
    };
    let media_type = value
        .as_bytes()
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default();
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = media_type.iter().position(|b| !blank(b));
    let end = media_type.iter().rposition(|b| !blank(b));
    match (start, end) {
        (Some(start), Some(end)) => {
            media_type[start..=end].eq_ignore_ascii_case(b"application/json")
        }
        _ => false,
    }
}

fn too_large() -> Answer {
    text(StatusCode::PAYLOAD_TOO_LARGE, b"body over 64 KiB")
}

fn method_not_allowed(allow: &'static str) -> Answer {
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, b"Method Not Allowed");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// Marks an answer as the connection's last (hyper then closes it after writing).
fn close(response: &mut Answer) {
    response.headers_mut().insert(CONNECTION, CLOSE);
}

/// The `ms` query parameter (its first occurrence): decimal digits only, 0..10000.
fn wait_ms(query: Option<&str>) -> Option<u64> {
    let ms = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("ms="))?;
    if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ms.parse().ok().filter(|&ms| ms <= MAX_IO_WAIT_MS)
}

fn text(status: StatusCode, body: &'static [u8]) -> Answer {
    response(status, TEXT, Bytes::from_static(body))
}

fn json<T: Serialize + ?Sized>(value: &T) -> Answer {
    match to_json_bytes(value) {
        Ok(body) => response(StatusCode::OK, JSON, body),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, b"Internal Server Error"),
    }
}

fn response(status: StatusCode, content_type: HeaderValue, body: Bytes) -> Answer {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(SERVER, SERVER_VALUE);
    headers.insert(CONTENT_TYPE, content_type);
    response
}
