package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const userBody = `{"id":42,"name":"Ada Lovelace","email":"ada@example.com","username":"ada","age":36,"active":true,"role":"admin","country":"GB","city":"London","created_at":"2026-01-01T00:00:00Z","followers":1024,"tags":["math","computing"],"verified":true}`

// startServer serves NewServer(cfg) on a free port of 127.0.0.1 and returns its address.
func startServer(t *testing.T, cfg Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(cfg, nil, nil)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// startDefaultServer serves the contract's configuration.
func startDefaultServer(t *testing.T) string {
	return startServer(t, defaultConfig)
}

// dial opens a raw connection whose reads give up after 5 s, so no test can hang.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	return conn
}

func send(t *testing.T, conn net.Conn, raw string) {
	t.Helper()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
}

// readResponse reads one response and its whole body from r.
func readResponse(t *testing.T, r *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// roundTrip sends one raw request on a new connection and reads one response.
func roundTrip(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	conn := dial(t, addr)
	send(t, conn, raw)
	return readResponse(t, bufio.NewReader(conn))
}

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: hellobench\r\n\r\n"
}

// expectClosed fails unless the server closes conn (EOF or reset) with nothing more to read.
func expectClosed(t *testing.T, r io.Reader) {
	t.Helper()
	rest, err := io.ReadAll(r)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatal("connection still open 5 s later")
	}
	if len(rest) > 0 {
		t.Fatalf("unexpected bytes before the close: %q", rest)
	}
}

func expectAnswer(t *testing.T, resp *http.Response, body string, status int, contentType, wantBody string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d", resp.StatusCode, status)
	}
	if got := resp.Header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type = %q, want %q", got, contentType)
	}
	if body != wantBody {
		t.Errorf("body = %q, want %q", body, wantBody)
	}
}

func TestRootAnswersHelloWorldAsPlainText(t *testing.T) {
	addr := startDefaultServer(t)
	resp, body := roundTrip(t, addr, get("/"))
	expectAnswer(t, resp, body, 200, "text/plain; charset=utf-8", "Hello, World!")
}

func TestJSONAnswersMessageWithoutTrailingNewline(t *testing.T) {
	addr := startDefaultServer(t)
	resp, body := roundTrip(t, addr, get("/json"))
	expectAnswer(t, resp, body, 200, "application/json", `{"message":"Hello, World!"}`)
}

func TestUserAnswersTheThirteenFieldRecord(t *testing.T) {
	addr := startDefaultServer(t)
	resp, body := roundTrip(t, addr, get("/user"))
	expectAnswer(t, resp, body, 200, "application/json", userBody)
	var fields map[string]any
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		t.Fatal(err)
	}
	if len(fields) != 13 {
		t.Errorf("%d fields, want 13", len(fields))
	}
}

func TestQueryStringDoesNotChangeTheRoute(t *testing.T) {
	addr := startDefaultServer(t)
	resp, body := roundTrip(t, addr, get("/json?x=1"))
	expectAnswer(t, resp, body, 200, "application/json", `{"message":"Hello, World!"}`)
}

func TestUnknownPathsAre404WithShortText(t *testing.T) {
	addr := startDefaultServer(t)
	for _, path := range []string{"/nope", "/json/", "//json", "/user/1", "/JSON", "/index.html", "/io/"} {
		resp, body := roundTrip(t, addr, get(path))
		if resp.StatusCode != 404 || body != "Not Found" || resp.Header.Get("Server") != "hellobench" {
			t.Errorf("GET %s: %d %q (Server %q), want 404 \"Not Found\" from hellobench",
				path, resp.StatusCode, body, resp.Header.Get("Server"))
		}
	}
}

func TestOptionsStarIs404LikeAnyUnknownTarget(t *testing.T) {
	addr := startDefaultServer(t)
	resp, body := roundTrip(t, addr, "OPTIONS * HTTP/1.1\r\nHost: hellobench\r\n\r\n")
	expectAnswer(t, resp, body, 404, "text/plain; charset=utf-8", "Not Found")
}

