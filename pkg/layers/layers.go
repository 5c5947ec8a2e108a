// Package layers checks the import rules of the services' layers, so that
// the build, not good intentions, keeps them:
//
//   - a domain package (every package under services/<name>/internal/ but
//     the adapters named in Adapters) depends on no database driver, no
//     gRPC, no protobuf, no NATS and no generated API package — neither
//     itself nor through any package of this repository it imports;
//   - transport (grpcapi) does not reach into the store, itself or through
//     another package of the repository.
//
// Third-party libraries are judged by what they are, not by what they
// import: a rule engine (cel-go) is domain-level even though it is built on
// protobuf.
package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// Module is the repository's module prefix.
const Module = "gongjian.dev/"

// Adapters are the package names under a service's internal/ that are not
// its domain: transport (the REST gateway is all transport), storage,
// event and wiring adapters.
var Adapters = []string{"grpcapi", "store", "pbconv", "wiring", "events", "orgview", "bench", "idcrypt", "gateway"}

// Forbidden are the import path prefixes a domain package may not reach.
var Forbidden = []string{
	"github.com/jackc/pgx",
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"google.golang.org/genproto",
	"github.com/nats-io",
	Module + "proto/",
}

// Package is one package as `go list -json` describes it.
type Package struct {
	ImportPath string
	Imports    []string
}

// Load lists every package of the workspace in dir (its non-test imports).
func Load(dir string) (map[string]Package, error) {
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports", Module+"...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, fmt.Errorf("go list: %w: %s", err, exit.Stderr)
		}
		return nil, fmt.Errorf("go list: %w", err)
	}
	pkgs := map[string]Package{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p Package
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs, nil
}

// Violation is a broken rule: the chain of imports from the package that
// may not reach the last one.
type Violation struct {
	Rule  string
	Chain []string
}

func (v Violation) String() string { return v.Rule + ": " + strings.Join(v.Chain, " → ") }

// Check returns every broken rule, in a stable order.
func Check(pkgs map[string]Package) []Violation {
	var out []Violation
	for _, path := range sortedKeys(pkgs) {
		switch layer := Layer(path); layer {
		case "domain":
			if chain := reach(pkgs, path, isForbidden); chain != nil {
				out = append(out, Violation{Rule: "a domain package depends on no driver, transport or generated API", Chain: chain})
			}
		case "grpcapi":
			if chain := reach(pkgs, path, func(p string) bool { return Layer(p) == "store" }); chain != nil {
				out = append(out, Violation{Rule: "transport does not reach into the store", Chain: chain})
			}
		}
	}
	return out
}

// Layer is the layer of a package of a service: "domain", the adapter's
// name, or "" for anything else (pkg, proto, commands, tools).
func Layer(path string) string {
	rest, ok := strings.CutPrefix(path, Module+"services/")
	if !ok {
		return ""
	}
	_, inside, ok := strings.Cut(rest, "/internal/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(inside, "/")
	if slices.Contains(Adapters, name) {
		return name
	}
	return "domain"
}

func isForbidden(path string) bool {
	for _, f := range Forbidden {
		if path == strings.TrimSuffix(f, "/") || strings.HasPrefix(path, f) {
			return true
		}
	}
	return false
}

// reach finds a chain of imports from start to a package bad accepts,
// following only the repository's own packages (a third-party library's
// imports are its own business).
func reach(pkgs map[string]Package, start string, bad func(string) bool) []string {
	prev := map[string]string{start: ""}
	queue := []string{start}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range pkgs[p].Imports {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = p
			if bad(imp) {
				var chain []string
				for q := imp; q != ""; q = prev[q] {
					chain = append([]string{q}, chain...)
				}
				return chain
			}
			if strings.HasPrefix(imp, Module) {
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]Package) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
