package audit

import (
	"context"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/errs"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// AccessRule is who may read a service's audit trail: the organisation
// departments and the inspection groups, or a system with the audit.read
// scope. A caller scoped to a subtree names an organisation inside it.
func AccessRule() authz.Rule {
	return authz.Rule{
		Roles:  []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.Inspector},
		Scopes: []string{"audit.read"},
		Targets: func(ctx context.Context, req any) ([]string, error) {
			id := req.(*auditv1.ListAuditRecordsRequest).GetOrganisationId()
			if id == "" && authz.ScopeRoot(ctx) != "" {
				return nil, errs.Field(authz.ErrRole, "organisation_id", "name an organisation inside your scope")
			}
			return []string{id}, nil
		},
	}
}