func TestOtherMethodsOnKnownPathsAre405WithAllow(t *testing.T) {
	addr := startDefaultServer(t)
	for _, request := range []string{"POST /", "PUT /json", "DELETE /user", "PATCH /io?ms=0", "HEAD /"} {
		method, path, _ := strings.Cut(request, " ")
		conn := dial(t, addr)
		send(t, conn, method+" "+path+" HTTP/1.1\r\nHost: hellobench\r\nContent-Length: 0\r\n\r\n")
		// The request tells ReadResponse that a HEAD answer has no body, whatever its length says.
		resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
		if err != nil {
			t.Fatalf("%s: %v", request, err)
		}
		body, _ := io.ReadAll(resp.Body)
		want := "Method Not Allowed"
		if method == "HEAD" {
			want = ""
		}
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" || string(body) != want {
			t.Errorf("%s: %d Allow %q body %q, want 405 Allow \"GET\" body %q",
				request, resp.StatusCode, resp.Header.Get("Allow"), body, want)
		}
	}
}

func TestIOWaitsThenAnswersLikeRoot(t *testing.T) {
	addr := startDefaultServer(t)
	start := time.Now()
	resp, body := roundTrip(t, addr, get("/io?ms=150"))
	elapsed := time.Since(start)
	expectAnswer(t, resp, body, 200, "text/plain; charset=utf-8", "Hello, World!")
	if elapsed < 150*time.Millisecond {
		t.Errorf("answered after %v, want at least 150ms", elapsed)
	}
}

func TestIOAcceptsZero(t *testing.T) {
	addr := startDefaultServer(t)
	resp, body := roundTrip(t, addr, get("/io?ms=0"))
	expectAnswer(t, resp, body, 200, "text/plain; charset=utf-8", "Hello, World!")
}

func TestIOAcceptsTheUpperBound(t *testing.T) {
	addr := startDefaultServer(t)
	conn := dial(t, addr)
	send(t, conn, get("/io?ms=10000"))
	// Accepted means waiting: a 400 would come at once, the answer only after 10 s.
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := conn.Read(make([]byte, 1))
	var netErr net.Error
	if n != 0 || !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("read %d bytes (%v) at once, want the server still waiting", n, err)
	}
}

func TestIORejectsWaitsThatAreNotAnIntegerFrom0To10000(t *testing.T) {
	addr := startDefaultServer(t)
	for _, query := range []string{"", "?ms=", "?ms=abc", "?ms=-1", "?ms=+5", "?ms=1.5", "?ms=10001",
		"?ms=99999999999999999999999", "?ms=%205", "?wait=5"} {
		resp, body := roundTrip(t, addr, get("/io"+query))
		if resp.StatusCode != 400 || body != "ms must be an integer 0..10000" {
			t.Errorf("GET /io%s: %d %q, want 400 with the short explanation", query, resp.StatusCode, body)
		}
	}
}

func TestIOWaitsDoNotHoldAThread(t *testing.T) {
	// One thread runs Go code: 20 waits of 500 ms in turn would take 10 s.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	addr := startDefaultServer(t)
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := http.Get("http://" + addr + "/io?ms=500")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("20 concurrent 500 ms waits took %v, want them to overlap", elapsed)
	}
}

func TestEveryAnswerCarriesServerDateTypeAndLength(t *testing.T) {
	addr := startDefaultServer(t)
	for _, request := range []string{get("/"), get("/json"), get("/user"), get("/io?ms=1"), get("/io?ms=x"),
		get("/missing"), "POST /json HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"} {
		before := time.Now().Truncate(time.Second)
		resp, body := roundTrip(t, addr, request)
		name := strings.SplitN(request, "\r\n", 2)[0]
		if got := resp.Header.Get("Server"); got != "hellobench" {
			t.Errorf("%s: Server = %q", name, got)
		}
		date, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil || date.Before(before) || date.After(time.Now()) {
			t.Errorf("%s: Date %q (%v) is not the time of the answer", name, resp.Header.Get("Date"), err)
		}
		if resp.Header.Get("Content-Type") == "" {
			t.Errorf("%s: no Content-Type", name)
		}
		if want := fmt.Sprint(len(body)); resp.Header.Get("Content-Length") != want || resp.TransferEncoding != nil {
			t.Errorf("%s: Content-Length %q, Transfer-Encoding %v; want Content-Length %s and no chunking",
				name, resp.Header.Get("Content-Length"), resp.TransferEncoding, want)
		}
	}
}

func TestHandlersSetContentLengthThemselves(t *testing.T) {
	// Over a socket net/http adds Content-Length to a small body anyway, so check the handler
	// alone: its own header keeps any body size, or a flush, from being chunked.
	for _, target := range []string{"/", "/json", "/user", "/io?ms=0", "/io", "/nope"} {
		recorder := httptest.NewRecorder()
		NewHandler(nil, nil).ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, target, nil))
		if got, want := recorder.Header().Get("Content-Length"), fmt.Sprint(recorder.Body.Len()); got != want {
			t.Errorf("GET %s: the handler set Content-Length %q, want %s", target, got, want)
		}
	}
}

