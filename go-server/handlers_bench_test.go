package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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

// benchmarkRoute runs the handler (with the --live-mb 1 store) for one request made by
// newRequest, expecting a 200 of wantBytes; run with `go test -run '^$' -bench Route -benchmem`.
func benchmarkRoute(b *testing.B, newRequest func() *http.Request, wantBytes int) {
	handler := NewHandler(buildStore(1), nil)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		w.bytes = 0
		handler.ServeHTTP(w, newRequest())
	}
	if w.status != http.StatusOK || w.bytes != wantBytes {
		b.Fatalf("status %d, %d bytes; want 200, %d bytes", w.status, w.bytes, wantBytes)
	}
}

// benchmarkGet benchmarks GET target; the request is made once and reused.
func benchmarkGet(b *testing.B, target string, wantBytes int) {
	request := httptest.NewRequest(http.MethodGet, target, nil)
	benchmarkRoute(b, func() *http.Request { return request }, wantBytes)
}

func BenchmarkRouteRoot(b *testing.B) { benchmarkGet(b, "/", len("Hello, World!")) }

func BenchmarkRouteJSON(b *testing.B) {
	benchmarkGet(b, "/json", len(`{"message":"Hello, World!"}`))
}

func BenchmarkRouteUser(b *testing.B) { benchmarkGet(b, "/user", len(userBody)) }

func BenchmarkRouteUsersID(b *testing.B) {
	record := newRecord(512)
	body, _ := json.Marshal(&record)
	benchmarkGet(b, "/users/512", len(body))
}

// BenchmarkRouteOrders posts contract/payloads/order-10.json; each iteration makes its request
// (a body is read once), which counts in the figures.
func BenchmarkRouteOrders(b *testing.B) {
	payload, err := os.ReadFile(filepath.Join(contractDir, "payloads", "order-10.json"))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkRoute(b, func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(string(payload)))
		r.Header.Set("Content-Type", "application/json")
		return r
	}, len(`{"customer_id":7,"customer_name":"user-7","item_count":10,"total_cents":27205}`))
}
