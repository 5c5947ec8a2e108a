package chart

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test.
var chartDir = filepath.Join("..", "..", "charts", "gongjian")

// kubeVersion is the Kubernetes the chart is rendered for: the oldest it
// supports gets the newest features it uses.
var kubeVersion = chartutil.KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30"}

// rendered is a release as `helm install` would send it: its resources and
// its hooks, each decoded into its Kubernetes API type.
type rendered struct {
	chart     *chart.Chart
	objects   []object
	hooks     map[string]*release.Hook // by "Kind/name"
	notes     string
	values    chartutil.Values
	namespace string
}

// object is one rendered document.
type object struct {
	kind, name string
	hook       bool
	obj        any // *appsv1.Deployment, *corev1.Service, …
}

// newObject maps the kinds the chart may render to their API types. A kind
// not listed fails the test: the chart grew and its test did not.
func newObject(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "batch/v1/Job":
		return &batchv1.Job{}, true
	case "batch/v1/CronJob":
		return &batchv1.CronJob{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	case "networking.k8s.io/v1/Ingress":
		return &networkingv1.Ingress{}, true
	}
	return nil, false
}

// render renders the chart for the release releaseName with the values of
// valuesFile (none when empty) and then overrides (YAML, may be empty),
// checking them against values.schema.json on the way, as `helm install -f
// valuesFile -f overrides` does.
func render(releaseName, valuesFile, overrides string) (*rendered, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	vals := chartutil.Values{}
	if valuesFile != "" {
		if vals, err = chartutil.ReadValuesFile(valuesFile); err != nil {
			return nil, err
		}
	}
	if overrides != "" {
		over, err := chartutil.ReadValues([]byte(overrides))
		if err != nil {
			return nil, fmt.Errorf("overrides: %w", err)
		}
		vals = chartutil.CoalesceTables(over, vals) // the overrides win
	}
	caps := &chartutil.Capabilities{KubeVersion: kubeVersion, APIVersions: chartutil.DefaultVersionSet, HelmVersion: chartutil.DefaultCapabilities.HelmVersion}
	if !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart needs Kubernetes %s, rendering for %s", ch.Metadata.KubeVersion, caps.KubeVersion)
	}
	opts := chartutil.ReleaseOptions{Name: releaseName, Namespace: "city", Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(ch, vals, opts, caps)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, err
	}
	r := &rendered{chart: ch, hooks: map[string]*release.Hook{}, namespace: opts.Namespace}
	r.values, _ = top["Values"].(chartutil.Values)
	for name, content := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			r.notes = content
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		obj, err := decode(h.Path, h.Manifest)
		if err != nil {
			return nil, err
		}
		obj.hook = true
		r.hooks[h.Kind+"/"+h.Name] = h
		r.objects = append(r.objects, obj)
	}
	for _, m := range manifests {
		obj, err := decode(m.Name, m.Content)
		if err != nil {
			return nil, err
		}
		r.objects = append(r.objects, obj)
	}
	return r, nil
}

// decode decodes one document strictly: a field its type does not have, a
// value of the wrong type or a field given twice is an error.
func decode(file, doc string) (object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
		return object{}, fmt.Errorf("%s: %w\n%s", file, err, doc)
	}
	obj, ok := newObject(tm.APIVersion, tm.Kind)
	if !ok {
		return object{}, fmt.Errorf("%s: no test knows %s %s", file, tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
		return object{}, fmt.Errorf("%s: %s: %w\n%s", file, tm.Kind, err, doc)
	}
	meta := obj.(metav1.Object)
	if errs := validName(tm.Kind, meta.GetName()); len(errs) > 0 {
		return object{}, fmt.Errorf("%s: %s name %q: %v", file, tm.Kind, meta.GetName(), errs)
	}
	for k, v := range meta.GetLabels() {
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
			return object{}, fmt.Errorf("%s: %s %s: label %s=%q: %v", file, tm.Kind, meta.GetName(), k, v, errs)
		}
	}
	return object{kind: tm.Kind, name: meta.GetName(), obj: obj}, nil
}

// validName checks a name against the API server's rules for its kind.
func validName(kind, name string) []string {
	switch kind {
	case "Service":
		return validation.IsDNS1035Label(name)
	case "Job", "Deployment": // their names go into their pods' labels
		return validation.IsDNS1123Label(name)
	case "CronJob": // the controller appends 11 characters to name its Jobs
		if len(name) > 52 {
			return []string{"longer than 52 characters"}
		}
		return validation.IsDNS1123Label(name)
	}
	return validation.IsDNS1123Subdomain(name)
}

// mustRender renders or fails the test.
func mustRender(t *testing.T, releaseName, valuesFile, overrides string) *rendered {
	t.Helper()
	r, err := render(releaseName, valuesFile, overrides)
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	return r
}

// all returns the objects of type T.
func all[T any](r *rendered) []T {
	var out []T
	for _, o := range r.objects {
		if v, ok := o.obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// find returns the object of type T named name, or fails the test.
func find[T metav1.Object](t *testing.T, r *rendered, name string) T {
	t.Helper()
	for _, v := range all[T](r) {
		if v.GetName() == name {
			return v
		}
	}
	var zero T
	t.Fatalf("no %T named %s rendered", zero, name)
	return zero
}

// workload is a rendered pod template with what owns it.
type workload struct {
	kind, name string
	pod        corev1.PodTemplateSpec
}

// workloads returns every pod template the chart renders.
func workloads(r *rendered) []workload {
	var out []workload
	for _, o := range r.objects {
		switch v := o.obj.(type) {
		case *appsv1.Deployment:
			out = append(out, workload{o.kind, o.name, v.Spec.Template})
		case *batchv1.Job:
			out = append(out, workload{o.kind, o.name, v.Spec.Template})
		case *batchv1.CronJob:
			out = append(out, workload{o.kind, o.name, v.Spec.JobTemplate.Spec.Template})
		}
	}
	return out
}

// env returns a container's variables by name.
func env(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

// selects reports whether selector picks the pods labelled podLabels.
func selects(t *testing.T, selector *metav1.LabelSelector, podLabels map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		t.Fatalf("selector %v: %v", selector, err)
	}
	if s.Empty() {
		t.Fatalf("an empty selector selects every pod")
	}
	return s.Matches(labels.Set(podLabels))
}
