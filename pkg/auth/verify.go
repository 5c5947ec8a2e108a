package auth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/textcheck"
)

// The errors of authentication. Their messages are safe for clients: they
// say what was wrong with a token but never repeat it.
var (
	ErrNoToken      = errs.New(errs.Unauthenticated, "missing bearer token")
	ErrInvalidToken = errs.New(errs.Unauthenticated, "invalid token")
	// ErrTokenExpired has a reason so that clients can tell "get a new
	// token" from "you are not who you claim".
	ErrTokenExpired = errs.WithReason(errs.Unauthenticated, "TOKEN_EXPIRED", "token expired")
)

// Config says which tokens a Verifier accepts. Exactly one of KeysFile and
// JWKSURL is set.
type Config struct {
	Issuer   string `env:"AUTH_ISSUER" envDefault:"gongjian-dev"`
	Audience string `env:"AUTH_AUDIENCE" envDefault:"gongjian"`
	// KeysFile is a JWK set (JSON) of public keys, read once at start.
	KeysFile string `env:"AUTH_KEYS_FILE"`
	// JWKSURL is where an OpenID Connect provider publishes its keys. They
	// are refreshed in the background and whenever a token names a key not
	// yet known, so that a key rotation needs no restart.
	JWKSURL string `env:"AUTH_JWKS_URL"`
	// Leeway absorbs clock skew in exp, nbf and iat.
	Leeway time.Duration `env:"AUTH_LEEWAY" envDefault:"30s"`
}

// The algorithms a token may be signed with. All are asymmetric: a token
// claiming HS256 (signed with a public key as the secret) or none is refused
// before any key is looked at.
var validAlgorithms = []string{"ES256", "RS256", "EdDSA"}

const (
	// maxTokenBytes bounds the work spent on a token; real ones are far
	// smaller.
	maxTokenBytes = 16 << 10
	minRSABits    = 2048
)

// Verifier checks tokens and turns them into Principals. It is safe for
// concurrent use.
type Verifier struct {
	keys   keyfunc.Keyfunc
	parser *jwt.Parser
	// verified remembers the tokens checked lately: a caller sends the
	// same token with every call, and checking its signature again costs
	// more CPU than the rest of a read (ECDSA P-256, about 15% of a
	// GetMember's in a profile).
	mu       sync.RWMutex
	verified map[string]verifiedToken
}

// verifiedToken is a token's principal, trusted until until while the
// key that signed it (kid, key) is still in the key set.
type verifiedToken struct {
	p     Principal
	until time.Time
	kid   string
	key   any
}

const (
	// verifiedFor bounds how long a verified token is trusted without its
	// signature checked again: a key withdrawn from the key set stops
	// being honoured within it.
	verifiedFor = time.Minute
	// maxVerified bounds the remembered tokens; past it they are forgotten.
	maxVerified = 10_000
)

// NewVerifier builds a Verifier from cfg. With JWKSURL, ctx ends the
// background refresh of the keys; a provider unreachable at start is
// logged and retried, so that a service can start while it is down.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("auth: issuer and audience are required")
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("auth: leeway must not be negative")
	}
	var (
		keys keyfunc.Keyfunc
		err  error
	)
	switch {
	case cfg.KeysFile != "" && cfg.JWKSURL != "":
		return nil, errors.New("auth: set either AUTH_KEYS_FILE or AUTH_JWKS_URL, not both")
	case cfg.KeysFile != "":
		keys, err = keysFromFile(cfg.KeysFile)
	case cfg.JWKSURL != "":
		keys, err = keysFromURL(ctx, cfg.JWKSURL)
	default:
		return nil, errors.New("auth: no keys to verify tokens: set AUTH_KEYS_FILE or AUTH_JWKS_URL")
	}
	if err != nil {
		return nil, err
	}
	// Keys published for encryption are never accepted for signatures.
	keys, err = keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: keys.Storage(), UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}})
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(validAlgorithms),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
	)
	return &Verifier{keys: keys, parser: parser}, nil
}

// claims are the claims of a token, as the identity provider writes them.
type claims struct {
	jwt.RegisteredClaims
	Name     string   `json:"name"`
	Role     Role     `json:"role"`
	ScopeOrg string   `json:"scope_org"`
	MemberID string   `json:"member_id"`
	UnitID   string   `json:"unit_id"`
	Perms    []string `json:"perms"`
	Scope    string   `json:"scope"`
}

// Verify checks token and returns its Principal. Every error is of kind
// errs.Unauthenticated.
func (v *Verifier) Verify(token string) (*Principal, error) {
	return v.VerifyContext(context.Background(), token)
}

