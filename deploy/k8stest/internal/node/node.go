// Package node is a one-machine stand-in for what a Kubernetes node does
// with a pod the API server admitted: it runs each container with runc
// from an image loaded without a registry, as the pod spec says (command
// and arguments, environment with its secret and config map references,
// user and groups, read-only root, capabilities, no new privileges, the
// container runtime's default seccomp profile, memory and CPU limits,
// volumes of config maps and secrets, the termination-message file), runs
// its probes as the kubelet does (gRPC health, HTTP GET, TCP; start-up,
// readiness, liveness, with their periods and thresholds, restarting a
// container that fails them), and stops it as the kubelet does (preStop
// hook, SIGTERM, SIGKILL at the end of the grace period). It also stands in
// for the job controller, so that Helm's hook Jobs run.
//
// What it does not do, it refuses: a pod field it does not implement is an
// error, never silently dropped. Two things differ from a cluster, both
// because this is one machine with no network plugin: every pod runs in
// the node's network namespace (host networking), and a Service's names
// resolve to 127.0.0.1, where the one pod behind it listens on the
// Service's port (the role of cluster DNS and kube-proxy). Scheduling
// fields (affinity, node selector, tolerations) are the scheduler's and
// are left to it.
package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
)

// Options configure a node.
type Options struct {
	// Name is the node's name (spec.nodeName of the pods it runs).
	Name string
	// Dir holds the node's state: runc's, the bundles and the logs. A
	// container left in it by an earlier run that died is removed by New.
	Dir string
	// Runc is the runc binary.
	Runc string
	// Images are the images the node has.
	Images *Images
	// Client reads the Secrets, ConfigMaps and Services pods refer to, and
	// writes what the job controller would.
	Client kubernetes.Interface
	// Logf receives what the node does (pods started, probes failing,
	// containers restarted).
	Logf func(format string, args ...any)
}

// Node runs pods.
type Node struct {
	Options
	runcRoot string
	cgroup   string
	seq      atomic.Int64

	mu    sync.Mutex
	pods  map[*Pod]bool
	hosts []string // "127.0.0.1 name name.ns …" lines
}

// New prepares a node, removing what an earlier run on Dir left behind.
func New(o Options) (*Node, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if _, err := exec.LookPath(o.Runc); err != nil {
		return nil, fmt.Errorf("node: runc: %w", err)
	}
	n := &Node{Options: o, runcRoot: filepath.Join(o.Dir, "runc"), cgroup: "/gongjian-k8stest", pods: map[*Pod]bool{}}
	if err := os.MkdirAll(n.runcRoot, 0o700); err != nil {
		return nil, err
	}
	if left, err := n.Containers(); err == nil && len(left) > 0 {
		o.Logf("node: removing %d containers an earlier run left: %s", len(left), strings.Join(left, ", "))
	}
	if err := n.removeAll(); err != nil {
		return nil, err
	}
	return n, nil
}

// podsDir holds a directory per pod: its containers' root file systems,
// bundles, volumes and logs.
func (n *Node) podsDir() string { return filepath.Join(n.Dir, "pods") }

// SetHosts makes each name resolve to 127.0.0.1 in the pods started from
// now on: the Services' names, as cluster DNS would answer them, pointing
// where their pods listen on the node's network.
func (n *Node) SetHosts(names []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hosts = nil
	if len(names) > 0 {
		n.hosts = []string{"127.0.0.1\t" + strings.Join(names, " ")}
	}
}

// Containers lists the containers runc runs for this node.
func (n *Node) Containers() ([]string, error) {
	out, err := exec.Command(n.Runc, "--root", n.runcRoot, "list", "-q").Output()
	if err != nil {
		return nil, fmt.Errorf("runc list: %w", err)
	}
	return strings.Fields(string(out)), nil
}

// Shutdown stops every pod still running, each with its grace period,
// and removes whatever container is left.
func (n *Node) Shutdown() error {
	n.mu.Lock()
	var pods []*Pod
	for p := range n.pods {
		pods = append(pods, p)
	}
	n.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range pods {
		wg.Go(func() { p.Delete(nil) })
	}
	wg.Wait()
	return n.removeAll()
}

// removeAll force-removes every container in the node's runc state and
// the cgroups they used.
func (n *Node) removeAll() error {
	ids, err := n.Containers()
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if out, err := exec.Command(n.Runc, "--root", n.runcRoot, "delete", "--force", id).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("runc delete %s: %v: %s", id, err, out))
		}
	}
	// runc removes each container's cgroup; the node's parent cgroup, now
	// empty, goes too, and so do the pods' files.
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", n.cgroup))
	for _, d := range dirs {
		_ = os.Remove(d)
	}
	if err := os.RemoveAll(n.podsDir()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (n *Node) add(p *Pod) {
	n.mu.Lock()
	n.pods[p] = true
	n.mu.Unlock()
}

func (n *Node) remove(p *Pod) {
	n.mu.Lock()
	delete(n.pods, p)
	n.mu.Unlock()
}

func (n *Node) hostLines() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.hosts...)
}

// sleepCtx sleeps for d or until ctx ends, and says whether it slept.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
