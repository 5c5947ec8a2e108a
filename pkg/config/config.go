// Package config loads a service's typed configuration from the environment
// (defaults in struct tags) and describes it for the start-up log with
// secrets masked.
//
//	type Config struct {
//		GRPCAddr    string `env:"GRPC_ADDR" envDefault:"127.0.0.1:9101"`
//		DatabaseURL string `env:"DATABASE_URL,required" secret:"true"`
//	}
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"

	"github.com/caarlos0/env/v11"
)

// Load fills cfg, a pointer to a struct, from the environment.
func Load(cfg any) error {
	if err := env.Parse(cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// Attrs describes cfg as log attributes, one per field, keyed by the
// variable name. Nested structs without a variable of their own (a
// service's auth or TLS part) are described field by field in the same
// list, so the start-up line shows the whole configuration. Fields tagged
// secret:"true" are masked; URLs keep their scheme, host and path but lose
// their password.
func Attrs(cfg any) []any {
	v := reflect.Indirect(reflect.ValueOf(cfg))
	if v.Kind() != reflect.Struct {
		return nil
	}
	t := v.Type()
	var attrs []any
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := cutComma(f.Tag.Get("env"))
		if name == "" {
			if f.Type.Kind() == reflect.Struct || (f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct && !v.Field(i).IsNil()) {
				attrs = append(attrs, Attrs(v.Field(i).Interface())...)
			}
			continue
		}
		attrs = append(attrs, slog.String(name, describe(v.Field(i), f.Tag.Get("secret") == "true")))
	}
	return attrs
}

func describe(v reflect.Value, secret bool) string {
	s := fmt.Sprint(v.Interface())
	if !secret || s == "" {
		return s
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return u.Redacted()
	}
	return "*****"
}

func cutComma(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
