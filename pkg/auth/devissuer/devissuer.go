// Package devissuer issues tokens for local development and tests, in place
// of the identity provider: a single ES256 key whose public JWK set an
// auth.Verifier reads through AUTH_KEYS_FILE. It is not for production.
package devissuer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gongjian.dev/pkg/auth"
)

// The issuer and audience of every token, matching auth.Config's defaults.
const (
	IssuerName = "gongjian-dev"
	Audience   = "gongjian"
)

// The files Load keeps in its directory.
const (
	KeyFileName  = "issuer-key.pem"
	JWKSFileName = "jwks.json"
)

// DefaultTTL is the lifetime of a token whose Claims leave TTL zero.
const DefaultTTL = time.Hour

// Issuer signs tokens with one ECDSA P-256 key.
type Issuer struct {
	key      *ecdsa.PrivateKey
	kid      string
	jwks     []byte
	keysFile string
}

// Load returns the issuer kept in dir, creating its key on first use, and
// (re)writes the public JWK set to dir/jwks.json for AUTH_KEYS_FILE. Keeping
// the key means tokens issued earlier stay valid across restarts.
func Load(dir string) (*Issuer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	key, err := loadOrCreateKey(filepath.Join(dir, KeyFileName))
	if err != nil {
		return nil, err
	}
	iss, err := newIssuer(key)
	if err != nil {
		return nil, err
	}
	iss.keysFile = filepath.Join(dir, JWKSFileName)
	if err := writeAtomically(iss.keysFile, iss.jwks, 0o644); err != nil {
		return nil, fmt.Errorf("devissuer: writing the JWK set: %w", err)
	}
	return iss, nil
}

// NewInMemory returns an issuer with a fresh key that is never written to
// disk; its public keys are in JWKS.
func NewInMemory() (*Issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	return newIssuer(key)
}

func newIssuer(key *ecdsa.PrivateKey) (*Issuer, error) {
	jwk, err := publicJWK(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	jwks, err := json.MarshalIndent(map[string]any{"keys": []any{jwk}}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	return &Issuer{key: key, kid: jwk.Kid, jwks: append(jwks, '\n')}, nil
}

// KeysFile is the path of the public JWK set, for AUTH_KEYS_FILE; "" for an
// in-memory issuer.
func (i *Issuer) KeysFile() string { return i.keysFile }

// JWKS is the public JWK set as JSON, as a provider would publish it.
func (i *Issuer) JWKS() []byte { return append([]byte(nil), i.jwks...) }

// KeyID is the kid of the issuer's key, its RFC 7638 thumbprint.
func (i *Issuer) KeyID() string { return i.kid }

// Claims describe the caller a token is for.
type Claims struct {
	Subject     string
	Name        string
	Role        auth.Role
	ScopeOrgID  string
	MemberID    string
	UnitID      string
	Permissions []string
	Scopes      []string
	TTL         time.Duration // DefaultTTL when zero
}

// Issue returns a signed token for c, valid from now for c.TTL.
func (i *Issuer) Issue(c Claims) (string, error) {
	if !c.Role.Valid() {
		return "", fmt.Errorf("devissuer: unknown role %q", c.Role)
	}
	if c.Subject == "" {
		return "", errors.New("devissuer: a token needs a subject")
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"iss":  IssuerName,
		"aud":  []string{Audience},
		"sub":  c.Subject,
		"iat":  now.Unix(),
		"nbf":  now.Unix(),
		"exp":  now.Add(ttl).Unix(),
		"jti":  rand.Text(),
		"role": string(c.Role),
	}
	optional := map[string]string{"name": c.Name, "scope_org": c.ScopeOrgID, "member_id": c.MemberID, "unit_id": c.UnitID,
		"scope": strings.Join(c.Scopes, " ")}
	for k, v := range optional {
		if v != "" {
			claims[k] = v
		}
	}
	if len(c.Permissions) > 0 {
		claims["perms"] = c.Permissions
	}
	return i.Sign(claims)
}

// Sign signs arbitrary claims with the issuer's key and kid, for tests that
// need tokens Issue would not make (expired, for another audience…).
func (i *Issuer) Sign(claims jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = i.kid
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("devissuer: signing: %w", err)
	}
	return s, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

func publicJWK(pub *ecdsa.PublicKey) (jwk, error) {
	raw, err := pub.Bytes() // 0x04 || X || Y, each 32 bytes
	if err != nil {
		return jwk{}, fmt.Errorf("devissuer: %w", err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	k := jwk{Kty: "EC", Crv: "P-256", X: b64(raw[1:33]), Y: b64(raw[33:]), Alg: "ES256", Use: "sig"}
	// RFC 7638: the hash of the required members in lexicographic order.
	sum := sha256.Sum256([]byte(`{"crv":"` + k.Crv + `","kty":"` + k.Kty + `","x":"` + k.X + `","y":"` + k.Y + `"}`))
	k.Kid = b64(sum[:])
	return k, nil
}

func loadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	return parseKey(path, raw)
}

func parseKey(path string, raw []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("devissuer: %s is not a PEM private key", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("devissuer: %s: %w", path, err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("devissuer: %s is not an ECDSA P-256 key", path)
	}
	return key, nil
}

// createKey writes a new key next to path and links it into place, which
// fails if path exists: of two processes starting together one creates the
// key and the other reads it, never half written.
func createKey(path string) (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	tmp := path + "." + rand.Text()
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	return key, nil
}

// writeAtomically replaces path in one step, so that a verifier starting
// meanwhile never reads half a file.
func writeAtomically(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
