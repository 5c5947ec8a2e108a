package k8stest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// installed is a release as the API server holds it: every object read
// back, typed.
type installed struct {
	namespace       string
	deployments     []*appsv1.Deployment
	services        []*corev1.Service
	accounts        []*corev1.ServiceAccount
	policies        []*networkingv1.NetworkPolicy
	budgets         []*policyv1.PodDisruptionBudget
	workloads       []workload // every pod template: Deployments, Jobs, CronJobs
	rbacObjects     []string   // Roles and bindings the release made, if any
	values          map[string]any
	tls             bool
	grpcFrom        int // peers in networkPolicy.grpcFrom
	gatewayFromSet  bool
	maxUnavailables map[string]intstr.IntOrString // by component: podDisruptionBudget.maxUnavailable
}

// workload is a pod template and what owns it.
type workload struct {
	kind, name string
	tmpl       corev1.PodTemplateSpec
}

// component is the app.kubernetes.io/component label of a pod template:
// the service's name.
func component(labels map[string]string) string { return labels["app.kubernetes.io/component"] }

// grpcPort returns the container port named grpc of a pod template: the
// chart's gRPC services have one, the gateway has none.
func grpcPort(spec corev1.PodSpec) (corev1.ContainerPort, bool) {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == "grpc" {
				return p, true
			}
		}
	}
	return corev1.ContainerPort{}, false
}

// checkPromises checks the release against what the README promises of
// the chart's RBAC, NetworkPolicies, PodDisruptionBudgets and probes. Each
// problem is returned as a sentence; none means the promises hold.
func checkPromises(ctx context.Context, kube kubernetes.Interface, rel *installed) []string {
	var problems []string
	problems = append(problems, checkRBAC(ctx, kube, rel)...)
	problems = append(problems, checkNetworkPolicies(rel)...)
	problems = append(problems, checkBudgets(rel)...)
	problems = append(problems, checkProbes(rel)...)
	return problems
}

// checkRBAC: "Service accounts, one per service. No service calls the
// Kubernetes API": each Deployment runs as its own ServiceAccount, which
// never mounts a token, the release grants no role, and a token issued to
// each account (TokenRequest) is refused every read of the namespace by
// the API server's RBAC authorizer, while being a valid token.
func checkRBAC(ctx context.Context, kube kubernetes.Interface, rel *installed) []string {
	var problems []string
	if len(rel.rbacObjects) > 0 {
		problems = append(problems, fmt.Sprintf("the release grants roles: %s", strings.Join(rel.rbacObjects, ", ")))
	}
	accounts := map[string]*corev1.ServiceAccount{}
	for _, sa := range rel.accounts {
		accounts[sa.Name] = sa
	}
	used := map[string]string{}
	for _, d := range rel.deployments {
		pod := d.Spec.Template.Spec
		sa := accounts[pod.ServiceAccountName]
		switch {
		case sa == nil:
			problems = append(problems, fmt.Sprintf("Deployment %s runs as ServiceAccount %q, which the release does not make", d.Name, pod.ServiceAccountName))
			continue
		case sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken:
			problems = append(problems, fmt.Sprintf("ServiceAccount %s mounts its token into pods", sa.Name))
		case pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken:
			problems = append(problems, fmt.Sprintf("Deployment %s mounts a service-account token", d.Name))
		}
		if other, ok := used[sa.Name]; ok {
			problems = append(problems, fmt.Sprintf("Deployments %s and %s share ServiceAccount %s", other, d.Name, sa.Name))
		}
		used[sa.Name] = d.Name
	}
	for _, w := range rel.workloads {
		if a := w.tmpl.Spec.AutomountServiceAccountToken; a == nil || *a {
			problems = append(problems, fmt.Sprintf("%s %s mounts a service-account token", w.kind, w.name))
		}
	}
	for _, sa := range rel.accounts {
		problems = append(problems, checkAccountIsDenied(ctx, kube, rel.namespace, sa.Name)...)
	}
	return problems
}

