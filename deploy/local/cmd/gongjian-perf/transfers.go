package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"google.golang.org/grpc"

	"gongjian.dev/deploy/local/internal/perf"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	memberpb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

func init() {
	register(30, "transfers", measureTransfers)
}

// transferFlow is one worker's transfer under way: request (the sending
// district's administrator), confirm (the member, with their own token),
// release (the sender), receive (the receiving district's administrator).
// One call of the load is one step.
type transferFlow struct {
	step             int
	id, etag         string
	sender, receiver grpc.CallOption
	self             grpc.CallOption
}

type transfers struct {
	s     *system
	next  atomic.Int64
	flows []transferFlow
}

// measureTransfers runs transfer steps closed-loop at full speed, then
// open-loop at half the target rate (0.3 × pgbench TPC-B) for the p99,
// then open-loop at half the rate the closed loop reached.
func measureTransfers(ctx context.Context, s *system) ([]perf.Row, error) {
	ceiling := s.ceiling(ceilingPgbench)
	t := &transfers{s: s}
	l := s.load()
	t.flows = make([]transferFlow, l.Workers)
	res := s.runProfiled(ctx, "member", "transfers", l, t.step)
	full, err := s.row("transfer step calls", res)
	if err != nil {
		return nil, err
	}
	full = full.Against(ceiling)
	full.Note = fmt.Sprintf("request, confirm, release, receive; %d clients; target ratio 0.6", l.Workers)

	rate := 0.3 * ceiling.PerSecond
	if rate == 0 {
		return []perf.Row{full}, nil
	}
	open := perf.Load{Workers: 4 * l.Workers, Duration: l.Duration, Rate: rate}
	t.flows = make([]transferFlow, open.Workers)
	res = s.run(ctx, open, t.step)
	half, err := s.row("transfer step calls, fixed rate", res)
	if err != nil {
		return nil, err
	}
	half = half.Against(ceiling)
	half.Note = fmt.Sprintf("open loop at %.0f calls/s (half the target); target p99 ≤ 20 ms", rate)

	// The same at half the rate the closed loop reached: a step's latency
	// when the system keeps up with its callers.
	kept := perf.Load{Workers: 4 * l.Workers, Duration: l.Duration, Rate: full.PerSecond / 2}
	s.settle(ctx) // the overload before leaves events to relay and project
	t.flows = make([]transferFlow, kept.Workers)
	res = s.run(ctx, kept, t.step)
	sustained, err := s.row("transfer step calls, half the closed loop's rate", res)
	if err != nil {
		return nil, err
	}
	sustained = sustained.Against(ceiling)
	sustained.Note = fmt.Sprintf("open loop at %.0f calls/s, half what the closed loop reached: the latency of a step when the system keeps up", kept.Rate)
	return []perf.Row{full, half, sustained}, nil
}

// step makes worker w's next call; a failed step abandons the flow.
func (t *transfers) step(ctx context.Context, w int) error {
	f := &t.flows[w]
	client := memberpb.NewTransferServiceClient(t.s.conn("member", w))
	var tr *memberpb.Transfer
	var err error
	switch f.step {
	case 0:
		tr, err = t.request(ctx, client, f)
	case 1:
		var resp *memberpb.ConfirmTransferResponse
		resp, err = client.ConfirmTransfer(ctx, &memberpb.ConfirmTransferRequest{Id: f.id, Etag: f.etag}, f.self)
		tr = resp.GetTransfer()
	case 2:
		var resp *memberpb.ReleaseTransferResponse
		resp, err = client.ReleaseTransfer(ctx, &memberpb.ReleaseTransferRequest{Id: f.id, Etag: f.etag}, f.sender)
		tr = resp.GetTransfer()
	case 3:
		var resp *memberpb.ReceiveTransferResponse
		resp, err = client.ReceiveTransfer(ctx, &memberpb.ReceiveTransferRequest{Id: f.id, Etag: f.etag}, f.receiver)
		tr = resp.GetTransfer()
		if err == nil && tr.GetState() != memberpb.TransferState_TRANSFER_STATE_COMPLETED {
			err = fmt.Errorf("transfer %s ended %v", f.id, tr.GetState())
		}
	}
	if err != nil {
		f.step = 0
		return err
	}
	f.etag = tr.GetEtag()
	f.step = (f.step + 1) % 4
	return nil
}

// request opens a transfer of the next member not yet moved to a branch
// of a random district (a third of them the member's own).
func (t *transfers) request(ctx context.Context, client memberpb.TransferServiceClient, f *transferFlow) (*memberpb.Transfer, error) {
	i := int(t.next.Add(1)) - 1
	members := t.s.city.members
	if i >= len(members) {
		return nil, errors.New("out of members to transfer: seed a bigger city")
	}
	m := members[i]
	to := pick(t.s.city.branches)
	for to == m.branch {
		to = pick(t.s.city.branches)
	}
	var err error
	if f.sender, err = t.s.token(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: m.district}); err != nil {
		return nil, err
	}
	if f.receiver, err = t.s.token(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: t.s.city.branchDistrict[to]}); err != nil {
		return nil, err
	}
	if f.self, err = t.s.token(devissuer.Claims{Role: auth.Member, MemberID: m.id, Subject: "m-" + m.id}); err != nil {
		return nil, err
	}
	resp, err := client.RequestTransfer(ctx, &memberpb.RequestTransferRequest{Transfer: &memberpb.Transfer{MemberId: m.id,
		ToOrganisationId: to, Reason: "moved house"}, RequestId: "perf-" + m.id}, f.sender)
	if err != nil {
		return nil, err
	}
	f.id = resp.GetTransfer().GetId()
	return resp.GetTransfer(), nil
}
