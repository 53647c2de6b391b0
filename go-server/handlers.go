package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

const helloWorld = "Hello, World!"

// maxIOWaitMillis is the longest wait /io accepts.
const maxIOWaitMillis = 10000

type message struct {
	Message string `json:"message"`
}

// user is the /user record. The build benchmark inserts one field line right after the
// marker line below (the line is given in README.md), so keep the marker as the last line.
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

// routes holds the exact paths the server answers; each answers GET only.
var routes = map[string]http.HandlerFunc{
	"/":     handleRoot,
	"/json": handleJSON,
	"/user": handleUser,
	"/io":   handleIO,
}

// NewHandler routes requests by exact path. http.ServeMux is not used: its "/" pattern matches
// every path, and it redirects unclean paths such as //json where the other servers answer 404.
func NewHandler() http.Handler {
	return http.HandlerFunc(route)
}

func route(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "hellobench")
	handler, ok := routes[r.URL.Path]
	if !ok {
		writeText(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeText(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	handler(w, r)
}

func handleRoot(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusOK, helloWorld)
}

func handleJSON(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, message{Message: helloWorld})
}

func handleUser(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, user{
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
	})
}

// handleIO stands in for a database call: it waits on a timer, which parks only this
// goroutine, never an OS thread.
func handleIO(w http.ResponseWriter, r *http.Request) {
	// ParseUint takes decimal digits only: no sign, no spaces, no fraction.
	ms, err := strconv.ParseUint(r.URL.Query().Get("ms"), 10, 64)
	if err != nil || ms > maxIOWaitMillis {
		writeText(w, http.StatusBadRequest, "ms must be an integer 0..10000")
		return
	}
	timer := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer timer.Stop()
	select {
	case <-timer.C:
		writeText(w, http.StatusOK, helloWorld)
	case <-r.Context().Done():
		// The client is gone (or the server was closed): there is no one to answer.
	}
}

func writeText(w http.ResponseWriter, status int, text string) {
	setContentHeaders(w, "text/plain; charset=utf-8", len(text))
	w.WriteHeader(status)
	io.WriteString(w, text) // an error means the client is gone: nothing left to do
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v) // Marshal, not Encoder: no trailing newline
	if err != nil {
		writeText(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	setContentHeaders(w, "application/json", len(body))
	w.WriteHeader(http.StatusOK)
	w.Write(body) // an error means the client is gone: nothing left to do
}

// setContentHeaders sets Content-Length explicitly, so no response is ever chunked.
func setContentHeaders(w http.ResponseWriter, contentType string, length int) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(length))
}