func TestSuccessfulAnswersHaveExactlyTheSharedHeaderNames(t *testing.T) {
	// The other servers send the same four headers; parity checks compare the names.
	addr := startDefaultServer(t)
	for _, path := range []string{"/", "/json", "/user"} {
		resp, _ := roundTrip(t, addr, get(path))
		var names []string
		for name := range resp.Header {
			names = append(names, name)
		}
		sort.Strings(names)
		if got := strings.Join(names, " "); got != "Content-Length Content-Type Date Server" {
			t.Errorf("GET %s: header names %s", path, got)
		}
	}
}

func TestKeepAliveServesSeveralRequestsOnOneConnection(t *testing.T) {
	addr := startDefaultServer(t)
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	for _, path := range []string{"/", "/json", "/user"} {
		send(t, conn, get(path))
		resp, _ := readResponse(t, r)
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("GET %s: status %d, close %v; want 200 on a connection kept open", path, resp.StatusCode, resp.Close)
		}
	}
}

func TestConnectionCloseIsAnsweredThenClosed(t *testing.T) {
	addr := startDefaultServer(t)
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	send(t, conn, "GET / HTTP/1.1\r\nHost: hellobench\r\nConnection: close\r\n\r\n")
	resp, body := readResponse(t, r)
	// resp.Close: the answer said Connection: close (ReadResponse takes the header out).
	if body != "Hello, World!" || !resp.Close {
		t.Errorf("body %q, close %v; want the answer with Connection: close", body, resp.Close)
	}
	expectClosed(t, r)
}

func TestHTTP10WithoutKeepAliveIsAnsweredThenClosed(t *testing.T) {
	addr := startDefaultServer(t)
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	send(t, conn, "GET / HTTP/1.0\r\n\r\n")
	resp, body := readResponse(t, r)
	if resp.StatusCode != 200 || body != "Hello, World!" {
		t.Errorf("%d %q, want 200 Hello, World!", resp.StatusCode, body)
	}
	expectClosed(t, r)
}

// The edge contract (contract/README.md, "Edges"): only HTTP/1.0 and HTTP/1.1. net/http alone
// would answer HTTP/1.2 as 1.1; the server refuses it with 400 and a close, as the others do.
func TestHTTPMinorVersionAbove1Gets400AndClose(t *testing.T) {
	addr := startDefaultServer(t)
	for _, version := range []string{"HTTP/1.2", "HTTP/1.9"} {
		conn := dial(t, addr)
		r := bufio.NewReader(conn)
		send(t, conn, "GET / "+version+"\r\nHost: hellobench\r\n\r\n")
		resp, body := readResponse(t, r)
		if resp.StatusCode != 400 || body != "Bad Request" || !resp.Close ||
			resp.Header.Get("Server") != "hellobench" {
			t.Errorf("%s: %d %q close %v server %q; want 400 Bad Request, Connection: close, Server: hellobench",
				version, resp.StatusCode, body, resp.Close, resp.Header.Get("Server"))
		}
		expectClosed(t, r)
	}
}

func TestPipelinedRequestsAreAnsweredInOrder(t *testing.T) {
	addr := startDefaultServer(t)
	conn := dial(t, addr)
	// The slow one first: a server answering out of order would send /json before it.
	send(t, conn, get("/io?ms=100")+get("/json")+get("/user")+get("/nope")+get("/"))
	r := bufio.NewReader(conn)
	for _, want := range []string{"Hello, World!", `{"message":"Hello, World!"}`, userBody, "Not Found", "Hello, World!"} {
		if _, body := readResponse(t, r); body != want {
			t.Fatalf("got %q, want %q", body, want)
		}
	}
}

// requestWithHeaderSection is a GET whose request line, headers and final blank line take
// exactly size bytes.
func requestWithHeaderSection(size int) string {
	head := "GET / HTTP/1.1\r\nHost: hellobench\r\nX-Padding: "
	const end = "\r\n\r\n"
	return head + strings.Repeat("a", size-len(head)-len(end)) + end
}

func TestHeaderSectionOf7KiBIsAccepted(t *testing.T) {
	addr := startDefaultServer(t)
	resp, body := roundTrip(t, addr, requestWithHeaderSection(7<<10))
	expectAnswer(t, resp, body, 200, "text/plain; charset=utf-8", "Hello, World!")
}

