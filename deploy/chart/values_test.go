package chart

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// TestWrongValuesAreRefusedWithAClearError: each mistake fails the
// rendering, as it fails `helm install` and `helm lint --strict`, with an
// error that names the value.
func TestWrongValuesAreRefusedWithAClearError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, overrides string
		want            []string // all in the error
	}{
		{"replicas written as a word", `organisation: {replicaCount: two}`,
			[]string{"/organisation/replicaCount", "integer"}},
		{"an empty image tag", `member: {image: {tag: ""}}`,
			[]string{"/member/image/tag"}},
		{"no image tag", `gateway: {image: {tag: null}}`,
			[]string{"/gateway/image", "tag"}},
		{"a misspelt key", `gateway: {replicas: 3}`,
			[]string{"/gateway", "replicas"}},
		{"a memory limit Kubernetes does not read", `organisation: {resources: {limits: {memory: 512MB}}}`,
			[]string{"/organisation/resources/limits/memory"}},
		{"no memory limit", `member: {resources: {limits: {memory: null}}}`,
			[]string{"/member/resources/limits", "memory"}},
		{"a negative shutdown timeout", `member: {shutdownTimeoutSeconds: -1}`,
			[]string{"/member/shutdownTimeoutSeconds"}},
		{"an unknown log level", `logLevel: verbose`,
			[]string{"/logLevel"}},
		{"a JWK set from an unknown kind of object", `auth: {keys: {kind: Vault}}`,
			[]string{"/auth/keys/kind"}},
		{"an empty issuer", `auth: {issuer: ""}`,
			[]string{"/auth/issuer"}},
		{"a malformed digest", `organisation: {image: {digest: "sha256:abc"}}`,
			[]string{"/organisation/image/digest"}},
		{"a secret written into the values", `member: {extraEnv: [{name: MEMBER_ID_KEYS, value: "v1:c2VjcmV0"}]}`,
			[]string{"member.extraEnv", "MEMBER_ID_KEYS", "secretKeyRef"}},
		{"an Ingress without a host", `gateway: {ingress: {enabled: true}}`,
			[]string{"gateway.ingress.hosts"}},
		{"a gateway without the organisation service", `organisation: {enabled: false}`,
			[]string{"organisation.enabled"}},
		{"an autoscaler whose minimum is above its maximum", `member: {autoscaling: {enabled: true, minReplicas: 5, maxReplicas: 2}}`,
			[]string{"member.autoscaling", "minReplicas"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := render("city", "", c.overrides)
			if err == nil {
				t.Fatalf("rendered with %s", c.overrides)
			}
			t.Logf("%s: %v", c.overrides, err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestAValidOverrideRenders makes sure the cases of
// TestWrongValuesAreRefusedWithAClearError fail for their own reason: the
// same keys with valid values render.
func TestAValidOverrideRenders(t *testing.T) {
	t.Parallel()
	for _, o := range []string{
		`organisation: {replicaCount: 5}`,
		`member: {image: {tag: "1.2.3", digest: "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}}`,
		`member: {extraEnv: [{name: MEMBER_ID_KEYS, valueFrom: {secretKeyRef: {name: other, key: keys}}}]}`,
		`gateway: {ingress: {enabled: true, hosts: [{host: gongjian.city.example, paths: [{path: /, pathType: Prefix}]}]}}`,
		`auth: {keys: {kind: Secret, name: city-jwks}}`,
		`logLevel: DEBUG`,
	} {
		if _, err := render("city", "", o); err != nil {
			t.Errorf("%s: %v", o, err)
		}
	}
}

// TestALongReleaseNameGivesValidNames: Helm allows release names of 53
// characters; every name stays within its kind's limit (checked in decode).
func TestALongReleaseNameGivesValidNames(t *testing.T) {
	t.Parallel()
	mustRender(t, strings.Repeat("r", 53), "testdata/production.yaml", "")
}

// TestAServiceCanBeLeftOut: without the member service nothing of it is
// rendered and the gateway does not look for it.
func TestAServiceCanBeLeftOut(t *testing.T) {
	t.Parallel()
	r := mustRender(t, "city", "", `member: {enabled: false}`)
	for _, o := range r.objects {
		if strings.Contains(o.name, "-member") {
			t.Errorf("%s %s rendered without the member service", o.kind, o.name)
		}
	}
	gw := find[*appsv1.Deployment](t, r, "city-gongjian-gateway")
	if v, ok := env(gw.Spec.Template.Spec.Containers[0])["MEMBER_ADDR"]; ok {
		t.Errorf("the gateway is sent to %+v", v)
	}
}
