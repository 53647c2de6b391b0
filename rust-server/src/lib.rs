//! hellobench's Rust server: hyper 1.x on tokio, held to section 1 of the hellobench contract.
//!
//! `main.rs` only parses arguments, builds the runtime and maps errors to exit codes; everything
//! the tests exercise lives here.

mod args;
pub mod body;
mod db;
mod handlers;
mod orders;
mod server;
mod store;
mod timeouts;

pub use args::{parse_args, Args, Command, USAGE};
pub use db::{Db, DbError, MAX_POOL, POOL_WAIT, STARTUP_WAIT};
pub use handlers::{handle, has_one_host, App, Message};
pub use orders::{from_json, parse_order, Item, ObjectOnly, Order, OrderAnswer, OrderError};
pub use server::{serve, Config};
pub use store::{Record, Store, BIO_BYTES, MAX_LIVE_MB, RECORDS_PER_MB};
pub use timeouts::{RequestSignal, TimedBody, TimedStream, Timeouts};
