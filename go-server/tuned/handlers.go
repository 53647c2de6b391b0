package main

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:generate go run ./internal/jsongen -o json_gen.go -types message,user,record,orderAnswer handlers.go store.go orders.go

const helloWorld = "Hello, World!"

// maxIOWaitMillis is the longest wait /io accepts.
const maxIOWaitMillis = 10000

type message struct {
	Message string `json:"message"`
}

// user is the /user record; the --live-mb store's records embed it. The build benchmark inserts
// one field line right after the marker line below (the line is given in README.md), so keep
// the marker as the last line. Its JSON appender is generated (json_gen.go, `go generate`).
type user struct {
	ID        int      `json:"id"`
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Username  string   `json:"username"`
	Age       int      `json:"age"`
	Active    bool     `json:"active"`
	Role      string   `json:"role"`
	Country   string   `json:"country"`
	City      string   `json:"city"`
	CreatedAt string   `json:"created_at"`
	Followers int      `json:"followers"`
	Tags      []string `json:"tags"`
	Verified  bool     `json:"verified"`
	// hellobench:add-field
}

// Header values shared by every answer. net/http only reads a response's header values, and a
// one-element slice with no spare capacity cannot be appended to in place, so one slice serves
// every request: assigning it to the header map costs no allocation, where Header().Set
// allocates a new []string each time.
var (
	serverValue          = []string{"hellobench"}
	textPlainValue       = []string{textPlainUTF8}
	jsonValue            = []string{jsonMediaType}
	allowGetValue        = []string{http.MethodGet}
	allowPostValue       = []string{http.MethodPost}
	connectionCloseValue = []string{"close"}
)

// contentLengths holds the Content-Length values of the lengths seen so far, each made once.
var contentLengths [4096]atomic.Pointer[[]string]

// contentLength is the Content-Length header value for n bytes.
func contentLength(n int) []string {
	if n >= len(contentLengths) {
		return []string{strconv.Itoa(n)}
	}
	if v := contentLengths[n].Load(); v != nil {
		return *v
	}
	v := []string{strconv.Itoa(n)}
	contentLengths[n].Store(&v)
	return v
}

// bodyBuffers are the buffers answers are serialised into (and /orders bodies read into); a
// buffer goes back once its bytes have been written (ResponseWriter.Write copies them).
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBuffer keeps a buffer grown by a large body out of the pool.
const maxPooledBuffer = 64<<10 + 1

func getBuffer() *[]byte { return bodyBuffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		bodyBuffers.Put(b)
	}
}

// service answers every route; store is the --live-mb store, read-only once serving; db is the
// --db pool behind /db/... (nil without --db).
type service struct {
	store []record
	db    *database
}

// NewHandler routes requests by exact raw path. http.ServeMux is not used: its "/" pattern
// matches every path, it redirects unclean paths such as //json where the other servers answer
// 404, and it matches the percent-decoded path (/%6Ason would be /json).
func NewHandler(store []record, db *database) http.Handler {
	return &service{store: store, db: db}
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["Server"] = serverValue
	// The edge contract (contract/README.md, "Edges"): HTTP/1.0 and HTTP/1.1 only. net/http
	// takes any HTTP/1.x minor version; the other servers' parsers refuse 1.2 and up with 400.
	if r.ProtoMajor == 1 && r.ProtoMinor > 1 {
		w.Header().Set("Connection", "close")
		writeText(w, http.StatusBadRequest, "Bad Request")
		return
	}
	path, query := splitTarget(requestTarget(r))
	switch path {
	case "/":
		if allow(w, r, http.MethodGet) {
			writeText(w, http.StatusOK, helloWorld)
		}
	case "/json":
		if allow(w, r, http.MethodGet) {
			handleJSON(w)
		}
	case "/user":
		if allow(w, r, http.MethodGet) {
			handleUser(w)
		}
	case "/io":
		if allow(w, r, http.MethodGet) {
			handleIO(w, r, query)
		}
	case "/orders":
		if allow(w, r, http.MethodPost) {
			s.handleOrders(w, r)
		}
	case "/db/sleep":
		if allow(w, r, http.MethodGet) {
			s.handleDBSleep(w, r, query)
		}
	default:
		// /users/{id} and /db/users/{id}: the id is the rest of the path; a further segment is
		// another path.
		if id, ok := pathID(path, "/users/"); ok {
			if allow(w, r, http.MethodGet) {
				s.handleUserByID(w, id)
			}
		} else if id, ok := pathID(path, "/db/users/"); ok {
			if allow(w, r, http.MethodGet) {
				s.handleDBUser(w, r, id)
			}
		} else {
			writeText(w, http.StatusNotFound, "Not Found")
		}
	}
}

