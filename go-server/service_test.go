package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// contractDir holds the shared vectors and payloads, beside this folder.
var contractDir = filepath.Join("..", "contract")

// serviceVector is one exchange of contract/vectors/service.json (contract/README.md).
type serviceVector struct {
	Name               string  `json:"name"`
	Method             string  `json:"method"`
	Target             string  `json:"target"`
	RequestContentType *string `json:"request_content_type"`
	RequestBody        *string `json:"request_body"`
	RequestBodyBase64  *string `json:"request_body_base64"`
	Status             int     `json:"status"`
	ContentType        string  `json:"content_type"`
	Body               string  `json:"body"`
	Allow              string  `json:"allow"`
}

func loadServiceVectors(t *testing.T) (liveMB int, vectors []serviceVector) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(contractDir, "vectors", "service.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		LiveMB  int             `json:"live_mb"`
		Vectors []serviceVector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	return file.LiveMB, file.Vectors
}

// body is the request body the vector sends, or nil for none.
func (v *serviceVector) body(t *testing.T) []byte {
	t.Helper()
	switch {
	case v.RequestBodyBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*v.RequestBodyBase64)
		if err != nil {
			t.Fatal(err)
		}
		return b
	case v.RequestBody != nil:
		return []byte(*v.RequestBody)
	}
	return nil
}

// rawRequest is the vector as bytes on the wire: Content-Length whenever it has a body.
func (v *serviceVector) rawRequest(t *testing.T) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: hellobench\r\n", v.Method, v.Target)
	if v.RequestContentType != nil {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", *v.RequestContentType)
	}
	body := v.body(t)
	if body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.String()
}

// expectStillOpen sends GET / on a connection that must have been kept open.
func expectStillOpen(t *testing.T, conn net.Conn, r *bufio.Reader) {
	t.Helper()
	send(t, conn, get("/"))
	resp, body := readResponse(t, r)
	if resp.StatusCode != 200 || body != helloWorld {
		t.Errorf("GET / afterwards: %d %q, want 200 on the same connection", resp.StatusCode, body)
	}
}

func TestServiceVectors(t *testing.T) {
	liveMB, vectors := loadServiceVectors(t)
	if len(vectors) < 80 {
		t.Fatalf("%d vectors, want 80 or more", len(vectors))
	}
	p := startProcess(t, nil, "--port", "0", "--live-mb", strconv.Itoa(liveMB))
	replayVectors(t, p.addr, vectors)
}

// replayVectors sends each vector on its own keep-alive connection to addr, expects its answer
// exactly, then GET / -> 200 on the same connection.
func replayVectors(t *testing.T, addr string, vectors []serviceVector) {
	t.Helper()
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			conn := dial(t, addr)
			r := bufio.NewReader(conn)
			send(t, conn, v.rawRequest(t))
			resp, body := readResponse(t, r)
			if resp.StatusCode != v.Status || resp.Header.Get("Content-Type") != v.ContentType || body != v.Body {
				t.Errorf("%s %s: %d %q %.200q\nwant %d %q %.200q", v.Method, v.Target,
					resp.StatusCode, resp.Header.Get("Content-Type"), body, v.Status, v.ContentType, v.Body)
			}
			if v.Allow != "" && resp.Header.Get("Allow") != v.Allow {
				t.Errorf("Allow %q, want %q", resp.Header.Get("Allow"), v.Allow)
			}
			if resp.Header.Get("Server") != "hellobench" || resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("Server %q, Content-Length %q for %d bytes", resp.Header.Get("Server"),
					resp.Header.Get("Content-Length"), len(body))
			}
			if resp.Close {
				t.Fatal("answered with Connection: close")
			}
			expectStillOpen(t, conn, r)
		})
	}
}

func TestLiveMBTakesAWholeNumberFrom0To4096(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 0}, {[]string{"--live-mb", "0"}, 0}, {[]string{"--live-mb", "25"}, 25},
		{[]string{"--live-mb=4096"}, 4096}, {[]string{"-live-mb", "007"}, 7},
	} {
		opts, err := parseArgs(tc.args)
		if err != nil || opts.liveMB != tc.want {
			t.Errorf("parseArgs(%q): live-mb %d, %v; want %d", tc.args, opts.liveMB, err, tc.want)
		}
	}
	for _, bad := range []string{"4097", "-1", "+1", "abc", "1.5", "", " 1", "1e3", "65536", "99999999999999999999"} {
		_, err := parseArgs([]string{"--live-mb", bad})
		if err == nil || !strings.HasPrefix(err.Error(), "--live-mb: ") {
			t.Errorf("--live-mb %q: %v, want an error naming --live-mb", bad, err)
		}
	}
}