func TestHeaderSectionOfExactly8KiBIsAccepted(t *testing.T) {
	addr := startDefaultServer(t)
	resp, body := roundTrip(t, addr, requestWithHeaderSection(8<<10))
	expectAnswer(t, resp, body, 200, "text/plain; charset=utf-8", "Hello, World!")
}

func TestHeaderSectionOverLimitGets431AndClose(t *testing.T) {
	addr := startDefaultServer(t)
	for _, size := range []int{8<<10 + 1, 9 << 10, 64 << 10} {
		conn := dial(t, addr)
		send(t, conn, requestWithHeaderSection(size))
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if resp.StatusCode != 431 || !resp.Close {
			t.Errorf("%d bytes: status %d, close %v; want 431 and a close", size, resp.StatusCode, resp.Close)
		}
		io.Copy(io.Discard, resp.Body) // net/http's 431 has no length: its body ends at the close
		resp.Body.Close()
		expectClosed(t, r)
	}
}

func TestMalformedRequestsGet400AndClose(t *testing.T) {
	addr := startDefaultServer(t)
	for name, raw := range map[string]string{
		"not HTTP":               "GARBAGE\r\n\r\n",
		"header without colon":   "GET / HTTP/1.1\r\nHost: h\r\nNo colon here\r\n\r\n",
		"bad Content-Length":     "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
		"empty Content-Length":   "GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
		"two Content-Lengths":    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"control byte in target": "GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
		"bad percent-encoding":   "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"HTTP/1.1 without Host":  "GET / HTTP/1.1\r\n\r\n",
	} {
		conn := dial(t, addr)
		send(t, conn, raw)
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !resp.Close {
			t.Errorf("%s: status %d, close %v; want 400 and a close", name, resp.StatusCode, resp.Close)
		}
		expectClosed(t, r)
	}
}

func TestSilentClientIsDroppedAfterHeaderTimeout(t *testing.T) {
	cfg := defaultConfig
	cfg.ReadHeaderTimeout = 200 * time.Millisecond
	addr := startServer(t, cfg)
	start := time.Now() // before the dial: the server's clock starts at the accept
	conn := dial(t, addr)
	send(t, conn, "GET / HTTP/1.1\r\nHost: hellobench\r\n") // no blank line: the header never ends
	expectClosed(t, conn)
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("dropped after %v, before the 200ms timeout", elapsed)
	}
}

func TestTricklingClientIsDroppedAfterHeaderTimeout(t *testing.T) {
	cfg := defaultConfig
	cfg.ReadHeaderTimeout = 300 * time.Millisecond
	addr := startServer(t, cfg)
	conn := dial(t, addr)
	// One byte every 20 ms: each arrives well inside the timeout, the whole header never does.
	start := time.Now()
	request := get("/")
	for i := 0; i < len(request)-1; i++ {
		if _, err := conn.Write([]byte{request[i]}); err != nil {
			break // dropped
		}
		time.Sleep(20 * time.Millisecond)
	}
	// net/http drops the client silently, or with a 400 when the timeout cut the request line.
	r := bufio.NewReader(conn)
	if _, err := r.Peek(1); err == nil {
		resp, err := http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != 400 {
			t.Fatalf("answer %v (%v), want nothing or 400", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
	}
	expectClosed(t, r)
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("dropped only after %v", elapsed)
	}
}

// trickle writes b on conn once every gap until a write fails or stop is closed.
func trickle(conn net.Conn, b byte, gap time.Duration, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(gap):
		}
		if _, err := conn.Write([]byte{b}); err != nil {
			return
		}
	}
}

func TestBodyTrickledPastBodyTimeoutIsDroppedWithoutAnswer(t *testing.T) {
	cfg := defaultConfig
	cfg.BodyTimeout = 300 * time.Millisecond
	addr := startServer(t, cfg)
	conn := dial(t, addr)
	send(t, conn, "POST /orders HTTP/1.1\r\nHost: hellobench\r\nContent-Type: application/json\r\n"+
		"Content-Length: 1000\r\n\r\n")
	headSent := time.Now() // at the latest: the server's body clock starts once it has the head
	stop := make(chan struct{})
	defer close(stop)
	// A byte every 20 ms: each well inside the limit, the whole body (20 s) never. The body
	// deadline is a total, not a gap between bytes.
	go trickle(conn, ' ', 20*time.Millisecond, stop)
	expectClosed(t, conn)
	if elapsed := time.Since(headSent); elapsed < 300*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("dropped %v after the head; want at the 300ms body deadline", elapsed)
	}
}