// VerifyContext is Verify bounded by ctx, which limits the wait when the
// token names a key that has to be fetched first.
func (v *Verifier) VerifyContext(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	if len(token) > maxTokenBytes {
		return nil, errs.Detail(ErrInvalidToken, "too large")
	}
	if p, ok := v.remembered(ctx, token); ok {
		return p, nil
	}
	var (
		c    claims
		used any
	)
	find := v.keyfunc(ctx)
	tok, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		key, err := find(t)
		used = key
		return key, err
	})
	if err != nil {
		return nil, tokenError(err)
	}
	p, err := principal(&c)
	if err == nil && c.ExpiresAt != nil {
		kid, _ := tok.Header["kid"].(string)
		v.remember(token, verifiedToken{p: *p, until: c.ExpiresAt.Time, kid: kid, key: used})
	}
	return p, err
}

// remembered is the principal of a token verified lately, not expired,
// whose signing key is still the key set's.
func (v *Verifier) remembered(ctx context.Context, token string) (*Principal, bool) {
	v.mu.RLock()
	e, ok := v.verified[token]
	v.mu.RUnlock()
	if !ok || !time.Now().Before(e.until) {
		return nil, false
	}
	if jwk, err := v.keys.Storage().KeyRead(ctx, e.kid); err != nil || !sameKey(jwk.Key(), e.key) {
		return nil, false
	}
	p := e.p
	return &p, true
}

// sameKey reports whether two public keys are the same key.
func sameKey(a, b any) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if k, ok := a.(equaler); ok {
		return k.Equal(b)
	}
	return false
}

// remember trusts e until its token expires, for verifiedFor at most.
func (v *Verifier) remember(token string, e verifiedToken) {
	if limit := time.Now().Add(verifiedFor); limit.Before(e.until) {
		e.until = limit
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verified == nil || len(v.verified) >= maxVerified {
		v.verified = map[string]verifiedToken{}
	}
	v.verified[token] = e
}

// keyfunc finds the key named by the token's kid. A token without a kid is
// refused rather than tried against every key.
func (v *Verifier) keyfunc(ctx context.Context) jwt.Keyfunc {
	find := v.keys.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, errNoKeyID
		}
		key, err := find(t)
		if err != nil {
			return nil, err
		}
		if k, ok := key.(*rsa.PublicKey); ok && k.N.BitLen() < minRSABits {
			return nil, errWeakKey
		}
		return key, nil
	}
}

var (
	errNoKeyID = errors.New("token has no kid")
	errWeakKey = errors.New("RSA key too short")
)

func tokenError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return errs.Detail(ErrInvalidToken, "not valid yet")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return errs.Detail(ErrInvalidToken, "wrong issuer")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return errs.Detail(ErrInvalidToken, "wrong audience")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return errs.Detail(ErrInvalidToken, "missing claim")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return errs.Detail(ErrInvalidToken, "malformed")
	case errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return errs.Detail(ErrInvalidToken, "bad signature or unknown key")
	}
	return ErrInvalidToken
}

// principal checks the claims before anything uses them: a signed token
// is the identity provider's word, but a claim the services cannot use
// (a scope_org that is not an organisation id, a name with a NUL) would
// otherwise reach SQL and fail there as an internal error.
func principal(c *claims) (*Principal, error) {
	if err := checkClaims(c); err != nil {
		return nil, err
	}
	var scopes []string
	if c.Scope != "" {
		scopes = strings.Fields(c.Scope)
	}
	return &Principal{
		Subject:     c.Subject,
		Name:        c.Name,
		Role:        c.Role,
		ScopeOrgID:  c.ScopeOrg,
		MemberID:    c.MemberID,
		UnitID:      c.UnitID,
		Permissions: c.Perms,
		Scopes:      scopes,
		TokenID:     c.ID,
	}, nil
}

// maxClaimText bounds each text claim (a scope claim lists many scopes);
// real ones are far shorter, and the whole token is bounded anyway.
const maxClaimText = 1024

func checkClaims(c *claims) error {
	switch {
	case c.Subject == "":
		return errs.Detail(ErrInvalidToken, "missing claim")
	case !c.Role.Valid():
		return errs.Detail(ErrInvalidToken, "unknown role")
	case c.Role.Scoped() && c.ScopeOrg == "":
		return errs.Detail(ErrInvalidToken, "role without scope_org")
	case c.Role == Member && c.MemberID == "":
		return errs.Detail(ErrInvalidToken, "member without member_id")
	case c.ScopeOrg != "" && !isID(c.ScopeOrg):
		return errs.Detail(ErrInvalidToken, "scope_org is not an organisation id")
	case c.MemberID != "" && !isID(c.MemberID):
		return errs.Detail(ErrInvalidToken, "member_id is not a member id")
	case c.UnitID != "" && !isID(c.UnitID):
		return errs.Detail(ErrInvalidToken, "unit_id is not a UUID")
	}
	texts := append([]string{c.Subject, c.Name, c.ID, c.Scope}, c.Perms...)
	for _, s := range texts {
		if len(s) > maxClaimText || !textcheck.Clean(s) {
			return errs.Detail(ErrInvalidToken, "a claim is not plain text")
		}
	}
	return nil
}

// isID reports whether s is an id as the services write them: a UUID in
// its canonical form (lower-case, hyphenated), so that it compares equal
// to the ids and paths the services store.
func isID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}
