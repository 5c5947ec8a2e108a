package node

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// environment is the process's environment as the kubelet and containerd
// make it: the image's variables, then the kubelet's — the Services'
// link variables (for every Service of the namespace when
// enableServiceLinks, and always the API server's), the container's envFrom
// and env in order, each value's $(VAR) expanded from those before it —
// and HOSTNAME and HOME when not given.
func (c *Container) environment(ctx context.Context, u resolvedUser) (env []string, kubelet map[string]string, err error) {
	pod := c.pod.Obj
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, kv := range c.image.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	kubelet = map[string]string{} // what $(VAR) may refer to: the kubelet's own variables
	setK := func(k, v string) { kubelet[k] = v; set(k, v) }

	links, err := c.pod.node.serviceLinks(ctx, pod)
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(links))
	for k := range links {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		setK(k, links[k])
	}

	client := c.pod.node.Client
	for _, from := range c.Spec.EnvFrom {
		var data map[string]string
		switch {
		case from.ConfigMapRef != nil:
			cm, err := client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, from.ConfigMapRef.Name, metav1.GetOptions{})
			if err != nil {
				if from.ConfigMapRef.Optional != nil && *from.ConfigMapRef.Optional {
					continue
				}
				return nil, nil, fmt.Errorf("CreateContainerConfigError: envFrom configmap %q: %w", from.ConfigMapRef.Name, err)
			}
			data = cm.Data
		case from.SecretRef != nil:
			s, err := client.CoreV1().Secrets(pod.Namespace).Get(ctx, from.SecretRef.Name, metav1.GetOptions{})
			if err != nil {
				if from.SecretRef.Optional != nil && *from.SecretRef.Optional {
					continue
				}
				return nil, nil, fmt.Errorf("CreateContainerConfigError: envFrom secret %q: %w", from.SecretRef.Name, err)
			}
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		}
		ks := make([]string, 0, len(data))
		for k := range data {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		for _, k := range ks {
			setK(from.Prefix+k, data[k])
		}
	}

	for _, e := range c.Spec.Env {
		v := e.Value
		if e.ValueFrom == nil {
			v = expand(v, kubelet)
		} else {
			if v, err = c.valueFrom(ctx, e.ValueFrom); err != nil {
				return nil, nil, fmt.Errorf("CreateContainerConfigError: env %s: %w", e.Name, err)
			}
		}
		setK(e.Name, v)
	}
	if _, ok := vars["HOSTNAME"]; !ok {
		host, _ := os.Hostname() // the node's: hostNetwork pods share its UTS namespace
		set("HOSTNAME", host)
	}
	if _, ok := vars["HOME"]; !ok {
		set("HOME", u.home)
	}
	env = make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vars[k])
	}
	return env, kubelet, nil
}

// valueFrom resolves a variable given by reference.
func (c *Container) valueFrom(ctx context.Context, src *corev1.EnvVarSource) (string, error) {
	pod := c.pod.Obj
	client := c.pod.node.Client
	switch {
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		optional := ref.Optional != nil && *ref.Optional
		s, err := client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if optional {
				return "", nil
			}
			return "", fmt.Errorf("secret %q: %w", ref.Name, err)
		}
		v, ok := s.Data[ref.Key]
		if !ok && !optional {
			return "", fmt.Errorf("couldn't find key %s in Secret %s/%s", ref.Key, pod.Namespace, ref.Name)
		}
		return string(v), nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		optional := ref.Optional != nil && *ref.Optional
		cm, err := client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if optional {
				return "", nil
			}
			return "", fmt.Errorf("configmap %q: %w", ref.Name, err)
		}
		v, ok := cm.Data[ref.Key]
		if !ok && !optional {
			return "", fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", ref.Key, pod.Namespace, ref.Name)
		}
		return v, nil
	case src.FieldRef != nil:
		return fieldValue(pod, src.FieldRef.FieldPath)
	case src.ResourceFieldRef != nil:
		return c.resourceValue(src.ResourceFieldRef)
	}
	return "", fmt.Errorf("a valueFrom this node does not know")
}

// fieldValue answers the downward API's pod fields. Under host networking
// the pod's IP is the node's: 127.0.0.1 here.
func fieldValue(pod *corev1.Pod, path string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.podIP", "status.hostIPs", "status.podIPs":
		return "127.0.0.1", nil
	}
	for prefix, m := range map[string]map[string]string{"metadata.labels": pod.Labels, "metadata.annotations": pod.Annotations} {
		if key, ok := strings.CutPrefix(path, prefix+"['"); ok {
			return m[strings.TrimSuffix(key, "']")], nil
		}
	}
	return "", fmt.Errorf("fieldRef %q is not supported by this node", path)
}

// resourceValue answers resourceFieldRef as the kubelet does: the value
// divided by the divisor, rounded up.
func (c *Container) resourceValue(ref *corev1.ResourceFieldSelector) (string, error) {
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok {
		return "", fmt.Errorf("resourceFieldRef %q", ref.Resource)
	}
	list := c.Spec.Resources.Limits
	if kind == "requests" {
		list = c.Spec.Resources.Requests
	}
	q, ok := list[corev1.ResourceName(name)]
	if !ok {
		return "", fmt.Errorf("resourceFieldRef %q: not set (the node would use its allocatable)", ref.Resource)
	}
	div := ref.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	if name == "cpu" {
		return strconv.FormatInt((q.MilliValue()+div.MilliValue()-1)/div.MilliValue(), 10), nil
	}
	return strconv.FormatInt((q.Value()+div.Value()-1)/div.Value(), 10), nil
}

// serviceLinks are the Docker-link style variables the kubelet sets for
// Services: the API server's always, and every Service of the pod's
// namespace unless enableServiceLinks is false.
func (n *Node) serviceLinks(ctx context.Context, pod *corev1.Pod) (map[string]string, error) {
	out := map[string]string{}
	var svcs []corev1.Service
	if pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks {
		list, err := n.Client.CoreV1().Services(pod.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing the namespace's Services: %w", err)
		}
		svcs = list.Items
	}
	if api, err := n.Client.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, "kubernetes", metav1.GetOptions{}); err == nil {
		svcs = append(svcs, *api)
	}
	for _, s := range svcs {
		ip := s.Spec.ClusterIP
		if ip == "" || ip == corev1.ClusterIPNone {
			continue
		}
		prefix := strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
		for i, p := range s.Spec.Ports {
			proto := strings.ToLower(string(p.Protocol))
			if i == 0 {
				out[prefix+"_SERVICE_HOST"] = ip
				out[prefix+"_SERVICE_PORT"] = strconv.Itoa(int(p.Port))
				out[prefix+"_PORT"] = fmt.Sprintf("%s://%s:%d", proto, ip, p.Port)
			}
			if p.Name != "" {
				out[prefix+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_"))] = strconv.Itoa(int(p.Port))
			}
			pp := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.Port, strings.ToUpper(proto))
			out[pp] = fmt.Sprintf("%s://%s:%d", proto, ip, p.Port)
			out[pp+"_PROTO"] = proto
			out[pp+"_PORT"] = strconv.Itoa(int(p.Port))
			out[pp+"_ADDR"] = ip
		}
	}
	return out, nil
}

// expand replaces $(VAR) with VAR's value when VAR is known, keeps it as
// written when not, and turns $$ into $, as Kubernetes does.
func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
