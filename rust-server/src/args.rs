//! Command-line arguments, parsed by hand: six flags do not need a parsing crate.

use std::net::IpAddr;
use std::num::NonZeroUsize;

use crate::db::{parse_conninfo, MAX_POOL};
use crate::store::MAX_LIVE_MB;

pub const USAGE: &str = "usage: rust-server [--port N] [--bind ADDR] [--threads N] [--live-mb N] \
[--db CONNINFO] [--db-pool N]
  --port N       TCP port, 0..65535 (0 picks a free port; default 8080)
  --bind ADDR    IP address to listen on (default 127.0.0.1)
  --threads N    tokio worker threads, 1..1024 (default: the CPUs in the affinity mask)
  --live-mb N    build N * 1024 user records (about N MB of data) before serving, 0..4096 (default 0)
  --db CONNINFO  PostgreSQL for /db/...: a libpq key=value string or a postgresql:// URI, no TLS
                 (default: none, /db/... answers 503)
  --db-pool N    pooled database connections, 1..1024 (default: 2 per worker thread)";

/// Upper bound on `--threads`: a typo such as `--threads 80000` should not spawn 80000 threads.
const MAX_THREADS: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub port: u16,
    pub bind: IpAddr,
    /// `None`: one worker per CPU the process may run on.
    pub threads: Option<NonZeroUsize>,
    /// The store's size: `live_mb * 1024` records.
    pub live_mb: u32,
    /// The database of the `/db/...` routes, if any.
    pub db: Option<tokio_postgres::Config>,
    /// `None`: two connections per worker thread.
    pub db_pool: Option<NonZeroUsize>,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            port: 8080,
            bind: IpAddr::from([127, 0, 0, 1]),
            threads: None,
            live_mb: 0,
            db: None,
            db_pool: None,
        }
    }
}

// Made once per run: the size of `Run` (tokio-postgres's `Config` is large) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Args),
    Help,
}

/// Parses the arguments after the program name. Flags take their value as the next argument
/// or after `=` (`--port 80`, `--port=80`). The error is one line that names the flag.
pub fn parse_args<I>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = String>,
{
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        if !matches!(
            flag.as_str(),
            "--port" | "--bind" | "--threads" | "--live-mb" | "--db" | "--db-pool"
        ) {
            return Err(if flag.starts_with('-') {
                format!("unknown flag {flag} (try --help)")
            } else {
                format!("unexpected argument {flag:?} (try --help)")
            });
        }
        let value = match inline_value.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(format!("{flag}: missing value")),
        };
        match flag.as_str() {
            "--port" => {
                parsed.port = value
                    .parse()
                    .map_err(|_| format!("--port: expected an integer 0..65535, got {value:?}"))?;
            }
            "--bind" => {
                let address = value.trim_start_matches('[').trim_end_matches(']');
                parsed.bind = address
                    .parse()
                    .map_err(|_| format!("--bind: expected an IP address, got {value:?}"))?;
            }
            "--live-mb" => {
                // Decimal digits only: `+5` is refused, as by the other two servers.
                let digits = value.bytes().all(|b| b.is_ascii_digit());
                parsed.live_mb = match value.parse::<u32>() {
                    Ok(mb) if digits && mb <= MAX_LIVE_MB => mb,
                    _ => {
                        return Err(format!(
                            "--live-mb: expected an integer 0..{MAX_LIVE_MB}, got {value:?}"
                        ))
                    }
                };
            }
            // The value is not echoed: a connection string may hold a password.
            "--db" => parsed.db = Some(parse_conninfo(&value).map_err(|e| format!("--db: {e}"))?),
            "--db-pool" => {
                parsed.db_pool = match value.parse::<NonZeroUsize>() {
                    Ok(size)
                        if value.bytes().all(|b| b.is_ascii_digit()) && size.get() <= MAX_POOL =>
                    {
                        Some(size)
                    }
                    _ => {
                        return Err(format!(
                            "--db-pool: expected an integer 1..{MAX_POOL}, got {value:?}"
                        ))
                    }
                };
            }
            _ => {
                parsed.threads = match value.parse::<NonZeroUsize>() {
                    Ok(threads) if threads.get() <= MAX_THREADS => Some(threads),
                    _ => {
                        return Err(format!(
                            "--threads: expected an integer 1..{MAX_THREADS}, got {value:?}"
                        ))
                    }
                };
            }
        }
    }
    Ok(Command::Run(parsed))
}
