//! Request bodies under the contract's limits: up to 64 KiB is kept, up to 1 MiB is read and
//! discarded (the connection stays usable), more is not read at all (the answer closes the
//! connection). Content-Length and chunked bodies alike.
//!
//! The service reads (or discards) a body before it answers: hyper itself, when a service
//! answers without reading the body, drains only what has already arrived and otherwise
//! closes the connection, which would break keep-alive after a 405 or 415 to a large body.
//!
//! Generic over the body: the server hands its handlers a `TimedBody` (timeouts.rs), which
//! ends the body deadline when it is read to its end; a plain hyper `Incoming` works too.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Body;

/// The largest body kept: 64 KiB.
pub const MAX_KEPT_BYTES: u64 = 64 * 1024;
/// The largest body read and discarded with the connection kept: 1 MiB.
pub const MAX_DISCARDED_BYTES: u64 = 1024 * 1024;

#[derive(Debug)]
pub enum BodyRead {
    /// The whole body, at most the limit given to `read`.
    Complete(Bytes),
    /// Over the limit, and read to its end (at most 1 MiB): the connection can go on.
    OverLimit,
    /// Declared or found to be over 1 MiB; not read to its end, so the connection must close.
    OverDiscardLimit,
    /// The body could not be read (the client went away, broken chunked framing).
    Failed,
}

/// Reads `body`, keeping it if it is at most `limit` bytes (which must not exceed
/// `MAX_DISCARDED_BYTES`).
pub async fn read<B>(mut body: B, limit: u64) -> BodyRead
where
    B: Body<Data = Bytes> + Unpin,
{
    // With Content-Length the size hint is exact; a chunked body's lower bound is 0.
    if body.size_hint().lower() > MAX_DISCARDED_BYTES {
        return BodyRead::OverDiscardLimit;
    }
    // One frame, the usual case, is kept as it came; only further frames are copied.
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return BodyRead::Failed;
        };
        // Trailers are ignored.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len() as u64;
        if total > MAX_DISCARDED_BYTES {
            return BodyRead::OverDiscardLimit;
        }
        if total > limit {
            first = None;
            joined = Vec::new();
            continue;
        }
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            None => joined.extend_from_slice(&data),
            Some(earlier) => {
                joined.reserve_exact(earlier.len() + data.len());
                joined.extend_from_slice(&earlier);
                joined.extend_from_slice(&data);
            }
        }
    }
    if total > limit {
        BodyRead::OverLimit
    } else if !joined.is_empty() {
        BodyRead::Complete(Bytes::from(joined))
    } else {
        BodyRead::Complete(first.unwrap_or_default())
    }
}

/// Reads and drops a body that the answer does not need. `false` when it could not be read
/// to its end (over 1 MiB, or broken): the answer must then close the connection.
pub async fn discard<B>(body: B) -> bool
where
    B: Body<Data = Bytes> + Unpin,
{
    if body.is_end_stream() {
        return true;
    }
    matches!(
        read(body, 0).await,
        BodyRead::Complete(_) | BodyRead::OverLimit
    )
}
