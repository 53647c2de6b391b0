package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmarks count the handler's own
// work and allocations, not a recorder's.
type discardWriter struct {
	header http.Header
	status int
	bytes  int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) { w.status = status }

func (w *discardWriter) Write(b []byte) (int, error) {
	w.bytes += len(b)
	return len(b), nil
}

// benchmarkRoute runs the handler for one GET; run with `go test -run '^$' -bench . -benchmem`.
func benchmarkRoute(b *testing.B, target string, wantBytes int) {
	handler := NewHandler(nil)
	request := httptest.NewRequest(http.MethodGet, target, nil)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		w.bytes = 0
		handler.ServeHTTP(w, request)
	}
	if w.status != http.StatusOK || w.bytes != wantBytes {
		b.Fatalf("GET %s: status %d, %d bytes; want 200, %d bytes", target, w.status, w.bytes, wantBytes)
	}
}

func BenchmarkRoot(b *testing.B) { benchmarkRoute(b, "/", len("Hello, World!")) }

func BenchmarkJSON(b *testing.B) { benchmarkRoute(b, "/json", len(`{"message":"Hello, World!"}`)) }

func BenchmarkUser(b *testing.B) { benchmarkRoute(b, "/user", len(userBody)) }
