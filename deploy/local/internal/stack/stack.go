// Package stack knows what the local system is made of: the repository it is
// built from, its services with their addresses, how to build them and the
// environment each is started with. The launcher and the demo's end-to-end
// test both start services through it, so they start them the same way.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Service is one gRPC service of the system.
type Service struct {
	// Name is the service and its binary's name.
	Name string
	// Package is the main package, relative to the repository root.
	Package string
	// AddrEnv is the launcher's variable that overrides Addr.
	AddrEnv string
	// Addr is the default gRPC listen address.
	Addr string
	// GatewayEnv is the gateway's variable that tells it where the service is.
	GatewayEnv string
}

// Services lists the services in start order. A service whose main package
// is not in the tree yet is skipped by Present, so a new service is one line
// here and runs as soon as its code lands.
var Services = []Service{
	{"organisation", "./services/organisation/cmd/organisation", "ORGANISATION_GRPC_ADDR", "127.0.0.1:9101", "ORGANISATION_ADDR"},
	{"member", "./services/member/cmd/member", "MEMBER_GRPC_ADDR", "127.0.0.1:9102", "MEMBER_ADDR"},
	{"cobuilding", "./services/cobuilding/cmd/cobuilding", "COBUILDING_GRPC_ADDR", "127.0.0.1:9103", "COBUILDING_ADDR"},
	{"supervision", "./services/supervision/cmd/supervision", "SUPERVISION_GRPC_ADDR", "127.0.0.1:9104", "SUPERVISION_ADDR"},
}

// Env is the environment the service runs with, as its Kubernetes pod would
// have it, except that it migrates its schema itself (there is no Job here)
// and trusts the tokens of the development issuer whose public keys are in
// keysFile.
// peers are the other services' addresses by their GatewayEnv names
// (MEMBER_ADDR…), which a service that calls another reads too.
func (s Service) Env(addr, databaseURL, natsURL, keysFile string, peers map[string]string) []string {
	env := map[string]string{
		"GRPC_ADDR":      addr,
		"DATABASE_URL":   databaseURL,
		"NATS_URL":       natsURL,
		"MIGRATE":        "true",
		"AUTH_KEYS_FILE": keysFile,
	}
	for k, v := range peers {
		if k != s.GatewayEnv {
			env[k] = v
		}
	}
	return Environ(env)
}

// Peers are the services' addresses by their GatewayEnv names, for Env.
func Peers(services []Service, addrs map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range services {
		out[s.GatewayEnv] = addrs[s.Name]
	}
	return out
}

// Gateway is the REST front's main package; it is started after the services.
const Gateway = "./services/gateway/cmd/gateway"

// Present splits services into those whose main package exists under root
// and those still missing.
func Present(root string, services []Service) (present, missing []Service) {
	for _, s := range services {
		if isDir(filepath.Join(root, s.Package)) {
			present = append(present, s)
		} else {
			missing = append(missing, s)
		}
	}
	return present, missing
}

// RepoRoot walks up from dir to the directory holding go.work.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work in this directory or any above it: run from inside the repository")
		}
		dir = parent
	}
}

// Build compiles the given main packages into binDir with one go build, so
// that packages shared between them compile once. Its output goes to out.
func Build(ctx context.Context, root, binDir string, out io.Writer, packages ...string) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	args := append([]string{"build", "-o", binDir + string(filepath.Separator)}, packages...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, out, out
	// The workspace ties the modules together; insist on it even when the
	// caller's environment turned it off.
	cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"))
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Binary is where Build puts the binary of a main package.
func Binary(binDir, pkg string) string {
	return filepath.Join(binDir, filepath.Base(pkg))
}

// passedNames are the variables of the launcher's environment a service
// inherits; everything else it gets is set explicitly.
var passedNames = []string{
	"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "LOG_LEVEL", "SHUTDOWN_TIMEOUT",
	"GOMAXPROCS", "GOMEMLIMIT", "GOGC", "GODEBUG", "GOTRACEBACK",
}

// Environ builds a child's environment: the passed-through variables of the
// launcher's environment, the OpenTelemetry ones (OTEL_*), then set, which
// wins over both.
func Environ(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, overridden := set[name]; overridden {
			continue
		}
		if strings.HasPrefix(name, "OTEL_") || slices.Contains(passedNames, name) {
			env = append(env, kv)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		env = append(env, name+"="+set[name])
	}
	return env
}

// CheckFree fails when something already listens on addr, naming the
// variable that moves it.
func CheckFree(addr, variable string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s is taken (%v): is the system already running? Set %s to use another address", addr, err, variable)
	}
	return l.Close()
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}
