//! The database behind `/db/...`: tokio-postgres connections in a deadpool-postgres pool, used
//! as the two crates' docs show (`Manager`, `Pool::builder`, `prepare_cached`).
//!
//! Every call here is asynchronous: a lost database costs a request a 503, never a worker
//! thread. deadpool recycles a connection only if it is still open (`RecyclingMethod::Fast`),
//! and opens new ones on demand, so the routes answer again by themselves once the database is
//! back.

use std::fmt::Write as _;
use std::time::Duration;

use deadpool_postgres::{
    Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime, Timeouts as PoolTimeouts,
};
use tokio_postgres::config::Host;
use tokio_postgres::{Config as PgConfig, NoTls, Row};

use crate::store::Record;

/// The largest `--db-pool`.
pub const MAX_POOL: usize = 1024;
/// How long a request may wait for a pooled connection (and for a new one to open) before it
/// is answered 503.
pub const POOL_WAIT: Duration = Duration::from_secs(5);
/// How long the server waits at start for a connection to answer `SELECT 1`.
pub const STARTUP_WAIT: Duration = Duration::from_secs(10);
/// The pause between two attempts while waiting at start.
const STARTUP_RETRY: Duration = Duration::from_millis(100);

/// The row of `GET /db/users/{id}`: the columns in `Record`'s field order, which
/// `record_from_row` reads by position.
const USER_QUERY: &str = "SELECT id, name, email, username, age, active, role, country, city, \
                          created_at, followers, tags, verified, bio FROM users WHERE id = $1";
/// `GET /db/sleep?ms=N`, with N / 1000 seconds as a `float8`.
const SLEEP_QUERY: &str = "SELECT pg_sleep($1)";

/// Why a database route could not answer from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbError {
    /// No connection within `POOL_WAIT`, a connection lost, the server gone, a failed query:
    /// 503 `database unavailable`.
    Unavailable,
    /// A row that `Record` cannot hold (a wrong column type, a negative id, age or
    /// followers): the table is not the contract's. 500.
    BadRow,
}

/// `--db`'s value, checked as far as it can be without connecting: a libpq `key=value` string
/// or a `postgresql://` URI (tokio-postgres's parser) that names a host. tokio-postgres, unlike
/// libpq, has no default host (libpq's is its Unix socket directory), so none is an error here
/// rather than at every connection attempt.
pub fn parse_conninfo(text: &str) -> Result<PgConfig, String> {
    if text.trim().is_empty() {
        return Err(
            "expected a connection string or a postgresql:// URI, got an empty value".into(),
        );
    }
    let config: PgConfig = text
        .parse()
        .map_err(|error| format!("not a connection string or URI: {}", with_causes(&error)))?;
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        return Err(
            "no host given (host=NAME, an address or a socket directory, or a URI with a \
                    host)"
                .into(),
        );
    }
    Ok(config)
}

/// The database a configuration names, as a URI without the password:
/// `postgresql://postgres@127.0.0.1:5432/postgres`. Defaults are shown as tokio-postgres
/// applies them (port 5432; database = user), the user as `?` when left to the OS user.
pub fn describe(config: &PgConfig) -> String {
    let user = config.get_user().unwrap_or("?");
    let mut hosts = String::new();
    let count = config.get_hosts().len().max(config.get_hostaddrs().len());
    for i in 0..count {
        if i > 0 {
            hosts.push(',');
        }
        match (config.get_hosts().get(i), config.get_hostaddrs().get(i)) {
            (Some(Host::Tcp(name)), _) => hosts.push_str(name),
            (Some(Host::Unix(path)), _) => hosts.push_str(&path.to_string_lossy()),
            (None, Some(address)) => {
                let _ = write!(hosts, "{address}");
            }
            (None, None) => {}
        }
        let ports = config.get_ports();
        let port = match ports.len() {
            0 => 5432,
            1 => ports[0],
            _ => ports.get(i).copied().unwrap_or(5432),
        };
        let _ = write!(hosts, ":{port}");
    }
    let dbname = config.get_dbname().unwrap_or(user);
    format!("postgresql://{user}@{hosts}/{dbname}")
}

/// The pool. Cloning it is cheap (an `Arc`).
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    name: String,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("name", &self.name)
            .field("status", &self.pool.status())
            .finish()
    }
}

