package grpcapi

import (
	"context"

	"gongjian.dev/pkg/authz"
)

// MobileLookup finds the organisations the mobile calls are about.
type MobileLookup interface{}

// mobilePolicy is who may call each RPC of the mobile service.
func mobilePolicy(l Lookup, memberOrg func(func(any) string) func(context.Context, any) ([]string, error)) authz.Policy {
	return authz.Policy{}
}
