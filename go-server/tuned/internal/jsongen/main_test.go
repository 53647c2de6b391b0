package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generateArgs reads the jsongen arguments from the //go:generate line of the server's
// handlers.go, the one place they are written.
func generateArgs(t *testing.T) (out string, types, files []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "handlers.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		args, ok := strings.CutPrefix(scanner.Text(), "//go:generate go run ./internal/jsongen ")
		if !ok {
			continue
		}
		fields := strings.Fields(args)
		for i := 0; i < len(fields); i++ {
			switch fields[i] {
			case "-o":
				i++
				out = fields[i]
			case "-types":
				i++
				types = strings.Split(fields[i], ",")
			default:
				files = append(files, fields[i])
			}
		}
		return out, types, files
	}
	t.Fatal("no //go:generate line for jsongen in handlers.go")
	return
}

// The committed output is what the generator writes from today's sources: nobody edited it by
// hand, and nobody changed a struct without `go generate`.
func TestGeneratedFileIsUpToDate(t *testing.T) {
	out, types, files := generateArgs(t)
	wd, _ := os.Getwd()
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	code, err := generate(files, types)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(code) != string(committed) {
		t.Errorf("%s is not what jsongen writes from %s: run `go generate` in go-server/tuned", out, strings.Join(files, ", "))
	}
}

func generateFrom(t *testing.T, source string, types ...string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "types.go")
	if err := os.WriteFile(path, []byte("package p\n\n"+source), 0o644); err != nil {
		t.Fatal(err)
	}
	code, err := generate([]string{path}, types)
	return string(code), err
}

func TestFlattensEmbeddedStructsAndSkipsWhatMarshalSkips(t *testing.T) {
	code, err := generateFrom(t, "type inner struct { A int `json:\"a\"` }\n"+
		"type outer struct {\n inner\n B string\n c int\n D bool `json:\"-\"`\n E *string `json:\"e\"`\n F []string `json:\"f\"`\n}\n", "outer")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`{\"a\":`", "int64(v.inner.A)", "`,\"B\":`", "appendString(b, v.B)",
		"appendStringPointer(b, v.E)", "appendStrings(b, v.F)"} {
		if !strings.Contains(code, want) {
			t.Errorf("output lacks %s:\n%s", want, code)
		}
	}
	if strings.Contains(code, "v.c") || strings.Contains(code, "v.D") {
		t.Errorf("output writes an unexported or `json:\"-\"` field:\n%s", code)
	}
}

func TestRefusesWhatItCannotWriteAsMarshalDoes(t *testing.T) {
	for _, source := range []string{
		"type t struct { A int `json:\"a,omitempty\"` }",
		"type t struct { A float64 }",
		"type t struct { A map[string]int }",
		"type t struct { A int `json:\"x\"`; B int `json:\"x\"` }",
		"type t struct { other }",
	} {
		if code, err := generateFrom(t, source, "t"); err == nil {
			t.Errorf("%s: no error; wrote\n%s", source, code)
		}
	}
	if _, err := generateFrom(t, "type t struct{}", "missing"); err == nil {
		t.Error("a missing type: no error")
	}
}
