package main

import (
	"net/http"
	"time"
)

// Config holds the connection limits. main uses the contract's values (defaultConfig); tests
// shorten the timeouts.
type Config struct {
	// ReadHeaderTimeout drops a client that has not sent a complete header section in time.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that waits this long for its next request.
	IdleTimeout time.Duration
	// BodyTimeout drops a client whose request body is not complete this long after its head.
	BodyTimeout time.Duration
	// WriteTimeout drops a client that has not taken a response this long after the server
	// began to write it (a client that does not read its answers).
	WriteTimeout time.Duration
	// MaxHeaderBytes as net/http counts it: it reads up to MaxHeaderBytes + 4096 bytes of
	// request line and headers before it answers 431.
	MaxHeaderBytes int
	// ShutdownTimeout bounds how long requests in flight may run on after SIGTERM/SIGINT.
	ShutdownTimeout time.Duration
}

// NewServer returns the HTTP server, not yet serving, answering /users and /orders from store
// and /db/... from db (503 when db is nil).
func NewServer(cfg Config, store []record, db *database) *http.Server {
	return &http.Server{
		Handler:           deadlines{next: NewHandler(store, db), body: cfg.BodyTimeout, write: cfg.WriteTimeout},
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		// From the end of each head: it bounds net/http's own answers (400, 431) too, which
		// no handler sees. A handler's answer gets its full WriteTimeout again (deadlines).
		WriteTimeout:   cfg.WriteTimeout,
		MaxHeaderBytes: cfg.MaxHeaderBytes,
		// Let OPTIONS * reach the handler (a 404 like any unknown path) instead of net/http's
		// own 200 without a Server header.
		DisableGeneralOptionsHandler: true,
	}
}

// deadlines keeps the two deadlines of contract/README.md ("Deadlines") that net/http has no
// setting for: the body must be complete within body of the head (net/http's ReadTimeout would
// count from the head's first byte instead), and the response must be taken within write of
// the handler's end, when net/http writes it out (its WriteTimeout counts the handler's own
// time too). A value, so wrapping costs no allocation; the deadlines are set on the
// connection through the methods http.ResponseController uses.
type deadlines struct {
	next        http.Handler
	body, write time.Duration
}

type connDeadlines interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

func (d deadlines) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, ok := w.(connDeadlines)
	if !ok { // not net/http's own ResponseWriter (a test's recorder): nothing to bound
		d.next.ServeHTTP(w, r)
		return
	}
	// Only a request with a body: for one without, net/http is already reading in the
	// background to notice a client that goes, and a deadline there would cut a long /io
	// wait. No route that takes a body waits, so this deadline cannot cut a handler either.
	if r.ContentLength != 0 && r.Body != http.NoBody {
		_ = conn.SetReadDeadline(time.Now().Add(d.body))
	}
	d.next.ServeHTTP(w, r)
	_ = conn.SetWriteDeadline(time.Now().Add(d.write))
}