func TestBadLiveMBExitsWith2AndOneLineNamingIt(t *testing.T) {
	for _, bad := range []string{"4097", "-1", "x"} {
		code, stdout, stderr := runToExit(t, "--port", "0", "--live-mb", bad)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--live-mb") ||
			strings.Contains(stdout, "listening") {
			t.Errorf("--live-mb %s: exit %d, stdout %q, stderr %q; want exit 2 and one line naming --live-mb",
				bad, code, stdout, stderr)
		}
	}
}

func TestStoreHoldsTheContractRecords(t *testing.T) {
	store := buildStore(1)
	if len(store) != 1024 {
		t.Fatalf("%d records, want 1024", len(store))
	}
	want := map[int]record{
		0: {user{0, "user-0", "user-0@example.com", "u0", 18, true, "admin", "GB", "London",
			"2026-01-01T00:00:00Z", 0, []string{"tag-0", "group-0"}, true}, ""},
		7: {user{7, "user-7", "user-7@example.com", "u7", 25, false, "editor", "DE", "Berlin",
			"2026-01-01T00:00:00Z", 259, []string{"tag-7", "group-3"}, false}, ""},
		1023: {user{1023, "user-1023", "user-1023@example.com", "u1023", 21, false, "admin",
			"FR", "Paris", "2026-01-01T00:00:00Z", 7851, []string{"tag-3", "group-3"}, true}, ""},
	}
	for i, w := range want {
		unit := fmt.Sprintf("bio-%d-", i)
		w.Bio = strings.Repeat(unit, 800/len(unit)+1)[:800]
		got, _ := json.Marshal(&store[i])
		wantJSON, _ := json.Marshal(&w)
		if string(got) != string(wantJSON) {
			t.Errorf("record %d:\n%s\nwant\n%s", i, got, wantJSON)
		}
	}
	const record7 = `{"id":7,"name":"user-7","email":"user-7@example.com","username":"u7","age":25,` +
		`"active":false,"role":"editor","country":"DE","city":"Berlin","created_at":"2026-01-01T00:00:00Z",` +
		`"followers":259,"tags":["tag-7","group-3"],"verified":false,"bio":"bio-7-bio-7-`
	if got, _ := json.Marshal(&store[7]); !strings.HasPrefix(string(got), record7) {
		t.Errorf("record 7 serialises as %.300s", got)
	}
	for i := range store {
		if len(store[i].Bio) != 800 || store[i].ID != i {
			t.Fatalf("record %d: id %d, bio of %d bytes", i, store[i].ID, len(store[i].Bio))
		}
	}
	// Each record owns its strings: even the values from the constant tables are copies.
	seen := map[*byte]string{}
	for i := range 6 {
		r := &store[i]
		for _, s := range []string{r.Name, r.Email, r.Username, r.Role, r.Country, r.City, r.CreatedAt,
			r.Tags[0], r.Tags[1], r.Bio} {
			if other, dup := seen[unsafe.StringData(s)]; dup {
				t.Errorf("record %d: %q shares its bytes with %q", i, s, other)
			}
			seen[unsafe.StringData(s)] = s
		}
	}
}

func TestLiveMBSetsTheStoreSize(t *testing.T) {
	for _, tc := range []struct {
		liveMB   string
		last     int // -1: empty
		customer string
	}{{"0", -1, "null"}, {"2", 2047, `"user-2047"`}} {
		p := startProcess(t, nil, "--port", "0", "--live-mb", tc.liveMB)
		conn := dial(t, p.addr)
		r := bufio.NewReader(conn)
		if tc.last >= 0 {
			send(t, conn, get(fmt.Sprintf("/users/%d", tc.last)))
			if resp, body := readResponse(t, r); resp.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf(`"name":"user-%d"`, tc.last)) {
				t.Errorf("--live-mb %s: last record: %d %.100q", tc.liveMB, resp.StatusCode, body)
			}
		}
		send(t, conn, get(fmt.Sprintf("/users/%d", tc.last+1)))
		if resp, _ := readResponse(t, r); resp.StatusCode != 404 {
			t.Errorf("--live-mb %s: GET /users/%d: %d, want 404", tc.liveMB, tc.last+1, resp.StatusCode)
		}
		order := fmt.Sprintf(`{"customer_id":%d,"items":[{"sku":"A","qty":1,"price_cents":1}]}`, max(tc.last, 0))
		send(t, conn, postOrder(order, "Content-Length: "+strconv.Itoa(len(order))))
		want := fmt.Sprintf(`{"customer_id":%d,"customer_name":%s,"item_count":1,"total_cents":1}`, max(tc.last, 0), tc.customer)
		if _, body := readResponse(t, r); body != want {
			t.Errorf("--live-mb %s: order answered %s, want %s", tc.liveMB, body, want)
		}
	}
}

