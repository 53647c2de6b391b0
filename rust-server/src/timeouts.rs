//! The header and idle timeouts of one HTTP/1 connection.
//!
//! The contract asks for two limits, as Go's `ReadHeaderTimeout` and `IdleTimeout` apply them:
//! a request head must arrive complete within `header` of its first byte (of the accept, for
//! the first request), and a keep-alive connection may wait `idle` for the first byte of its
//! next request. hyper 1.x has one timer only: its `header_read_timeout` starts as soon as a
//! connection is waiting for a head, idle or not, so with 10 s it would close idle
//! connections after 10 s instead of 60 s. [`TimedStream`] wraps the socket and keeps both
//! deadlines instead, from three events: bytes read, bytes written, and "a head was parsed"
//! ([`HeadSignal`], raised by the service, which hyper calls once per parsed head).
//!
//! While a request is being handled no deadline runs: hyper keeps reading to notice a client
//! that goes away, and a 10 s `/io` wait must not trip the header timeout.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the first byte of a request (or the accept) to its complete head.
    pub header: Duration,
    /// From the end of a response to the first byte of the next request.
    pub idle: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for (the rest of) a request head: the header deadline runs.
    AwaitingHead,
    /// A head was parsed and its response is not written yet: no deadline.
    InRequest,
    /// A response went out and no byte of the next request came yet: the idle deadline runs.
    Idle,
}

/// Tells the [`TimedStream`] it was made with that hyper parsed a request head.
#[derive(Debug, Clone)]
pub struct HeadSignal(Arc<AtomicBool>);

impl HeadSignal {
    pub fn head_received(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A socket whose reads fail with `TimedOut` once the deadline of its phase has passed; hyper
/// then closes the connection, as it does on any I/O error.
pub struct TimedStream<T> {
    inner: T,
    timeouts: Timeouts,
    phase: Phase,
    deadline: Instant,
    /// Armed at or before `deadline`. Moving a deadline later (every request) only updates
    /// `deadline`; the timer is re-armed when it fires early, so a busy connection touches the
    /// timer wheel about once per timeout rather than twice per request.
    timer: Pin<Box<Sleep>>,
    head_received: Arc<AtomicBool>,
    /// Bytes of a next (pipelined) request arrived while a request was in hand.
    read_during_request: bool,
}

impl<T> TimedStream<T> {
    /// Wraps a freshly accepted connection: the header deadline starts now.
    pub fn new(inner: T, timeouts: Timeouts) -> Self {
        let deadline = Instant::now() + timeouts.header;
        TimedStream {
            inner,
            timeouts,
            phase: Phase::AwaitingHead,
            deadline,
            timer: Box::pin(tokio::time::sleep_until(deadline)),
            head_received: Arc::new(AtomicBool::new(false)),
            read_during_request: false,
        }
    }

    /// The signal for the service of this connection.
    pub fn head_signal(&self) -> HeadSignal {
        HeadSignal(Arc::clone(&self.head_received))
    }

    fn take_head_signal(&mut self) {
        if self.head_received.load(Ordering::Relaxed) {
            self.head_received.store(false, Ordering::Relaxed);
            self.phase = Phase::InRequest;
        }
    }

    fn on_read(&mut self) {
        match self.phase {
            Phase::Idle => self.enter(Phase::AwaitingHead, self.timeouts.header),
            Phase::InRequest => self.read_during_request = true,
            Phase::AwaitingHead => {}
        }
    }

    fn on_write(&mut self, cx: &mut Context<'_>) {
        match self.phase {
            // A pipelined head may be waiting, partly read: give it the header timeout.
            Phase::InRequest if std::mem::take(&mut self.read_during_request) => {
                self.enter(Phase::AwaitingHead, self.timeouts.header)
            }
            Phase::InRequest | Phase::Idle => self.enter(Phase::Idle, self.timeouts.idle),
            // hyper answers a bad head (400, 431) without a service call, then closes.
            Phase::AwaitingHead => return,
        }
        // hyper reads again only when something wakes it: the last read was `Pending` while
        // the request was in hand, and that registered no timer. Register it now.
        if self.poll_deadline(cx).is_ready() {
            cx.waker().wake_by_ref();
        }
    }

    fn enter(&mut self, phase: Phase, timeout: Duration) {
        self.phase = phase;
        self.deadline = Instant::now() + timeout;
        if self.deadline < self.timer.deadline() {
            self.timer.as_mut().reset(self.deadline);
        }
    }

    /// Called when a read would block: `Pending`, or the timeout error once the deadline passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.phase == Phase::InRequest {
            return Poll::Pending;
        }
        while self.timer.as_mut().poll(cx).is_ready() {
            if self.timer.deadline() >= self.deadline {
                let what = match self.phase {
                    Phase::Idle => "idle keep-alive connection timed out",
                    _ => "request head not received in time",
                };
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)));
            }
            // The timer was armed for an earlier deadline: re-arm it and poll again.
            self.timer.as_mut().reset(self.deadline);
        }
        Poll::Pending
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.take_head_signal();
        let filled_before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > filled_before {
                    this.on_read();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_deadline(cx),
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
        this.take_head_signal();
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.on_write(cx);
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.take_head_signal();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.on_write(cx);
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