// pathID is the {id} of a path prefix+"{id}", where {id} holds no further '/'.
func pathID(path, prefix string) (string, bool) {
	id, ok := strings.CutPrefix(path, prefix)
	return id, ok && !strings.Contains(id, "/")
}

// allow answers 405 with Allow unless the request's method is method.
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	discardBody(w, r) // a body of up to 1 MiB is read, so the connection stays usable
	if method == http.MethodPost {
		w.Header()["Allow"] = allowPostValue
	} else {
		w.Header()["Allow"] = allowGetValue
	}
	writeText(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	return false
}

// requestTarget is the request-target as the client sent it, never percent-decoded: the three
// servers route on these bytes, so /%6Ason is not /json and /io?ms=%35 is not ms=5.
func requestTarget(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	return r.URL.RequestURI() // a Request built in code rather than read by the server
}

// splitTarget splits a raw request-target into its path and its query (after the first '?').
// An absolute-form target ("http://host:port/json?x", as proxies send it) is routed on its
// path; one without a path ("http://host", "http://host?x") is the root. "*" and an
// authority-form target stay as they are and match no route.
func splitTarget(target string) (path, query string) {
	if !strings.HasPrefix(target, "/") {
		if _, rest, ok := strings.Cut(target, "://"); ok {
			if i := strings.IndexAny(rest, "/?"); i >= 0 && rest[i] == '/' {
				target = rest[i:]
			} else {
				return "/", ""
			}
		}
	}
	path, query, _ = strings.Cut(target, "?")
	return path, query
}

// rawQueryValue is the value of the first key=value pair of a raw query whose key is exactly
// key, not percent-decoded ("ms=%35" is the value "%35").
func rawQueryValue(query, key string) (string, bool) {
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if rest, ok := strings.CutPrefix(pair, key); ok && strings.HasPrefix(rest, "=") {
			return rest[1:], true
		}
	}
	return "", false
}

// handleJSON serialises the message struct on every request, as the contract asks, with the
// generated appender into a pooled buffer.
func handleJSON(w http.ResponseWriter) {
	m := message{Message: helloWorld}
	writeJSON(w, m.appendJSON)
}

func handleUser(w http.ResponseWriter) {
	u := user{
		ID:        42,
		Name:      "Ada Lovelace",
		Email:     "ada@example.com",
		Username:  "ada",
		Age:       36,
		Active:    true,
		Role:      "admin",
		Country:   "GB",
		City:      "London",
		CreatedAt: "2026-01-01T00:00:00Z",
		Followers: 1024,
		Tags:      []string{"math", "computing"},
		Verified:  true,
	}
	writeJSON(w, u.appendJSON)
}

// timers are reused by /io: a stopped time.Timer can be Reset (Go >= 1.23 drains its channel
// on Stop and Reset), which saves the allocation of a new one per request.
var timers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

// handleIO stands in for a database call: it waits on a timer, which parks only this
// goroutine, never an OS thread.
func handleIO(w http.ResponseWriter, r *http.Request, query string) {
	ms, ok := parseWait(query)
	if !ok {
		writeText(w, http.StatusBadRequest, badWait)
		return
	}
	timer := timers.Get().(*time.Timer)
	timer.Reset(time.Duration(ms) * time.Millisecond)
	select {
	case <-timer.C:
		writeText(w, http.StatusOK, helloWorld)
	case <-r.Context().Done():
		// The client is gone (or the server was closed): there is no one to answer.
	}
	timer.Stop()
	timers.Put(timer)
}

