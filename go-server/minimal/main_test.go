package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// The test runs the program itself in a child process: this test binary, re-run with
// runMainEnv set, is go-minimal-server.
const runMainEnv = "GO_MINIMAL_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// start runs the server on a free loopback port and returns its address.
func start(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		m := regexp.MustCompile(`^listening on (127\.0\.0\.1:[1-9][0-9]*)\n$`).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("first line %q, want \"listening on 127.0.0.1:PORT\"", s)
		}
		return m[1]
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line within 10 s")
	}
	return ""
}

// The reduced contract of the minimal tier: GET / is 200 "Hello, World!". Being
// http.ServeMux's "/" pattern, every other path answers the same.
func TestRootAndEveryOtherPathAnswerHelloWorld(t *testing.T) {
	addr := start(t)
	for _, path := range []string{"/", "/anything/else"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "Hello, World!" ||
			resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("GET %s: %d %q %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}
