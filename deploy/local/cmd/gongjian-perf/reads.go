package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"gongjian.dev/deploy/local/internal/perf"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	memberpb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgpb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func init() {
	register(20, "reads", measureReads)
}

// A read's caller: the city's organisation department.
var reader = devissuer.Claims{Subject: "perf-reader", Role: auth.CityAdmin}

// measureReads reads members and organisations by id over gRPC, then the
// same through the REST gateway.
func measureReads(ctx context.Context, s *system) ([]perf.Row, error) {
	health := s.ceiling(ceilingHealth)
	token, err := s.token(reader)
	if err != nil {
		return nil, err
	}
	bearer, err := s.bearer(reader)
	if err != nil {
		return nil, err
	}
	type read struct {
		name string
		grpc perf.Call
		path func() string
	}
	reads := []read{
		{"GetMember", func(ctx context.Context, w int) error {
			_, err := memberpb.NewMemberServiceClient(s.conn("member", w)).GetMember(ctx,
				&memberpb.GetMemberRequest{Id: pick(s.city.members).id}, token)
			return err
		}, func() string { return "/v1/members/" + pick(s.city.members).id }},
		{"GetOrganisation", func(ctx context.Context, w int) error {
			_, err := orgpb.NewOrganisationServiceClient(s.conn("organisation", w)).GetOrganisation(ctx,
				&orgpb.GetOrganisationRequest{Id: pick(s.city.branches)}, token)
			return err
		}, func() string { return "/v1/organisations/" + pick(s.city.branches) }},
	}
	var rows []perf.Row
	for _, r := range reads {
		logged := s.logCount()
		res := s.runProfiled(ctx, serviceOf(r.name), r.name, s.load(), r.grpc)
		g, err := s.row(r.name+" gRPC", res)
		if err != nil {
			return nil, err
		}
		g = g.Against(health)
		g.Note = fmt.Sprintf("%d log lines for %d calls", s.logCount()-logged, res.Calls)
		logged = s.logCount()
		res = s.runProfiled(ctx, "gateway", r.name+" REST", s.load(), func(ctx context.Context, w int) error { return s.get(ctx, r.path(), bearer) })
		h, err := s.row(r.name+" REST", res)
		if err != nil {
			return nil, err
		}
		h = h.Against(g)
		h.Note = fmt.Sprintf("through the gateway; %d log lines for %d calls", s.logCount()-logged, res.Calls)
		rows = append(rows, g, h)
	}
	return rows, nil
}

// get is one GET through the gateway; anything but 200 fails.
func (s *system) get(ctx context.Context, path, bearer string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.gateway+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", bearer)
	resp, err := s.httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return nil
}

func serviceOf(read string) string {
	if read == "GetMember" {
		return "member"
	}
	return "organisation"
}
