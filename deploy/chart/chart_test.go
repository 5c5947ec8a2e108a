package chart

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// installation is one way of installing the chart and what it must yield.
type installation struct {
	name       string
	release    string
	valuesFile string
	fullname   string // the resource-name prefix the release gets
	tls        bool
}

var installations = []installation{
	{name: "with the default values", release: "city", fullname: "city-gongjian"},
	{name: "with production values", release: "gongjian", valuesFile: "testdata/production.yaml", fullname: "gongjian", tls: true},
}

// services are the gRPC services and their ports.
var services = map[string]int32{"organisation": 9101, "member": 9102, "cobuilding": 9103, "supervision": 9104}

// secretEnv are the variables whose values are secrets (`secret:"true"` in
// the services' configurations): they may only come from a Secret.
var secretEnv = []string{"DATABASE_URL", "MEMBER_ID_KEYS", "MEMBER_ID_HASH_KEY"}

func TestTheChartRendersValidKubernetesObjects(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			counts := map[string]int{}
			for _, o := range r.objects {
				counts[o.kind]++
			}
			// Each service and the gateway: a Deployment, Service, account,
			// budget and policy; each service its migration Job.
			n := len(services) + 1
			want := map[string]int{"Deployment": n, "Service": n, "ServiceAccount": n, "PodDisruptionBudget": n,
				"NetworkPolicy": n, "Job": len(services), "CronJob": 1}
			if in.valuesFile != "" { // the production values add the Ingress and two autoscalers
				want["Ingress"], want["HorizontalPodAutoscaler"] = 1, 2
			}
			for kind, n := range want {
				if counts[kind] != n {
					t.Errorf("%d %s rendered, want %d (all: %v)", counts[kind], kind, n, counts)
				}
			}
			if !strings.Contains(r.notes, "/healthz") {
				t.Errorf("NOTES.txt does not say where the gateway answers:\n%s", r.notes)
			}
		})
	}
}

func TestEveryContainerIsLockedDownAndBounded(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			for _, w := range workloads(r) {
				pod := w.pod.Spec
				where := w.kind + " " + w.name
				if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
					t.Errorf("%s: the service account token is mounted", where)
				}
				psc := pod.SecurityContext
				if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
					t.Errorf("%s: the pod may run as root: %+v", where, psc)
				}
				if len(pod.InitContainers) > 0 {
					t.Errorf("%s: init containers are not checked here", where)
				}
				for _, c := range pod.Containers {
					checkContainer(t, where+" container "+c.Name, c)
				}
			}
		})
	}
}

func checkContainer(t *testing.T, where string, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Errorf("%s: no security context", where)
		return
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Errorf("%s: runAsNonRoot is not true", where)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("%s: the root filesystem is writable", where)
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("%s: privilege escalation is allowed", where)
	case sc.Privileged != nil && *sc.Privileged:
		t.Errorf("%s: privileged", where)
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("%s: capabilities %+v, want all dropped and none added", where, sc.Capabilities)
	case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("%s: seccomp profile %+v, want RuntimeDefault", where, sc.SeccompProfile)
	}
	if !strings.Contains(c.Image, ":") || strings.HasSuffix(c.Image, ":latest") {
		t.Errorf("%s: image %q is not pinned", where, c.Image)
	}
	limits, requests := c.Resources.Limits, c.Resources.Requests
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := limits[name]; !ok || q.IsZero() {
			t.Errorf("%s: no %s limit", where, name)
		}
		if q, ok := requests[name]; !ok || q.IsZero() {
			t.Errorf("%s: no %s request", where, name)
		} else if l, ok := limits[name]; ok && q.Cmp(l) > 0 {
			t.Errorf("%s: %s request %s above its limit %s", where, name, q.String(), l.String())
		}
	}
	// The Go runtime collects harder near GOMEMLIMIT instead of being killed
	// at the limit: 90% of it.
	mem := limits[corev1.ResourceMemory]
	if got, want := env(c)["GOMEMLIMIT"].Value, strconv.FormatInt(mem.Value()*9/10, 10); got != want {
		t.Errorf("%s: GOMEMLIMIT %q, want %q (90%% of %s)", where, got, want, mem.String())
	}
}

