package chart

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func TestTheGatewaySignsPeopleInToTheConsole(t *testing.T) {
	t.Parallel()
	t.Run("a production install signs in at the city's provider, with a secret client", func(t *testing.T) {
		t.Parallel()
		r := mustRender(t, "city", "testdata/production.yaml", "")
		c := find[*appsv1.Deployment](t, r, "city-gongjian-gateway").Spec.Template.Spec.Containers[0]
		vars := env(c)
		want := map[string]string{
			"OIDC_ISSUER_URL":   "https://sso.city.example/realms/gongjian",
			"OIDC_CLIENT_ID":    "gongjian-console",
			"OIDC_REDIRECT_URL": "https://gongjian.city.example/auth/callback",
			"OIDC_SCOPES":       "profile email",
			"AUTH_JWKS_URL":     "https://sso.city.example/realms/gongjian/protocol/openid-connect/certs",
			"AUTH_ISSUER":       "https://sso.city.example/realms/gongjian",
		}
		for k, v := range want {
			if vars[k].Value != v {
				t.Errorf("gateway: %s = %q, want %q", k, vars[k].Value, v)
			}
		}
		if s := vars["OIDC_CLIENT_SECRET"].ValueFrom; s == nil || s.SecretKeyRef == nil || s.SecretKeyRef.Name != "gongjian-console-oidc" {
			t.Errorf("gateway: OIDC_CLIENT_SECRET %+v, want it from the Secret gongjian-console-oidc", vars["OIDC_CLIENT_SECRET"])
		}
		if _, dev := vars["DEV_SIGNIN_ISSUER_DIR"]; dev {
			t.Errorf("gateway: the development sign-in is on in production")
		}
	})
	t.Run("by default nobody signs in, and the gateway checks tokens with the mounted keys", func(t *testing.T) {
		t.Parallel()
		r := mustRender(t, "city", "", "")
		gw := find[*appsv1.Deployment](t, r, "city-gongjian-gateway")
		c := gw.Spec.Template.Spec.Containers[0]
		vars := env(c)
		for _, k := range []string{"OIDC_ISSUER_URL", "DEV_SIGNIN_ISSUER_DIR"} {
			if _, ok := vars[k]; ok {
				t.Errorf("gateway: %s set by default", k)
			}
		}
		if volumeOf(gw.Spec.Template.Spec, c, vars["AUTH_KEYS_FILE"].Value) == nil {
			t.Errorf("gateway: AUTH_KEYS_FILE=%q is in no volume", vars["AUTH_KEYS_FILE"].Value)
		}
	})
	t.Run("an issuer without a client id is refused", func(t *testing.T) {
		t.Parallel()
		if _, err := render("city", "", "gateway: {oidc: {issuerUrl: https://sso.example, redirectUrl: https://x/auth/callback}}"); err == nil {
			t.Error("rendered without gateway.oidc.clientId")
		}
	})
}
