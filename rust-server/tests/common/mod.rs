//! Helpers shared by the test files: a server on a free port and a raw-bytes HTTP client.
#![allow(dead_code)] // each test file uses a different part of this module

pub mod vector;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// The server under test: the stock one, or the tuned one when rust-server/tuned compiles these
// tests as its own (its build script sets the cfg).
#[cfg(not(hellobench_tuned))]
use rust_server::serve;
use rust_server::{App, Config, Store, Timeouts};
#[cfg(hellobench_tuned)]
use rust_tuned::serve;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every single wait in a test is bounded by this, so a broken server fails a test quickly.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// The server with the contract's limits.
    pub async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> Self {
        Self::start_with_store(config, Store::default()).await
    }

    /// The server with the contract's limits and the store of `--live-mb live_mb`.
    pub async fn start_with_live_mb(live_mb: u32) -> Self {
        Self::start_with_store(Config::default(), Store::build(live_mb)).await
    }

    pub async fn start_with_store(config: Config, store: Store) -> Self {
        Self::start_with_app(config, App { store, db: None }).await
    }

    pub async fn start_with_app(config: Config, app: App) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, config, Arc::new(app), async {
            let _ = signal.await;
        }));
        TestServer {
            addr,
            shutdown: Some(trigger),
            task,
        }
    }

    pub async fn connect(&self) -> Client {
        Client::connect(self.addr).await
    }

    /// Starts the graceful shutdown; `finished` waits for `serve` to return.
    pub fn begin_shutdown(&mut self) {
        let _ = self.shutdown.take().expect("shutdown begun twice").send(());
    }

    pub async fn finished(self) {
        tokio::time::timeout(IO_TIMEOUT, self.task)
            .await
            .expect("serve did not return")
            .unwrap();
    }
}

/// Short header and idle timeouts, so the tests of the limits take a fraction of a second
/// (the body and write deadlines keep the contract's values).
pub fn short_timeouts(header_ms: u64, idle_ms: u64) -> Config {
    let mut config = Config::default();
    config.timeouts.header = Duration::from_millis(header_ms);
    config.timeouts.idle = Duration::from_millis(idle_ms);
    config
}

/// All four deadlines shortened.
pub fn short_deadlines(header_ms: u64, body_ms: u64, write_ms: u64, idle_ms: u64) -> Config {
    Config {
        timeouts: Timeouts {
            header: Duration::from_millis(header_ms),
            body: Duration::from_millis(body_ms),
            write: Duration::from_millis(write_ms),
            idle: Duration::from_millis(idle_ms),
        },
        ..Config::default()
    }
}

#[derive(Debug)]
pub struct Response {
    /// The status line, e.g. `HTTP/1.1 200 OK`.
    pub status_line: String,
    pub status: u16,
    /// Names as sent on the wire, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The values of a header, by case-insensitive name.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single value of a header; fails the test if it is missing or repeated.
    pub fn header(&self, name: &str) -> &str {
        match self.header_values(name)[..] {
            [value] => value,
            ref values => panic!("expected one {name} header, got {values:?} in {self:?}"),
        }
    }

    pub fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// A client speaking raw bytes, so tests control exactly what the server receives.
pub struct Client {
    pub stream: TcpStream,
    buffer: Vec<u8>,
    /// The longest wait for a read; `IO_TIMEOUT` unless a test expects a slower answer.
    pub read_timeout: Duration,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect failed");
        Client {
            stream,
            buffer: Vec::new(),
            read_timeout: IO_TIMEOUT,
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// `GET path` over HTTP/1.1 with nothing but a Host header.
    pub async fn get(&mut self, path: &str) -> Response {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .await;
        self.response().await
    }

    /// Reads one response framed by Content-Length (the only framing these servers use).
    pub async fn response(&mut self) -> Response {
        let mut response = self.head_response().await;
        let length: usize = response
            .header_values("Content-Length")
            .first()
            .map(|value| value.parse().unwrap())
            .unwrap_or_else(|| panic!("response without Content-Length: {response:?}"));
        while self.buffer.len() < length {
            assert!(self.fill().await > 0, "connection closed inside a body");
        }
        response.body = self.buffer.drain(..length).collect();
        response
    }

    /// Reads the head of one response, leaving `body` empty (the answer to a HEAD request).
    pub async fn head_response(&mut self) -> Response {
        let head_end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at;
            }
            assert!(
                self.fill().await > 0,
                "connection closed before a response head"
            );
        };
        let head = String::from_utf8(self.buffer[..head_end].to_vec()).unwrap();
        self.buffer.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap().to_string();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').expect("header line without ':'");
                (name.to_string(), value.trim().to_string())
            })
            .collect();
        Response {
            status_line,
            status,
            headers,
            body: Vec::new(),
        }
    }

    /// Waits for the server to close the connection (a reset counts as closed too), with
    /// nothing more sent; returns how long that took.
    pub async fn expect_closed_within(&mut self, limit: Duration) -> Duration {
        let started = tokio::time::Instant::now();
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout(limit, self.stream.read(&mut chunk)).await {
            Err(_) => panic!("connection still open after {limit:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => started.elapsed(),
            Ok(Ok(n)) => panic!(
                "expected a close, got {:?}",
                String::from_utf8_lossy(&chunk[..n])
            ),
        }
    }

    pub async fn expect_closed(&mut self) {
        assert!(self.buffer.is_empty(), "unread bytes: {:?}", self.buffer);
        self.expect_closed_within(IO_TIMEOUT).await;
    }

    /// Asserts that nothing arrives and the connection stays open for `quiet`.
    pub async fn expect_open_for(&mut self, quiet: Duration) {
        let mut chunk = [0u8; 1];
        if let Ok(result) = tokio::time::timeout(quiet, self.stream.read(&mut chunk)).await {
            panic!("expected an open, quiet connection, read returned {result:?}");
        }
    }

    async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::time::timeout(self.read_timeout, self.stream.read(&mut chunk))
            .await
            .expect("read timed out")
            .expect("read failed");
        self.buffer.extend_from_slice(&chunk[..n]);
        n
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `time` in the RFC 7231 IMF-fixdate format, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01: Thu
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = time.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let days = seconds / 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[month as usize - 1],
        year,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