// dialSmallReceiveBuffer dials with a 4 KiB receive buffer (set before the connect, so the
// window the server sees is small from the start); reads give up after 5 s.
func dialSmallReceiveBuffer(t *testing.T, addr string) net.Conn {
	t.Helper()
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readsAfterStall pipelines n GET /user on a connection with a small receive buffer, reads
// nothing for stall, then everything: the answers it got, and whether the connection ended by
// the server closing it (rather than by the test's 5 s read limit).
func readsAfterStall(t *testing.T, addr string, n int, stall time.Duration) (answers int, closed bool) {
	t.Helper()
	conn := dialSmallReceiveBuffer(t, addr)
	// Written from a goroutine: once the server stops reading, a write here may block.
	go conn.Write([]byte(strings.Repeat(get("/user"), n)))
	time.Sleep(stall)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	for answers < n {
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			var netErr net.Error
			return answers, !(errors.As(err, &netErr) && netErr.Timeout())
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return answers, true
		}
		resp.Body.Close()
		answers++
	}
	return answers, false
}

// 20,000 answers of about 420 bytes (8 MiB) are more than a 4 KiB receive window and the
// server's send buffer (4 MiB at most here: net.ipv4.tcp_wmem) can hold, so the server's write
// blocks while the client does not read. 5,000 were not: all of them fitted.
const pipelinedAnswers = 20000

func TestClientThatDoesNotReadIsDroppedAtWriteTimeout(t *testing.T) {
	cfg := defaultConfig
	cfg.WriteTimeout = 300 * time.Millisecond
	answers, closed := readsAfterStall(t, startServer(t, cfg), pipelinedAnswers, 1500*time.Millisecond)
	if !closed || answers >= pipelinedAnswers {
		t.Errorf("got %d of %d answers, closed %v; want the connection dropped at the 300ms write "+
			"deadline with answers still owed", answers, pipelinedAnswers, closed)
	}
	t.Logf("the client read %d of %d answers before the reset", answers, pipelinedAnswers)
}

func TestClientThatReadsLateWithinWriteTimeoutGetsEveryAnswer(t *testing.T) {
	// The control for the test above: with the contract's 60 s, the same stall loses nothing.
	answers, _ := readsAfterStall(t, startDefaultServer(t), pipelinedAnswers, 1500*time.Millisecond)
	if answers != pipelinedAnswers {
		t.Errorf("got %d of %d answers after a 1.5 s stall; want all", answers, pipelinedAnswers)
	}
}

func TestSlowHandlerWithCompleteBodyIsNotCutByBodyOrWriteDeadline(t *testing.T) {
	cfg := defaultConfig
	cfg.BodyTimeout = 200 * time.Millisecond
	cfg.WriteTimeout = 200 * time.Millisecond
	addr := startServer(t, cfg)
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	// The handler's own time is not a connection deadline: a 600 ms /io wait is answered, and
	// so is an order after it on the same connection (each request gets fresh deadlines).
	send(t, conn, get("/io?ms=600"))
	resp, body := readResponse(t, r)
	expectAnswer(t, resp, body, 200, "text/plain; charset=utf-8", "Hello, World!")
	time.Sleep(300 * time.Millisecond) // past the first request's deadlines
	order := `{"customer_id":7,"items":[{"sku":"a","qty":1,"price_cents":2500}]}`
	send(t, conn, fmt.Sprintf("POST /orders HTTP/1.1\r\nHost: hellobench\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n%s", len(order), order))
	resp, _ = readResponse(t, r)
	if resp.StatusCode != 200 {
		t.Errorf("order on the same connection: status %d, want 200", resp.StatusCode)
	}
}

func TestIdleKeepAliveConnectionIsClosedAfterIdleTimeout(t *testing.T) {
	cfg := defaultConfig
	cfg.IdleTimeout = 200 * time.Millisecond
	addr := startServer(t, cfg)
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	idleSince := time.Now() // at the latest: the server's idle clock starts once it has answered
	send(t, conn, get("/"))
	readResponse(t, r)
	expectClosed(t, r)
	if elapsed := time.Since(idleSince); elapsed < 200*time.Millisecond {
		t.Errorf("closed after %v idle, before the 200ms timeout", elapsed)
	}
}
