package node

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestExpandFollowsKubernetes(t *testing.T) {
	vars := map[string]string{"HOST": "db", "PORT": "5432"}
	for in, want := range map[string]string{
		"postgres://$(HOST):$(PORT)/x": "postgres://db:5432/x",
		"$(MISSING) stays":             "$(MISSING) stays",
		"$$(HOST) is escaped":          "$(HOST) is escaped",
		"a lone $ and $x":              "a lone $ and $x",
		"unclosed $(HOST":              "unclosed $(HOST",
		"":                             "",
	} {
		if got := expand(in, vars); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCapabilitiesDropAndAdd(t *testing.T) {
	none, err := capabilities(&corev1.Capabilities{Drop: []corev1.Capability{"ALL"}})
	if err != nil || len(none) != 0 {
		t.Errorf("drop ALL: %v %v, want none", none, err)
	}
	some, err := capabilities(&corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"NET_BIND_SERVICE"}})
	if err != nil || !slices.Equal(some, []string{"CAP_NET_BIND_SERVICE"}) {
		t.Errorf("drop ALL, add NET_BIND_SERVICE: %v %v", some, err)
	}
	def, _ := capabilities(&corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW"}})
	if slices.Contains(def, "CAP_NET_RAW") || !slices.Contains(def, "CAP_CHOWN") {
		t.Errorf("drop NET_RAW from the defaults: %v", def)
	}
}

func TestUnsupportedFieldsAreNamed(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init"}},
		Volumes:        []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
		Containers: []corev1.Container{{Name: "c", ImagePullPolicy: corev1.PullAlways,
			LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}},
	}}
	got := unsupported(pod)
	if len(got) != 4 {
		t.Errorf("unsupported named %d problems, want 4 (init containers, hostPath, pull Always, exec probe): %q", len(got), got)
	}
	if got := unsupported(&corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}); len(got) != 0 {
		t.Errorf("a plain pod: %q", got)
	}
}
