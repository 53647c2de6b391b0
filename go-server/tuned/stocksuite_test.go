package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stockContractTests are the stock tier's test files that hold a server to the contract:
// endpoints and connections, the service routes and shared vectors, the process lifecycle and
// the database routes. They use the package's own names (NewServer, Config, defaultConfig, run,
// parseArgs, buildStore, record, user, openDatabase, ...), which the tuned tier keeps for that
// reason. The stock tier's other test files are about its own source (the add-field edit of
// handlers.go, its README) or benchmark encoding/json; the tuned tier has its own.
var stockContractTests = []string{"server_test.go", "service_test.go", "main_test.go", "db_test.go"}

// TestStockSuite runs the stock tier's contract tests against this package: both tiers pass the
// same tests, and a rule added to the stock tests holds the tuned tier too. The package and
// those tests are copied into a scratch folder laid out like the repository (they read
// ../contract and run ../scripts/pg-scratch.sh, which are linked in), then `go test` runs
// there. Skipped with -short, and outside a full checkout (the orchestrator's build copies
// go-server/tuned alone).
func TestStockSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the stock suite compiles and runs a second test binary (~30 s)")
	}
	stock, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Dir(stock)
	for _, need := range append([]string{filepath.Join(repo, "contract"), filepath.Join(repo, "scripts")},
		stockTestPaths(stock)...) {
		if _, err := os.Stat(need); err != nil {
			t.Skipf("not in a full checkout: %v", err)
		}
	}
	root := t.TempDir()
	for _, dir := range []string{"contract", "scripts"} {
		if err := os.Symlink(filepath.Join(repo, dir), filepath.Join(root, dir)); err != nil {
			t.Fatal(err)
		}
	}
	pkg := filepath.Join(root, "go-tuned")
	if err := os.Mkdir(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(sources, "go.mod", "go.sum") {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		copyFile(t, name, filepath.Join(pkg, name))
	}
	for _, path := range stockTestPaths(stock) {
		copyFile(t, path, filepath.Join(pkg, "stock_"+filepath.Base(path)))
	}
	args := []string{"test", "-count=1"}
	if testing.Verbose() {
		args = append(args, "-v")
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = pkg
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the stock tier's contract tests fail on the tuned tier: %v\n%s", err, out)
	}
	t.Logf("%s", lastLines(string(out), 3))
}

func stockTestPaths(stock string) []string {
	var paths []string
	for _, name := range stockContractTests {
		paths = append(paths, filepath.Join(stock, name))
	}
	return paths
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
