package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dbVectors is contract/vectors/db.json: vectors for a server with --db on a table of records
// rows, and without_database for one without --db.
type dbVectors struct {
	Records         int             `json:"records"`
	Vectors         []serviceVector `json:"vectors"`
	WithoutDatabase []serviceVector `json:"without_database"`
}

func loadDBVectors(t *testing.T) dbVectors {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(contractDir, "vectors", "db.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v dbVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) == 0 || len(v.WithoutDatabase) == 0 {
		t.Fatalf("db.json: %d vectors, %d without a database", len(v.Vectors), len(v.WithoutDatabase))
	}
	return v
}

// scratchDB is a private PostgreSQL made by scripts/pg-scratch.sh, which this test can also
// kill and start again on the same port and data.
type scratchDB struct {
	dir, uri string
	port     int
}

var scratchScript = filepath.Join("..", "scripts", "pg-scratch.sh")

// startScratchDB starts a cluster with records rows in table users, stopped and removed when
// the test ends (also when it fails). Without PostgreSQL installed the test is skipped.
func startScratchDB(t *testing.T, records int) *scratchDB {
	t.Helper()
	// Not t.TempDir: the postgres user must reach the folder, and t.TempDir's parent is private.
	dir, err := os.MkdirTemp("", "go-server-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(scratchScript, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("pg-scratch.sh stop: %v %s", err, out)
		}
		os.RemoveAll(dir)
	})
	var stderr bytes.Buffer
	cmd := exec.Command(scratchScript, "start", dir, strconv.Itoa(records))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		t.Skipf("PostgreSQL is not installed: %s", strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("pg-scratch.sh start: %v: %s", err, stderr.String())
	}
	db := &scratchDB{dir: dir, uri: strings.TrimSpace(string(out))}
	u, err := url.Parse(db.uri)
	if err != nil {
		t.Fatalf("pg-scratch.sh printed %q: %v", db.uri, err)
	}
	if db.port, err = strconv.Atoi(u.Port()); err != nil {
		t.Fatalf("pg-scratch.sh printed %q: no port", db.uri)
	}
	return db
}

// pgCommand runs a PostgreSQL program as the postgres user when the test runs as root (initdb
// and the server refuse root), as pg-scratch.sh does.
func pgCommand(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// postmasterOptions reads the binary and the options the cluster was started with from
// data/postmaster.opts (each argument in double quotes), without "-D dir".
func (db *scratchDB) postmasterOptions(t *testing.T) (postgres string, opts []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(db.dir, "data", "postmaster.opts"))
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(string(data), -1) {
		args = append(args, m[1])
	}
	postgres = strings.Fields(string(data))[0]
	for i := 0; i < len(args); i++ {
		if args[i] == "-D" {
			i++
			continue
		}
		if strings.ContainsAny(args[i], " '\"\\") {
			t.Fatalf("postmaster.opts: %q would need quoting", args[i])
		}
		opts = append(opts, args[i])
	}
	return postgres, opts
}

// kill stops the cluster as a crash would look to its clients: pg_ctl stop -m immediate, which
// ends every backend at once without closing its connection properly.
func (db *scratchDB) kill(t *testing.T) {
	t.Helper()
	postgres, _ := db.postmasterOptions(t)
	pgCtl := filepath.Join(filepath.Dir(postgres), "pg_ctl")
	if out, err := pgCommand(pgCtl, "-D", filepath.Join(db.dir, "data"), "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop: %v %s", err, out)
	}
}

// restart starts the killed cluster again, on the same port, data and options.
func (db *scratchDB) restart(t *testing.T) {
	t.Helper()
	postgres, opts := db.postmasterOptions(t)
	pgCtl := filepath.Join(filepath.Dir(postgres), "pg_ctl")
	if out, err := pgCommand(pgCtl, "-D", filepath.Join(db.dir, "data"), "-l", filepath.Join(db.dir, "server.log"),
		"-w", "-t", "30", "-o", strings.Join(opts, " "), "start").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v %s", err, out)
	}
}

// activeSleeps counts the backends running the server's pg_sleep statement right now.
func (db *scratchDB) activeSleeps(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, db.uri)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = $1",
		selectSleep).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// answer sends GET target on conn and reads the answer.
func answer(t *testing.T, conn net.Conn, r *bufio.Reader, target string) (int, string) {
	t.Helper()
	send(t, conn, get(target))
	resp, body := readResponse(t, r)
	if resp.Close {
		t.Fatalf("GET %s: answered with Connection: close", target)
	}
	return resp.StatusCode, body
}

// expectGet sends GET target on conn and expects status and body.
func expectGet(t *testing.T, conn net.Conn, r *bufio.Reader, target string, status int, body string) {
	t.Helper()
	if gotStatus, gotBody := answer(t, conn, r, target); gotStatus != status || gotBody != body {
		t.Errorf("GET %s: %d %.80q, want %d %.80q", target, gotStatus, gotBody, status, body)
	}
}

