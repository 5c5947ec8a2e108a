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
)

// secrets makes, for a service that needs them, the settings only this
// machine knows: generated once into the data folder and reused on every
// start, so that what was encrypted yesterday still reads today.
var secrets = map[string]func(data string) (map[string]string, error){
	"member": memberKeys,
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
