//! JSON answers serialised into a per-thread buffer that is reused from one answer to the next.
//!
//! Each answer is split off the buffer as a `Bytes` that shares its allocation. Once hyper has
//! written the answer and dropped it, the buffer is the allocation's only owner again and
//! `reserve` takes the space back: in the steady state an answer costs no allocation at all.
//! While earlier answers are still held (pipelined, or waiting on a slow socket), `reserve`
//! allocates a fresh buffer, as `serde_json::to_vec` would every time.

use std::cell::RefCell;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

/// Room reserved before each answer: more than the largest answer (a store record, ~1.1 KiB).
const RESERVE_BYTES: usize = 4096;

thread_local! {
    static BUFFER: RefCell<BytesMut> = RefCell::new(BytesMut::with_capacity(4 * RESERVE_BYTES));
}

/// `value` as compact JSON, exactly the bytes of `serde_json::to_vec`.
pub fn to_json_bytes<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Bytes> {
    BUFFER.with_borrow_mut(|buffer| {
        buffer.reserve(RESERVE_BYTES);
        match serde_json::to_writer((&mut *buffer).writer(), value) {
            Ok(()) => Ok(buffer.split().freeze()),
            Err(error) => {
                buffer.clear();
                Err(error)
            }
        }
    })
}
