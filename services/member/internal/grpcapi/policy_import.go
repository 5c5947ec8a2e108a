package grpcapi

import (
	"context"

	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// ImportLookup finds the organisation an import job works in.
type ImportLookup interface {
	// ImportJobScope is the organisation a job imports into, else the
	// root of its creator's scope; "" for a job of the whole city.
	ImportJobScope(ctx context.Context, jobID string) (string, error)
}

// cityWideJob stands for the scope of a job opened by a caller of the
// whole city: an id no organisation has, so that nobody scoped below the
// city reaches it.
const cityWideJob = "00000000-0000-0000-0000-000000000000"

// importPolicy is who may call each RPC of bulk imports: the writers who
// may import rosters, on the organisation the job imports into (or the
// scope of its creator); rows naming organisations of their own are
// refused row by row outside that scope, as ImportMembers refuses them.
func importPolicy(l ImportLookup) authz.Policy {
	job := func(get func(any) string) func(context.Context, any) ([]string, error) {
		return func(ctx context.Context, req any) ([]string, error) {
			id := get(req)
			if id == "" {
				return nil, nil // the input rules name the missing field
			}
			org, err := l.ImportJobScope(ctx, id)
			if org == "" {
				org = cityWideJob
			}
			return []string{org}, err
		}
	}
	return authz.Policy{
		pb.MemberImportService_CreateImportJob_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.CreateImportJobRequest) string { return r.GetOrganisationId() })},
		pb.MemberImportService_UploadImportChunks_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: job(func(r any) string { return r.(*pb.UploadImportChunksRequest).GetJobId() })},
		pb.MemberImportService_GetImportJob_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: job(func(r any) string { return r.(*pb.GetImportJobRequest).GetId() })},
		pb.MemberImportService_ListImportJobRows_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: job(func(r any) string { return r.(*pb.ListImportJobRowsRequest).GetJobId() })},
	}
}