func TestDBVectorsWithoutDatabase(t *testing.T) {
	p := startProcess(t, nil, "--port", "0")
	replayVectors(t, p.addr, loadDBVectors(t).WithoutDatabase)
}

func TestDBPoolDefaultsToTwoPerThread(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--threads", "1"}, 2},
		{[]string{"--threads", "3"}, 6},
		{[]string{"--threads", "600"}, 1024},
		{[]string{"--threads", "3", "--db-pool", "1"}, 1},
		{[]string{"--db-pool=1024"}, 1024},
		{[]string{"--db-pool", "007"}, 7},
	} {
		opts, err := parseArgs(append(tc.args, "--db", "postgresql://u:pw@127.0.0.1:5/d"))
		if err != nil || opts.dbPool != tc.want || opts.db == nil || opts.db.MaxConns != int32(tc.want) {
			t.Errorf("parseArgs(%q): pool %d, %v; want %d", tc.args, opts.dbPool, err, tc.want)
		}
	}
	if opts, err := parseArgs(nil); err != nil || opts.db != nil {
		t.Errorf("no --db: %+v, %v; want no database", opts.db, err)
	}
	if opts, err := parseArgs([]string{"--db", "host=/run/pg dbname=bench user=me"}); err != nil ||
		describeDB(opts.db) != `database "bench" on /run/pg port 5432 as "me"` {
		t.Errorf("keyword/value conninfo: %v", err)
	}
}

func TestBadDBKeepsThePasswordOutOfTheError(t *testing.T) {
	code, _, stderr := runToExit(t, "--port", "0", "--db", "postgresql://u:secret@[::1")
	if code != 2 || !strings.Contains(stderr, "--db") || strings.Contains(stderr, "secret") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming --db, without the password", code, stderr)
	}
}

// silentPostgres is a port that takes TCP connections (the kernel completes them into the
// backlog) and never answers: a database that hangs rather than refuses.
func silentPostgres(t *testing.T) (string, *net.TCPListener) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, ln
}