func TestSecretsComeOnlyFromSecrets(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			for _, w := range workloads(r) {
				for _, c := range w.pod.Spec.Containers {
					where := w.kind + " " + w.name + " container " + c.Name
					for _, e := range c.Env {
						if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
							if e.Value != "" {
								t.Errorf("%s: %s has both a value and a secret", where, e.Name)
							}
							continue
						}
						if slices.Contains(secretEnv, e.Name) || looksSecret(e.Value) {
							t.Errorf("%s: %s is a secret given in plain text", where, e.Name)
						}
						// A key file must be in a volume of a Secret.
						if strings.HasSuffix(e.Name, "KEY_FILE") {
							if vol := volumeOf(w.pod.Spec, c, e.Value); vol == nil || vol.Secret == nil {
								t.Errorf("%s: %s=%s is not in a Secret's volume", where, e.Name, e.Value)
							}
						}
					}
				}
			}
		})
	}
}

// looksSecret catches a credential written into a URL.
func looksSecret(v string) bool {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok || scheme == "" {
		return false
	}
	userinfo, _, _ := strings.Cut(rest, "@")
	return strings.Contains(rest, "@") && strings.Contains(userinfo, ":")
}

// volumeOf returns the volume mounted where file lies, or nil.
func volumeOf(pod corev1.PodSpec, c corev1.Container, file string) *corev1.Volume {
	for _, m := range c.VolumeMounts {
		if path.Dir(file) == path.Clean(m.MountPath) {
			for i := range pod.Volumes {
				if pod.Volumes[i].Name == m.Name {
					return &pod.Volumes[i]
				}
			}
		}
	}
	return nil
}

func TestTheDeploymentsServeAndStopSafely(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			accounts := map[string]*corev1.ServiceAccount{}
			for _, sa := range all[*corev1.ServiceAccount](r) {
				accounts[sa.Name] = sa
			}
			deployments := all[*appsv1.Deployment](r)
			for _, d := range deployments {
				if r.hooks["Deployment/"+d.Name] != nil {
					t.Errorf("Deployment %s is a hook", d.Name)
				}
				pod := d.Spec.Template.Spec
				if len(pod.Containers) != 1 {
					t.Fatalf("Deployment %s: %d containers, want 1", d.Name, len(pod.Containers))
				}
				c := pod.Containers[0]
				vars := env(c)
				if c.StartupProbe == nil || c.ReadinessProbe == nil || c.LivenessProbe == nil {
					t.Errorf("Deployment %s: probes startup %v, readiness %v, liveness %v", d.Name,
						c.StartupProbe != nil, c.ReadinessProbe != nil, c.LivenessProbe != nil)
				}
				if _, grpc := services[c.Name]; grpc {
					checkService(t, d, c, in.tls)
				}
				sa := accounts[pod.ServiceAccountName]
				if sa == nil || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
					t.Errorf("Deployment %s: service account %q missing or mounting its token", d.Name, pod.ServiceAccountName)
				}

				// Kubernetes kills what has not stopped after the grace
				// period: it must outlast the preStop sleep and
				// SHUTDOWN_TIMEOUT.
				shutdown, err := time.ParseDuration(vars["SHUTDOWN_TIMEOUT"].Value)
				if err != nil {
					t.Errorf("Deployment %s: SHUTDOWN_TIMEOUT: %v", d.Name, err)
				}
				var sleep time.Duration
				if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
					sleep = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
				}
				if grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second; grace <= shutdown+sleep {
					t.Errorf("Deployment %s: grace period %s, not above SHUTDOWN_TIMEOUT %s + preStop %s", d.Name, grace, shutdown, sleep)
				}

				// Replicas spread across nodes.
				aff := pod.Affinity
				if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
					t.Errorf("Deployment %s: no preferred pod anti-affinity", d.Name)
				} else {
					term := aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
					if term.TopologyKey != "kubernetes.io/hostname" || !selects(t, term.LabelSelector, d.Spec.Template.Labels) {
						t.Errorf("Deployment %s: anti-affinity %+v does not spread its own pods across nodes", d.Name, term)
					}
				}
				if !selects(t, d.Spec.Selector, d.Spec.Template.Labels) {
					t.Errorf("Deployment %s: its selector does not select its pods", d.Name)
				}
			}
		})
	}
}

