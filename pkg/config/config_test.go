package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

type sample struct {
	Addr     string        `env:"ADDR" envDefault:"127.0.0.1:1"`
	DB       string        `env:"DB_URL" secret:"true"`
	Token    string        `env:"TOKEN" secret:"true"`
	Timeout  time.Duration `env:"TIMEOUT" envDefault:"15s"`
	internal string
}

func TestLoadReadsDefaultsAndEnvAndAttrsMaskSecrets(t *testing.T) {
	t.Setenv("DB_URL", "postgres://app:s3cret@db:5432/x")
	t.Setenv("TOKEN", "abc123")
	var c sample
	if err := Load(&c); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:1" || c.Timeout != 15*time.Second || c.Token != "abc123" {
		t.Fatalf("loaded %+v", c)
	}
	got := fmt.Sprint(Attrs(&c))
	for _, leak := range []string{"s3cret", "abc123"} {
		if strings.Contains(got, leak) {
			t.Fatalf("secret %q in %s", leak, got)
		}
	}
	if !strings.Contains(got, "db:5432") || !strings.Contains(got, "ADDR=127.0.0.1:1") {
		t.Fatalf("Attrs lost the non-secret parts: %s", got)
	}
}

func TestLoadRefusesAMissingRequiredVariable(t *testing.T) {
	var c struct {
		URL string `env:"SURELY_UNSET_VARIABLE_X,required"`
	}
	if err := Load(&c); err == nil {
		t.Fatal("want an error for a missing required variable")
	}
}

func TestAttrsDescribeNestedPartsWithTheirSecretsMasked(t *testing.T) {
	type tls struct {
		CertFile string `env:"CERT_FILE"`
		KeyFile  string `env:"KEY_FILE" secret:"true"`
	}
	type outer struct {
		Addr string `env:"ADDR"`
		TLS  tls
		Own  *sample
		None *sample
	}
	c := outer{Addr: "a:1", TLS: tls{CertFile: "/c.pem", KeyFile: "/k.pem"},
		Own: &sample{Addr: "b:2", Token: "abc123"}}
	got := fmt.Sprint(Attrs(&c))
	for _, want := range []string{"ADDR=a:1", "CERT_FILE=/c.pem", "KEY_FILE=*****", "ADDR=b:2", "TOKEN=*****"} {
		if !strings.Contains(got, want) {
			t.Errorf("Attrs = %s, missing %s", got, want)
		}
	}
	if strings.Contains(got, "/k.pem") || strings.Contains(got, "abc123") {
		t.Fatalf("a nested secret leaked: %s", got)
	}
}
