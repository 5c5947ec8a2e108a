package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

// The JWK set of a provider is refreshed on this schedule.
const (
	jwksRefreshInterval = 15 * time.Minute
	jwksHTTPTimeout     = 10 * time.Second
	// A token naming an unknown key triggers a refresh at most this often,
	// so that tokens with made-up key ids cannot hammer the provider.
	jwksUnknownKIDEvery = 30 * time.Second
	// jwksUnknownKIDWait is how long a call may wait for that refresh.
	jwksUnknownKIDWait = 10 * time.Second
)

func keysFromFile(path string) (keyfunc.Keyfunc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: reading the keys file: %w", err)
	}
	keys, err := keyfunc.NewJWKSetJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("auth: keys file %s is not a JWK set: %w", path, err)
	}
	all, err := keys.Storage().KeyReadAll(context.Background())
	if err != nil {
		return nil, fmt.Errorf("auth: keys file %s: %w", path, err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("auth: keys file %s holds no usable key", path)
	}
	return keys, nil
}

func keysFromURL(ctx context.Context, raw string) (keyfunc.Keyfunc, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("auth: AUTH_JWKS_URL %q is not an http(s) URL", raw)
	}
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{raw}, keyfunc.Override{
		HTTPTimeout:       jwksHTTPTimeout,
		RefreshInterval:   jwksRefreshInterval,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(jwksUnknownKIDEvery), 1),
		RateLimitWaitMax:  jwksUnknownKIDWait,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				slog.ErrorContext(ctx, "auth: refreshing the JWK set failed", "url", u, "error", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return keys, nil
}
