package layers

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRepositoryKeepsItsLayers runs the check over every package of the
// workspace: a domain package that imports pgx, or a handler that reaches
// the store, fails `make test`.
func TestRepositoryKeepsItsLayers(t *testing.T) {
	pkgs, err := Load(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	domains := 0
	for path := range pkgs {
		if Layer(path) == "domain" {
			domains++
		}
	}
	if domains < 2 {
		t.Fatalf("found %d domain packages; the check is not looking at the services", domains)
	}
	for _, v := range Check(pkgs) {
		t.Error(v)
	}
}

func TestCheckFindsEveryKindOfBreach(t *testing.T) {
	const svc = Module + "services/x/internal/"
	pkgs := map[string]Package{
		svc + "thing":        {ImportPath: svc + "thing", Imports: []string{"context", Module + "pkg/audit"}},
		Module + "pkg/audit": {ImportPath: Module + "pkg/audit", Imports: []string{"github.com/jackc/pgx/v5"}},
		svc + "rules":        {ImportPath: svc + "rules", Imports: []string{"cel.dev/cel-go/cel"}},
		svc + "grpcapi":      {ImportPath: svc + "grpcapi", Imports: []string{svc + "thing", svc + "helper"}},
		svc + "helper":       {ImportPath: svc + "helper", Imports: []string{svc + "store"}},
		svc + "store":        {ImportPath: svc + "store", Imports: []string{"github.com/jackc/pgx/v5"}},
	}
	var got [][]string
	for _, v := range Check(pkgs) {
		got = append(got, v.Chain)
	}
	want := [][]string{
		{svc + "grpcapi", svc + "helper", svc + "store"},
		{svc + "helper", svc + "store", "github.com/jackc/pgx/v5"},
		{svc + "thing", Module + "pkg/audit", "github.com/jackc/pgx/v5"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("violations %v, want %v", got, want)
	}
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test")
		}
		dir = parent
	}
}
