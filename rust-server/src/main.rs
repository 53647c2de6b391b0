//! rust-server: parse the arguments, start the runtime, serve until SIGTERM or SIGINT.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use rust_server::{parse_args, serve, App, Args, Command, Config, Db, Store, STARTUP_WAIT, USAGE};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("rust-server: {message}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rust-server: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> std::io::Result<()> {
    // available_parallelism honours the affinity mask (sched_getaffinity) and cgroup quotas.
    let threads = match args.threads {
        Some(threads) => threads.get(),
        None => std::thread::available_parallelism()?.get(),
    };
    // The store is complete before the listening line: a client never sees it half built.
    let store = Store::build(args.live_mb);
    // The pool opens no connection here; serve_until_signal waits for the first one.
    let db = match &args.db {
        Some(config) => {
            let size = args.db_pool.map_or(2 * threads, |size| size.get());
            Some(Db::new(config.clone(), size).map_err(std::io::Error::other)?)
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    runtime.block_on(serve_until_signal(args, App { store, db }))?;
    // Connections cut off at the shutdown timeout are dropped here, without waiting.
    runtime.shutdown_background();
    Ok(())
}

async fn serve_until_signal(args: Args, app: App) -> std::io::Result<()> {
    let address = SocketAddr::new(args.bind, args.port);
    let listener = listen(address)
        .map_err(|error| std::io::Error::new(error.kind(), format!("bind {address}: {error}")))?;
    // Signals are caught before the listening line, so a SIGTERM right after it is handled.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    // With --db, ready means that a pooled connection has answered `SELECT 1` (a signal
    // meanwhile ends the wait, and the program, with exit 0).
    if let Some(db) = &app.db {
        tokio::select! {
            ready = db.wait_ready(STARTUP_WAIT) => ready.map_err(std::io::Error::other)?,
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        }
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", listener.local_addr()?)?;
    stdout.flush()?;
    drop(stdout);
    let shutdown = async {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    };
    serve(listener, Config::default(), Arc::new(app), shutdown).await;
    Ok(())
}

/// The backlog the C++ (`SOMAXCONN`) and Go (`net.core.somaxconn`) servers listen with; the
/// kernel caps it at `net.core.somaxconn`. `TcpListener::bind` would use 128, and a burst of
/// connects (the slow-clients test's 400) then overflowed the queue: a 1 s SYN retry.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As std's and Go's listeners do: a restarted server can bind while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}
