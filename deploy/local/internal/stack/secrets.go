package stack

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

// secrets makes, for a service that needs them, the settings only this
// machine knows: generated once into the data folder and reused on every
// start, so that what was encrypted yesterday still reads today.
var secrets = map[string]func(data string) (map[string]string, error){
	"member":      memberKeys,
	"supervision": supervisionToken,
}

// Secrets returns the service's generated settings; nil for a service
// that needs none.
func (s Service) Secrets(data string) (map[string]string, error) {
	generate, ok := secrets[s.Name]
	if !ok {
		return nil, nil
	}
	return generate(data)
}

// MemberKeysFile is where the member service's development keys are kept.
const MemberKeysFile = "member-keys.env"

// memberKeys are the key ring that encrypts national ID numbers and the key
// of their search hash.
func memberKeys(data string) (map[string]string, error) {
	return envFile(filepath.Join(data, MemberKeysFile), func() map[string]string {
		return map[string]string{"MEMBER_ID_KEYS": "v1:" + randomKey(), "MEMBER_ID_HASH_KEY": randomKey()}
	})
}

// SupervisionTokenFile is where the supervision service's own token is
// kept, beside the development issuer's key.
const SupervisionTokenFile = "auth/supervision-token"

// supervisionToken issues the supervision service its own token (role
// service, scopes member.star_ratings and organisation.compliance_report),
// with which it withdraws star ratings in the member service and reads the
// organisation service's compliance report, and tells it where the member
// service is (ORGANISATION_ADDR reaches it as every peer's address does). The
// token is issued afresh at every start; the service reads the file again
// whenever it changes.
func supervisionToken(data string) (map[string]string, error) {
	iss, err := devissuer.Load(filepath.Join(data, "auth"))
	if err != nil {
		return nil, err
	}
	tok, err := iss.Issue(devissuer.Claims{Subject: "service:supervision", Name: "supervision service", Role: auth.Service,
		Scopes: []string{"member.star_ratings", "organisation.compliance_report"}, TTL: 30 * 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	path := filepath.Join(data, SupervisionTokenFile)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return nil, err
	}
	member := Services[1].Addr
	if v := os.Getenv(Services[1].AddrEnv); v != "" {
		member = v
	}
	return map[string]string{"SERVICE_TOKEN_FILE": path, "MEMBER_ADDR": member}, nil
}

func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

// envFile reads NAME=value lines from path, or writes fresh ones there
// (readable by the owner only) when the file does not exist yet.
func envFile(path string, fresh func() map[string]string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		vals := fresh()
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			fmt.Fprintf(&b, "%s=%s\n", k, vals[k])
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		return vals, os.WriteFile(path, []byte(b.String()), 0o600)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: a line is not NAME=value", path)
		}
		vals[k] = v
	}
	return vals, sc.Err()
}
