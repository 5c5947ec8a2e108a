package grpcapi

import (
	"context"

	"gongjian.dev/pkg/authz"
)

// ReportingLookup finds the organisations the reporting calls are about.
type ReportingLookup interface{}

// reportingPolicy is who may call each RPC of the reporting service.
func reportingPolicy(l Lookup, memberOrg func(func(any) string) func(context.Context, any) ([]string, error)) authz.Policy {
	return authz.Policy{}
}
