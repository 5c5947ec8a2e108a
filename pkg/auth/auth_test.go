package auth_test

import (
	"context"
	"testing"

	"gongjian.dev/pkg/auth"
)

func TestPrincipalPermissionsAndScopes(t *testing.T) {
	t.Parallel()
	p := &auth.Principal{Role: auth.System, Permissions: []string{auth.PermUnmaskedID}, Scopes: []string{"organisation.read"}}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"a held permission", p.Has(auth.PermUnmaskedID), true},
		{"a permission not held", p.Has("personal_data.export"), false},
		{"a scope is not a permission", p.Has("organisation.read"), false},
		{"a granted scope", p.HasScope("organisation.read"), true},
		{"a scope not granted", p.HasScope("organisation.write"), false},
		{"a permission is not a scope", p.HasScope(auth.PermUnmaskedID), false},
		{"no principal holds nothing", (*auth.Principal)(nil).Has(auth.PermUnmaskedID), false},
		{"no principal has no scope", (*auth.Principal)(nil).HasScope("organisation.read"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestPrincipalTravelsInTheContext(t *testing.T) {
	t.Parallel()
	p := &auth.Principal{Subject: "u-1", Role: auth.CityAdmin}
	tests := []struct {
		name   string
		ctx    context.Context
		want   *auth.Principal
		wantOK bool
	}{
		{"a principal put in is found", auth.WithPrincipal(context.Background(), p), p, true},
		{"a bare context has none", context.Background(), nil, false},
		{"a nil principal is none", auth.WithPrincipal(context.Background(), nil), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := auth.FromContext(tt.ctx)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("FromContext = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role          auth.Role
		valid, scoped bool
	}{
		{auth.CityAdmin, true, false}, {auth.DistrictAdmin, true, true}, {auth.StreetAdmin, true, true},
		{auth.CommunitySecretary, true, true}, {auth.GridLeader, true, true}, {auth.UnitContact, true, true},
		{auth.Inspector, true, false}, {auth.Member, true, false}, {auth.System, true, false}, {auth.Service, true, false},
		{"mayor", false, false}, {"", false, false}, {"City_Admin", false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			t.Parallel()
			if tt.role.Valid() != tt.valid || tt.role.Scoped() != tt.scoped {
				t.Fatalf("Valid, Scoped = %v, %v; want %v, %v", tt.role.Valid(), tt.role.Scoped(), tt.valid, tt.scoped)
			}
		})
	}
}