// checkAccountIsDenied asks the API server for a token of the account and
// uses it: discovery must answer (the token is good), every read of the
// namespace's pods, secrets and config maps must be 403.
func checkAccountIsDenied(ctx context.Context, kube kubernetes.Interface, ns, name string) []string {
	tr, err := kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))},
	}, metav1.CreateOptions{})
	if err != nil {
		return []string{fmt.Sprintf("ServiceAccount %s: TokenRequest: %v", name, err)}
	}
	cfg := restConfig()
	cfg.BearerToken = tr.Status.Token
	as, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	if _, err := as.Discovery().ServerVersion(); err != nil {
		problems = append(problems, fmt.Sprintf("ServiceAccount %s: its token is not accepted: %v", name, err))
	}
	reads := map[string]func() error{
		"list pods":       func() error { _, err := as.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); return err },
		"list secrets":    func() error { _, err := as.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); return err },
		"list configmaps": func() error { _, err := as.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{}); return err },
		"list services":   func() error { _, err := as.CoreV1().Services(ns).List(ctx, metav1.ListOptions{}); return err },
	}
	for what, read := range reads {
		if err := read(); !apierrors.IsForbidden(err) {
			problems = append(problems, fmt.Sprintf("ServiceAccount %s may %s in %s (err %v), want 403 Forbidden", name, what, ns, err))
		}
	}
	return problems
}

// checkNetworkPolicies: "networkPolicy.grpcFrom lets other systems'
// namespaces reach the gRPC ports (otherwise only the gateway may, and the
// supervision service the member and organisation services); networkPolicy.gatewayFrom
// limits who reaches the gateway (empty allows every source)". Put without
// naming services: a service's gRPC port is reached by exactly the pods
// told its Service's address (the gateway, a service that calls another)
// and grpcFrom's namespaces. The admitted policies are evaluated, as a
// network plugin enforcing them would, for every pair of the release's
// pods, a pod of the namespace that is none of them, and pods of other
// namespaces.
func checkNetworkPolicies(rel *installed) []string {
	var problems []string
	type peer struct {
		what   string
		labels map[string]string
		ns     map[string]string
	}
	own := map[string]string{"kubernetes.io/metadata.name": rel.namespace}
	peers := []peer{{"a pod of the namespace outside the release", map[string]string{"app": "elsewhere"}, own}}
	for _, w := range rel.workloads {
		peers = append(peers, peer{w.kind + " " + w.name, w.tmpl.Labels, own})
	}
	grpcFromNS := map[string]string{"kubernetes.io/metadata.name": "government-exchange"}
	gatewayFromNS := map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}
	peers = append(peers,
		peer{"a pod of namespace government-exchange", map[string]string{"app": "exchange"}, grpcFromNS},
		peer{"a pod of namespace ingress-nginx", map[string]string{"app.kubernetes.io/name": "ingress-nginx"}, gatewayFromNS},
		peer{"a pod of another namespace", map[string]string{"app": "other"}, map[string]string{"kubernetes.io/metadata.name": "other"}})

	for _, d := range rel.deployments {
		dst := d.Spec.Template
		if !isolated(rel.policies, dst.Labels) {
			problems = append(problems, fmt.Sprintf("no NetworkPolicy selects the pods of Deployment %s", d.Name))
			continue
		}
		port, isService := grpcPort(dst.Spec)
		for _, src := range peers {
			if isService {
				allowed := allows(rel.policies, rel.namespace, src.labels, src.ns, dst.Labels, dst.Spec, port.ContainerPort)
				want := slices.Contains(callersOf(rel, dst.Labels), src.what)
				if rel.grpcFrom > 0 && src.what == "a pod of namespace government-exchange" {
					want = true // the production values' networkPolicy.grpcFrom
				}
				if allowed != want {
					problems = append(problems, fmt.Sprintf("%s reaches the gRPC port %d of %s: %v, want %v", src.what, port.ContainerPort, d.Name, allowed, want))
				}
				if allows(rel.policies, rel.namespace, src.labels, src.ns, dst.Labels, dst.Spec, 9999) {
					problems = append(problems, fmt.Sprintf("%s reaches port 9999 of %s, which is not the gRPC port", src.what, d.Name))
				}
				continue
			}
			httpPort := containerPort(dst.Spec, "http")
			allowed := allows(rel.policies, rel.namespace, src.labels, src.ns, dst.Labels, dst.Spec, httpPort)
			want := !rel.gatewayFromSet || src.what == "a pod of namespace ingress-nginx"
			if allowed != want {
				problems = append(problems, fmt.Sprintf("%s reaches the gateway's HTTP port %d: %v, want %v", src.what, httpPort, allowed, want))
			}
		}
	}
	return problems
}