// checkService checks what a gRPC service's Deployment needs.
func checkService(t *testing.T, d *appsv1.Deployment, c corev1.Container, tls bool) {
	t.Helper()
	port := services[c.Name]
	vars := env(c)
	if got := vars["MIGRATE"]; got.Value != "false" || got.ValueFrom != nil {
		t.Errorf("Deployment %s: MIGRATE %+v, want false: the hook Job migrates", d.Name, got)
	}
	if got, want := vars["GRPC_ADDR"].Value, fmt.Sprintf(":%d", port); got != want {
		t.Errorf("Deployment %s: GRPC_ADDR %q, want %q", d.Name, got, want)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != port || c.Ports[0].Name != "grpc" {
		t.Errorf("Deployment %s: ports %+v, want grpc %d", d.Name, c.Ports, port)
	}
	need := []string{"DATABASE_URL", "NATS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE", "SHUTDOWN_TIMEOUT", "CITY_TIME_ZONE", "LOG_LEVEL"}
	switch c.Name {
	case "member":
		need = append(need, "MEMBER_ID_KEYS", "MEMBER_ID_HASH_KEY", "SWEEP_INTERVAL")
	case "cobuilding":
		need = append(need, "SWEEP_INTERVAL")
	case "supervision":
		need = append(need, "SWEEP_INTERVAL", "MEMBER_ADDR", "ORGANISATION_ADDR", "SERVICE_TOKEN_FILE")
		if volumeOf(d.Spec.Template.Spec, c, vars["SERVICE_TOKEN_FILE"].Value) == nil {
			t.Errorf("Deployment %s: SERVICE_TOKEN_FILE %s is in no volume", d.Name, vars["SERVICE_TOKEN_FILE"].Value)
		}
		if tls {
			need = append(need, "MEMBER_TLS_CA_FILE", "MEMBER_TLS_CERT_FILE", "MEMBER_TLS_KEY_FILE")
		}
	}
	if tls {
		need = append(need, "TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CLIENT_CA_FILE")
	}
	for _, name := range need {
		if _, ok := vars[name]; !ok {
			t.Errorf("Deployment %s: %s is not set", d.Name, name)
		}
	}
	_, file := vars["AUTH_KEYS_FILE"]
	_, url := vars["AUTH_JWKS_URL"]
	if file == url {
		t.Errorf("Deployment %s: AUTH_KEYS_FILE set %v, AUTH_JWKS_URL set %v: exactly one is needed", d.Name, file, url)
	}
	if file && volumeOf(d.Spec.Template.Spec, c, vars["AUTH_KEYS_FILE"].Value) == nil {
		t.Errorf("Deployment %s: AUTH_KEYS_FILE %s is in no volume", d.Name, vars["AUTH_KEYS_FILE"].Value)
	}
	for _, p := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
		switch {
		case p == nil:
		case tls && (p.TCPSocket == nil || p.TCPSocket.Port.String() != "grpc"):
			t.Errorf("Deployment %s: probe %+v, want TCP on grpc: the kubelet's gRPC probe speaks no TLS", d.Name, p.ProbeHandler)
		case !tls && (p.GRPC == nil || p.GRPC.Port != port):
			t.Errorf("Deployment %s: probe %+v, want the gRPC health check on %d", d.Name, p.ProbeHandler, port)
		}
	}
	// Liveness asks the name that stays SERVING through a database outage
	// (service.Liveness); readiness the whole server, which does not.
	if p := c.LivenessProbe; !tls && p != nil && p.GRPC != nil && (p.GRPC.Service == nil || *p.GRPC.Service != "gongjian.liveness") {
		t.Errorf("Deployment %s: the liveness probe asks %v, want gongjian.liveness: a database outage would restart the pods", d.Name, p.GRPC.Service)
	}
	if p := c.ReadinessProbe; !tls && p != nil && p.GRPC != nil && p.GRPC.Service != nil && *p.GRPC.Service != "" {
		t.Errorf("Deployment %s: the readiness probe asks %q, want the whole server", d.Name, *p.GRPC.Service)
	}
}

