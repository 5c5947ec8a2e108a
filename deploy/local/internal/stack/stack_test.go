package stack

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

func TestRepoRootFindsTheWorkspaceAbove(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "deploy", "local", "demo")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte("go 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := RepoRoot(deep)
	if err != nil || got != root {
		t.Errorf("RepoRoot = %q, %v; want %q", got, err, root)
	}
	if got, err := RepoRoot(t.TempDir()); err == nil {
		t.Errorf("RepoRoot outside a workspace = %q, want an error", got)
	}
}

func TestEnvironPassesOnlyWhatAServiceNeeds(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
	t.Setenv("LOG_LEVEL", "DEBUG")
	t.Setenv("GRPC_ADDR", "0.0.0.0:1")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	env := Service{Name: "organisation", GatewayEnv: "ORGANISATION_ADDR"}.Env("127.0.0.1:9101", "postgres://db", "nats://n", "/keys/jwks.json",
		map[string]string{"ORGANISATION_ADDR": "127.0.0.1:9101", "MEMBER_ADDR": "127.0.0.1:9102"})
	for _, want := range []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317", "LOG_LEVEL=DEBUG", "GRPC_ADDR=127.0.0.1:9101",
		"DATABASE_URL=postgres://db", "NATS_URL=nats://n", "MIGRATE=true", "AUTH_KEYS_FILE=/keys/jwks.json",
		"MEMBER_ADDR=127.0.0.1:9102",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("environment lacks %s: %q", want, env)
		}
	}
	for _, kv := range env {
		if kv == "GRPC_ADDR=0.0.0.0:1" || kv == "AWS_SECRET_ACCESS_KEY=secret" || strings.HasPrefix(kv, "ORGANISATION_ADDR=") {
			t.Errorf("environment passes %s", kv)
		}
	}
}

func TestPresentSkipsServicesNotInTheTree(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "services", "organisation", "cmd", "organisation"), 0o755); err != nil {
		t.Fatal(err)
	}
	present, missing := Present(root, Services)
	if len(present) != 1 || present[0].Name != "organisation" || len(missing) != len(Services)-1 {
		t.Errorf("Present = %v, %v; want organisation only", present, missing)
	}
}

func TestMemberKeysAreMadeOnceAndKept(t *testing.T) {
	data := t.TempDir()
	member := Service{Name: "member"}
	first, err := member.Secrets(data)
	if err != nil || first["MEMBER_ID_KEYS"] == "" || first["MEMBER_ID_HASH_KEY"] == "" {
		t.Fatalf("Secrets = %v, %v; want both keys", first, err)
	}
	again, err := member.Secrets(data)
	if err != nil || !maps.Equal(first, again) {
		t.Errorf("the second start got other keys: %v, %v", again, err)
	}
	info, err := os.Stat(filepath.Join(data, MemberKeysFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("keys file: %v, %v; want mode 0600", info, err)
	}
	if none, err := (Service{Name: "organisation"}).Secrets(data); none != nil || err != nil {
		t.Errorf("organisation secrets = %v, %v; want none", none, err)
	}
}

// TestTheSupervisionServiceGetsATokenOfItsOwn: a token of the development
// issuer, for a service with the star-ratings scope only, in a file only
// its owner reads, and the member service's address.
func TestTheSupervisionServiceGetsATokenOfItsOwn(t *testing.T) {
	data := t.TempDir()
	t.Setenv("MEMBER_GRPC_ADDR", "127.0.0.1:19102")
	env, err := Service{Name: "supervision"}.Secrets(data)
	if err != nil || env["MEMBER_ADDR"] != "127.0.0.1:19102" {
		t.Fatalf("Secrets = %v, %v", env, err)
	}
	info, err := os.Stat(env["SERVICE_TOKEN_FILE"])
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", info, err)
	}
	iss, err := devissuer.Load(filepath.Join(data, "auth"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(t.Context(), auth.Config{Issuer: devissuer.IssuerName, Audience: devissuer.Audience, KeysFile: iss.KeysFile()})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile(env["SERVICE_TOKEN_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(strings.TrimSpace(string(tok)))
	if err != nil || p.Role != auth.Service || !slices.Equal(p.Scopes, []string{"member.star_ratings", "organisation.compliance_report"}) {
		t.Errorf("the token says %+v (%v)", p, err)
	}
}
