package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The incremental-build benchmark inserts this line right after the line holding addFieldMarker
// (hellobench.toml's go-tuned entry), then runs the build recipe: `go generate`, then `go build`.
const (
	addFieldMarker = "hellobench:add-field"
	addFieldLine   = "ExtraField int `json:\"extra_field\"`"
)

// moduleFiles lists the module's files the build needs (no tests), relative to its root.
func moduleFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"go.mod", "go.sum"}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestAddFieldMarkerIsOneLineOfOneFile(t *testing.T) {
	count := 0
	for _, name := range moduleFiles(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), addFieldMarker); n > 0 {
			t.Logf("%s: %d", name, n)
			count += n
		}
	}
	if count != 1 {
		t.Errorf("marker %q found %d times, want exactly once", addFieldMarker, count)
	}
}

// The edit is one line in the struct; `go generate` brings the appender along, so /user then
// ends in the new member, as the stock tier's does with encoding/json.
func TestAddFieldLineWithGoGenerateAddsExtraFieldToUser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server: not in -short")
	}
	dir := t.TempDir()
	for _, name := range moduleFiles(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		for i, line := range lines {
			if strings.Contains(line, addFieldMarker) {
				lines[i] = line + addFieldLine + "\n"
			}
		}
		target := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// go test puts its own toolchain first on PATH.
	for _, args := range [][]string{{"generate", "."}, {"build", "-o", "go-tuned-server", "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in the edited copy: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	server := exec.Command(filepath.Join(dir, "go-tuned-server"), "--port", "0")
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer server.Wait()
	defer server.Process.Kill()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
	}()
	var addr string
	select {
	case s := <-line:
		m := regexp.MustCompile(`^listening on (\S+)\n$`).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("first line %q", s)
		}
		addr = m[1]
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line within 10 s")
	}
	resp, err := http.Get("http://" + addr + "/user")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `{"id":42,"name":"Ada Lovelace","email":"ada@example.com","username":"ada","age":36,` +
		`"active":true,"role":"admin","country":"GB","city":"London","created_at":"2026-01-01T00:00:00Z",` +
		`"followers":1024,"tags":["math","computing"],"verified":true,"extra_field":0}`
	if string(body) != want {
		t.Errorf("GET /user = %s\nwant %s", body, want)
	}
}