func TestTheGatewayReachesTheServices(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			gw := find[*appsv1.Deployment](t, r, in.fullname+"-gateway")
			c := gw.Spec.Template.Spec.Containers[0]
			vars := env(c)
			for name, port := range services {
				svc := find[*corev1.Service](t, r, in.fullname+"-"+name)
				want := fmt.Sprintf("%s:%d", svc.Name, port)
				if got := vars[strings.ToUpper(name)+"_ADDR"].Value; got != want || svc.Spec.Ports[0].Port != port {
					t.Errorf("gateway: %s_ADDR %q, Service port %d; want %q", strings.ToUpper(name), got, svc.Spec.Ports[0].Port, want)
				}
			}
			if vars["HTTP_ADDR"].Value != ":8080" {
				t.Errorf("gateway: HTTP_ADDR %q, want :8080", vars["HTTP_ADDR"].Value)
			}
			if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
				t.Errorf("gateway: readiness %+v, want GET /healthz", p)
			}
			// /healthz fails while a backend is down: restarting the
			// gateway would not help, so liveness must not use it.
			for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe} {
				if p != nil && p.HTTPGet != nil && p.HTTPGet.Path == "/healthz" {
					t.Errorf("gateway: %+v restarts the gateway when a backend is down", p)
				}
			}
			if in.tls {
				for _, name := range []string{"BACKEND_TLS_CA_FILE", "BACKEND_TLS_CERT_FILE", "BACKEND_TLS_KEY_FILE"} {
					if volumeOf(gw.Spec.Template.Spec, c, vars[name].Value) == nil {
						t.Errorf("gateway: %s=%q is in no volume", name, vars[name].Value)
					}
				}
			}
		})
	}
}

func TestTheMigrationsRunAsHooksBeforeThePods(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			if n := len(r.hooks); n != len(services) {
				t.Errorf("%d hooks, want one migration Job per service with a schema (%d)", n, len(services))
			}
			for name := range services {
				job := find[*batchv1.Job](t, r, in.fullname+"-"+name+"-migrate")
				h := r.hooks["Job/"+job.Name]
				if h == nil {
					t.Errorf("Job %s is not a hook", job.Name)
					continue
				}
				if !slices.Equal(h.Events, []release.HookEvent{release.HookPreInstall, release.HookPreUpgrade}) {
					t.Errorf("Job %s runs on %v, want pre-install and pre-upgrade", job.Name, h.Events)
				}
				if !slices.Equal(h.DeletePolicies, []release.HookDeletePolicy{release.HookBeforeHookCreation}) {
					t.Errorf("Job %s delete policies %v, want before-hook-creation", job.Name, h.DeletePolicies)
				}
				if _, ok := job.Annotations["helm.sh/hook-weight"]; !ok {
					t.Errorf("Job %s has no hook weight", job.Name)
				}
				pod := job.Spec.Template.Spec
				// A pre-install hook runs before the release's own
				// ServiceAccounts exist.
				if pod.ServiceAccountName != "" || pod.RestartPolicy != corev1.RestartPolicyNever {
					t.Errorf("Job %s: service account %q, restart policy %q", job.Name, pod.ServiceAccountName, pod.RestartPolicy)
				}
				c := pod.Containers[0]
				dep := find[*appsv1.Deployment](t, r, in.fullname+"-"+name)
				served := dep.Spec.Template.Spec.Containers[0]
				if c.Image != served.Image || !slices.Equal(c.Args, []string{"migrate"}) {
					t.Errorf("Job %s runs %s %v, want %s migrate", job.Name, c.Image, c.Args, served.Image)
				}
				jobEnv, servedEnv := env(c), env(served)
				for _, v := range secretEnv {
					if _, used := servedEnv[v]; used && !equalEnv(jobEnv[v], servedEnv[v]) {
						t.Errorf("Job %s: %s %+v, the service has %+v", job.Name, v, jobEnv[v], servedEnv[v])
					}
				}
				if selects(t, dep.Spec.Selector, job.Spec.Template.Labels) {
					t.Errorf("the %s Deployment's selector takes the migration's pods", name)
				}
			}
		})
	}
}

