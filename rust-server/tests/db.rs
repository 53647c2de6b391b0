//! The database routes of the built program against a real PostgreSQL: a private cluster per
//! test from `scripts/pg-scratch.sh` (1024 rows), removed when the test ends, also when it
//! fails. Without PostgreSQL installed the tests that need one say so and pass.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::vector::Vector;
use common::Client;
use serde::Deserialize;
use tokio::sync::oneshot;

// The program under test and the name it gives itself on stderr (see tests/binary.rs).
#[cfg(not(hellobench_tuned))]
const BINARY: &str = env!("CARGO_BIN_EXE_rust-server");
#[cfg(not(hellobench_tuned))]
const NAME: &str = "rust-server";
#[cfg(hellobench_tuned)]
const BINARY: &str = env!("CARGO_BIN_EXE_rust-tuned-server");
#[cfg(hellobench_tuned)]
const NAME: &str = "rust-tuned-server";
const VECTORS: &str = include_str!("../../contract/vectors/db.json");

#[derive(Deserialize)]
struct Vectors {
    records: u64,
    vectors: Vec<Vector>,
    without_database: Vec<Vector>,
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).expect("contract/vectors/db.json")
}

/// The repository: this file's folder's parent (the package compiling it may be rust-server or
/// rust-server/tuned).
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("contract").is_dir())
        .expect("the repository above the package")
        .to_path_buf()
}

/// A private PostgreSQL cluster (`pg-scratch.sh start`), stopped and deleted on drop.
struct Postgres {
    dir: PathBuf,
    uri: String,
    port: u16,
}

impl Postgres {
    /// `None` (after saying why) only when PostgreSQL is not installed.
    fn start(name: &str, records: u64) -> Option<Postgres> {
        let dir = std::env::temp_dir().join(format!("rust-server-{name}-{}", std::process::id()));
        let script = repository().join("scripts/pg-scratch.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(&dir)
            .arg(records.to_string())
            .output()
            .expect("run scripts/pg-scratch.sh");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() == Some(3) {
            eprintln!("skipped: PostgreSQL is not installed ({})", stderr.trim());
            return None;
        }
        // From here on the guard removes the cluster, whatever happens next.
        let mut postgres = Postgres {
            dir,
            uri: String::new(),
            port: 0,
        };
        assert!(output.status.success(), "pg-scratch.sh start: {stderr}");
        postgres.uri = String::from_utf8(output.stdout).unwrap().trim().to_string();
        postgres.port = postgres
            .uri
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {:?}", postgres.uri));
        Some(postgres)
    }

    /// `pg_ctl` on this cluster, as the postgres user when running as root (as pg-scratch.sh).
    fn pg_ctl(&self, args: &[&str]) {
        let bindir = postgresql_bindir().expect("PostgreSQL's bin directory");
        let data = self.dir.join("data");
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]);
            command.arg(bindir.join("pg_ctl"));
            command
        } else {
            Command::new(bindir.join("pg_ctl"))
        };
        let output = command
            .arg("-D")
            .arg(&data)
            .args(args)
            .output()
            .expect("run pg_ctl");
        assert!(
            output.status.success(),
            "pg_ctl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The database lost at once: every backend ended, every client connection cut.
    fn kill(&self) {
        self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
    }

    /// Started again on the same port and folder, with pg-scratch.sh's settings.
    fn restart(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        self.pg_ctl(&[
            "-l",
            log.to_str().unwrap(),
            "-w",
            "-t",
            "30",
            "-o",
            &options,
            "start",
        ]);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repository().join("scripts/pg-scratch.sh"))
            .arg("stop")
            .arg(&self.dir)
            .output();
    }
}

