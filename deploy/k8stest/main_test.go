package k8stest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongjian.dev/deploy/k8stest/internal/controlplane"
	"gongjian.dev/deploy/k8stest/internal/netns"
	"gongjian.dev/deploy/k8stest/internal/node"
)

// env is what the test is given by `make k8s-test`.
type env struct {
	apiServer, etcd, helm, runc string
	images                      string // the docker-archive tarballs of `make images`
	state                       string // the node's state, kept between runs so a crashed run's containers are found
	chart, productionValues     string
}

func readEnv() (env, error) {
	e := env{
		apiServer:        os.Getenv("KUBE_APISERVER"),
		helm:             os.Getenv("HELM"),
		images:           os.Getenv("IMAGES_DIR"),
		state:            os.Getenv("K8STEST_STATE"),
		etcd:             or(os.Getenv("ETCD"), "etcd"),
		runc:             or(os.Getenv("RUNC"), "runc"),
		chart:            filepath.Join("..", "..", "charts", "gongjian"),
		productionValues: filepath.Join("..", "chart", "testdata", "production.yaml"),
	}
	if e.apiServer == "" || e.helm == "" || e.images == "" || e.state == "" {
		return e, fmt.Errorf("KUBE_APISERVER, HELM, IMAGES_DIR and K8STEST_STATE must be set: run `make k8s-test`, which builds the API server, Helm and the images first")
	}
	for _, bin := range []*string{&e.etcd, &e.runc} {
		path, err := exec.LookPath(*bin)
		if err != nil {
			return e, fmt.Errorf("%s: %w (deploy/k8stest/install-deps.sh installs etcd and runc)", *bin, err)
		}
		*bin = path
	}
	return e, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// The fixed parts of the run: the ports of the control plane on the
// node's loopback (a network namespace of the test's own, so nothing
// else on the machine can collide), and the namespaces of the releases.
const (
	etcdClientPort = 62379
	etcdPeerPort   = 62380
	apiServerPort  = 62443
)

// suite holds what TestMain started for the tests.
var suite struct {
	env env
	cp  *controlplane.ControlPlane
	dir string
}

// TestMain runs the tests inside a network namespace of their own (the
// node), starts the control plane once, and afterwards checks that
// nothing the run started is left: no container, no etcd, no API server.
func TestMain(m *testing.M) {
	if !netns.Inside() {
		code, err := netns.Rerun()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(code)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if err := netns.LoopbackUp(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	e, err := readEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8stest:", err)
		return 1
	}
	suite.env = e
	dir, err := os.MkdirTemp("", "gongjian-k8stest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	suite.dir = dir
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()
	cpDir := filepath.Join(dir, "controlplane")
	if err := os.MkdirAll(cpDir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fmt.Printf("k8stest: starting etcd (%s) and kube-apiserver (%s) on 127.0.0.1 in the node's network namespace\n", e.etcd, e.apiServer)
	cp, err := controlplane.Start(ctx, controlplane.Options{
		Dir: cpDir, APIServer: e.apiServer, Etcd: e.etcd,
		EtcdClientPort: etcdClientPort, EtcdPeerPort: etcdPeerPort, APIServerPort: apiServerPort,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8stest:", err)
		return 1
	}
	suite.cp = cp
	fmt.Printf("k8stest: API server %s ready at %s after %s\n", cp.Version, cp.URL, cp.Started.Round(100*time.Millisecond))

	code := m.Run()

	if killed := cp.Stop(30 * time.Second); len(killed) > 0 {
		fmt.Printf("k8stest: %s did not stop within 30s of SIGTERM: killed\n", strings.Join(killed, " and "))
	}
	if left := leftRunning(e); left != "" {
		fmt.Fprintln(os.Stderr, "k8stest: left running:", left)
		code = 1
	} else {
		fmt.Println("k8stest: left running: nothing (no process in the node's network namespace but the test, no container in its runc state)")
	}
	if code != 0 {
		keep = true
		fmt.Fprintln(os.Stderr, "k8stest: logs kept in", dir)
	}
	return code
}

// leftRunning says what of the run is still alive: a container in the
// node's runc state, or any process but this one in the node's network
// namespace (etcd, the API server, PostgreSQL, runc, a container: all that
// the run started lives there, and nothing else does).
func leftRunning(e env) string {
	var left []string
	out, err := exec.Command(e.runc, "--root", filepath.Join(e.state, "runc"), "list", "-q").Output()
	if err != nil {
		left = append(left, "runc list: "+err.Error())
	} else if ids := strings.Fields(string(out)); len(ids) > 0 {
		left = append(left, "containers "+strings.Join(ids, ", "))
	}
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return err.Error()
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, _ := strconv.Atoi(filepath.Base(p))
		if pid == os.Getpid() {
			continue
		}
		if ns, err := os.Readlink(filepath.Join(p, "ns", "net")); err == nil && ns == self {
			cmd, _ := os.ReadFile(filepath.Join(p, "cmdline"))
			left = append(left, fmt.Sprintf("pid %d %s", pid, strings.ReplaceAll(strings.TrimSpace(string(cmd)), "\x00", " ")))
		}
	}
	return strings.Join(left, "; ")
}

// newNode makes the node of a test.
func newNode(t *testing.T, images *node.Images) *node.Node {
	t.Helper()
	n, err := node.New(node.Options{
		Name: "k8stest-node", Dir: suite.env.state, Runc: suite.env.runc, Images: images,
		Client: clientset(t), Logf: func(format string, args ...any) { t.Logf(format, args...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Shutdown(); err != nil {
			t.Errorf("stopping the node: %v", err)
		}
		if left, err := n.Containers(); err != nil || len(left) > 0 {
			t.Errorf("containers left after the node stopped: %v %v", left, err)
		}
	})
	return n
}