func equalEnv(a, b corev1.EnvVar) bool {
	if a.ValueFrom == nil || b.ValueFrom == nil || a.ValueFrom.SecretKeyRef == nil || b.ValueFrom.SecretKeyRef == nil {
		return false
	}
	return *a.ValueFrom.SecretKeyRef == *b.ValueFrom.SecretKeyRef
}

func TestReencryptionIsStartedByHand(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			cj := find[*batchv1.CronJob](t, r, in.fullname+"-member-reencrypt")
			if cj.Spec.Suspend == nil || !*cj.Spec.Suspend {
				t.Errorf("CronJob %s is not suspended: it would run on its schedule", cj.Name)
			}
			c := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
			served := find[*appsv1.Deployment](t, r, in.fullname+"-member").Spec.Template.Spec.Containers[0]
			if c.Image != served.Image || !slices.Equal(c.Args, []string{"reencrypt"}) {
				t.Errorf("CronJob %s runs %s %v, want %s reencrypt", cj.Name, c.Image, c.Args, served.Image)
			}
			for _, v := range secretEnv {
				if !equalEnv(env(c)[v], env(served)[v]) {
					t.Errorf("CronJob %s: %s %+v, the service has %+v", cj.Name, v, env(c)[v], env(served)[v])
				}
			}
			if !strings.Contains(r.notes, "cronjob/"+cj.Name) {
				t.Errorf("NOTES.txt does not say how to start %s", cj.Name)
			}
		})
	}
}

func TestSelectorsPickTheirOwnPodsOnly(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			ws := workloads(r)
			// selected names the workloads whose pods selector picks.
			selected := func(selector map[string]string) []string {
				var names []string
				for _, w := range ws {
					if len(selector) > 0 && selectsMap(selector, w.pod.Labels) {
						names = append(names, w.name)
					}
				}
				return names
			}
			for _, svc := range all[*corev1.Service](r) {
				if got := selected(svc.Spec.Selector); !slices.Equal(got, []string{svc.Name}) {
					t.Errorf("Service %s selects the pods of %v, want those of Deployment %s", svc.Name, got, svc.Name)
				}
				dep := find[*appsv1.Deployment](t, r, svc.Name)
				for _, p := range svc.Spec.Ports {
					if !slices.ContainsFunc(dep.Spec.Template.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool {
						return cp.Name == p.TargetPort.String()
					}) {
						t.Errorf("Service %s targets port %s, which its pods do not have", svc.Name, p.TargetPort.String())
					}
				}
			}
			for _, pdb := range all[*policyv1.PodDisruptionBudget](r) {
				if got := selected(pdb.Spec.Selector.MatchLabels); !slices.Equal(got, []string{pdb.Name}) {
					t.Errorf("PodDisruptionBudget %s covers %v, want Deployment %s", pdb.Name, got, pdb.Name)
				}
			}
			for _, hpa := range all[*autoscalingv2.HorizontalPodAutoscaler](r) {
				dep := find[*appsv1.Deployment](t, r, hpa.Spec.ScaleTargetRef.Name)
				if dep.Spec.Replicas != nil {
					t.Errorf("Deployment %s sets replicas under an autoscaler: each upgrade would reset them", dep.Name)
				}
			}
			for _, ing := range all[*networkingv1.Ingress](r) {
				for _, rule := range ing.Spec.Rules {
					for _, p := range rule.HTTP.Paths {
						if b := p.Backend.Service; b == nil || b.Name != in.fullname+"-gateway" || b.Port.Name != "http" {
							t.Errorf("Ingress %s sends %s to %+v, want the gateway's http port", ing.Name, p.Path, p.Backend)
						}
					}
				}
			}
		})
	}
}