// startStoreServer serves the contract's configuration with the store of --live-mb liveMB.
func startStoreServer(t *testing.T, liveMB int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(defaultConfig, buildStore(liveMB), nil)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// postOrder is POST /orders as JSON with the given framing header and body (already framed).
func postOrder(body, framing string) string {
	return "POST /orders HTTP/1.1\r\nHost: hellobench\r\nContent-Type: application/json\r\n" +
		framing + "\r\n\r\n" + body
}

// chunked frames body as chunks of at most size bytes, with the last chunk.
func chunked(body string, size int) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(size, len(body))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

const (
	exampleOrder  = `{"customer_id":7,"items":[{"sku":"A-1","qty":2,"price_cents":1250}],"note":"..."}`
	exampleAnswer = `{"customer_id":7,"customer_name":"user-7","item_count":1,"total_cents":2500}`
)

func TestChunkedOrderIsAccepted(t *testing.T) {
	addr := startStoreServer(t, 1)
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	send(t, conn, postOrder(chunked(exampleOrder, 10), "Transfer-Encoding: chunked"))
	resp, body := readResponse(t, r)
	expectAnswer(t, resp, body, 200, "application/json", exampleAnswer)
	expectStillOpen(t, conn, r)
}

func TestChunkedBodyOver64KiBIs413AndKeepsTheConnection(t *testing.T) {
	addr := startStoreServer(t, 1)
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	padded := exampleOrder[:len(exampleOrder)-1] + `,"pad":"` + strings.Repeat("p", 100_000) + `"}`
	send(t, conn, postOrder(chunked(padded, 4096), "Transfer-Encoding: chunked"))
	resp, body := readResponse(t, r)
	expectAnswer(t, resp, body, 413, textPlainUTF8, bodyTooLarge)
	expectStillOpen(t, conn, r)
}

func TestBodyOf1MiBIs413AndKeepsTheConnection(t *testing.T) {
	addr := startStoreServer(t, 1)
	for _, framing := range []string{"Content-Length", "chunked"} {
		conn := dial(t, addr)
		r := bufio.NewReader(conn)
		body := strings.Repeat(" ", maxDrainBytes)
		if framing == "chunked" {
			send(t, conn, postOrder(chunked(body, 32<<10), "Transfer-Encoding: chunked"))
		} else {
			send(t, conn, postOrder(body, "Content-Length: "+strconv.Itoa(len(body))))
		}
		resp, text := readResponse(t, r)
		expectAnswer(t, resp, text, 413, textPlainUTF8, bodyTooLarge)
		if resp.Close {
			t.Errorf("%s: closed after a body of exactly 1 MiB", framing)
		}
		expectStillOpen(t, conn, r)
	}
}

func TestBodyOver1MiBIs413AndClosesTheConnection(t *testing.T) {
	addr := startStoreServer(t, 1)
	// Declared: answered at once, before any of the body is read.
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	send(t, conn, postOrder("", "Content-Length: "+strconv.Itoa(maxDrainBytes+1)))
	resp, body := readResponse(t, r)
	expectAnswer(t, resp, body, 413, textPlainUTF8, bodyTooLarge)
	if !resp.Close {
		t.Error("a declared body over 1 MiB: answered without Connection: close")
	}
	expectClosed(t, r)

	// Found while reading a chunked body. The client writes on while the server answers, so
	// the writer runs apart and a failed write (the server has closed) is expected.
	conn = dial(t, addr)
	r = bufio.NewReader(conn)
	go io.WriteString(conn, postOrder(chunked(strings.Repeat(" ", maxDrainBytes+1), 32<<10), "Transfer-Encoding: chunked"))
	resp, body = readResponse(t, r)
	expectAnswer(t, resp, body, 413, textPlainUTF8, bodyTooLarge)
	if !resp.Close {
		t.Error("a chunked body over 1 MiB: answered without Connection: close")
	}
}

func TestBrokenChunkedBodyIs400AndClose(t *testing.T) {
	addr := startStoreServer(t, 1)
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	send(t, conn, postOrder("zz\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked"))
	resp, body := readResponse(t, r)
	expectAnswer(t, resp, body, 400, textPlainUTF8, "Bad Request")
	if !resp.Close {
		t.Error("answered without Connection: close")
	}
	expectClosed(t, r)
}

func TestEarlyErrorsReadTheBodyAndKeepTheConnection(t *testing.T) {
	// 415 and 405 come before the size check, but a body of up to 1 MiB is still read (past
	// net/http's own 256 KiB) so that the connection stays usable.
	addr := startStoreServer(t, 1)
	body := strings.Repeat("x", 600<<10)
	for _, tc := range []struct {
		request string
		status  int
	}{
		{"POST /orders HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\n", 415},
		{"PUT /orders HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n", 405},
		{"POST /users/1 HTTP/1.1\r\nHost: h\r\n", 405},
	} {
		conn := dial(t, addr)
		r := bufio.NewReader(conn)
		send(t, conn, tc.request+"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		resp, _ := readResponse(t, r)
		if resp.StatusCode != tc.status || resp.Close {
			t.Errorf("%q: %d, close %v; want %d and the connection kept", tc.request, resp.StatusCode, resp.Close, tc.status)
			continue
		}
		expectStillOpen(t, conn, r)
	}
}

func TestRoutesUseTheRawTargetNotThePercentDecodedOne(t *testing.T) {
	addr := startStoreServer(t, 1)
	for _, tc := range []struct {
		target string
		status int
		body   string
	}{
		{"/%6Ason", 404, "Not Found"},
		{"/%75ser", 404, "Not Found"},
		{"/%2F", 404, "Not Found"},
		{"/io%3Fms=1", 404, "Not Found"},
		{"/users%2F7", 404, "Not Found"},
		{"/users/%37", 400, "id must be a decimal integer"},
		{"/io?ms=%35", 400, "ms must be an integer 0..10000"},
		{"/io?m%73=5", 400, "ms must be an integer 0..10000"},
		{"/io?ms=5%00", 400, "ms must be an integer 0..10000"},
		{"/io?ms", 400, "ms must be an integer 0..10000"},
		{"/io?ms=+5", 400, "ms must be an integer 0..10000"},
		{"/io?x=%35&ms=1", 200, helloWorld},
		{"/io?ms=1&ms=x", 200, helloWorld},
		{"/json?%6A=1", 200, `{"message":"Hello, World!"}`},
	} {
		resp, body := roundTrip(t, addr, get(tc.target))
		if resp.StatusCode != tc.status || body != tc.body {
			t.Errorf("GET %s: %d %q, want %d %q", tc.target, resp.StatusCode, body, tc.status, tc.body)
		}
	}
}

func TestAbsoluteFormTargetsRouteOnTheirPath(t *testing.T) {
	addr := startStoreServer(t, 1)
	for _, tc := range []struct {
		target string
		status int
		body   string
	}{
		{"http://hellobench/json", 200, `{"message":"Hello, World!"}`},
		{"http://hellobench:8080/json?x=1", 200, `{"message":"Hello, World!"}`},
		{"http://hellobench", 200, helloWorld},
		{"http://hellobench?x=/json", 200, helloWorld},
		{"http://hellobench/io?ms=1", 200, helloWorld},
		{"http://hellobench/io?ms=%31", 400, "ms must be an integer 0..10000"},
		{"http://hellobench/%6Ason", 404, "Not Found"},
		{"http://hellobench/users/1024", 404, "Not Found"},
	} {
		resp, body := roundTrip(t, addr, get(tc.target))
		if resp.StatusCode != tc.status || body != tc.body {
			t.Errorf("GET %s: %d %q, want %d %q", tc.target, resp.StatusCode, body, tc.status, tc.body)
		}
	}
	resp, body := roundTrip(t, addr, get("http://hellobench/users/7?x=1"))
	if resp.StatusCode != 200 || !strings.HasPrefix(body, `{"id":7,"name":"user-7",`) {
		t.Errorf("GET http://hellobench/users/7?x=1: %d %.60q", resp.StatusCode, body)
	}
}

func TestMediaTypeIgnoresASCIICaseOnly(t *testing.T) {
	for value, want := range map[string]bool{
		"application/json":                  true,
		"APPLICATION/JSON":                  true,
		" \tapplication/json \t; charset=x": true,
		"application/json;":                 true,
		"application/jſon":                  false, // U+017F folds to 's' in Unicode, not in ASCII
		"application/json, text/plain":      false,
		"application/ json":                 false,
		"":                                  false,
	} {
		if got := isJSONMediaType(value); got != want {
			t.Errorf("isJSONMediaType(%q) = %v, want %v", value, got, want)
		}
	}
}
