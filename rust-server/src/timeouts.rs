//! The deadlines of one HTTP/1 connection (contract/README.md, "Deadlines").
//!
//! | phase | limit | runs from | to |
//! | --- | --- | --- | --- |
//! | head | `header` | the accept, or a later request's first byte | the head parsed |
//! | body | `body` | the head parsed | the body read to its end |
//! | handler | none | the end of the body | the response produced |
//! | write | `write` | the first write of a response | its last byte taken by the socket |
//! | idle | `idle` | the end of a response | the next request's first byte |
//!
//! hyper 1.x has one timer of its own: its `header_read_timeout` starts whenever a connection
//! waits for a head, idle or not, so with 10 s it would close idle connections after 10 s
//! instead of 60 s, and it has nothing for bodies or writes. [`TimedStream`] wraps the socket
//! and keeps all four deadlines itself. It learns where the connection is from:
//! - its own reads and writes (a first byte after an idle wait, a response's first write);
//! - hyper's flushes: hyper calls `poll_flush` only once its write buffer is empty, so a
//!   flush after writes means that every byte written so far was taken by the socket: the end
//!   of a response (responses here are `Full` bodies, buffered whole);
//! - [`RequestSignal`], driven by the service: a head parsed, with or without a body; the body
//!   read to its end ([`TimedBody`], which wraps the request body); the response produced (the
//!   handler's future finished).
//!
//! Why the body's end comes from the service: while a request is in hand hyper keeps reading
//! the socket, to notice a client that goes away and to take in pipelined bytes, and the
//! socket cannot tell those reads from body reads. A body deadline that ran on past the body
//! would cut them, and with them a long handler (`/io?ms=10000`). So the body deadline ends when
//! the handler has read the body to its end (the handlers read it before they route), and
//! from then until the response is produced no deadline runs: the handler's time is the
//! server's own. "Produced" rather than "first write": when a client does not read, hyper can
//! take the next pipelined head (and its handler) while the previous response is still being
//! written, and can even buffer two responses without a body in one write.
//!
//! The deadlines are totals: bytes that trickle in or out move none of them. They are enforced
//! where the connection waits. A read that would block fails with `TimedOut` once the read
//! side's deadline (head, body or idle) has passed, and a write that would block once the
//! write deadline has passed; from then on every read and write fails, so hyper drops the
//! connection without an answer. A deadline cannot fire while nothing waits on it: a handler
//! that has not asked for the rest of a body yet is not cut.
//!
//! Cost: one tokio `Sleep` per connection, armed at or before the earliest deadline. Moving a
//! deadline later only updates a field; the timer is re-armed when it fires early, so a busy
//! connection touches the timer wheel about once per header timeout, not per request. Per read
//! or write: one relaxed load of the signal. Per request: two clock reads (a first byte after
//! an idle wait, a response's first write; a third for a body), a timer poll at the end of the
//! response, and the signal's reference count taken and dropped once (twice with a body).
//! Polls of the timer are otherwise only on the paths that would block.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::Request;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the accept (or a later request's first byte) to the complete head.
    pub header: Duration,
    /// From the end of the head to the last byte of the body.
    pub body: Duration,
    /// From the first write of a response to its last byte taken by the socket.
    pub write: Duration,
    /// From the end of a response to the first byte of the next request.
    pub idle: Duration,
}

/// The read side of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for (the rest of) a request head: the header deadline runs.
    AwaitingHead,
    /// A request is in hand and its body not read to its end: the body deadline runs.
    Body,
    /// A request is in hand with its body read: no read deadline.
    InHand,
    /// Every request answered and written, no byte of the next one yet: the idle deadline runs.
    Idle,
}

/// [`RequestSignal`]'s word: a request counter (bits 2..) and the state of the latest request
/// (bits 0..2). Only the connection's own task touches it (hyper calls the service and polls
/// the handler and its body inside the connection's future), so relaxed loads and stores do.
const STATE_MASK: u32 = 0b11;
/// No request in hand: none yet, or the latest one's response is produced.
const ANSWERED: u32 = 0;
/// A request in hand whose body is not read to its end yet.
const READING_BODY: u32 = 1;
/// A request in hand with its body read (or without one): its handler's time.
const HANDLING: u32 = 2;

/// The service's side of a [`TimedStream`]: tells it when hyper hands over a request, when the
/// request's body is read to its end, and when the response is ready.
#[derive(Debug, Clone)]
pub struct RequestSignal(Arc<AtomicU32>);

