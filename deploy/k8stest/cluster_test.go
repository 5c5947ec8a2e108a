package k8stest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// restConfig is the admin's view of the API server.
func restConfig() *rest.Config {
	return &rest.Config{
		Host:            suite.cp.URL,
		BearerToken:     suite.cp.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: suite.cp.CA},
		QPS:             100, Burst: 200,
		// Warnings (an unknown field dropped, a deprecated API, a Pod
		// Security violation of a workload) are errors here: see strictCreate.
		WarningHandler: rest.NoWarnings{},
	}
}

func clientset(t *testing.T) *kubernetes.Clientset {
	t.Helper()
	c, err := kubernetes.NewForConfig(restConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cluster is the admin's clients of the API server.
type cluster struct {
	kube    *kubernetes.Clientset
	dyn     *dynamic.DynamicClient
	mapper  meta.RESTMapper
	helmEnv []string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	cfg := restConfig()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	return &cluster{
		kube: clientset(t), dyn: dyn,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
		// Helm with nothing of the machine's: its own kubeconfig and homes.
		helmEnv: append(os.Environ(), "KUBECONFIG="+suite.cp.Kubeconfig, "HELM_CACHE_HOME="+filepath.Join(home, "cache"),
			"HELM_CONFIG_HOME="+filepath.Join(home, "config"), "HELM_DATA_HOME="+filepath.Join(home, "data")),
	}
}

// helm runs the pinned Helm against the API server and returns its
// standard output; its standard error is returned apart, since the API
// server's warnings land there.
func (c *cluster) helm(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, suite.env.helm, args...)
	cmd.Env = c.helmEnv
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, errb.String(), out.String())
	}
	return out.String(), errb.String(), err
}

// release is one installation of the chart.
type release struct {
	name, namespace string
	valuesFiles     []string
	set             []string // --set-json values, "path=json"
}

func (r release) valueArgs() []string {
	var args []string
	for _, f := range r.valuesFiles {
		args = append(args, "-f", f)
	}
	for _, s := range r.set {
		args = append(args, "--set-json", s)
	}
	return args
}

// render renders the release as Helm would install it on this API
// server: its objects, hooks included, each as an unstructured object.
func (c *cluster) render(t *testing.T, ctx context.Context, r release) []*unstructured.Unstructured {
	t.Helper()
	args := append([]string{"template", r.name, suite.env.chart, "-n", r.namespace, "--kube-version", suite.cp.Version}, r.valueArgs()...)
	out, _, err := c.helm(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeAll(out)
	if err != nil {
		t.Fatalf("helm template %s: %v", r.name, err)
	}
	return objs
}

// decodeAll splits a YAML stream into objects, skipping empty documents.
func decodeAll(stream string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for doc := range strings.SplitSeq(stream, "\n---") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return nil, fmt.Errorf("%w\n%s", err, doc)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return objs, nil
}

// resource finds the API resource of an object.
func (c *cluster) resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: the API server does not serve it: %w", gvk, u.GetName(), err)
	}
	ri := c.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return ri.Namespace(u.GetNamespace()), m, nil
	}
	return ri, m, nil
}

// strictCreate asks the API server to create obj in namespace as a dry
// run with strict field validation: an unknown or duplicate field is an
// error, in the server's own words, and so is any warning it gives.
func (c *cluster) strictCreate(ctx context.Context, namespace string, obj *unstructured.Unstructured) error {
	u := obj.DeepCopy()
	u.SetNamespace(namespace)
	_, m, err := c.resource(u)
	if err != nil {
		return err
	}
	var warnings []string
	cfg := restConfig()
	cfg.WarningHandler = warningCollector(func(msg string) { warnings = append(warnings, msg) })
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = dyn.Resource(m.Resource).Namespace(namespace)
	}
	_, err = ri.Create(ctx, u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict})
	if err != nil {
		return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
	}
	if len(warnings) > 0 {
		return fmt.Errorf("%s %s: the API server warns: %s", u.GetKind(), u.GetName(), strings.Join(warnings, "; "))
	}
	return nil
}

type warningCollector func(string)

func (w warningCollector) HandleWarningHeader(code int, agent, msg string) {
	if code == 299 && msg != "" {
		w(msg)
	}
}

// get reads obj back from the API server.
func (c *cluster) get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, _, err := c.resource(obj)
	if err != nil {
		return nil, err
	}
	return ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
}

// createNamespace makes a namespace that enforces the restricted Pod
// Security Standard, with the default ServiceAccount the controller
// manager's service-account controller would create in it (pods that
// name no account use it).
func (c *cluster) createNamespace(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
		"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted",
	}}}
	if _, err := c.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := c.kube.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// deleteNamespace deletes a namespace's objects of the kinds the chart
// makes and the namespace. Without a controller manager the namespace
// itself stays Terminating; it is the objects that matter.
func (c *cluster) deleteNamespace(ctx context.Context, name string) {
	_ = c.kube.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
}

// objectKey names an object for lists and messages.
func objectKey(u *unstructured.Unstructured) string {
	return u.GetKind() + "/" + u.GetName()
}

// isHook says whether Helm installs the object as a hook.
func isHook(u *unstructured.Unstructured) bool {
	_, ok := u.GetAnnotations()["helm.sh/hook"]
	return ok
}

// convert turns an unstructured object into its typed form.
func convert[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true); err != nil {
		t.Fatalf("%s: %v", objectKey(u), err)
	}
	return out
}

// waitFor polls cond until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last: %s", what, limit, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// kinds of a set of objects, counted, for the log.
func kindCounts(objs []*unstructured.Unstructured) string {
	counts := map[string]int{}
	for _, o := range objs {
		counts[o.GetKind()]++
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