impl Db {
    /// A pool of at most `size` connections to `config`, plain TCP or a Unix socket (`NoTls`:
    /// the database is on loopback). No connection is opened yet; `wait_ready` opens the first.
    pub fn new(config: PgConfig, size: usize) -> Result<Db, String> {
        let name = describe(&config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(size)
            .timeouts(PoolTimeouts {
                wait: Some(POOL_WAIT),
                create: Some(POOL_WAIT),
                recycle: Some(POOL_WAIT),
            })
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| format!("database pool: {error}"))?;
        Ok(Db { pool, name })
    }

    /// Waits until a pooled connection has answered `SELECT 1`, trying again every 100 ms, for
    /// at most `within`. The error is one line naming the database and the last failure.
    pub async fn wait_ready(&self, within: Duration) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + within;
        let mut last = String::from("no answer");
        loop {
            let attempt = async {
                let client = self.pool.get().await.map_err(|e| pool_error(&e))?;
                client
                    .simple_query("SELECT 1")
                    .await
                    .map_err(|e| with_causes(&e))?;
                Ok::<(), String>(())
            };
            match tokio::time::timeout_at(deadline, attempt).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(error)) => last = error,
                Err(_) => break,
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                break;
            }
            tokio::time::sleep_until((now + STARTUP_RETRY).min(deadline)).await;
        }
        Err(format!(
            "database {} did not answer SELECT 1 within {} s: {last}",
            self.name,
            within.as_secs_f64()
        ))
    }

    /// The `users` row with this id, if there is one.
    pub async fn user(&self, id: i64) -> Result<Option<Record>, DbError> {
        let client = self.pool.get().await.map_err(|_| DbError::Unavailable)?;
        let statement = client
            .prepare_cached(USER_QUERY)
            .await
            .map_err(|_| DbError::Unavailable)?;
        let row = client
            .query_opt(&statement, &[&id])
            .await
            .map_err(|_| DbError::Unavailable)?;
        row.map(|row| record_from_row(&row)).transpose()
    }

    /// `SELECT pg_sleep(ms / 1000)` on a pooled connection.
    pub async fn sleep(&self, ms: u64) -> Result<(), DbError> {
        let client = self.pool.get().await.map_err(|_| DbError::Unavailable)?;
        let statement = client
            .prepare_cached(SLEEP_QUERY)
            .await
            .map_err(|_| DbError::Unavailable)?;
        let seconds = ms as f64 / 1000.0;
        client
            .execute(&statement, &[&seconds])
            .await
            .map_err(|_| DbError::Unavailable)?;
        Ok(())
    }
}

/// A row of `USER_QUERY` as the store's `Record`: `bigint` as `i64`, `integer` as `i32`,
/// `text[]` as `Vec<String>`, checked into `Record`'s unsigned fields.
fn record_from_row(row: &Row) -> Result<Record, DbError> {
    fn bad<E>(_: E) -> DbError {
        DbError::BadRow
    }
    let unsigned = |index: usize| -> Result<u64, DbError> {
        u64::try_from(row.try_get::<_, i64>(index).map_err(bad)?).map_err(bad)
    };
    let text = |index: usize| row.try_get::<_, String>(index).map_err(bad);
    let flag = |index: usize| row.try_get::<_, bool>(index).map_err(bad);
    Ok(Record {
        id: unsigned(0)?,
        name: text(1)?,
        email: text(2)?,
        username: text(3)?,
        age: u32::try_from(row.try_get::<_, i32>(4).map_err(bad)?).map_err(bad)?,
        active: flag(5)?,
        role: text(6)?,
        country: text(7)?,
        city: text(8)?,
        created_at: text(9)?,
        followers: unsigned(10)?,
        tags: row.try_get::<_, Vec<String>>(11).map_err(bad)?,
        verified: flag(12)?,
        bio: text(13)?,
    })
}

/// deadpool's errors, with the driver's own message when a connection failed.
fn pool_error(error: &PoolError) -> String {
    match error {
        PoolError::Backend(error) => with_causes(error),
        PoolError::Timeout(_) => format!("no connection within {} s", POOL_WAIT.as_secs()),
        other => with_causes(other),
    }
}

/// An error and its causes (tokio-postgres's `Display` leaves them out: "error connecting to
/// server"), on one line: the server's errors are one stderr line each.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let _ = write!(text, ": {error}");
        cause = error.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
