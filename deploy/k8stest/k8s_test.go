package k8stest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	"gongjian.dev/deploy/k8stest/internal/node"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/pgcluster"
)

// TestTheChartOnKubernetes installs the chart with Helm on a real API
// server and runs what it describes:
//
//   - every object of every rendering (default values, production values,
//     the upgrade's values) is created as a dry run with strict field
//     validation, so an unknown or misspelt field fails with the API
//     server's own message;
//   - the default values (pointed at this node's NATS and token issuer) are
//     installed with Helm; its pre-install hook Jobs are run by the node
//     from the images, as the job controller and a kubelet would, and apply
//     the migrations to a real PostgreSQL; every object is read back;
//   - the RBAC, NetworkPolicies, PodDisruptionBudgets and probes are what
//     the README promises, judged on the admitted objects and, for RBAC, by
//     the API server itself;
//   - a pod of every Deployment, admitted as a Pod by the API server (in a
//     namespace enforcing the restricted Pod Security Standard), runs with
//     runc; its probes pass, the services' gRPC health answers SERVING, the
//     gateway answers /healthz and real REST calls;
//   - the organisation pod is replaced while a bounded loop writes through
//     the gateway, and every acknowledged write is read back;
//   - the release is upgraded with changed values (hooks again, pods
//     replaced), the member re-encryption Job is started from its CronJob,
//     and the release is uninstalled;
//   - the production values are installed, checked and uninstalled (their
//     images are the city registry's, so nothing of them runs).
func TestTheChartOnKubernetes(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)

	pg, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			t.Errorf("stopping PostgreSQL: %v", err)
		}
	})
	if err := pg.EnsureDatabase(ctx, "gongjian"); err != nil {
		t.Fatal(err)
	}
	ns, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatalf("NATS: %v", err)
	}
	t.Cleanup(ns.Shutdown)
	issuer, err := devissuer.NewInMemory()
	if err != nil {
		t.Fatal(err)
	}
	images, err := node.LoadImages(suite.env.images)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("images on the node: %s", strings.Join(images.Refs(), ", "))
	n := newNode(t, images)
	k := &kit{t: t, c: c, n: n, pgURL: pg.URL("gongjian"), issuer: issuer}

	// The default values, pointed at this node's NATS and at the token
	// issuer the test signs with; nothing else is set.
	city := release{name: "city", namespace: "city", set: []string{
		fmt.Sprintf(`nats.url=%q`, ns.URL()), fmt.Sprintf(`auth.issuer=%q`, devissuer.IssuerName), fmt.Sprintf(`auth.audience=%q`, devissuer.Audience),
	}}
	// The upgrade changes what an operator would: the log level (every
	// pod's template), the member service's sweep, a memory limit (and so
	// GOMEMLIMIT), another namespace allowed to the gRPC ports, and a
	// disruption budget.
	upgraded := city
	upgraded.set = append(slices.Clone(city.set), `logLevel="DEBUG"`, `member.sweepInterval="30s"`,
		`organisation.resources.limits.memory="384Mi"`,
		`networkPolicy.grpcFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"government-exchange"}}}]`,
		`gateway.podDisruptionBudget.maxUnavailable="50%"`)
	production := release{name: "gongjian", namespace: "gongjian", valuesFiles: []string{suite.env.productionValues}}

	renderings := map[string][]*unstructured.Unstructured{
		"default values":    c.render(t, ctx, city),
		"production values": c.render(t, ctx, production),
		"upgrade values":    c.render(t, ctx, upgraded),
	}

	step(t, "every object of every rendering passes the API server's strict validation", func(t *testing.T) {
		for what, objs := range renderings {
			checkNS := "check-" + strings.ReplaceAll(what, " ", "-")
			c.createNamespace(t, ctx, checkNS)
			var admitted []*unstructured.Unstructured
			for _, o := range objs {
				if err := c.strictCreate(ctx, checkNS, o); err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				admitted = append(admitted, o)
			}
			t.Logf("%s: %d of %d objects admitted by the API server (dry run, strict field validation): %s", what, len(admitted), len(objs), kindCounts(admitted))
			c.deleteNamespace(ctx, checkNS)
		}
	})

	step(t, "a misspelt field is refused with the API server's own message", func(t *testing.T) {
		var dep *unstructured.Unstructured
		for _, o := range renderings["default values"] {
			if o.GetKind() == "Deployment" {
				dep = o.DeepCopy()
				break
			}
		}
		containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
		containers[0].(map[string]any)["livenessProbee"] = map[string]any{"tcpSocket": map[string]any{"port": int64(1)}}
		_ = unstructured.SetNestedSlice(dep.Object, containers, "spec", "template", "spec", "containers")
		c.createNamespace(t, ctx, "check-misspelt")
		defer c.deleteNamespace(ctx, "check-misspelt")
		err := c.strictCreate(ctx, "check-misspelt", dep)
		if err == nil || !strings.Contains(err.Error(), `unknown field "spec.template.spec.containers[0].livenessProbee"`) {
			t.Fatalf("a Deployment with containers[0].livenessProbee: %v; want the API server to name the unknown field", err)
		}
		t.Logf("the API server refuses it: %v", err)
	})

	var rel *installed
	step(t, "install with the default values", func(t *testing.T) {
		k := k.with(t)
		c.createNamespace(t, ctx, city.namespace)
		k.createReferencedObjects(ctx, city.namespace, renderings["default values"])
		jobs := n.ServeJobs(city.namespace)
		defer jobs.Stop()
		k.helmInstall(ctx, city, "install")
		k.checkHooksRan(jobs, renderings["default values"], 1)
		rel = k.checkAdmitted(ctx, city, renderings["default values"], false)
	})

	step(t, "RBAC, NetworkPolicies, PodDisruptionBudgets and probes are what the README promises", func(t *testing.T) {
		k := k.with(t)
		for _, p := range checkPromises(ctx, c.kube, rel) {
			t.Error(p)
		}
		k.admitEveryPod(ctx, rel)
	})

	step(t, "the promise checks can fail: a wrong probe port, a policy letting everyone in", func(t *testing.T) {
		broken := *rel
		broken.deployments = []*appsv1.Deployment{}
		for _, d := range rel.deployments {
			d = d.DeepCopy()
			if p := d.Spec.Template.Spec.Containers[0].StartupProbe; p.GRPC != nil {
				p.GRPC.Port += 10
			}
			broken.deployments = append(broken.deployments, d)
		}
		broken.policies = append(slices.Clone(rel.policies), &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, Ingress: []networkingv1.NetworkPolicyIngressRule{{}}}})
		probes, policies := checkProbes(&broken), checkNetworkPolicies(&broken)
		if len(probes) == 0 || len(policies) == 0 {
			t.Fatalf("a probe on the wrong port gave %q; an allow-all policy gave %q: the checks would pass anything", probes, policies)
		}
		t.Logf("a startup probe on the wrong port: %s", probes[0])
		t.Logf("a policy letting everyone in: %s", policies[0])
	})

	var pods map[string]*node.Pod // by Deployment
	step(t, "the services run from their images as the chart describes them", func(t *testing.T) {
		k := k.with(t)
		k.setHosts(ctx, rel)
		pods = k.playAll(ctx, rel)
		k.checkServing(ctx, rel, pods)
	})

	var city1 string
	step(t, "the gateway answers a real REST call", func(t *testing.T) {
		k := k.with(t)
		gw := k.gateway(rel)
		code, out := k.rest(gw, http.MethodPost, "/v1/organisations", `{"kind":"ORGANISATION_KIND_CITY","name":"集群演练市委"}`)
		if code != http.StatusOK {
			t.Fatalf("POST /v1/organisations: %d %v", code, out)
		}
		city1 = out["organisation"].(map[string]any)["id"].(string)
		code, out = k.rest(gw, http.MethodGet, "/v1/organisations/"+city1, "")
		if code != http.StatusOK || out["organisation"].(map[string]any)["name"] != "集群演练市委" {
			t.Fatalf("GET /v1/organisations/%s: %d %v", city1, code, out)
		}
		t.Logf("POST then GET /v1/organisations through the gateway pod: city %s", city1)
	})

	step(t, "a pod replaced while writes go on loses no acknowledged write", func(t *testing.T) {
		k := k.with(t)
		k.replaceUnderLoad(ctx, rel, pods, city1)
	})

	step(t, "upgrade with changed values", func(t *testing.T) {
		k := k.with(t)
		jobs := n.ServeJobs(city.namespace)
		defer jobs.Stop()
		before := map[string]string{}
		for _, d := range rel.deployments {
			before[d.Name] = templateHash(d.Spec.Template)
		}
		k.helmInstall(ctx, upgraded, "upgrade")
		k.checkHooksRan(jobs, renderings["upgrade values"], 1)
		rel = k.checkAdmitted(ctx, upgraded, renderings["upgrade values"], false)
		for _, p := range checkPromises(ctx, c.kube, rel) {
			t.Error(p)
		}
		k.checkUpgradeApplied(rel)
		// What the deployment controller and the kubelet would do: each
		// Deployment whose pod template changed gets a pod of the new
		// template in place of the old one.
		for _, d := range rel.deployments {
			if templateHash(d.Spec.Template) == before[d.Name] {
				t.Errorf("Deployment %s: the upgrade did not change its pod template", d.Name)
				continue
			}
			pods[d.Name].Delete(nil)
			pods[d.Name] = k.play(ctx, d)
		}
		for _, d := range rel.deployments {
			if err := pods[d.Name].WaitReady(ctx, 3*time.Minute); err != nil {
				t.Fatalf("%s after the upgrade: %v", d.Name, err)
			}
			t.Logf("pod %s of Deployment %s ready with the new template; the process: %s", pods[d.Name].Name(), d.Name, k.checkProcess(d, pods[d.Name].Containers()[0]))
		}
		k.checkServing(ctx, rel, pods)
		code, out := k.rest(k.gateway(rel), http.MethodGet, "/v1/organisations/"+city1, "")
		if code != http.StatusOK {
			t.Fatalf("the city created before the upgrade: %d %v", code, out)
		}
	})

	step(t, "the re-encryption Job starts from its CronJob", func(t *testing.T) {
		k := k.with(t)
		k.runCronJobByHand(ctx, rel)
	})

	step(t, "uninstall", func(t *testing.T) {
		k := k.with(t)
		k.uninstall(ctx, city, renderings["upgrade values"], pods)
	})

	step(t, "install, check and uninstall with the production values", func(t *testing.T) {
		k := k.with(t)
		c.createNamespace(t, ctx, production.namespace)
		// The production values' images are the city registry's, pinned
		// by digest: no hook could run here, so Helm installs without
		// them; they were admitted in the strict dry run above.
		k.helmInstall(ctx, production, "install", "--no-hooks")
		prod := k.checkAdmitted(ctx, production, renderings["production values"], true)
		for _, p := range checkPromises(ctx, c.kube, prod) {
			t.Error(p)
		}
		k.admitEveryPod(ctx, prod)
		k.uninstall(ctx, production, renderings["production values"], nil)
	})
}

