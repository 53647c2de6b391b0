//! The built `rust-server` program: its listening line, exit codes and signal handling.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

// The program under test, and the name it gives itself on stderr: rust-server, or
// rust-tuned-server when rust-server/tuned compiles these tests (its build script sets the cfg).
#[cfg(not(hellobench_tuned))]
const BINARY: &str = env!("CARGO_BIN_EXE_rust-server");
#[cfg(not(hellobench_tuned))]
const NAME: &str = "rust-server";
#[cfg(hellobench_tuned)]
const BINARY: &str = env!("CARGO_BIN_EXE_rust-tuned-server");
#[cfg(hellobench_tuned)]
const NAME: &str = "rust-tuned-server";

/// A running server, killed when dropped so that a failed test leaves nothing behind.
struct Server {
    child: Child,
    /// What followed `listening on ` on the first stdout line.
    address: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut command = Command::new(BINARY);
        command.args(args);
        Server::start_command(command)
    }

    fn start_command(mut command: Command) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rust-server");
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = match receiver.recv_timeout(Duration::from_secs(5)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("no listening line within 5 s");
            }
        };
        let address = line
            .strip_prefix("listening on ")
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, address }
    }

    fn port(&self) -> u16 {
        self.address.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit.
    fn wait_for_exit(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("still running after {limit:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `GET /` on a fresh connection; returns the raw response.
fn get_root(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// Runs the program to completion (it must exit by itself) and returns its output.
fn run_to_exit(args: &[&str]) -> std::process::Output {
    let child = Command::new(BINARY)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn port_0_prints_the_actual_address_and_port_then_serves_on_it() {
    let server = Server::start(&["--port", "0"]);
    assert!(
        server.address.starts_with("127.0.0.1:"),
        "{}",
        server.address
    );
    assert_ne!(server.port(), 0);
    let response = get_root(server.port());
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nHello, World!"), "{response}");
}

#[test]
fn bind_to_ipv6_loopback_prints_a_bracketed_address() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback on this machine: nothing to check");
        return;
    }
    let server = Server::start(&["--port", "0", "--bind", "::1"]);
    assert!(server.address.starts_with("[::1]:"), "{}", server.address);
}

/// The threads of `pid` named as tokio names its runtime threads.
fn tokio_threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.unwrap().path().join("comm")).ok())
        .filter(|name| name.trim() == "tokio-rt-worker")
        .count()
}

#[test]
fn threads_sets_the_number_of_worker_threads() {
    // 3 is more than this machine's 2 CPUs, so the default cannot pass for it.
    let server = Server::start(&["--port", "0", "--threads", "3"]);
    let pid = server.child.id();
    // Workers start (and name themselves) in the background: wait for them, then make sure
    // no more follow.
    let started = Instant::now();
    while tokio_threads(pid) < 3 && started.elapsed() < Duration::from_secs(2) {
        thread::sleep(Duration::from_millis(10));
    }
    thread::sleep(Duration::from_millis(100));
    assert_eq!(tokio_threads(pid), 3);
}

#[test]
fn default_threads_are_the_cpus_of_the_affinity_mask() {
    // taskset runs the server on CPU 0 only: one worker, whatever the machine has.
    let mut command = Command::new("taskset");
    command.args(["-c", "0", BINARY, "--port", "0"]);
    let server = Server::start_command(command);
    let pid = server.child.id();
    let started = Instant::now();
    while tokio_threads(pid) < 1 && started.elapsed() < Duration::from_secs(2) {
        thread::sleep(Duration::from_millis(10));
    }
    thread::sleep(Duration::from_millis(100));
    assert_eq!(tokio_threads(pid), 1);
}

#[test]
fn a_bad_flag_exits_2_with_one_line_on_stderr() {
    for args in [
        &["--port", "x"][..],
        &["--frobnicate"][..],
        &["--threads", "0"][..],
        &["--live-mb", "4097"][..],
        &["--live-mb", "x"][..],
    ] {
        let output = run_to_exit(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.starts_with(&format!("{NAME}: ")), "{stderr:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_prints_usage_and_exits_0() {
    let output = run_to_exit(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .starts_with(&format!("usage: {NAME}")));
}

#[test]
fn a_port_in_use_exits_1_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = run_to_exit(&["--port", &port]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("bind 127.0.0.1"), "{stderr:?}");
}

#[test]
fn sigterm_exits_0_within_2_seconds() {
    let mut server = Server::start(&["--port", "0"]);
    assert!(get_root(server.port()).ends_with("Hello, World!"));
    server.signal("TERM");
    let (status, took) = server.wait_for_exit(Duration::from_secs(2));
    assert_eq!(status.code(), Some(0), "after {took:?}");
}

#[test]
fn sigint_exits_0_within_2_seconds() {
    let mut server = Server::start(&["--port", "0"]);
    server.signal("INT");
    let (status, _) = server.wait_for_exit(Duration::from_secs(2));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigterm_with_a_request_that_outlasts_the_grace_still_exits_0_within_2_seconds() {
    let mut server = Server::start(&["--port", "0"]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .write_all(b"GET /io?ms=10000 HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    thread::sleep(Duration::from_millis(100));
    server.signal("TERM");
    let (status, took) = server.wait_for_exit(Duration::from_secs(2));
    assert_eq!(status.code(), Some(0), "after {took:?}");
}

#[test]
fn sigterm_lets_a_short_request_in_flight_finish() {
    let mut server = Server::start(&["--port", "0"]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET /io?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    thread::sleep(Duration::from_millis(100));
    server.signal("TERM");
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("Hello, World!"), "{response}");
    let (status, _) = server.wait_for_exit(Duration::from_secs(2));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_bad_live_mb_names_the_flag_on_stderr() {
    let output = run_to_exit(&["--port", "0", "--live-mb", "-3"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        format!("{NAME}: --live-mb: expected an integer 0..4096, got \"-3\"\n")
    );
}

/// The answer to one request on a fresh connection, as raw text.
fn request(port: u16, target: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(
            format!("GET {target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn live_mb_builds_the_store_before_the_listening_line() {
    let server = Server::start(&["--port", "0", "--live-mb", "2"]);
    // Ready means complete: the last record answers at once.
    let last = request(server.port(), "/users/2047");
    assert!(last.starts_with("HTTP/1.1 200 OK\r\n"), "{last}");
    assert!(
        last.contains("\r\n\r\n{\"id\":2047,\"name\":\"user-2047\","),
        "{last}"
    );
    let past = request(server.port(), "/users/2048");
    assert!(past.starts_with("HTTP/1.1 404 Not Found\r\n"), "{past}");
}

#[test]
fn without_live_mb_the_store_is_empty() {
    let server = Server::start(&["--port", "0"]);
    let response = request(server.port(), "/users/0");
    assert!(
        response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{response}"
    );
}
