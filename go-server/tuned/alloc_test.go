package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// discardWriter is a ResponseWriter that keeps only counts, so that what is measured is the
// handler's own work. It has WriteString, as net/http's response does.
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

func (w *discardWriter) WriteString(s string) (int, error) {
	w.bytes += len(s)
	return len(s), nil
}

// rewindBody is a request body that can be read again, so one request serves every run.
type rewindBody struct{ *bytes.Reader }

func (rewindBody) Close() error { return nil }

func orderRequest(t testing.TB) (*http.Request, func()) {
	payload, err := os.ReadFile(filepath.Join("..", "..", "contract", "payloads", "order-10.json"))
	if err != nil {
		t.Skip(err)
	}
	body := rewindBody{bytes.NewReader(payload)}
	r := httptest.NewRequest(http.MethodPost, "/orders", nil)
	r.Body, r.ContentLength = body, int64(len(payload))
	r.Header.Set("Content-Type", "application/json")
	return r, func() { body.Seek(0, io.SeekStart) }
}

// The handlers allocate nothing on the routes the benchmarks measure (net/http's own request
// and response structures are another matter): header values are shared, bodies are appended
// into pooled buffers, orders are scanned in place.
func TestHandlersDoNotAllocate(t *testing.T) {
	handler := NewHandler(buildStore(1), nil)
	get := func(target string) (*http.Request, func()) {
		return httptest.NewRequest(http.MethodGet, target, nil), func() {}
	}
	for _, tc := range []struct {
		name    string
		request func() (*http.Request, func())
		status  int
	}{
		{"GET /", func() (*http.Request, func()) { return get("/") }, 200},
		{"GET /json", func() (*http.Request, func()) { return get("/json") }, 200},
		{"GET /user", func() (*http.Request, func()) { return get("/user") }, 200},
		{"GET /users/512", func() (*http.Request, func()) { return get("/users/512") }, 200},
		{"GET /users/x", func() (*http.Request, func()) { return get("/users/x") }, 400},
		{"GET /nowhere", func() (*http.Request, func()) { return get("/nowhere") }, 404},
		{"POST /orders", func() (*http.Request, func()) { return orderRequest(t) }, 200},
	} {
		r, rewind := tc.request()
		w := &discardWriter{header: http.Header{}}
		serve := func() {
			clear(w.header)
			rewind()
			handler.ServeHTTP(w, r)
		}
		serve() // the first answer fills the Content-Length cache and the pools
		// A GC in between would empty the pools and count their refill.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		if allocs := testing.AllocsPerRun(100, serve); allocs != 0 {
			t.Errorf("%s: %v allocations per request, want 0", tc.name, allocs)
		}
		if w.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, w.status, tc.status)
		}
	}
}

// Content-Length values are shared per length; lengths past the cache get their own.
func TestContentLengthValues(t *testing.T) {
	a, b := contentLength(240), contentLength(240)
	if &a[0] != &b[0] || a[0] != "240" || cap(a) != 1 {
		t.Errorf("contentLength(240) = %q (cap %d), not one shared value", a, cap(a))
	}
	big := len(contentLengths) + 5
	if v := contentLength(big); v[0] != strconv.Itoa(big) {
		t.Errorf("contentLength(%d) = %q", big, v)
	}
}

// The shared header values must never be changed in place: an answer that adds a value to a
// header gets a new slice.
func TestSharedHeaderValuesCannotBeAppendedToInPlace(t *testing.T) {
	for _, v := range [][]string{serverValue, textPlainValue, jsonValue, allowGetValue, allowPostValue,
		connectionCloseValue, contentLength(13)} {
		if len(v) != 1 || cap(v) != 1 {
			t.Errorf("%q: len %d cap %d, want 1 and 1", v, len(v), cap(v))
		}
	}
	h := http.Header{}
	h["Server"] = serverValue
	h.Add("Server", "other")
	if serverValue[0] != "hellobench" || strings.Join(h["Server"], ",") != "hellobench,other" {
		t.Errorf("after Add: shared %q, header %q", serverValue, h["Server"])
	}
}

// Unless GOGC is set, the server collects at gcPercent.
func TestGCPercentUnlessGOGCIsSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	setGCPercent()
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, gcPercent)
	}
	t.Setenv("GOGC", "100")
	setGCPercent()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=100: GC percent %d, want 100 (the environment wins)", got)
	}
}

func BenchmarkRoute(b *testing.B) {
	handler := NewHandler(buildStore(1), nil)
	for _, target := range []string{"/", "/json", "/user", "/users/512", "orders"} {
		name := strings.TrimPrefix(target, "/")
		if target == "/" {
			name = "root"
		}
		b.Run(name, func(b *testing.B) {
			var r *http.Request
			rewind := func() {}
			if target == "orders" {
				r, rewind = orderRequest(b)
			} else {
				r = httptest.NewRequest(http.MethodGet, target, nil)
			}
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				rewind()
				handler.ServeHTTP(w, r)
			}
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}
