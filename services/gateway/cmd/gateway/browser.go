package main

import (
	"context"
	"errors"
	"log/slog"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/services/gateway/internal/consoleui"
	"gongjian.dev/services/gateway/internal/gateway"
)

// browserOptions are the parts of the gateway that serve people in a
// browser: the console, their sessions and the exports.
func browserOptions(ctx context.Context, cfg Config, log *slog.Logger) ([]gateway.Option, error) {
	opts := []gateway.Option{gateway.WithExports()}
	if cfg.Console {
		opts = append(opts, gateway.WithConsole(consoleui.Files()))
	}
	if cfg.DevSignInDir != "" && cfg.OIDCIssuerURL != "" {
		return nil, errors.New("DEV_SIGNIN_ISSUER_DIR and OIDC_ISSUER_URL are both set: the development sign-in never runs beside a real identity provider")
	}
	sc := gateway.SessionConfig{DevTTL: cfg.DevSignInTTL}
	if cfg.Auth.KeysFile != "" || cfg.Auth.JWKSURL != "" {
		v, err := auth.NewVerifier(ctx, cfg.Auth)
		if err != nil {
			return nil, err
		}
		sc.Verifier = v
	}
	if cfg.DevSignInDir != "" {
		iss, err := devissuer.Load(cfg.DevSignInDir)
		if err != nil {
			return nil, err
		}
		sc.DevIssuer = iss
		log.WarnContext(ctx, "development sign-in enabled: anyone reaching this gateway may sign in as anyone")
	}
	if cfg.OIDCIssuerURL != "" {
		sc.OIDC = &gateway.OIDCConfig{
			IssuerURL: cfg.OIDCIssuerURL, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
			RedirectURL: cfg.OIDCRedirectURL, Scopes: cfg.OIDCScopes,
		}
	}
	if sc.Verifier == nil && (sc.DevIssuer != nil || sc.OIDC != nil) {
		return nil, errors.New("browser sign-in needs keys to check tokens: set AUTH_KEYS_FILE or AUTH_JWKS_URL")
	}
	s, err := gateway.NewSessions(sc, log)
	if err != nil {
		return nil, err
	}
	return append(opts, gateway.WithSessions(s)), nil
}
