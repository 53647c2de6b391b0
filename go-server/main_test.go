package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The lifecycle tests run the program itself in a child process: this test binary, re-run with
// runMainEnv set, behaves as go-server (the pattern of os/exec's own tests).
const runMainEnv = "GO_SERVER_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		code := run(os.Args[1:], os.Stdout, os.Stderr)
		// After the server stops: what --threads did, for TestThreads*.
		fmt.Printf("GOMAXPROCS %d\n", runtime.GOMAXPROCS(0))
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// serverCommand is go-server with args, optionally behind a prefix command such as taskset.
func serverCommand(t *testing.T, prefix []string, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := append(append(append([]string{}, prefix...), self), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	// Under -race the runtime sleeps 1 s at exit unless told not to; the exit timing tests
	// measure the server, not that.
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "GORACE=atexit_sleep_ms=0")
	return cmd
}

type serverProcess struct {
	cmd    *exec.Cmd
	addr   string
	stdout *bufio.Reader
	stderr bytes.Buffer
	// laterStdout is what the process printed after the listening line, once it has exited.
	laterStdout []byte
	exited      chan error
}

var listeningLine = regexp.MustCompile(`^listening on (\S+:([0-9]+))\n$`)

// startProcess runs go-server with args and waits (at most 10 s) for its listening line.
func startProcess(t *testing.T, prefix []string, args ...string) *serverProcess {
	t.Helper()
	return startCommand(t, serverCommand(t, prefix, args...))
}

// startCommand runs a go-server command and waits (at most 10 s) for its listening line.
func startCommand(t *testing.T, cmd *exec.Cmd) *serverProcess {
	t.Helper()
	p := &serverProcess{cmd: cmd, exited: make(chan error, 1)}
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdout = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	line := make(chan string, 1)
	go func() {
		s, _ := p.stdout.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		m := listeningLine.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("first line %q, want \"listening on ADDR:PORT\"", s)
		}
		if m[2] == "0" {
			t.Fatalf("%q names port 0, not the port picked", s)
		}
		p.addr = m[1]
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line within 10 s")
	}
	go func() {
		// Wait closes the pipe: read it to the end first.
		p.laterStdout, _ = io.ReadAll(p.stdout)
		p.exited <- p.cmd.Wait()
	}()
	return p
}

// stop sends sig and returns the exit code, failing unless the process exits within 2 s.
func (p *serverProcess) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		p.exited <- nil // for the cleanup
	case <-time.After(2 * time.Second):
		t.Fatalf("still running 2 s after %v", sig)
	}
	t.Logf("exited %v after %v", p.cmd.ProcessState, time.Since(start))
	return p.cmd.ProcessState.ExitCode()
}

// runToExit runs go-server expecting it to stop by itself, within 10 s.
func runToExit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := serverCommand(t, nil, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	cmd.Wait()
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func TestParseArgsDefaults(t *testing.T) {
	opts, err := parseArgs(nil)
	want := options{port: 8080, bind: "127.0.0.1", threads: runtime.NumCPU(), dbPool: min(2*runtime.NumCPU(), 1024)}
	if err != nil || opts != want {
		t.Errorf("parseArgs() = %+v, %v; want %+v", opts, err, want)
	}
}

func TestParseArgsTakesOneOrTwoDashesAndEqualsForms(t *testing.T) {
	for _, args := range [][]string{
		{"--port", "9000", "--bind", "::1", "--threads", "3"},
		{"--port=9000", "--bind=::1", "--threads=3"},
		{"-port", "9000", "-bind", "::1", "-threads", "3"},
	} {
		opts, err := parseArgs(args)
		want := options{port: 9000, bind: "::1", threads: 3, dbPool: 6}
		if err != nil || opts != want {
			t.Errorf("parseArgs(%q) = %+v, %v; want %+v", args, opts, err, want)
		}
	}
}

func TestBadArgumentsExitWith2AndOneLineNamingTheProblem(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{[]string{"--port", "abc"}, "port"},
		{[]string{"--port", "65536"}, "--port"},
		{[]string{"--port", "-1"}, "--port"},
		{[]string{"--port"}, "port"},
		{[]string{"--threads", "0"}, "--threads"},
		{[]string{"--threads", "1025"}, "--threads"},
		{[]string{"--threads", "two"}, "threads"},
		{[]string{"--bind", "localhost"}, "--bind"},
		{[]string{"--bind", "999.0.0.1"}, "--bind"},
		{[]string{"--verbose"}, "verbose"},
		{[]string{"--port", "0", "extra"}, `"extra"`},
		{[]string{"--db", ""}, "--db"},
		{[]string{"--db", "   "}, "--db"},
		{[]string{"--db", "not a conninfo"}, "--db"},
		{[]string{"--db", "postgresql://u:secret@[::1"}, "--db"},
		{[]string{"--db"}, "db"},
		{[]string{"--db-pool", "0"}, "--db-pool"},
		{[]string{"--db-pool", "1025"}, "--db-pool"},
		{[]string{"--db-pool", "-1"}, "--db-pool"},
		{[]string{"--db-pool", "four"}, "--db-pool"},
		{[]string{"--db-pool", ""}, "--db-pool"},
		{[]string{"--db-pool", "4", "--db", "host=/nowhere port=x"}, "--db"},
	} {
		code, stdout, stderr := runToExit(t, tc.args...)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != 2 || len(lines) != 1 || !strings.HasSuffix(stderr, "\n") || !strings.Contains(stderr, tc.mention) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and one line mentioning %s", tc.args, code, stderr, tc.mention)
		}
		if strings.Contains(stdout, "listening") {
			t.Errorf("%q: listened anyway: %q", tc.args, stdout)
		}
	}
}