// with is the kit for a subtest: its failures are the subtest's.
func (k *kit) with(t *testing.T) *kit {
	c := *k
	c.t = t
	return &c
}

// step runs a part of the story; a failed part ends the test, since what
// follows stands on it.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// kit is what the steps share.
type kit struct {
	t      *testing.T
	c      *cluster
	n      *node.Node
	pgURL  string
	issuer *devissuer.Issuer
	token  string
}

// secretValue is what the test puts under each key the chart's pods
// read from a Secret or ConfigMap (the chart's default key names) for the
// workload who: a key the test does not know fails the test, naming it.
func (k *kit) secretValue(key, who string) (string, bool) {
	random := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	switch key {
	case "database-url":
		return k.pgURL, true
	case "id-keys":
		return "v1:" + random(), true
	case "id-hash-key":
		return random(), true
	case "jwks.json":
		return string(k.issuer.JWKS()), true
	case "token":
		// A service's own token for calling another service: role
		// service, with the scopes values.yaml documents for it
		// (member.star_ratings and organisation.compliance_report, the
		// supervision service's).
		tok, err := k.issuer.Issue(devissuer.Claims{Subject: "service:" + who, Name: who, Role: auth.Service,
			Scopes: []string{"member.star_ratings", "organisation.compliance_report"}, TTL: 2 * time.Hour})
		if err != nil {
			k.t.Fatal(err)
		}
		return tok, true
	}
	return "", false
}

