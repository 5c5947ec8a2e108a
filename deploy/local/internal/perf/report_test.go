package perf

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTheReportHasOneLinePerRowAndTheSameRowsAsJSON(t *testing.T) {
	t.Parallel()
	ceiling := Row{Name: "grpc health", PerSecond: 12345.6, P50ms: 0.8, P99ms: 3.25}
	rows := []Row{ceiling, Row{Name: "GetMember grpc", PerSecond: 6000, P50ms: 1.5, P99ms: 12.5, ClientCPUShare: 0.31, Note: "16 clients"}.Against(ceiling)}
	if got := rows[1].Ratio; got < 0.486 || got > 0.487 {
		t.Fatalf("ratio %v, want 6000/12345.6", got)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(table.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want a header, two rows and a note:\n%s", len(lines), table.String())
	}
	for _, want := range []string{"GetMember grpc", "6,000", "1.50", "12.5", "grpc health", "12,346", "0.49", "31%"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("row %q lacks %q", lines[2], want)
		}
	}
	if !strings.Contains(lines[3], "16 clients") {
		t.Errorf("note line %q", lines[3])
	}

	path := filepath.Join(t.TempDir(), "sub", "perf.json")
	if err := WriteJSON(path, rows); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fields []map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"name", "per_second", "p50_ms", "p99_ms", "ceiling_name", "ceiling_per_second", "ratio"} {
		if _, ok := fields[0][name]; !ok {
			t.Errorf("the JSON of a ceiling lacks %q: %s", name, b)
		}
	}
	var back []Row
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rows, back); diff != "" {
		t.Errorf("rows read back (-want +got):\n%s", diff)
	}
}