func TestPortInUseExitsWith1AndOneLine(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := fmt.Sprint(taken.Addr().(*net.TCPAddr).Port)
	code, _, stderr := runToExit(t, "--port", port)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, port) {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line naming port %s", code, stderr, port)
	}
}

func TestListeningLineNamesTheActualPortAndServes(t *testing.T) {
	p := startProcess(t, nil, "--port", "0", "--threads", "1")
	if !strings.HasPrefix(p.addr, "127.0.0.1:") {
		t.Errorf("listening on %s, want 127.0.0.1 by default", p.addr)
	}
	resp, err := http.Get("http://" + p.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "Hello, World!" {
		t.Errorf("GET / = %q", body)
	}
}

func TestBindsTheIPv6Loopback(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here:", err)
	} else {
		ln.Close()
	}
	p := startProcess(t, nil, "--bind", "::1", "--port", "0")
	if !strings.HasPrefix(p.addr, "[::1]:") {
		t.Fatalf("listening on %s, want [::1]:PORT", p.addr)
	}
	resp, err := http.Get("http://" + p.addr + "/json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /json over IPv6: %d", resp.StatusCode)
	}
}

func TestTermAndInterruptExitZeroWithinTwoSeconds(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
		p := startProcess(t, nil, "--port", "0")
		if code := p.stop(t, sig); code != 0 {
			t.Errorf("%v: exit %d, want 0; stderr %q", sig, code, p.stderr.String())
		}
	}
}

func TestShutdownFinishesTheRequestInFlight(t *testing.T) {
	p := startProcess(t, nil, "--port", "0")
	conn := dial(t, p.addr)
	send(t, conn, get("/io?ms=400"))
	time.Sleep(100 * time.Millisecond) // let the server take the request before the signal
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	resp, body := readResponse(t, bufio.NewReader(conn))
	if resp.StatusCode != 200 || body != "Hello, World!" {
		t.Errorf("request in flight got %d %q, want its answer", resp.StatusCode, body)
	}
}

func TestShutdownCutsOffARequestLongerThanTheGracePeriod(t *testing.T) {
	p := startProcess(t, nil, "--port", "0")
	conn := dial(t, p.addr)
	send(t, conn, get("/io?ms=10000"))
	time.Sleep(100 * time.Millisecond)
	if code := p.stop(t, syscall.SIGTERM); code != 0 { // stop fails the test after 2 s
		t.Errorf("exit %d, want 0", code)
	}
	expectClosed(t, conn)
}

func TestThreadsSetsGOMAXPROCS(t *testing.T) {
	p := startProcess(t, nil, "--port", "0", "--threads", "3")
	p.stop(t, syscall.SIGTERM)
	if got := string(p.laterStdout); got != "GOMAXPROCS 3\n" {
		t.Errorf("after --threads 3: %q", got)
	}
}

func TestThreadsDefaultsToTheCPUsInTheAffinityMask(t *testing.T) {
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("taskset (util-linux) is not installed")
	}
	p := startProcess(t, []string{taskset, "--cpu-list", "0"}, "--port", "0")
	p.stop(t, syscall.SIGTERM)
	if got := string(p.laterStdout); got != "GOMAXPROCS 1\n" {
		t.Errorf("pinned to one CPU: %q", got)
	}
}