// createReferencedObjects creates the Secrets and ConfigMaps the
// release's pods refer to, as the README asks the operator to before the
// first install: found in the rendered pod templates, so a service that
// joins the chart is given its own.
func (k *kit) createReferencedObjects(ctx context.Context, ns string, objs []*unstructured.Unstructured) {
	t := k.t
	secrets, configMaps := map[string]map[string]string{}, map[string]map[string]string{}
	need := func(into map[string]map[string]string, name, key, why string, w workload) {
		v, ok := k.secretValue(key, component(w.tmpl.Labels))
		if !ok {
			t.Fatalf("%s refers to key %q of %s; the test knows no value for it (add it to secretValue)", why, key, name)
		}
		if into[name] == nil {
			into[name] = map[string]string{}
		}
		if _, done := into[name][key]; !done {
			into[name][key] = v
		}
	}
	for _, w := range workloadsOf(t, objs) {
		for _, c := range w.tmpl.Spec.Containers {
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					need(secrets, r.Name, r.Key, w.kind+" "+w.name, w)
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					need(configMaps, r.Name, r.Key, w.kind+" "+w.name, w)
				}
			}
			// A volume's keys are the files the container is told to
			// read from where it is mounted.
			for _, vm := range c.VolumeMounts {
				for _, v := range w.tmpl.Spec.Volumes {
					if v.Name != vm.Name {
						continue
					}
					for _, e := range c.Env {
						if rel, ok := strings.CutPrefix(e.Value, strings.TrimSuffix(vm.MountPath, "/")+"/"); ok && e.ValueFrom == nil {
							switch {
							case v.ConfigMap != nil:
								need(configMaps, v.ConfigMap.Name, path.Base(rel), w.kind+" "+w.name+" volume "+v.Name, w)
							case v.Secret != nil:
								need(secrets, v.Secret.SecretName, path.Base(rel), w.kind+" "+w.name+" volume "+v.Name, w)
							}
						}
					}
				}
			}
		}
	}
	for name, data := range secrets {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: data}
		if _, err := k.c.kube.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Logf("created Secret %s (keys %s)", name, strings.Join(sortedKeys(data), ", "))
	}
	for name, data := range configMaps {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}
		if _, err := k.c.kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Logf("created ConfigMap %s (keys %s)", name, strings.Join(sortedKeys(data), ", "))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// workloadsOf returns the pod templates of rendered objects.
func workloadsOf(t *testing.T, objs []*unstructured.Unstructured) []workload {
	var out []workload
	for _, o := range objs {
		switch o.GetKind() {
		case "Deployment":
			out = append(out, workload{"Deployment", o.GetName(), convert[appsv1.Deployment](t, o).Spec.Template})
		case "Job":
			out = append(out, workload{"Job", o.GetName(), convert[batchv1.Job](t, o).Spec.Template})
		case "CronJob":
			out = append(out, workload{"CronJob", o.GetName(), convert[batchv1.CronJob](t, o).Spec.JobTemplate.Spec.Template})
		}
	}
	return out
}

