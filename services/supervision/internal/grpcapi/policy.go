// Package grpcapi is the supervision service's gRPC transport: handlers that
// convert messages and call the domain, and the access policy of every RPC.
package grpcapi

import (
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// The roles by what they do in supervision.
var (
	// staff read rules, findings and items within their scope.
	staff = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary,
		auth.GridLeader, auth.UnitContact, auth.Inspector}
	readScopes = []string{"supervision.read", "supervision.write"}
)

// Policy is who may call each RPC of the supervision service.
func Policy() authz.Policy {
	return authz.Policy{
		pb.RuleService_ListFacts_FullMethodName: {Roles: staff, Scopes: readScopes},
	}
}
