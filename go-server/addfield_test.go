package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The incremental-build benchmark inserts this line right after the line holding addFieldMarker;
// README.md gives it to the orchestrator's configuration.
const (
	addFieldMarker = "hellobench:add-field"
	addFieldLine   = "ExtraField int `json:\"extra_field\"`"
)

// serverSources reads go.mod, go.sum and every non-test Go file of the server, by name.
func serverSources(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, name := range append(names, "go.mod", "go.sum") {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sources[name] = string(data)
	}
	return sources
}

func TestAddFieldMarkerIsOneLineOfOneFile(t *testing.T) {
	count := 0
	for name, source := range serverSources(t) {
		if n := strings.Count(source, addFieldMarker); n > 0 {
			t.Logf("%s: %d", name, n)
			count += n
		}
	}
	if count != 1 {
		t.Errorf("marker %q found %d times, want exactly once", addFieldMarker, count)
	}
}

func TestREADMEGivesTheAddFieldLine(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "\n"+addFieldLine+"\n") {
		t.Errorf("README.md does not give the line %q on a line of its own", addFieldLine)
	}
}

func TestAddFieldLineCompilesAndAddsExtraFieldToUser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server: not in -short")
	}
	dir := t.TempDir()
	for name, source := range serverSources(t) {
		lines := strings.SplitAfter(source, "\n")
		for i, line := range lines {
			if strings.Contains(line, addFieldMarker) {
				lines[i] = line + addFieldLine + "\n"
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// go test puts its own toolchain first on PATH.
	build := exec.Command("go", "build", "-o", "go-server", ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the edited copy does not build: %v\n%s", err, out)
	}

	p := startCommand(t, exec.Command(filepath.Join(dir, "go-server"), "--port", "0"))
	resp, err := http.Get("http://" + p.addr + "/user")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := strings.TrimSuffix(userBody, "}") + `,"extra_field":0}`
	if string(body) != want {
		t.Errorf("GET /user = %s\nwant %s", body, want)
	}
	p.stop(t, syscall.SIGTERM)
}
