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
		Handler:           NewHandler(store, db),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		// Let OPTIONS * reach the handler (a 404 like any unknown path) instead of net/http's
		// own 200 without a Server header.
		DisableGeneralOptionsHandler: true,
	}
}