func TestSignalWhileWaitingForTheDatabaseExitsZero(t *testing.T) {
	port, ln := silentPostgres(t)
	cmd := serverCommand(t, nil, "--port", "0", "--db", "postgresql://postgres@127.0.0.1:"+port+"/postgres")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once it connects to the database it is waiting for it (signals are caught before that).
	ln.SetDeadline(time.Now().Add(5 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no connection to the database: %v", err)
	}
	defer conn.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(2 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatal("still waiting for the database 2 s after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(stdout.String(), "listening") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 before any ready line", code, stdout.String(), stderr.String())
	}
}

// TestDatabase runs the database routes against a real PostgreSQL (scripts/pg-scratch.sh,
// 1024 rows), removed at the end. The subtests run in order and share the cluster; the last
// ones kill it and start it again.
func TestDatabase(t *testing.T) {
	vectors := loadDBVectors(t)

	// A database that never answers: the server gives up after 10 s. That runs meanwhile, in
	// the background, and is checked at the end.
	silentPort, _ := silentPostgres(t)
	silentStart := time.Now()
	silent := serverCommand(t, nil, "--port", "0", "--db", "postgresql://postgres@127.0.0.1:"+silentPort+"/postgres")
	var silentOut, silentErr bytes.Buffer
	silent.Stdout, silent.Stderr = &silentOut, &silentErr
	if err := silent.Start(); err != nil {
		t.Fatal(err)
	}
	silentDone := make(chan time.Duration, 1)
	go func() {
		silent.Wait()
		silentDone <- time.Since(silentStart)
	}()
	t.Cleanup(func() {
		silent.Process.Kill()
		<-silentDone
	})

	db := startScratchDB(t, vectors.Records)
	p := startProcess(t, nil, "--port", "0", "--db", db.uri, "--db-pool", "4")

	t.Run("vectors", func(t *testing.T) {
		replayVectors(t, p.addr, vectors.Vectors)
	})

	t.Run("every row as /users/{id} answers the same record", func(t *testing.T) {
		store := startProcess(t, nil, "--port", "0", "--live-mb", "1")
		dbConn, storeConn := dial(t, p.addr), dial(t, store.addr)
		dbR, storeR := bufio.NewReader(dbConn), bufio.NewReader(storeConn)
		for i := range vectors.Records {
			status, body := answer(t, dbConn, dbR, fmt.Sprintf("/db/users/%d", i))
			_, want := answer(t, storeConn, storeR, fmt.Sprintf("/users/%d", i))
			if status != 200 || body != want {
				t.Fatalf("/db/users/%d: %d %.100q\nwant %.100q", i, status, body, want)
			}
		}
		expectGet(t, dbConn, dbR, "/db/users/000000000000000007", 200, vectors.Vectors[1].Body)
		expectGet(t, dbConn, dbR, "/db/users/999999999999999999", 404, "Not Found")
		expectGet(t, dbConn, dbR, "/db/users/1/x", 404, "Not Found")
		expectGet(t, dbConn, dbR, "/db/users", 404, "Not Found")
		expectGet(t, dbConn, dbR, "/db/users/%31", 400, badID)
		expectGet(t, dbConn, dbR, "/db/sleep/", 404, "Not Found")
		expectGet(t, dbConn, dbR, "/db/sleep?ms=%35", 400, badWait)
		expectGet(t, dbConn, dbR, "/db/sleep?x=1&ms=1", 200, helloWorld)
	})

	t.Run("a pool of 4 queues 100 concurrent sleeps", func(t *testing.T) {
		q := startProcess(t, nil, "--port", "0", "--db", db.uri, "--db-pool", "4")
		const n, ms, pool = 100, 50, 4
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for range n {
			wg.Go(func() {
				conn, err := net.Dial("tcp", q.addr)
				if err != nil {
					errs <- err.Error()
					return
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				fmt.Fprint(conn, get(fmt.Sprintf("/db/sleep?ms=%d", ms)))
				resp, err := readResponseErr(bufio.NewReader(conn))
				if err != nil || resp.status != 200 || resp.body != helloWorld {
					errs <- fmt.Sprintf("%+v %v", resp, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		// 100 sleeps of 50 ms, 4 at a time, take at least 1.25 s: no more than 4 ran at once.
		elapsed := time.Since(start)
		if min := n * ms * time.Millisecond / pool; elapsed < min {
			t.Errorf("took %v, want at least %v with a pool of %d", elapsed, min, pool)
		}
		t.Logf("%d sleeps of %d ms on a pool of %d: %v", n, ms, pool, elapsed)
	})

	t.Run("no connection within the acquire timeout is 503", func(t *testing.T) {
		opts, err := parseArgs([]string{"--db", db.uri, "--db-pool", "1"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := openDatabase(context.Background(), opts.db, 5*time.Second, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		defer d.close()
		d.acquireTimeout = 300 * time.Millisecond
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := NewServer(defaultConfig, nil, d)
		go srv.Serve(ln)
		defer srv.Close()
		busy := dial(t, ln.Addr().String())
		send(t, busy, get("/db/sleep?ms=1000"))
		time.Sleep(100 * time.Millisecond)
		conn := dial(t, ln.Addr().String())
		r := bufio.NewReader(conn)
		start := time.Now()
		expectGet(t, conn, r, "/db/users/1", 503, dbUnavailable)
		if waited := time.Since(start); waited < 250*time.Millisecond || waited > 3*time.Second {
			t.Errorf("503 after %v, want it after the 300 ms acquire timeout", waited)
		}
		expectGet(t, conn, r, "/", 200, helloWorld)
		if resp, body := readResponse(t, bufio.NewReader(busy)); resp.StatusCode != 200 || body != helloWorld {
			t.Errorf("the sleep holding the pool: %d %q", resp.StatusCode, body)
		}
	})

	t.Run("a client that goes away cancels its query", func(t *testing.T) {
		c := startProcess(t, nil, "--port", "0", "--db", db.uri, "--db-pool", "1")
		conn := dial(t, c.addr)
		send(t, conn, get("/db/sleep?ms=10000"))
		waitFor(t, 2*time.Second, "the pg_sleep to start", func() bool { return db.activeSleeps(t) == 1 })
		conn.Close()
		start := time.Now()
		waitFor(t, 2*time.Second, "the pg_sleep to be cancelled", func() bool { return db.activeSleeps(t) == 0 })
		t.Logf("query cancelled %v after the client closed", time.Since(start))
		// The pool's only connection is usable again.
		conn = dial(t, c.addr)
		expectGet(t, conn, bufio.NewReader(conn), "/db/sleep?ms=0", 200, helloWorld)
	})

	t.Run("SIGTERM with a sleep in flight exits 0 within 2 s", func(t *testing.T) {
		s := startProcess(t, nil, "--port", "0", "--db", db.uri, "--db-pool", "1")
		conn := dial(t, s.addr)
		send(t, conn, get("/db/sleep?ms=10000"))
		waitFor(t, 2*time.Second, "the pg_sleep to start", func() bool { return db.activeSleeps(t) == 1 })
		if code := s.stop(t, syscall.SIGTERM); code != 0 { // stop fails the test after 2 s
			t.Errorf("exit %d, want 0; stderr %q", code, s.stderr.String())
		}
		waitFor(t, 2*time.Second, "the pg_sleep to be cancelled", func() bool { return db.activeSleeps(t) == 0 })
	})

	t.Run("the database lost and back", func(t *testing.T) {
		conn := dial(t, p.addr)
		r := bufio.NewReader(conn)
		expectGet(t, conn, r, "/db/users/7", 200, vectors.Vectors[1].Body)
		inFlight := dial(t, p.addr)
		send(t, inFlight, get("/db/sleep?ms=5000"))
		waitFor(t, 2*time.Second, "the pg_sleep to start", func() bool { return db.activeSleeps(t) == 1 })

		db.kill(t)
		killed := time.Now()
		resp, body := readResponse(t, bufio.NewReader(inFlight))
		if resp.StatusCode != 503 || body != dbUnavailable || resp.Close {
			t.Errorf("the sleep in flight: %d %q, close %v; want 503 %q, connection kept", resp.StatusCode, body, resp.Close, dbUnavailable)
		}
		if waited := time.Since(killed); waited > time.Second {
			t.Errorf("the sleep in flight answered %v after the database died", waited)
		}
		for range 3 {
			start := time.Now()
			expectGet(t, conn, r, "/db/users/7", 503, dbUnavailable)
			expectGet(t, conn, r, "/db/sleep?ms=1", 503, dbUnavailable)
			if waited := time.Since(start); waited > time.Second {
				t.Errorf("503s took %v", waited)
			}
		}
		expectGet(t, conn, r, "/db/users/x", 400, badID)
		expectGet(t, conn, r, "/", 200, helloWorld)
		expectGet(t, conn, r, "/json", 200, `{"message":"Hello, World!"}`)
		expectGet(t, conn, r, "/io?ms=1", 200, helloWorld)
		fresh := dial(t, p.addr)
		expectGet(t, fresh, bufio.NewReader(fresh), "/db/users/7", 503, dbUnavailable)

		db.restart(t)
		restarted := time.Now()
		waitFor(t, 5*time.Second, "/db/users/7 to answer 200 again", func() bool {
			status, _ := answer(t, conn, r, "/db/users/7")
			return status == 200
		})
		t.Logf("answering again %v after the restart", time.Since(restarted))
		expectGet(t, conn, r, "/db/users/7", 200, vectors.Vectors[1].Body)
		expectGet(t, conn, r, "/db/sleep?ms=1", 200, helloWorld)
		// Still the same process; it logged the loss and the return, once each.
		if code := p.stop(t, syscall.SIGTERM); code != 0 {
			t.Errorf("exit %d", code)
		}
		log := p.stderr.String()
		if !regexp.MustCompile(`^go-server: database unavailable: .+\ngo-server: database answers again\n$`).MatchString(log) {
			t.Errorf("stderr %q, want one line for the loss and one for the return", log)
		}
	})

	t.Run("the ready line waits for the database", func(t *testing.T) {
		db.kill(t)
		cmd := serverCommand(t, nil, "--port", "0", "--db", db.uri)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cmd.Process.Kill()
			cmd.Wait()
		}()
		line := make(chan string, 1)
		go func() {
			s, _ := bufio.NewReader(stdout).ReadString('\n')
			line <- s
		}()
		select {
		case s := <-line:
			t.Fatalf("printed %q with the database down (stderr %q)", s, stderr.String())
		case <-time.After(time.Second):
		}
		db.restart(t)
		select {
		case s := <-line:
			m := listeningLine.FindStringSubmatch(s)
			if m == nil {
				t.Fatalf("first line %q", s)
			}
			conn := dial(t, m[1])
			expectGet(t, conn, bufio.NewReader(conn), "/db/users/1023", 200, vectors.Vectors[2].Body)
		case <-time.After(8 * time.Second):
			t.Fatal("no ready line 8 s after the database came up")
		}
	})

	t.Run("a database that never answers: exit 1 after 10 s, one line", func(t *testing.T) {
		var took time.Duration
		select {
		case took = <-silentDone:
			silentDone <- took // for the cleanup
		case <-time.After(time.Until(silentStart.Add(13 * time.Second))):
			t.Fatal("still running 13 s after start")
		}
		code, stderr := silent.ProcessState.ExitCode(), silentErr.String()
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `database "postgres"`) ||
			!strings.Contains(stderr, "127.0.0.1:"+silentPort) || strings.Contains(silentOut.String(), "listening") {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and one line naming the database", code, silentOut.String(), stderr)
		}
		if took < dbStartTimeout || took > dbStartTimeout+2*time.Second {
			t.Errorf("gave up after %v, want %v", took, dbStartTimeout)
		}
		t.Logf("%v: %s", took, stderr)
	})
}

// waitFor polls cond every 50 ms until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type plainAnswer struct {
	status int
	body   string
}

// readResponseErr is readResponse for goroutines other than the test's (no t.Fatal).
func readResponseErr(r *bufio.Reader) (plainAnswer, error) {
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return plainAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return plainAnswer{resp.StatusCode, string(body)}, err
}
