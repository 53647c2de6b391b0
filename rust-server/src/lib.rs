//! hellobench's Rust server: hyper 1.x on tokio, held to section 1 of the hellobench contract.
//!
//! `main.rs` only parses arguments, builds the runtime and maps errors to exit codes; everything
//! the tests exercise lives here.

mod args;
mod handlers;
mod server;
mod timeouts;

pub use args::{parse_args, Args, Command, USAGE};
pub use handlers::handle;
pub use server::{serve, Config};
pub use timeouts::{HeadSignal, TimedStream, Timeouts};