const badWait = "ms must be an integer 0..10000"

// parseWait reads the wait of /io and /db/sleep: the first ms= of the raw query, not
// percent-decoded. ParseUint takes decimal digits only: no sign, no spaces, no fraction, no %35.
func parseWait(query string) (uint64, bool) {
	value, _ := rawQueryValue(query, "ms")
	ms, err := strconv.ParseUint(value, 10, 64)
	return ms, err == nil && ms <= maxIOWaitMillis
}

// maxIDDigits is the longest id /users/{id} takes: 18 digits always fit an int64.
const maxIDDigits = 18

const badID = "id must be a decimal integer"

// parseID reads the {id} of /users/{id} and /db/users/{id}: 1 to 18 ASCII digits.
func parseID(id string) (int64, bool) {
	if len(id) < 1 || len(id) > maxIDDigits {
		return 0, false
	}
	var n int64
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// handleUserByID answers GET /users/{id} from the store.
func (s *service) handleUserByID(w http.ResponseWriter, id string) {
	i, ok := parseID(id)
	if !ok {
		writeText(w, http.StatusBadRequest, badID)
		return
	}
	if i >= int64(len(s.store)) {
		writeText(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, s.store[i].appendJSON)
}

const dbUnavailable = "database unavailable"

// handleDBUser answers GET /db/users/{id} from row id of table users, serialised as
// /users/{id} serialises the store's record (the same struct and appender).
func (s *service) handleDBUser(w http.ResponseWriter, r *http.Request, id string) {
	i, ok := parseID(id)
	if !ok {
		writeText(w, http.StatusBadRequest, badID)
		return
	}
	rec, err := s.db.user(r.Context(), i)
	switch {
	case err == nil:
		writeJSON(w, rec.appendJSON)
	case errors.Is(err, pgx.ErrNoRows):
		writeText(w, http.StatusNotFound, "Not Found")
	default:
		// No --db, no connection within 5 s, a connection lost, the server gone. (When the
		// client has gone away, this answer goes nowhere.)
		writeText(w, http.StatusServiceUnavailable, dbUnavailable)
	}
}

// handleDBSleep answers GET /db/sleep?ms=N: SELECT pg_sleep(N/1000) on a pooled connection,
// then the GET / answer.
func (s *service) handleDBSleep(w http.ResponseWriter, r *http.Request, query string) {
	ms, ok := parseWait(query)
	if !ok {
		writeText(w, http.StatusBadRequest, badWait)
		return
	}
	if err := s.db.sleep(r.Context(), ms); err != nil {
		writeText(w, http.StatusServiceUnavailable, dbUnavailable)
		return
	}
	writeText(w, http.StatusOK, helloWorld)
}

// writeText answers text/plain with the shared header values; text is a constant, so its
// Content-Length comes from the cache after the first time.
func writeText(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h["Content-Type"] = textPlainValue
	h["Content-Length"] = contentLength(len(text))
	w.WriteHeader(status)
	io.WriteString(w, text) // an error means the client is gone: nothing left to do
}

// writeJSON answers 200 application/json with what appendJSON writes into a pooled buffer.
// appendJSON is a method value of a value on the caller's stack; it does not escape.
func writeJSON(w http.ResponseWriter, appendJSON func([]byte) []byte) {
	buf := getBuffer()
	*buf = appendJSON(*buf)
	writeJSONBytes(w, *buf)
	putBuffer(buf)
}

// writeJSONBytes answers 200 application/json with body; the caller may reuse body afterwards.
func writeJSONBytes(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonValue
	h["Content-Length"] = contentLength(len(body))
	w.WriteHeader(http.StatusOK)
	w.Write(body) // an error means the client is gone: nothing left to do
}
