//! The endpoints of the contract, written as plain hyper service code.

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Body;
use hyper::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE, HOST, SERVER};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode, Version};
use serde::{Deserialize, Serialize};

use crate::body::{self, BodyRead};
use crate::db::{Db, DbError};
use crate::orders::{parse_order, OrderError};
use crate::store::Store;

const HELLO: &str = "Hello, World!";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";
/// The longest wait `/io` and `/db/sleep` accept, in milliseconds.
const MAX_IO_WAIT_MS: u64 = 10_000;

/// What the handlers share, read-only, with every request: the `--live-mb` store and the
/// `--db` pool. `App::default()` is an empty store and no database.
#[derive(Debug, Default)]
pub struct App {
    pub store: Store,
    pub db: Option<Db>,
}

/// The `/json` object. `Cow` lets `/json` serialise a borrowed `&'static str` (no allocation
/// per request, as before) while a parse, in the microbenchmarks, gets an owned `String`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub message: Cow<'static, str>,
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
/// The body is the server's `TimedBody` (timeouts.rs) or any other body of `Bytes`.
pub async fn handle<B>(req: Request<B>, app: Arc<App>) -> Result<Response<Full<Bytes>>, Infallible>
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
    // that the request is complete before the route works (a route's wait is then the
    // handler's own time, which no deadline cuts: timeouts.rs).
    let body_read = body::discard(body).await;
    let mut response = route(&parts, &app).await;
    if !body_read {
        close(&mut response);
    }
    Ok(response)
}

/// RFC 9112 3.2: an HTTP/1.1 request must carry exactly one `Host` field, an HTTP/1.0 one at
/// most one. One header lookup. The tuned tier uses it too.
pub fn has_one_host(req: &Parts) -> bool {
    let mut hosts = req.headers.get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), None) => true,
        (None, _) => req.version <= Version::HTTP_10,
        (Some(_), Some(_)) => false,
    }
}

/// `400 Bad Request` with `Connection: close`: the answer to a request the server will not
/// read on from.
fn bad_request_and_close() -> Response<Full<Bytes>> {
    let mut response = text(StatusCode::BAD_REQUEST, "Bad Request");
    close(&mut response);
    response
}

/// Every route but `/orders`, none of which reads a body.
async fn route(req: &Parts, app: &App) -> Response<Full<Bytes>> {
    let path = req.uri.path();
    if let Some(id) = path.strip_prefix("/users/") {
        if !id.contains('/') {
            return match req.method {
                Method::GET => user_by_id(id, &app.store),
                _ => method_not_allowed("GET"),
            };
        }
    }
    if let Some(id) = path.strip_prefix("/db/users/") {
        if !id.contains('/') {
            return match req.method {
                Method::GET => db_user(id, app.db.as_ref()).await,
                _ => method_not_allowed("GET"),
            };
        }
    }
    match (&req.method, path) {
        (&Method::GET, "/") => text(StatusCode::OK, HELLO),
        (&Method::GET, "/json") => json(&Message {
            message: Cow::Borrowed(HELLO),
        }),
        (&Method::GET, "/user") => json(&user()),
        (&Method::GET, "/io") => match wait_ms(req.uri.query()) {
            Some(ms) => {
                // A timer parks this task only, never a worker thread.
                tokio::time::sleep(Duration::from_millis(ms)).await;
                text(StatusCode::OK, HELLO)
            }
            None => bad_wait(),
        },
        (&Method::GET, "/db/sleep") => match wait_ms(req.uri.query()) {
            Some(ms) => db_sleep(ms, app.db.as_ref()).await,
            None => bad_wait(),
        },
        (_, "/" | "/json" | "/user" | "/io" | "/db/sleep") => method_not_allowed("GET"),
        _ => not_found(),
    }
}

/// `GET /users/{id}`: `id` is the raw path after `/users/` (never percent-decoded).
fn user_by_id(id: &str, store: &Store) -> Response<Full<Bytes>> {
    let Some(id) = parse_id(id) else {
        return bad_id();
    };
    match store.get(id) {
        Some(record) => json(record),
        None => not_found(),
    }
}

/// The `{id}` of `/users/{id}` and `/db/users/{id}`: 1 to 18 ASCII digits, leading zeros
/// allowed. 18 digits always fit (an `i64` too); 19 or more are refused, whatever their value.
fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// `GET /db/users/{id}`: the id checked first (400 without a query), then the row.
async fn db_user(id: &str, db: Option<&Db>) -> Response<Full<Bytes>> {
    let Some(id) = parse_id(id).and_then(|id| i64::try_from(id).ok()) else {
        return bad_id();
    };
    let Some(db) = db else {
        return db_unavailable();
    };
    match db.user(id).await {
        // The store's `Record`, serialised as `/users/{id}` serialises it: the same bytes.
        Ok(Some(record)) => json(&record),
        Ok(None) => not_found(),
        Err(error) => db_error(error),
    }
}

/// `GET /db/sleep?ms=N`, `ms` already checked: `pg_sleep` on a pooled connection, then the
/// `GET /` answer.
async fn db_sleep(ms: u64, db: Option<&Db>) -> Response<Full<Bytes>> {
    let Some(db) = db else {
        return db_unavailable();
    };
    match db.sleep(ms).await {
        Ok(()) => text(StatusCode::OK, HELLO),
        Err(error) => db_error(error),
    }
}

fn db_error(error: DbError) -> Response<Full<Bytes>> {
    match error {
        DbError::Unavailable => db_unavailable(),
        DbError::BadRow => text(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    }
}

fn db_unavailable() -> Response<Full<Bytes>> {
    text(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
}

fn bad_id() -> Response<Full<Bytes>> {
    text(StatusCode::BAD_REQUEST, "id must be a decimal integer")
}

fn bad_wait() -> Response<Full<Bytes>> {
    text(StatusCode::BAD_REQUEST, "ms must be an integer 0..10000")
}

fn not_found() -> Response<Full<Bytes>> {
    text(StatusCode::NOT_FOUND, "Not Found")
}

/// `POST /orders`, its checks in the contract's order: method, Content-Type, size, syntax,
/// shape.
async fn orders<B>(req: &Parts, body: B, store: &Store) -> Response<Full<Bytes>>
where
    B: Body<Data = Bytes> + Unpin,
{
    let refusal = if req.method != Method::POST {
        Some(method_not_allowed("POST"))
    } else if !is_json(req) {
        Some(text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
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
        Err(OrderError::Malformed) => text(StatusCode::BAD_REQUEST, "malformed JSON"),
        Err(OrderError::Invalid) => text(StatusCode::UNPROCESSABLE_ENTITY, "invalid order"),
    }
}

/// The media type (up to the first `;`, spaces and tabs trimmed) is `application/json`,
/// ignoring ASCII case; parameters are ignored.
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
        (Some(start), Some(end)) => media_type[start..=end].eq_ignore_ascii_case(JSON.as_bytes()),
        _ => false,
    }
}

fn too_large() -> Response<Full<Bytes>> {
    text(StatusCode::PAYLOAD_TOO_LARGE, "body over 64 KiB")
}

fn method_not_allowed(allow: &'static str) -> Response<Full<Bytes>> {
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// Marks an answer as the connection's last (hyper then closes it after writing).
fn close(response: &mut Response<Full<Bytes>>) {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
}

/// The `ms` query parameter of `/io` and `/db/sleep` (its first occurrence): decimal digits
/// only, 0..10000.
fn wait_ms(query: Option<&str>) -> Option<u64> {
    let ms = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("ms="))?;
    if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ms.parse().ok().filter(|&ms| ms <= MAX_IO_WAIT_MS)
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
