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
	token, err := s.token(reader)
	if err != nil {
		return nil, err
	}
	reads := []read{
		{"GetMember", "member", func(ctx context.Context, w int) error {
			_, err := memberpb.NewMemberServiceClient(s.conn("member", w)).GetMember(ctx,
				&memberpb.GetMemberRequest{Id: pick(s.city.members).id}, token)
			return err
		}, func() string { return "/v1/members/" + pick(s.city.members).id }},
		{"GetOrganisation", "organisation", func(ctx context.Context, w int) error {
			_, err := orgpb.NewOrganisationServiceClient(s.conn("organisation", w)).GetOrganisation(ctx,
				&orgpb.GetOrganisationRequest{Id: pick(s.city.branches)}, token)
			return err
		}, func() string { return "/v1/organisations/" + pick(s.city.branches) }},
	}
	var rows []perf.Row
	for _, r := range reads {
		g, h, err := s.measureRead(ctx, r)
		if err != nil {
			return nil, err
		}
		rows = append(rows, g, h)
	}
	return rows, nil
}

// read is one read measured over gRPC and through the gateway: its call
// to service, and the gateway's path of the same read.
type read struct {
	name    string
	service string
	grpc    perf.Call
	path    func() string
}

// measureRead runs r over gRPC against the health check's ceiling, with a
// profile of its service, then through the gateway against the gRPC row,
// with a profile of the gateway; each row's note counts the lines the
// system logged meanwhile.
func (s *system) measureRead(ctx context.Context, r read) (grpcRow, restRow perf.Row, err error) {
	bearer, err := s.bearer(reader)
	if err != nil {
		return grpcRow, restRow, err
	}
	logged := s.logCount()
	res := s.runProfiled(ctx, r.service, r.name, s.load(), r.grpc)
	if grpcRow, err = s.row(r.name+" gRPC", res); err != nil {
		return grpcRow, restRow, err
	}
	grpcRow = grpcRow.Against(s.ceiling(ceilingHealth))
	grpcRow.Note = fmt.Sprintf("%d log lines for %d calls", s.logCount()-logged, res.Calls)
	logged = s.logCount()
	res = s.runProfiled(ctx, "gateway", r.name+" REST", s.load(), func(ctx context.Context, w int) error { return s.get(ctx, r.path(), bearer) })
	if restRow, err = s.row(r.name+" REST", res); err != nil {
		return grpcRow, restRow, err
	}
	restRow = restRow.Against(grpcRow)
	restRow.Note = fmt.Sprintf("through the gateway; %d log lines for %d calls", s.logCount()-logged, res.Calls)
	return grpcRow, restRow, nil
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
