package auth

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// TokenFile returns per-call credentials that send the token kept in the
// file at path as "authorization: Bearer <token>", for a service calling
// another with its own identity. The file is read again whenever it
// changes (a Kubernetes Secret renewed in place, a token refreshed by a
// sidecar), so a new token needs no restart. requireTLS is as for
// BearerToken.
func TokenFile(path string, requireTLS bool) credentials.PerRPCCredentials {
	return &tokenFile{path: path, requireTLS: requireTLS}
}

type tokenFile struct {
	path       string
	requireTLS bool

	mu      sync.Mutex
	modTime time.Time
	size    int64
	value   string
}

func (t *tokenFile) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	v, err := t.current()
	if err != nil {
		return nil, err
	}
	return map[string]string{authorizationKey: v}, nil
}

func (t *tokenFile) RequireTransportSecurity() bool { return t.requireTLS }

// current is the file's token, read again when the file changed.
func (t *tokenFile) current() (string, error) {
	info, err := os.Stat(t.path)
	if err != nil {
		return "", fmt.Errorf("service token: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.value != "" && info.ModTime().Equal(t.modTime) && info.Size() == t.size {
		return t.value, nil
	}
	b, err := os.ReadFile(t.path)
	if err != nil {
		return "", fmt.Errorf("service token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("service token: %s is empty", t.path)
	}
	t.value, t.modTime, t.size = "Bearer "+tok, info.ModTime(), info.Size()
	return t.value, nil
}