// callersOf names the workloads (as "<kind> <name>") told the address of
// a Service that selects the pods labelled dst: an environment value
// <service name>[.<namespace>…]:<port>.
func callersOf(rel *installed, dst map[string]string) []string {
	var names []string
	for _, svc := range rel.services {
		if len(svc.Spec.Selector) == 0 || !selectsPod(&metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, dst) {
			continue
		}
		names = append(names, svc.Name)
	}
	var callers []string
	for _, w := range rel.workloads {
		for _, c := range w.tmpl.Spec.Containers {
			for _, e := range c.Env {
				host, _, err := net.SplitHostPort(e.Value)
				if err != nil {
					continue
				}
				for _, n := range names {
					if host == n || strings.HasPrefix(host, n+".") {
						callers = append(callers, w.kind+" "+w.name)
					}
				}
			}
		}
	}
	return callers
}

func containerPort(spec corev1.PodSpec, name string) int32 {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
	}
	return 0
}

// isolated says whether some ingress policy selects the pod.
func isolated(policies []*networkingv1.NetworkPolicy, podLabels map[string]string) bool {
	for _, np := range policies {
		if selectsPod(&np.Spec.PodSelector, podLabels) && slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			return true
		}
	}
	return false
}

// allows evaluates the namespace's ingress policies as the NetworkPolicy
// API defines them: a pod no policy selects takes everything; otherwise a
// connection is allowed when a rule of a policy selecting the pod matches
// both its source (pod selector in the policy's namespace, namespace
// selector, or both) and its port (a number, or a name of the destination
// container's ports; TCP).
func allows(policies []*networkingv1.NetworkPolicy, ns string, srcLabels, srcNS, dstLabels map[string]string, dst corev1.PodSpec, port int32) bool {
	if !isolated(policies, dstLabels) {
		return true
	}
	for _, np := range policies {
		if !selectsPod(&np.Spec.PodSelector, dstLabels) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			continue
		}
		for _, rule := range np.Spec.Ingress {
			if fromMatches(rule.From, ns, srcLabels, srcNS) && portMatches(rule.Ports, dst, port) {
				return true
			}
		}
	}
	return false
}

func fromMatches(from []networkingv1.NetworkPolicyPeer, ns string, srcLabels, srcNS map[string]string) bool {
	if len(from) == 0 {
		return true
	}
	for _, p := range from {
		switch {
		case p.IPBlock != nil:
			// Pod traffic is judged by selectors here.
		case p.PodSelector != nil && p.NamespaceSelector != nil:
			if selectsPod(p.NamespaceSelector, srcNS) && selectsPod(p.PodSelector, srcLabels) {
				return true
			}
		case p.PodSelector != nil:
			if srcNS["kubernetes.io/metadata.name"] == ns && selectsPod(p.PodSelector, srcLabels) {
				return true
			}
		case p.NamespaceSelector != nil:
			if selectsPod(p.NamespaceSelector, srcNS) {
				return true
			}
		}
	}
	return false
}

func portMatches(ports []networkingv1.NetworkPolicyPort, dst corev1.PodSpec, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type == intstr.String {
			if containerPort(dst, p.Port.StrVal) == port {
				return true
			}
			continue
		}
		lo, hi := p.Port.IntVal, p.Port.IntVal
		if p.EndPort != nil {
			hi = *p.EndPort
		}
		if port >= lo && port <= hi {
			return true
		}
	}
	return false
}

func selectsPod(sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(l))
}