fn postgresql_bindir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("pg_ctl").exists())
        .collect();
    // The newest major version, as pg-scratch.sh picks it (`sort -V`).
    dirs.sort_by_key(|dir| {
        let version = dir.parent().and_then(|d| d.file_name()).unwrap_or_default();
        version.to_string_lossy().parse::<u32>().unwrap_or(0)
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| output.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// The program, killed when dropped so that a failed test leaves nothing behind.
struct Server {
    child: Child,
    /// The first stdout line, once it has come (`listening on ADDR:PORT`).
    line: oneshot::Receiver<String>,
}

impl Server {
    fn spawn(args: &[&str]) -> Server {
        let mut command = Command::new(BINARY);
        command
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut process = command.spawn().expect("start rust-server");
        let stdout = process.stdout.take().unwrap();
        let (sender, line) = oneshot::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = sender.send(first);
        });
        Server {
            child: process,
            line,
        }
    }

    /// Waits up to `limit` for the listening line; its address.
    async fn ready(&mut self, limit: Duration) -> SocketAddr {
        let line = tokio::time::timeout(limit, &mut self.line)
            .await
            .unwrap_or_else(|_| panic!("no listening line within {limit:?}"))
            .expect("stdout reader");
        line.strip_prefix("listening on ")
            .and_then(|rest| rest.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
    }

    /// Started and ready, or the test fails.
    async fn start(args: &[&str]) -> (Server, SocketAddr) {
        let mut server = Server::spawn(args);
        let addr = server.ready(Duration::from_secs(10)).await;
        (server, addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each vector on one keep-alive connection, each followed by a `GET /` (200) on it.
async fn replay(addr: SocketAddr, vectors: &[Vector]) {
    let mut client = Client::connect(addr).await;
    let mut failures = Vec::new();
    for vector in vectors {
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
        vectors.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn without_db_the_routes_answer_503_after_their_400s() {
    let (_server, addr) = Server::start(&[]).await;
    replay(addr, &vectors().without_database).await;
}

#[tokio::test]
async fn vectors_every_row_a_pool_of_4_under_100_sleeps_and_503_after_5_s_without_a_connection() {
    let vectors = vectors();
    let Some(postgres) = Postgres::start("db-routes", vectors.records) else {
        return;
    };
    {
        let (_server, addr) = Server::start(&["--db", &postgres.uri, "--threads", "2"]).await;
        replay(addr, &vectors.vectors).await;
    }

    // Every row is the store's record, byte for byte: the same struct, the same JSON.
    {
        let (_server, addr) =
            Server::start(&["--db", &postgres.uri, "--live-mb", "1", "--threads", "1"]).await;
        let mut client = Client::connect(addr).await;
        for id in 0..vectors.records {
            let from_db = client.get(&format!("/db/users/{id}")).await;
            let from_store = client.get(&format!("/users/{id}")).await;
            assert_eq!(from_db.status, 200, "/db/users/{id}");
            assert_eq!(from_db.body, from_store.body, "/db/users/{id}");
            assert_eq!(from_db.header("Content-Type"), "application/json");
        }
        // Leading zeros, as for /users/{id}.
        let padded = client.get("/db/users/000000000000000007").await;
        assert_eq!(padded.body, client.get("/users/7").await.body);
    }

    // 100 requests at once on a pool of 4: they queue for a connection (well within the 5 s
    // wait) and all succeed; 25 rounds of 50 ms show that no more than 4 ran at a time.
    {
        let (_server, addr) =
            Server::start(&["--db", &postgres.uri, "--db-pool", "4", "--threads", "2"]).await;
        let started = Instant::now();
        let requests: Vec<_> = (0..100)
            .map(|_| {
                tokio::spawn(async move {
                    let mut client = Client::connect(addr).await;
                    let response = client.get("/db/sleep?ms=50").await;
                    (response.status, response.body_text().to_string())
                })
            })
            .collect();
        for request in requests {
            assert_eq!(request.await.unwrap(), (200, "Hello, World!".to_string()));
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(1200), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    // A pool of 1 held by a 6 s sleep: the next request gets no connection within 5 s, a
    // 503, and the connection it came on carries on.
    {
        let (_server, addr) = Server::start(&["--db", &postgres.uri, "--db-pool", "1"]).await;
        let holder = tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            client.read_timeout = Duration::from_secs(10);
            client.get("/db/sleep?ms=6000").await.status
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut client = Client::connect(addr).await;
        client.read_timeout = Duration::from_secs(8);
        let started = Instant::now();
        let response = client.get("/db/users/7").await;
        let took = started.elapsed();
        assert_eq!(response.status, 503);
        assert_eq!(response.body_text(), "database unavailable");
        assert!(took >= Duration::from_millis(4900), "{took:?}");
        assert!(took < Duration::from_millis(5700), "{took:?}");
        assert_eq!(client.get("/").await.status, 200);
        assert_eq!(holder.await.unwrap(), 200);
        assert_eq!(client.get("/db/users/7").await.status, 200);
    }
}

/// Polls `target` on `client` until it answers `status`, for at most `limit`.
async fn until_status(client: &mut Client, target: &str, status: u16, limit: Duration) {
    let started = Instant::now();
    loop {
        let response = client.get(target).await;
        if response.status == status {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "{target}: still {} after {limit:?}",
            response.status
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_lost_database_is_503_until_it_is_back_and_the_ready_line_waits_for_it() {
    let Some(postgres) = Postgres::start("db-lost", 1024) else {
        return;
    };
    let (_server, addr) =
        Server::start(&["--db", &postgres.uri, "--live-mb", "1", "--db-pool", "4"]).await;
    let mut client = Client::connect(addr).await;
    assert_eq!(client.get("/db/users/7").await.status, 200);
    assert_eq!(client.get("/db/sleep?ms=1").await.status, 200);

    postgres.kill();
    // The same keep-alive connection: 503 on the database routes, at once (the connections
    // are gone and new ones are refused), and every other route answers.
    for target in ["/db/users/7", "/db/sleep?ms=1", "/db/users/7"] {
        let started = Instant::now();
        let response = client.get(target).await;
        assert_eq!(response.status, 503, "{target}");
        assert_eq!(response.body_text(), "database unavailable");
        assert_eq!(response.header("Content-Type"), "text/plain; charset=utf-8");
        assert!(started.elapsed() < Duration::from_secs(2), "{target}");
    }
    assert_eq!(client.get("/db/users/x").await.status, 400);
    assert_eq!(client.get("/").await.status, 200);
    assert_eq!(client.get("/users/7").await.status, 200);
    assert_eq!(client.get("/io?ms=1").await.status, 200);
    let mut other = Client::connect(addr).await;
    assert_eq!(other.get("/db/users/7").await.status, 503);

    // A server started now waits for the database before its listening line.
    let mut waiting = Server::spawn(&["--db", &postgres.uri]);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        waiting.line.try_recv().is_err(),
        "listening line without a database"
    );
    assert!(waiting.child.try_wait().unwrap().is_none(), "exited early");

    postgres.restart();
    until_status(&mut client, "/db/users/7", 200, Duration::from_secs(5)).await;
    until_status(&mut client, "/db/sleep?ms=1", 200, Duration::from_secs(5)).await;
    assert_eq!(other.get("/db/users/7").await.status, 200);
    let waited = waiting.ready(Duration::from_secs(5)).await;
    let mut late = Client::connect(waited).await;
    assert_eq!(late.get("/db/users/1023").await.status, 200);
}

#[tokio::test]
async fn no_database_within_10_s_is_one_line_naming_it_and_exit_1() {
    // Nothing listens on `refused`; `silent` accepts connections (the kernel does) and never
    // answers, which only the overall deadline ends.
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let servers: Vec<(u16, Child)> = [refused, silent_port]
        .into_iter()
        .map(|port| {
            let child = Command::new(BINARY)
                .args(["--port", "0", "--db"])
                .arg(format!("postgresql://postgres@127.0.0.1:{port}/postgres"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (port, child)
        })
        .collect();
    // Each must exit by itself; one still running at 15 s is killed and fails the test.
    let outputs = tokio::task::spawn_blocking(move || {
        servers
            .into_iter()
            .map(|(port, mut child)| {
                while child.try_wait().unwrap().is_none() {
                    if started.elapsed() > Duration::from_secs(15) {
                        let _ = child.kill();
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let took = started.elapsed();
                (port, took, child.wait_with_output().unwrap())
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (port, took, output) in outputs {
        assert_eq!(output.status.code(), Some(1), "port {port} after {took:?}");
        assert!(output.stdout.is_empty(), "a listening line");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(
            stderr.starts_with(&format!(
                "{NAME}: database postgresql://postgres@127.0.0.1:{port}/postgres \
                 did not answer SELECT 1 within 10 s: "
            )),
            "{stderr:?}"
        );
        assert!(took >= Duration::from_secs(10), "{took:?}");
        assert!(took < Duration::from_secs(12), "{took:?}");
    }
    drop(silent);
}

#[test]
fn a_bad_db_flag_exits_2_with_one_line_naming_it() {
    for (args, flag) in [
        (&["--db", ""][..], "--db"),
        (&["--db", "host=127.0.0.1 colour=blue"][..], "--db"),
        (&["--db", "postgresql://u:secret@h:99999/d"][..], "--db"),
        (&["--db", "dbname=postgres"][..], "--db"),
        (&["--db"][..], "--db"),
        (&["--db-pool", "0"][..], "--db-pool"),
        (&["--db-pool", "1025"][..], "--db-pool"),
        (&["--db-pool", "four"][..], "--db-pool"),
    ] {
        let output = Command::new(BINARY).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.starts_with(&format!("{NAME}: {flag}")), "{stderr:?}");
        assert!(!stderr.contains("secret"), "{stderr:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}
