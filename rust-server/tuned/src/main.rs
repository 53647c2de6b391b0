//! rust-tuned-server: the stock server's command line and lifecycle, with one current-thread
//! tokio runtime per `--threads`, each on its own thread with its own listening socket
//! (`SO_REUSEPORT` when there are several, so the kernel spreads the connections), and
//! mimalloc as the allocator.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use rust_server::{parse_args, App, Args, Command, Config, Db, Store, STARTUP_WAIT, USAGE};
use rust_tuned::serve;
use socket2::{Domain, Socket, Type};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NAME: &str = "rust-tuned-server";

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(args)) => args,
        Ok(Command::Help) => {
            println!("{}", USAGE.replacen("rust-server", NAME, 1));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{NAME}: {message}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{NAME}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> std::io::Result<()> {
    let threads = match args.threads {
        Some(threads) => threads.get(),
        None => std::thread::available_parallelism()?.get(),
    };
    let store = Store::build(args.live_mb);
    let db = match &args.db {
        Some(config) => {
            let size = args.db_pool.map_or(2 * threads, |size| size.get());
            Some(Db::new(config.clone(), size).map_err(std::io::Error::other)?)
        }
        None => None,
    };
    let app = Arc::new(App { store, db });
    let address = SocketAddr::new(args.bind, args.port);
    let listeners = bind(address, threads)
        .map_err(|error| std::io::Error::new(error.kind(), format!("bind {address}: {error}")))?;
    // The main thread's own runtime only waits: for the signals, for the database at start
    // (the connection that answers is driven here), and for the workers at the end.
    let main = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    main.block_on(serve_until_signal(listeners, app))?;
    main.shutdown_background();
    Ok(())
}

/// `count` listening sockets on `address` (with port 0, the port the first one got).
fn bind(address: SocketAddr, count: usize) -> std::io::Result<Vec<std::net::TcpListener>> {
    let mut address = address;
    let mut listeners = Vec::with_capacity(count);
    for _ in 0..count {
        let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
        // As tokio's `TcpListener::bind` (the stock server): a restart can reuse the port.
        socket.set_reuse_address(true)?;
        if count > 1 {
            socket.set_reuse_port(true)?;
        }
        socket.bind(&address.into())?;
        socket.listen(4096)?; // as the other servers: SOMAXCONN, capped by net.core.somaxconn
        socket.set_nonblocking(true)?;
        let listener = std::net::TcpListener::from(socket);
        address = listener.local_addr()?;
        listeners.push(listener);
    }
    Ok(listeners)
}

async fn serve_until_signal(
    listeners: Vec<std::net::TcpListener>,
    app: Arc<App>,
) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    if let Some(db) = &app.db {
        tokio::select! {
            ready = db.wait_ready(STARTUP_WAIT) => ready.map_err(std::io::Error::other)?,
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        }
    }
    let local = listeners[0].local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let mut workers = Vec::with_capacity(listeners.len());
    for listener in listeners {
        let app = Arc::clone(&app);
        let mut stopped = stopped.clone();
        let worker = std::thread::Builder::new()
            .name("tokio-rt-worker".into())
            .spawn(move || -> std::io::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    let shutdown = async {
                        let _ = stopped.wait_for(|&stop| stop).await;
                    };
                    serve(listener, Config::default(), app, shutdown).await;
                    Ok::<(), std::io::Error>(())
                })?;
                // Connections cut off at the shutdown timeout are dropped here, without waiting.
                runtime.shutdown_background();
                Ok(())
            })?;
        workers.push(worker);
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {local}")?;
    stdout.flush()?;
    drop(stdout);
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    let _ = stop.send(true);
    // Joined off this thread, which keeps driving the database connection it opened.
    let joined = tokio::task::spawn_blocking(move || {
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or(Ok(())))
            .collect::<std::io::Result<Vec<()>>>()
    });
    joined.await.map_err(std::io::Error::other)??;
    Ok(())
}