func selectsMap(selector, podLabels map[string]string) bool {
	for k, v := range selector {
		if podLabels[k] != v {
			return false
		}
	}
	return true
}

func TestOnlyTheGatewayReachesTheGRPCPorts(t *testing.T) {
	t.Parallel()
	for _, in := range installations {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, in.release, in.valuesFile, "")
			gateway := find[*appsv1.Deployment](t, r, in.fullname+"-gateway").Spec.Template.Labels
			for name := range services {
				np := find[*networkingv1.NetworkPolicy](t, r, in.fullname+"-"+name)
				for _, w := range workloads(r) {
					picked := selects(t, &np.Spec.PodSelector, w.pod.Labels)
					if want := w.kind == "Deployment" && w.name == np.Name; picked != want {
						t.Errorf("NetworkPolicy %s selects %s %s: %v, want %v", np.Name, w.kind, w.name, picked, want)
					}
				}
				if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) || len(np.Spec.Ingress) != 1 {
					t.Fatalf("NetworkPolicy %s: %+v, want one ingress rule", np.Name, np.Spec)
				}
				rule := np.Spec.Ingress[0]
				if len(rule.Ports) != 1 || rule.Ports[0].Port.String() != "grpc" {
					t.Errorf("NetworkPolicy %s opens %+v, want the grpc port only", np.Name, rule.Ports)
				}
				if len(rule.From) == 0 || rule.From[0].PodSelector == nil || !selects(t, rule.From[0].PodSelector, gateway) {
					t.Errorf("NetworkPolicy %s does not let the gateway in: %+v", np.Name, rule.From)
				}
				// The supervision service calls the member service (to
				// withdraw a star rating) and the organisation service (to
				// read its compliance report); nothing else calls a service.
				callers := []string{in.fullname + "-gateway"}
				if name == "member" || name == "organisation" {
					callers = append(callers, in.fullname+"-supervision")
				}
				for _, peer := range rule.From {
					if peer.PodSelector == nil {
						continue
					}
					for _, w := range workloads(r) {
						if !slices.Contains(callers, w.name) && selects(t, peer.PodSelector, w.pod.Labels) {
							t.Errorf("NetworkPolicy %s lets %s %s in", np.Name, w.kind, w.name)
						}
					}
				}
				if want := len(callers) + len(r.values["networkPolicy"].(map[string]any)["grpcFrom"].([]any)); len(rule.From) != want {
					t.Errorf("NetworkPolicy %s has %d peers, want the gateway and networkPolicy.grpcFrom (%d)", np.Name, len(rule.From), want)
				}
			}
		})
	}
}

func TestTheDefaultImagesAreTheChartsAppVersion(t *testing.T) {
	t.Parallel()
	r := mustRender(t, "city", "", "")
	for _, d := range all[*appsv1.Deployment](r) {
		if img := d.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":"+r.chart.Metadata.AppVersion) {
			t.Errorf("Deployment %s runs %s by default, want the chart's appVersion %s", d.Name, img, r.chart.Metadata.AppVersion)
		}
	}
}

func TestGoMemLimitFollowsEveryQuantityForm(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"512Mi", "2Gi", "1G", "700M", "300000k", `"1073741824"`} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, "city", "", "gateway: {resources: {limits: {memory: "+q+"}}}")
			c := find[*appsv1.Deployment](t, r, "city-gongjian-gateway").Spec.Template.Spec.Containers[0]
			limit := resource.MustParse(strings.Trim(q, `"`))
			want := strconv.FormatInt(limit.Value()*9/10, 10)
			if got := env(c)["GOMEMLIMIT"].Value; got != want {
				t.Errorf("GOMEMLIMIT %s for a limit of %s, want %s", got, q, want)
			}
		})
	}
}