impl RequestSignal {
    /// Runs `handler` for a request that hyper parsed, reporting the request to the stream.
    /// The handler gets the body as a [`TimedBody`], which reports the end of the body; the
    /// future returned reports the response when the handler's future finishes. (Its type
    /// includes `F`, so for it to be `'static`, as hyper needs, `handler` must own what it
    /// captures.)
    pub fn serve<F, Fut>(
        &self,
        req: Request<Incoming>,
        handler: F,
    ) -> impl Future<Output = Fut::Output>
    where
        F: FnOnce(Request<TimedBody>) -> Fut,
        Fut: Future,
    {
        let has_body = !req.body().is_end_stream();
        // The next request number, its state bits clear.
        let request = (self.0.load(Ordering::Relaxed) | STATE_MASK).wrapping_add(1);
        let state = if has_body { READING_BODY } else { HANDLING };
        self.0.store(request | state, Ordering::Relaxed);
        let end = has_body.then(|| (self.clone(), request));
        let handling = handler(req.map(|inner| TimedBody { inner, end }));
        let signal = self.clone();
        async move {
            let response = handling.await;
            signal.advance(request, ANSWERED);
            response
        }
    }

    /// Moves `request` (if it is still the latest) to `state`.
    fn advance(&self, request: u32, state: u32) {
        let word = self.0.load(Ordering::Relaxed);
        if word & !STATE_MASK == request && word & STATE_MASK != ANSWERED {
            self.0.store(request | state, Ordering::Relaxed);
        }
    }
}

/// A request body that tells the connection's [`TimedStream`] when it has been read to its
/// end (or failed), which ends the body deadline.
#[derive(Debug)]
pub struct TimedBody {
    inner: Incoming,
    /// Whom to tell, for which request; `None` once told, or for a body that was empty.
    end: Option<(RequestSignal, u32)>,
}