// watchCancelled says whether a line Helm printed is client-go's
// informational log (klog's "I" severity) of a watch ended because its
// caller's context was cancelled.
func watchCancelled(line string) bool {
	return strings.HasPrefix(line, "I") && strings.Contains(line, "watch ended with error") &&
		strings.Contains(line, "context canceled")
}

// helmInstall installs or upgrades the release with the pinned Helm. The
// API server's warnings (an unknown field dropped, a deprecated API, a
// Pod Security violation of a workload) fail the test: Helm only prints
// them.
func (k *kit) helmInstall(ctx context.Context, r release, verb string, extra ...string) {
	t := k.t
	args := append([]string{verb, r.name, suite.env.chart, "-n", r.namespace, "--timeout", "5m"}, r.valueArgs()...)
	args = append(args, extra...)
	began := time.Now()
	out, stderr, err := k.c.helm(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(stderr, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case watchCancelled(line):
			// client-go's note that Helm's wait cancelled its own watch,
			// which a slow machine lets through: neither the API server's
			// word nor a problem of the chart.
			t.Logf("helm %s %s: %s", verb, r.name, line)
		default:
			t.Errorf("helm %s %s: the API server or Helm warns: %s", verb, r.name, line)
		}
	}
	status := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "STATUS:") || strings.HasPrefix(line, "REVISION:") {
			status += strings.TrimSpace(line) + " "
		}
	}
	t.Logf("helm %s %s -n %s: %s(%s)", verb, r.name, r.namespace, status, time.Since(began).Round(100*time.Millisecond))
}

// checkHooksRan checks that every hook Job of the rendering was run by the
// node, each attempt count times at most, and succeeded.
func (k *kit) checkHooksRan(jobs *node.Jobs, objs []*unstructured.Unstructured, attempts int) {
	t := k.t
	if err := jobs.Err(); err != nil {
		t.Errorf("the job controller's stand-in: %v", err)
	}
	runs := map[string]*node.JobRun{}
	for _, r := range jobs.Runs() {
		runs[r.Job] = r
	}
	for _, o := range objs {
		if o.GetKind() != "Job" || !isHook(o) {
			continue
		}
		r := runs[o.GetName()]
		switch {
		case r == nil:
			t.Errorf("hook Job %s never ran", o.GetName())
		case !r.Succeeded:
			var desc string
			for _, p := range r.Pods {
				desc += p.Describe()
			}
			t.Errorf("hook Job %s failed: %s%s", o.GetName(), r.Reason, desc)
		case len(r.Pods) > attempts:
			t.Errorf("hook Job %s took %d pods", o.GetName(), len(r.Pods))
		default:
			c := r.Pods[len(r.Pods)-1].Containers()[0]
			t.Logf("hook Job %s (%s) ran pod %s from %s: succeeded in %s; its log ends: %s", o.GetName(), o.GetAnnotations()["helm.sh/hook"],
				r.Pods[0].Name(), c.Spec.Image, r.Took.Round(10*time.Millisecond), lastLine(c.Log()))
		}
	}
}

// lastLine is the last line of a log that says what the program did:
// the last one but the "config", "starting" and "stopped" lines.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var entry struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(lines[i]), &entry) == nil && !slices.Contains([]string{"config", "starting", "stopped"}, entry.Msg) {
			return lines[i]
		}
	}
	return lines[len(lines)-1]
}

