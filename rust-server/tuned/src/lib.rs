//! hellobench's tuned Rust server: the stock server's contract and bytes, on the same hyper 1.x
//! and tokio, with the request path made as cheap as hyper allows (README.md, "The tuned tier").
//!
//! Reused from the stock crate as they are: arguments, the `--live-mb` store, the `--db` pool,
//! the body limits and `TimedStream` with its `RequestSignal` (the deadlines). Replaced: the
//! handlers (`handlers.rs`), the order parse (`orders.rs`), JSON output into a reused buffer
//! (`output.rs`), and the accept loop (`server.rs`), which `main.rs` runs once per thread on a
//! current-thread runtime.

mod handlers;
mod orders;
mod output;
mod server;

pub use handlers::handle;
pub use orders::{parse_order, Item, Order, Text};
pub use output::to_json_bytes;
pub use server::serve;