// checkBudgets: "<service>.podDisruptionBudget: how many pods a node drain
// may take at once", maxUnavailable 1 unless set: one budget per
// Deployment, covering its pods and no other workload's, with the value
// the release was given.
func checkBudgets(rel *installed) []string {
	var problems []string
	for _, d := range rel.deployments {
		var covering []*policyv1.PodDisruptionBudget
		for _, pdb := range rel.budgets {
			if selectsPod(pdb.Spec.Selector, d.Spec.Template.Labels) {
				covering = append(covering, pdb)
			}
		}
		if len(covering) != 1 {
			problems = append(problems, fmt.Sprintf("Deployment %s is covered by %d PodDisruptionBudgets, want 1", d.Name, len(covering)))
			continue
		}
		pdb := covering[0]
		want := rel.maxUnavailables[component(d.Spec.Template.Labels)]
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.String() != want.String() || pdb.Spec.MinAvailable != nil {
			problems = append(problems, fmt.Sprintf("PodDisruptionBudget %s: maxUnavailable %v minAvailable %v, want maxUnavailable %s", pdb.Name, pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable, want.String()))
		}
		for _, w := range rel.workloads {
			if w.kind != "Deployment" || w.name != d.Name {
				if selectsPod(pdb.Spec.Selector, w.tmpl.Labels) {
					problems = append(problems, fmt.Sprintf("PodDisruptionBudget %s also covers the pods of %s %s", pdb.Name, w.kind, w.name))
				}
			}
		}
	}
	return problems
}

// checkProbes: "The services answer the kubelet's native gRPC probes; the
// gateway is ready when /healthz sees every backend serving, while
// start-up and liveness only check its port", and "with TLS on, the
// kubelet probes the services over TCP". Every probe must also aim at a
// port the container listens on.
func checkProbes(rel *installed) []string {
	var problems []string
	for _, d := range rel.deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			where := fmt.Sprintf("Deployment %s container %s", d.Name, c.Name)
			probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe}
			bad := false
			for kind, p := range probes {
				if p == nil {
					problems = append(problems, fmt.Sprintf("%s has no %s probe", where, kind))
					bad = true
					continue
				}
				if err := probeAimsAtAPort(c, p); err != nil {
					problems = append(problems, fmt.Sprintf("%s: the %s probe %v", where, kind, err))
					bad = true
				}
			}
			if bad {
				continue
			}
			if port, ok := grpcPort(d.Spec.Template.Spec); ok {
				for kind, p := range probes {
					switch {
					case rel.tls && (p.TCPSocket == nil || p.TCPSocket.Port.String() != "grpc"):
						problems = append(problems, fmt.Sprintf("%s: with TLS the %s probe must be TCP on grpc: %+v", where, kind, p.ProbeHandler))
					case !rel.tls && (p.GRPC == nil || p.GRPC.Port != port.ContainerPort):
						problems = append(problems, fmt.Sprintf("%s: the %s probe must be the gRPC health check on %d: %+v", where, kind, port.ContainerPort, p.ProbeHandler))
					}
				}
				continue
			}
			if r := c.ReadinessProbe; r.HTTPGet == nil || r.HTTPGet.Path != "/healthz" {
				problems = append(problems, fmt.Sprintf("%s: readiness %+v, want GET /healthz", where, r.ProbeHandler))
			}
			for kind, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe} {
				if p.TCPSocket == nil {
					problems = append(problems, fmt.Sprintf("%s: the %s probe must only check the port (TCP), not %+v", where, kind, p.ProbeHandler))
				}
			}
		}
	}
	return problems
}

// probeAimsAtAPort says whether the probe's port is one the container
// declares.
func probeAimsAtAPort(c corev1.Container, p *corev1.Probe) error {
	var port intstr.IntOrString
	switch {
	case p.GRPC != nil:
		port = intstr.FromInt32(p.GRPC.Port)
	case p.HTTPGet != nil:
		port = p.HTTPGet.Port
	case p.TCPSocket != nil:
		port = p.TCPSocket.Port
	default:
		return fmt.Errorf("has no gRPC, HTTP or TCP handler")
	}
	var declared []string
	for _, cp := range c.Ports {
		if (port.Type == intstr.String && cp.Name == port.StrVal) || (port.Type == intstr.Int && cp.ContainerPort == port.IntVal) {
			return nil
		}
		declared = append(declared, fmt.Sprintf("%s %d", cp.Name, cp.ContainerPort))
	}
	return fmt.Errorf("asks port %s, but the container listens on %s", port.String(), strings.Join(declared, ", "))
}

func ptr[T any](v T) *T { return &v }
