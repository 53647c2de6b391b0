//go:build pgo

package main

// Built only with -tags pgo, by pgo.sh: net/http/pprof on a second listener, from which pgo.sh
// takes the CPU profile that becomes default.pgo. The server's own listener and handler are
// untouched (pprof registers on http.DefaultServeMux, which the server does not use).

import (
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("HELLOBENCH_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6061"
	}
	go func() { log.Println(http.ListenAndServe(addr, nil)) }()
}
