package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"gongjian.dev/deploy/local/internal/perf"
	orgpb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func init() {
	register(40, "organisation-writes", measureCreateOrganisation)
}

// measureCreateOrganisation founds branches under random communities, each
// with its version, event and audit record.
func measureCreateOrganisation(ctx context.Context, s *system) ([]perf.Row, error) {
	ceiling := s.ceiling(ceilingCommit)
	token, err := s.token(reader)
	if err != nil {
		return nil, err
	}
	var n atomic.Int64
	res := s.runProfiled(ctx, "organisation", "CreateOrganisation", s.load(), func(ctx context.Context, w int) error {
		k := n.Add(1)
		_, err := orgpb.NewOrganisationServiceClient(s.conn("organisation", w)).CreateOrganisation(ctx, &orgpb.CreateOrganisationRequest{
			Organisation: &orgpb.Organisation{ParentId: pick(s.city.communities), Kind: orgpb.OrganisationKind_ORGANISATION_KIND_BRANCH,
				Name: fmt.Sprintf("perf branch %d", k)},
			RequestId: fmt.Sprintf("perf-create-%d", k)}, token)
		return err
	})
	row, err := s.row("CreateOrganisation", res)
	if err != nil {
		return nil, err
	}
	row = row.Against(ceiling)
	row.Note = "target ratio 0.25"
	return []perf.Row{row}, nil
}