// checkAdmitted reads every object of the rendering back from the API
// server and returns the release as admitted. Hooks are there too (Helm
// keeps them: before-hook-creation), unless noHooks.
func (k *kit) checkAdmitted(ctx context.Context, r release, objs []*unstructured.Unstructured, noHooks bool) *installed {
	t := k.t
	rel := &installed{namespace: r.namespace, maxUnavailables: map[string]intstr.IntOrString{}}
	var lines []string
	for _, o := range objs {
		u := o.DeepCopy()
		u.SetNamespace(r.namespace)
		got, err := k.c.get(ctx, u)
		if noHooks && isHook(o) {
			if !apierrors.IsNotFound(err) {
				t.Errorf("hook %s installed with --no-hooks: %v", objectKey(o), err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s was not admitted: %v", objectKey(o), err)
			continue
		}
		lines = append(lines, fmt.Sprintf("%-24s %-40s %s uid %s", got.GetKind(), got.GetName(), got.GetAPIVersion(), got.GetUID()))
		switch got.GetKind() {
		case "Deployment":
			d := convert[appsv1.Deployment](t, got)
			rel.deployments = append(rel.deployments, d)
			rel.workloads = append(rel.workloads, workload{"Deployment", d.Name, d.Spec.Template})
		case "Job":
			j := convert[batchv1.Job](t, got)
			rel.workloads = append(rel.workloads, workload{"Job", j.Name, j.Spec.Template})
		case "CronJob":
			cj := convert[batchv1.CronJob](t, got)
			rel.workloads = append(rel.workloads, workload{"CronJob", cj.Name, cj.Spec.JobTemplate.Spec.Template})
		case "Service":
			rel.services = append(rel.services, convert[corev1.Service](t, got))
		case "ServiceAccount":
			rel.accounts = append(rel.accounts, convert[corev1.ServiceAccount](t, got))
		case "NetworkPolicy":
			rel.policies = append(rel.policies, convert[networkingv1.NetworkPolicy](t, got))
		case "PodDisruptionBudget":
			rel.budgets = append(rel.budgets, convert[policyv1.PodDisruptionBudget](t, got))
		case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
			rel.rbacObjects = append(rel.rbacObjects, objectKey(got))
		}
	}
	slices.Sort(lines)
	t.Logf("release %s in %s: %d objects admitted and read back:\n  %s", r.name, r.namespace, len(lines), strings.Join(lines, "\n  "))

	// What the release was given, as Helm computed it.
	out, _, err := k.c.helm(ctx, "get", "values", r.name, "-n", r.namespace, "--all", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &rel.values); err != nil {
		t.Fatal(err)
	}
	rel.tls, _, _ = unstructured.NestedBool(rel.values, "tls", "enabled")
	grpcFrom, _, _ := unstructured.NestedSlice(rel.values, "networkPolicy", "grpcFrom")
	gatewayFrom, _, _ := unstructured.NestedSlice(rel.values, "networkPolicy", "gatewayFrom")
	rel.grpcFrom, rel.gatewayFromSet = len(grpcFrom), len(gatewayFrom) > 0
	for _, d := range rel.deployments {
		comp := component(d.Spec.Template.Labels)
		v, ok, _ := unstructured.NestedFieldNoCopy(rel.values, comp, "podDisruptionBudget", "maxUnavailable")
		if !ok {
			t.Errorf("values have no %s.podDisruptionBudget.maxUnavailable", comp)
			continue
		}
		switch x := v.(type) {
		case string:
			rel.maxUnavailables[comp] = intstr.FromString(x)
		case float64:
			rel.maxUnavailables[comp] = intstr.FromInt32(int32(x))
		case int64:
			rel.maxUnavailables[comp] = intstr.FromInt32(int32(x))
		}
	}
	return rel
}

// admitEveryPod asks the API server to admit, as a dry run, the pod each
// workload of the release would make, in a namespace that enforces the
// restricted Pod Security Standard.
func (k *kit) admitEveryPod(ctx context.Context, rel *installed) {
	t := k.t
	for _, w := range rel.workloads {
		apiVersion := "batch/v1"
		if w.kind == "Deployment" {
			apiVersion = "apps/v1"
		}
		owner := metav1.OwnerReference{APIVersion: apiVersion, Kind: w.kind, Name: w.name, UID: "00000000-0000-0000-0000-000000000000"}
		if _, err := k.n.Admit(ctx, rel.namespace, w.name+"-"+node.RandomSuffix(), w.tmpl, owner, nil); err != nil {
			t.Errorf("%s %s: %v", w.kind, w.name, err)
		}
	}
	t.Logf("the pods of %d workloads are admitted under Pod Security restricted", len(rel.workloads))
}

// setHosts gives the pods the Services' names as cluster DNS would: here
// they resolve to 127.0.0.1, where each Service's one pod listens under
// host networking. That holds only where a Service's port is its target
// port, which is checked for every Service a pod is told to call.
func (k *kit) setHosts(ctx context.Context, rel *installed) {
	t := k.t
	var names []string
	for _, s := range rel.services {
		names = append(names, s.Name, s.Name+"."+s.Namespace, s.Name+"."+s.Namespace+".svc", s.Name+"."+s.Namespace+".svc.cluster.local")
		called := false
		for _, w := range rel.workloads {
			for _, c := range w.tmpl.Spec.Containers {
				for _, e := range c.Env {
					if host, _, err := net.SplitHostPort(e.Value); err == nil && (host == s.Name || strings.HasPrefix(host, s.Name+".")) {
						called = true
					}
				}
			}
		}
		if !called {
			continue
		}
		for _, d := range rel.deployments {
			if !selectsPod(&metav1.LabelSelector{MatchLabels: s.Spec.Selector}, d.Spec.Template.Labels) {
				continue
			}
			for _, sp := range s.Spec.Ports {
				target := sp.TargetPort.IntVal
				if sp.TargetPort.Type == intstr.String {
					target = containerPort(d.Spec.Template.Spec, sp.TargetPort.StrVal)
				}
				if target != sp.Port {
					t.Fatalf("Service %s port %d targets %d: under host networking a caller of %s:%d would miss it", s.Name, sp.Port, target, s.Name, sp.Port)
				}
			}
		}
	}
	k.n.SetHosts(names)
}

// templateHash names a pod template, as pod-template-hash does.
func templateHash(tmpl corev1.PodTemplateSpec) string {
	b, _ := json.Marshal(tmpl)
	h := fnv.New32a()
	h.Write(b)
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

// play runs one pod of the Deployment on the node: the pod the
// Deployment's ReplicaSet would create, admitted by the API server.
func (k *kit) play(ctx context.Context, d *appsv1.Deployment) *node.Pod {
	t := k.t
	hash := templateHash(d.Spec.Template)
	owner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: ptr(true)}
	pod, err := k.n.Admit(ctx, d.Namespace, d.Name+"-"+hash+"-"+node.RandomSuffix(), d.Spec.Template, owner, map[string]string{"pod-template-hash": hash})
	if err != nil {
		t.Fatalf("Deployment %s: %v", d.Name, err)
	}
	p, err := k.n.Run(pod)
	if err != nil {
		t.Fatalf("Deployment %s: %v", d.Name, err)
	}
	return p
}

// playAll runs a pod of every Deployment of the release (one each: with
// host networking, a second replica would need a second node) and waits
// until every one is ready.
func (k *kit) playAll(ctx context.Context, rel *installed) map[string]*node.Pod {
	t := k.t
	pods := map[string]*node.Pod{}
	began := time.Now()
	for _, d := range rel.deployments {
		pods[d.Name] = k.play(ctx, d)
	}
	for _, d := range rel.deployments {
		if err := pods[d.Name].WaitReady(ctx, 3*time.Minute); err != nil {
			t.Fatalf("Deployment %s (replicas %d; one runs here): %v", d.Name, ptrValue(d.Spec.Replicas), err)
		}
	}
	for _, d := range rel.deployments {
		c := pods[d.Name].Containers()[0]
		t.Logf("pod %s of Deployment %s: %s ready (start-up, readiness and liveness probes passing) %s after the start; the process: %s",
			pods[d.Name].Name(), d.Name, c.Spec.Image, time.Since(began).Round(100*time.Millisecond), k.checkProcess(d, c))
	}
	return pods
}

// checkProcess looks at the running container's process as the kernel
// sees it, against what the pod spec asks: its user and groups, no
// capabilities, no new privileges, a seccomp filter, a read-only root,
// and the environment the chart gives it.
func (k *kit) checkProcess(d *appsv1.Deployment, c *node.Container) string {
	t := k.t
	pid := c.Pid()
	if pid == 0 {
		t.Errorf("Deployment %s: no process", d.Name)
		return ""
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Errorf("Deployment %s: %v", d.Name, err)
		return ""
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(status), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	psc := d.Spec.Template.Spec.SecurityContext
	uid := strconv.FormatInt(*psc.RunAsUser, 10)
	want := map[string]string{
		"Uid": strings.Repeat(uid+" ", 3) + uid, "Gid": strings.Repeat(strconv.FormatInt(*psc.RunAsGroup, 10)+" ", 3) + strconv.FormatInt(*psc.RunAsGroup, 10),
		"CapEff": "0000000000000000", "CapPrm": "0000000000000000", "CapBnd": "0000000000000000",
		"NoNewPrivs": "1", "Seccomp": "2",
	}
	for f, v := range want {
		if fields[f] != v {
			t.Errorf("Deployment %s: the process's %s is %q, want %q", d.Name, f, fields[f], v)
		}
	}
	mounts, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	rootRO := false
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[4] == "/" {
			rootRO = slices.Contains(strings.Split(f[5], ","), "ro")
		}
	}
	if !rootRO {
		t.Errorf("Deployment %s: the root file system is writable", d.Name)
	}
	environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	vars := map[string]string{}
	for _, kv := range strings.Split(string(environ), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	for _, e := range c.Spec.Env {
		if e.ValueFrom == nil && vars[e.Name] != e.Value {
			t.Errorf("Deployment %s: the process has %s=%q, the chart says %q", d.Name, e.Name, vars[e.Name], e.Value)
		}
		if e.ValueFrom != nil && vars[e.Name] == "" {
			t.Errorf("Deployment %s: the process has no %s (from %+v)", d.Name, e.Name, e.ValueFrom)
		}
	}
	return fmt.Sprintf("uid %s groups %s, no capabilities, no new privileges, seccomp filter, read-only root, %d variables of the chart", uid, fields["Groups"], len(c.Spec.Env))
}

func ptrValue(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// checkServing asks each service's gRPC health (what its probes ask) and
// the gateway's /healthz, which must report every service of the
// release as SERVING.
func (k *kit) checkServing(ctx context.Context, rel *installed, pods map[string]*node.Pod) {
	t := k.t
	var services []string
	for _, d := range rel.deployments {
		port, ok := grpcPort(d.Spec.Template.Spec)
		if !ok {
			continue
		}
		services = append(services, component(d.Spec.Template.Labels))
		status, err := grpcHealth(ctx, port.ContainerPort)
		if err != nil || status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Deployment %s: gRPC health on %d: %v %v%s", d.Name, port.ContainerPort, status, err, pods[d.Name].Describe())
			continue
		}
		t.Logf("Deployment %s: gRPC health on %d answers %s", d.Name, port.ContainerPort, status)
	}
	gw := k.gateway(rel)
	var last string
	waitFor(t, 30*time.Second, "the gateway's /healthz reports every service SERVING", func() (bool, string) {
		resp, err := http.Get("http://" + gw + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		var report struct {
			Status   string            `json:"status"`
			Backends map[string]string `json:"backends"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &report) != nil || report.Status != "ok" {
			return false, last
		}
		for _, s := range services {
			if report.Backends[s] != "SERVING" {
				return false, last
			}
		}
		return true, last
	})
	t.Logf("gateway /healthz: %s", strings.TrimSpace(last))
}

func grpcHealth(ctx context.Context, port int32) (healthpb.HealthCheckResponse_ServingStatus, error) {
	conn, err := grpc.NewClient(net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return resp.GetStatus(), err
}

// gateway is the address of the gateway's pod: its container port named
// http on the node's loopback.
func (k *kit) gateway(rel *installed) string {
	for _, d := range rel.deployments {
		if _, ok := grpcPort(d.Spec.Template.Spec); !ok {
			if p := containerPort(d.Spec.Template.Spec, "http"); p != 0 {
				return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p)))
			}
		}
	}
	k.t.Fatal("no gateway Deployment (one with a port named http) in the release")
	return ""
}

// rest makes one REST call as the city administrator, with a bounded
// wait; code 0 means no answer.
func (k *kit) rest(addr, method, path, body string) (int, map[string]any) {
	if k.token == "" {
		tok, err := k.issuer.Issue(devissuer.Claims{Subject: "k8stest", Name: "k8s test", Role: auth.CityAdmin})
		if err != nil {
			k.t.Fatal(err)
		}
		k.token = tok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+k.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// replaceUnderLoad replaces the organisation service's pod while two
// clients create districts through the gateway, then reads every
// acknowledged one back. With host networking on one node the new pod can
// only listen once the old one is gone, so the replacement is the old pod's
// deletion (preStop, SIGTERM, graceful stop), then the new pod's start:
// meanwhile the gateway answers 503, which is no acknowledgement.
func (k *kit) replaceUnderLoad(ctx context.Context, rel *installed, pods map[string]*node.Pod, cityID string) {
	t := k.t
	gw := k.gateway(rel)
	var dep *appsv1.Deployment
	for _, d := range rel.deployments {
		if component(d.Spec.Template.Labels) == "organisation" {
			dep = d
		}
	}
	if dep == nil {
		t.Fatal("no organisation Deployment")
	}
	type answer struct {
		at   time.Time
		code int
	}
	var (
		mu      sync.Mutex
		acked   []string
		answers []answer
		seq     int
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const maxRequests = 3000 // bounded in count as well as in time
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				seq++
				i := seq
				mu.Unlock()
				if i > maxRequests {
					return
				}
				code, out := k.rest(gw, http.MethodPost, "/v1/organisations",
					fmt.Sprintf(`{"kind":"ORGANISATION_KIND_DISTRICT","name":"演练区%d","parentId":%q}`, i, cityID))
				mu.Lock()
				answers = append(answers, answer{time.Now(), code})
				if code == http.StatusOK {
					acked = append(acked, out["organisation"].(map[string]any)["id"].(string))
				}
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	time.Sleep(3 * time.Second)
	before := count()
	old := pods[dep.Name]
	began := time.Now()
	old.Delete(nil)
	stopped := time.Since(began)
	pods[dep.Name] = k.play(ctx, dep)
	if err := pods[dep.Name].WaitReady(ctx, 3*time.Minute); err != nil {
		close(stop)
		wg.Wait()
		t.Fatalf("the new organisation pod: %v", err)
	}
	ready := time.Since(began)
	waitFor(t, 30*time.Second, "writes acknowledged again after the replacement", func() (bool, string) {
		return count() > before+20, fmt.Sprintf("%d acknowledged", count())
	})
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	codes := map[int]int{}
	for _, a := range answers {
		codes[a.code]++
	}
	t.Logf("the organisation pod %s was replaced by %s: the old one stopped %s after its deletion (preStop %s, then SIGTERM), the new one was ready %s after it; %d requests, answers %v, %d acknowledged",
		old.Name(), pods[dep.Name].Name(), stopped.Round(100*time.Millisecond), preStop(dep), ready.Round(100*time.Millisecond), len(answers), codes, len(acked))
	if codes[http.StatusInternalServerError] > 0 {
		t.Errorf("%d requests answered 500: an outage must be a 503", codes[http.StatusInternalServerError])
	}
	if before < 20 {
		t.Errorf("only %d writes were acknowledged before the replacement: the loop did not run", before)
	}
	for _, id := range acked {
		if code, out := k.rest(gw, http.MethodGet, "/v1/organisations/"+id, ""); code != http.StatusOK {
			t.Errorf("acknowledged organisation %s: %d %v", id, code, out)
		}
	}
	if old.Containers()[0].Restarts() > 0 || pods[dep.Name].Containers()[0].Restarts() > 0 {
		t.Errorf("a container restarted:%s%s", old.Describe(), pods[dep.Name].Describe())
	}
	if e := old.Containers()[0].LastExit(); e == nil || e.Code != 0 {
		t.Errorf("the old organisation container did not stop cleanly on SIGTERM: %+v%s", e, old.Describe())
	}
}

func preStop(d *appsv1.Deployment) string {
	c := d.Spec.Template.Spec.Containers[0]
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		return fmt.Sprintf("sleep %ds", c.Lifecycle.PreStop.Sleep.Seconds)
	}
	return "none"
}

// checkUpgradeApplied checks that the admitted objects carry the
// upgrade's changes.
func (k *kit) checkUpgradeApplied(rel *installed) {
	t := k.t
	for _, d := range rel.deployments {
		c := d.Spec.Template.Spec.Containers[0]
		vars := map[string]string{}
		for _, e := range c.Env {
			vars[e.Name] = e.Value
		}
		if vars["LOG_LEVEL"] != "DEBUG" {
			t.Errorf("Deployment %s: LOG_LEVEL %q after the upgrade, want DEBUG", d.Name, vars["LOG_LEVEL"])
		}
		switch component(d.Spec.Template.Labels) {
		case "member":
			if vars["SWEEP_INTERVAL"] != "30s" {
				t.Errorf("Deployment %s: SWEEP_INTERVAL %q, want 30s", d.Name, vars["SWEEP_INTERVAL"])
			}
		case "organisation":
			if mem := c.Resources.Limits.Memory(); mem.String() != "384Mi" || vars["GOMEMLIMIT"] != strconv.FormatInt(384<<20*9/10, 10) {
				t.Errorf("Deployment %s: memory limit %s, GOMEMLIMIT %s; want 384Mi and 90%% of it", d.Name, mem, vars["GOMEMLIMIT"])
			}
		}
		if d.Generation < 2 {
			t.Errorf("Deployment %s: generation %d after the upgrade", d.Name, d.Generation)
		}
	}
	if rel.grpcFrom != 1 {
		t.Errorf("networkPolicy.grpcFrom has %d peers after the upgrade, want 1", rel.grpcFrom)
	}
}

// runCronJobByHand does what the README says after a key rotation,
// `kubectl create job --from=cronjob/<name>`: a Job from the CronJob's
// template, which the node runs, and which must succeed.
func (k *kit) runCronJobByHand(ctx context.Context, rel *installed) {
	t := k.t
	crons, err := k.c.kube.BatchV1().CronJobs(rel.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(crons.Items) == 0 {
		t.Fatal("the release has no CronJob")
	}
	jobs := k.n.ServeJobs(rel.namespace)
	defer jobs.Stop()
	for _, cj := range crons.Items {
		if cj.Spec.Suspend == nil || !*cj.Spec.Suspend {
			t.Errorf("CronJob %s is not suspended: it would run on its schedule", cj.Name)
		}
		job := &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{
				Name: cj.Name + "-by-hand", Labels: cj.Spec.JobTemplate.Labels,
				Annotations:     map[string]string{"cronjob.kubernetes.io/instantiate": "manual"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: cj.Name, UID: cj.UID}},
			},
			Spec: cj.Spec.JobTemplate.Spec,
		}
		if _, err := k.c.kube.BatchV1().Jobs(rel.namespace).Create(ctx, job, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Minute, "Job "+job.Name+" finished", func() (bool, string) {
			j, err := k.c.kube.BatchV1().Jobs(rel.namespace).Get(ctx, job.Name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return finishedJob(j), fmt.Sprintf("%+v", j.Status)
		})
		for _, r := range jobs.Runs() {
			if r.Job != job.Name {
				continue
			}
			if !r.Succeeded {
				t.Errorf("Job %s from CronJob %s failed: %s%s", job.Name, cj.Name, r.Reason, r.Pods[len(r.Pods)-1].Describe())
				continue
			}
			t.Logf("Job %s from CronJob %s succeeded; its log ends: %s", job.Name, cj.Name, lastLine(r.Pods[0].Containers()[0].Log()))
		}
		_ = k.c.kube.BatchV1().Jobs(rel.namespace).Delete(ctx, job.Name, metav1.DeleteOptions{})
	}
}

func finishedJob(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// uninstall uninstalls the release and checks that every object it made
// is gone but its hooks, which Helm keeps (the README sends operators to
// the migration Job's log); the node stops the release's pods, as the
// garbage collector and the kubelet would.
func (k *kit) uninstall(ctx context.Context, r release, objs []*unstructured.Unstructured, pods map[string]*node.Pod) {
	t := k.t
	out, stderr, err := k.c.helm(ctx, "uninstall", r.name, "-n", r.namespace, "--wait", "--timeout", "2m")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(stderr) != "" {
		t.Errorf("helm uninstall warns: %s", stderr)
	}
	t.Logf("helm uninstall %s: %s", r.name, strings.TrimSpace(out))
	for _, p := range pods {
		p.Delete(nil)
	}
	var kept []string
	for _, o := range objs {
		u := o.DeepCopy()
		u.SetNamespace(r.namespace)
		_, err := k.c.get(ctx, u)
		switch {
		case isHook(o) && err == nil:
			kept = append(kept, objectKey(o))
		case isHook(o) && apierrors.IsNotFound(err):
		case !apierrors.IsNotFound(err):
			t.Errorf("%s is still there after helm uninstall: %v", objectKey(o), err)
		}
	}
	if len(kept) > 0 {
		t.Logf("kept by Helm after uninstall (hooks): %s", strings.Join(kept, ", "))
	}
	if list, _, _ := k.c.helm(ctx, "list", "-n", r.namespace, "-q"); strings.TrimSpace(list) != "" {
		t.Errorf("helm list after uninstall: %s", list)
	}
}