impl From<Incoming> for TimedBody {
    /// A body that reports to no stream (for a service run without a `TimedStream`).
    fn from(inner: Incoming) -> Self {
        TimedBody { inner, end: None }
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if !matches!(frame, Some(Ok(_))) {
            if let Some((signal, request)) = this.end.take() {
                signal.advance(request, HANDLING);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A socket that keeps the deadlines of [`Timeouts`]; see the module documentation.
pub struct TimedStream<T> {
    inner: T,
    timeouts: Timeouts,
    signal: Arc<AtomicU32>,
    /// The word of `signal` last acted on.
    seen: u32,
    phase: Phase,
    /// The read side's deadline: header, body or idle; `None` while a request is handled.
    read_deadline: Option<Instant>,
    /// The write deadline of the response being written, from its first write to the flush
    /// that ends it.
    write_deadline: Option<Instant>,
    /// When the response being written began, and whether a write of it has had to wait.
    write_began: Instant,
    write_waited: bool,
    /// Bytes of a next (pipelined) request arrived while a request was handled.
    read_during_request: bool,
    /// Armed at or before the earliest deadline still ahead.
    timer: Pin<Box<Sleep>>,
    /// How far the timer has got: a deadline at or before this instant has passed.
    passed: Instant,
    /// Set when a deadline passed: every read and write fails from then on.
    expired: Option<&'static str>,
}

impl<T> TimedStream<T> {
    /// Wraps a freshly accepted connection: the header deadline starts now.
    pub fn new(inner: T, timeouts: Timeouts) -> Self {
        let now = Instant::now();
        let deadline = now + timeouts.header;
        TimedStream {
            inner,
            timeouts,
            signal: Arc::new(AtomicU32::new(ANSWERED)),
            seen: ANSWERED,
            phase: Phase::AwaitingHead,
            read_deadline: Some(deadline),
            write_deadline: None,
            write_began: now,
            write_waited: false,
            read_during_request: false,
            timer: Box::pin(tokio::time::sleep_until(deadline)),
            passed: now,
            expired: None,
        }
    }

    /// The signal for the service of this connection. The service must run every request
    /// through its [`RequestSignal::serve`]: unreported, a request would stay under the header
    /// deadline of the accept.
    pub fn request_signal(&self) -> RequestSignal {
        RequestSignal(Arc::clone(&self.signal))
    }

    /// Acts on what the service reported since the last look.
    fn observe(&mut self) {
        let word = self.signal.load(Ordering::Relaxed);
        if word == self.seen {
            return;
        }
        let new_request = (word ^ self.seen) & !STATE_MASK != 0;
        self.seen = word;
        let state = word & STATE_MASK;
        if new_request {
            // Whatever was read while the previous request was handled was this one's head.
            self.read_during_request = false;
            if state == READING_BODY {
                let deadline = Instant::now() + self.timeouts.body;
                self.set_read_deadline(Phase::Body, Some(deadline));
            } else {
                self.set_read_deadline(Phase::InHand, None);
            }
        } else if state == HANDLING && self.phase == Phase::Body {
            self.set_read_deadline(Phase::InHand, None);
        }
    }

    fn set_read_deadline(&mut self, phase: Phase, deadline: Option<Instant>) {
        self.phase = phase;
        self.read_deadline = deadline;
        if let Some(deadline) = deadline {
            self.arm_by(deadline);
        }
    }

    /// Keeps the timer armed at or before `deadline`. A later deadline leaves the timer as it
    /// is: when it fires early, `poll_timer` re-arms it.
    fn arm_by(&mut self, deadline: Instant) {
        if deadline < self.timer.deadline() {
            self.timer.as_mut().reset(deadline);
        }
    }

    fn on_read(&mut self) {
        match self.phase {
            Phase::Idle => {
                let deadline = Instant::now() + self.timeouts.header;
                self.set_read_deadline(Phase::AwaitingHead, Some(deadline));
            }
            Phase::InHand => self.read_during_request = true,
            Phase::AwaitingHead | Phase::Body => {}
        }
    }

    /// Before every write: the first write of a response starts its deadline.
    fn on_write(&mut self) {
        if self.write_deadline.is_none() {
            let now = Instant::now();
            let deadline = now + self.timeouts.write;
            self.write_deadline = Some(deadline);
            self.write_began = now;
            self.write_waited = false;
            self.arm_by(deadline);
        }
    }

    /// A flush found hyper's buffer empty: the response being written (if any) is complete.
    fn on_flushed(&mut self, cx: &mut Context<'_>) {
        if self.write_deadline.take().is_none() {
            return;
        }
        // Another request may be in hand already (pipelined), or this was a `100 Continue`,
        // or hyper's own answer to a bad head: then the read side stays as it is.
        if self.phase != Phase::InHand || self.seen & STATE_MASK != ANSWERED {
            return;
        }
        // A response that never waited was written within this poll.
        let end = if self.write_waited {
            Instant::now()
        } else {
            self.write_began
        };
        if std::mem::take(&mut self.read_during_request) {
            // A pipelined head may be waiting, partly read: give it the header timeout.
            self.set_read_deadline(Phase::AwaitingHead, Some(end + self.timeouts.header));
        } else {
            self.set_read_deadline(Phase::Idle, Some(end + self.timeouts.idle));
        }
        // hyper reads again only when something wakes it, and its last read (`Pending` while
        // the request was handled) registered no timer: register it now.
        self.poll_timer(cx);
    }

    /// Polls the timer, so that it wakes the task at the earliest deadline still ahead, and
    /// records in `passed` how far it has got.
    fn poll_timer(&mut self, cx: &mut Context<'_>) {
        while self.timer.as_mut().poll(cx).is_ready() {
            self.passed = self.timer.deadline();
            let next = [self.read_deadline, self.write_deadline]
                .into_iter()
                .flatten()
                .filter(|&deadline| deadline > self.passed)
                .min();
            match next {
                Some(next) => self.timer.as_mut().reset(next),
                // Nothing ahead: the timer stays fired until a deadline is set again.
                None => break,
            }
        }
    }

    /// Whether `deadline` has passed; if not, the timer will wake the task for it.
    fn has_passed(&mut self, deadline: Option<Instant>, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = deadline else {
            return false;
        };
        if deadline <= self.passed {
            return true;
        }
        self.poll_timer(cx);
        deadline <= self.passed
    }

    /// A read would block: `Pending`, or the timeout error once the read deadline passed.
    fn poll_read_deadline<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        if !self.has_passed(self.read_deadline, cx) {
            return Poll::Pending;
        }
        Poll::Ready(Err(self.expire(match self.phase {
            Phase::AwaitingHead => "request head not received in time",
            Phase::Body => "request body not received in time",
            _ => "idle keep-alive connection timed out",
        })))
    }

    /// A write would block: `Pending`, or the timeout error once the write deadline passed.
    fn poll_write_deadline<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        self.write_waited = true;
        if !self.has_passed(self.write_deadline, cx) {
            return Poll::Pending;
        }
        Poll::Ready(Err(self.expire("response not taken by the client in time")))
    }

    fn expire(&mut self, what: &'static str) -> io::Error {
        self.expired = Some(what);
        io::Error::new(io::ErrorKind::TimedOut, what)
    }

    /// The error of a connection whose deadline has passed, if it has.
    fn expired(&self) -> Option<io::Error> {
        self.expired
            .map(|what| io::Error::new(io::ErrorKind::TimedOut, what))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.observe();
        if let Some(error) = this.expired() {
            return Poll::Ready(Err(error));
        }
        let filled_before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > filled_before {
                    this.on_read();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_read_deadline(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedStream<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.observe();
        if let Some(error) = this.expired() {
            return Poll::Ready(Err(error));
        }
        this.on_write();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Pending => this.poll_write_deadline(cx),
            written => written,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.observe();
        if let Some(error) = this.expired() {
            return Poll::Ready(Err(error));
        }
        this.on_write();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => this.poll_write_deadline(cx),
            written => written,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.observe();
        if let Some(error) = this.expired() {
            return Poll::Ready(Err(error));
        }
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                this.on_flushed(cx);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending if this.write_deadline.is_some() => this.poll_write_deadline(cx),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
