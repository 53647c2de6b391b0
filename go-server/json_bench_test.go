package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// The JSON microbenchmarks of contract/README.md: each payload of contract/payloads parsed into
// the server's structs (message; order with its items, by the server's own parseOrder) and
// those structs serialised back to compact JSON with json.Marshal.
//
//	go test -run '^$' -bench BenchmarkJSON -benchmem      # BenchmarkJSON/order-10/parse, ...
//
// TestWriteMicrobenchReport runs the same bodies through testing.Benchmark and writes them in
// the shape hellobench-microbench/1 when HELLOBENCH_MICROBENCH_OUT names a file.

// jsonPayloads are the payload names, in the order of the report's rows.
var jsonPayloads = []string{"message", "order-10", "order-100"}

// jsonBenchmark is one row of the report: a payload and an operation with its benchmark body.
type jsonBenchmark struct {
	payload, operation string
	run                func(b *testing.B)
}

func readPayload(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(contractDir, "payloads", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// jsonBenchmarks reads the payloads and returns the parse and serialise benchmark of each.
func jsonBenchmarks(tb testing.TB) []jsonBenchmark {
	tb.Helper()
	var benchmarks []jsonBenchmark
	for _, name := range jsonPayloads {
		data := readPayload(tb, name)
		var parsed any // what serialise starts from: the payload parsed as the server does
		var parse func(b *testing.B)
		if name == "message" {
			var m message
			if err := json.Unmarshal(data, &m); err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			parsed, parse = &m, benchmarkParseMessage(data)
		} else {
			o, err := parseOrder(data)
			if err != nil || !o.valid() {
				tb.Fatalf("%s: %v (valid: %v)", name, err, o.valid())
			}
			parsed, parse = &o, benchmarkParseOrder(data)
		}
		benchmarks = append(benchmarks,
			jsonBenchmark{name, "parse", parse},
			jsonBenchmark{name, "serialise", benchmarkSerialise(parsed, data)})
	}
	return benchmarks
}

func benchmarkParseMessage(data []byte) func(b *testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m message
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchmarkParseOrder(data []byte) func(b *testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseOrder(data); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchmarkSerialise marshals v, which must give back the compact payload want.
func benchmarkSerialise(v any, want []byte) func(b *testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		var out []byte
		var err error
		for b.Loop() {
			out, err = json.Marshal(v)
		}
		if err != nil || !bytes.Equal(out, want) {
			b.Fatalf("json.Marshal = %.80s, %v; want %.80s", out, err, want)
		}
	}
}

func BenchmarkJSON(b *testing.B) {
	benchmarks := jsonBenchmarks(b)
	for _, payload := range jsonPayloads {
		b.Run(payload, func(b *testing.B) {
			for _, bm := range benchmarks {
				if bm.payload == payload {
					b.Run(bm.operation, bm.run)
				}
			}
		})
	}
}

// TestJSONPayloadsSerialiseBackToTheirBytes checks what the serialise benchmarks produce: the
// payload files are compact JSON in the structs' field order.
func TestJSONPayloadsSerialiseBackToTheirBytes(t *testing.T) {
	for _, name := range jsonPayloads {
		data := readPayload(t, name)
		var out []byte
		if name == "message" {
			var m message
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			out, _ = json.Marshal(&m)
		} else {
			o, err := parseOrder(data)
			if err != nil {
				t.Fatal(err)
			}
			out, _ = json.Marshal(&o)
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s: serialised as %.100s\nwant %.100s", name, out, data)
		}
	}
}

// microbenchOutEnv names the file TestWriteMicrobenchReport writes; unset, the test is skipped.
const microbenchOutEnv = "HELLOBENCH_MICROBENCH_OUT"

// microbenchReport is the file shape of contract/README.md ("JSON microbenchmarks").
type microbenchReport struct {
	Schema      string          `json:"schema"`
	Language    string          `json:"language"`
	Harness     string          `json:"harness"`
	Toolchain   string          `json:"toolchain"`
	JSONLibrary string          `json:"json_library"`
	Rows        []microbenchRow `json:"rows"`
}

type microbenchRow struct {
	Payload        string    `json:"payload"`
	Operation      string    `json:"operation"`
	NsPerOp        float64   `json:"ns_per_op"`
	SamplesNsPerOp []float64 `json:"samples_ns_per_op"`
	BytesPerOp     int64     `json:"bytes_per_op"`
	AllocsPerOp    int64     `json:"allocs_per_op"`
	Iterations     int       `json:"iterations"`
}

// microbenchSamples is how many times TestWriteMicrobenchReport measures each row: each
// measurement is one sample of samples_ns_per_op.
const microbenchSamples = 10

// roundTenth rounds ns to 0.1 ns, the precision of the report.
func roundTenth(ns float64) float64 { return math.Round(ns*10) / 10 }

// median is the middle sample, or the mean of the middle two (as the orchestrator computes it).
func median(samples []float64) float64 {
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// TestWriteMicrobenchReport measures every JSON microbenchmark microbenchSamples times, each
// time through its own testing.Benchmark of -benchtime (1 s by default), and writes the report
// to $HELLOBENCH_MICROBENCH_OUT atomically. The measurements go in rounds (round k measures
// every row once), so each row's samples are spread over the whole run rather than taken back
// to back. Per row: samples_ns_per_op (one ns/op per measurement), ns_per_op (their median),
// bytes and allocations per op over all its measurements together, iterations (their total).
// Run it with -count=1: a cached pass would not write the file.
func TestWriteMicrobenchReport(t *testing.T) {
	out := os.Getenv(microbenchOutEnv)
	if out == "" {
		t.Skip(microbenchOutEnv + " is not set")
	}
	report := microbenchReport{
		Schema:      "hellobench-microbench/1",
		Language:    "go",
		Harness:     "testing.B",
		Toolchain:   runtime.Version(),
		JSONLibrary: "encoding/json",
	}
	benchmarks := jsonBenchmarks(t)
	samples := make([][]float64, len(benchmarks))
	iterations := make([]uint64, len(benchmarks))
	allocs := make([]uint64, len(benchmarks))
	allocBytes := make([]uint64, len(benchmarks))
	for round := 0; round < microbenchSamples; round++ {
		for i, bm := range benchmarks {
			result := testing.Benchmark(bm.run)
			if result.N == 0 {
				t.Fatalf("%s/%s: the benchmark failed", bm.payload, bm.operation)
			}
			samples[i] = append(samples[i],
				roundTenth(float64(result.T.Nanoseconds())/float64(result.N)))
			iterations[i] += uint64(result.N)
			allocs[i] += result.MemAllocs
			allocBytes[i] += result.MemBytes
		}
	}
	for i, bm := range benchmarks {
		row := microbenchRow{
			Payload:        bm.payload,
			Operation:      bm.operation,
			NsPerOp:        roundTenth(median(samples[i])),
			SamplesNsPerOp: samples[i],
			// As testing.BenchmarkResult's AllocsPerOp and AllocedBytesPerOp, over every sample.
			BytesPerOp:  int64(allocBytes[i] / iterations[i]),
			AllocsPerOp: int64(allocs[i] / iterations[i]),
			Iterations:  int(iterations[i]),
		}
		report.Rows = append(report.Rows, row)
		t.Logf("%s/%s: median %.1f ns/op (%.1f..%.1f over %d samples), %d B/op, %d allocs/op",
			bm.payload, bm.operation, row.NsPerOp, slices.Min(samples[i]), slices.Max(samples[i]),
			len(samples[i]), row.BytesPerOp, row.AllocsPerOp)
	}
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomically(out, append(data, '\n')); err != nil {
		t.Fatal(err)
	}
}

func TestMedianOfSamples(t *testing.T) {
	for _, c := range []struct {
		samples []float64
		want    float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.samples); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.samples, got, c.want)
		}
	}
	samples := []float64{2, 1}
	median(samples)
	if samples[0] != 2 {
		t.Errorf("median sorted its argument: %v", samples)
	}
}

// writeFileAtomically writes a temporary file beside path and renames it over path, so a reader
// sees the old file or the whole new one.
func writeFileAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func TestWriteFileAtomicallyReplacesTheFileAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "go.json")
	for _, content := range []string{"first\n", "second\n"} {
		if err := writeFileAtomically(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != content {
			t.Errorf("read back %q, %v; want %q", got, err, content)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the folder, want only the file", len(entries))
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", info.Mode(), err)
	}
}
