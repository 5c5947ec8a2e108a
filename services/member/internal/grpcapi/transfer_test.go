package grpcapi_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// requestTransfer opens a transfer as a city administrator.
func (h *harness) requestTransfer(t *testing.T, memberID, to string) *pb.Transfer {
	t.Helper()
	resp, err := h.transfers.RequestTransfer(callContext(t), &pb.RequestTransferRequest{
		Transfer: &pb.Transfer{MemberId: memberID, ToOrganisationId: to, Reason: "moved house"}})
	if err != nil {
		t.Fatalf("request transfer: %v", err)
	}
	return resp.GetTransfer()
}

// released is a transfer of a new member of from to to, confirmed and
// released by a city administrator.
func (h *harness) released(t *testing.T, from, to string) *pb.Transfer {
	t.Helper()
	m := h.register(t, person(from, "Transferred Member"))
	tf := h.requestTransfer(t, m.GetId(), to)
	ctx := callContext(t)
	c, err := h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag(), Reason: "signed on paper"})
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	r, err := h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId(), Etag: c.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	return r.GetTransfer()
}

func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func (h *harness) memberOrg(t *testing.T, id string) string {
	t.Helper()
	resp, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: id})
	if err != nil {
		t.Fatalf("get member: %v", err)
	}
	return resp.GetMember().GetOrganisationId()
}

// TestTransferAcrossDistricts: the three parties, each with their own token,
// move a member from a branch of one district to a community of another;
// each side does its own steps only, both read the transfer throughout, and
// the member belongs to the sending organisation until the receipt.
func TestTransferAcrossDistricts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.register(t, person(tr.branch.GetId(), "Wang Fang"))
	from, to := tr.branch.GetId(), tr.otherCommunity.GetId()
	sender := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "da-a", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))
	senderMembers := pb.NewMemberServiceClient(h.as(devissuer.Claims{Subject: "da-a", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))
	receiver := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "da-b", Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}))
	self := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "wang", Role: auth.Member, MemberID: m.GetId()}))
	ctx := callContext(t)

	req, err := sender.RequestTransfer(ctx, &pb.RequestTransferRequest{RequestId: "r-1",
		Transfer: &pb.Transfer{MemberId: m.GetId(), ToOrganisationId: to, Reason: "moved to Yongchang"}})
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	tf := req.GetTransfer()
	if tf.GetState() != pb.TransferState_TRANSFER_STATE_REQUESTED || tf.GetFromOrganisationId() != from ||
		tf.GetFromDistrictId() != tr.district.GetId() || tf.GetToDistrictId() != tr.otherDistrict.GetId() {
		t.Fatalf("requested: %v", tf)
	}
	again, err := sender.RequestTransfer(ctx, &pb.RequestTransferRequest{RequestId: "r-1",
		Transfer: &pb.Transfer{MemberId: m.GetId(), ToOrganisationId: to}})
	if err != nil || again.GetTransfer().GetId() != tf.GetId() {
		t.Fatalf("retried request: %v, %v", again, err)
	}
	if _, err := receiver.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Reason: "signed on paper"}); status.Code(err) != codes.NotFound {
		t.Errorf("receiving side confirms: %v", err)
	}
	c, err := self.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag(), Reason: "yes"})
	if err != nil {
		t.Fatalf("member confirms: %v", err)
	}
	if _, err := receiver.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("receiving side releases: %v", err)
	}
	rel, err := sender.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId(), Etag: c.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	tf = rel.GetTransfer()
	if !regexp.MustCompile(`^ZZ-\d{4}-\d{6}$`).MatchString(tf.GetLetterNumber()) {
		t.Errorf("letter number %q", tf.GetLetterNumber())
	}
	if d := tf.GetLetterDeadline().AsTime().Sub(tf.GetUpdateTime().AsTime()); d != 10*24*time.Hour {
		t.Errorf("letter valid for %v, want 10 days", d)
	}
	// Until the receipt the member is the sender's: the sending side still
	// sees the member, and both sides see the transfer.
	if h.memberOrg(t, m.GetId()) != from {
		t.Fatal("the member moved before the receipt")
	}
	if _, err := senderMembers.GetMember(ctx, &pb.GetMemberRequest{Id: m.GetId()}); err != nil {
		t.Errorf("the sending side lost sight of the member: %v", err)
	}
	for name, c := range map[string]pb.TransferServiceClient{"sender": sender, "receiver": receiver, "member": self} {
		if _, err := c.GetTransfer(ctx, &pb.GetTransferRequest{Id: tf.GetId()}); err != nil {
			t.Errorf("%s reads the transfer: %v", name, err)
		}
	}
	for name, c := range map[string]pb.TransferServiceClient{"sender": sender, "receiver": receiver} {
		l, err := c.ListTransfers(ctx, &pb.ListTransfersRequest{})
		if err != nil || len(l.GetTransfers()) != 1 {
			t.Errorf("%s lists its transfers: %v, %v", name, l, err)
		}
	}
	if _, err := sender.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("sending side receives: %v", err)
	}
	if _, err := sender.RejectTransfer(ctx, &pb.RejectTransferRequest{Id: tf.GetId(), Reason: "no"}); status.Code(err) != codes.NotFound {
		t.Errorf("sending side rejects after release: %v", err)
	}
	done, err := receiver.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag()})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	tf = done.GetTransfer()
	if tf.GetState() != pb.TransferState_TRANSFER_STATE_COMPLETED || len(tf.GetSteps()) != 4 {
		t.Fatalf("completed: %v", tf)
	}
	wantActors := []string{"da-a", "wang", "da-a", "da-b"}
	for i, s := range tf.GetSteps() {
		if s.GetActorSubject() != wantActors[i] {
			t.Errorf("step %d by %s, want %s", i, s.GetActorSubject(), wantActors[i])
		}
	}
	got, err := h.members.GetMember(ctx, &pb.GetMemberRequest{Id: m.GetId()})
	if err != nil || got.GetMember().GetOrganisationId() != to || got.GetMember().GetDistrictId() != tr.otherDistrict.GetId() {
		t.Fatalf("member after receipt: %v, %v", got, err)
	}
	if n := h.count(t, `SELECT count(*) FROM members WHERE id = $1 AND path = (SELECT path FROM orgs WHERE id = $2)`, m.GetId(), to); n != 1 {
		t.Error("the member's path did not follow")
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'transfer' AND subject_id = $1`, tf.GetId()); n != 4 {
		t.Errorf("%d audit records of the transfer, want 4", n)
	}

	waitFor(t, "the transfer's events", func() bool {
		var n int
		for _, e := range h.memberEvents(t) {
			if _, ok := e.(*pb.TransferReceived); ok {
				n++
			}
		}
		return n == 1
	})
	var subjects []string
	for _, e := range h.memberEvents(t) {
		switch e.(type) {
		case *pb.TransferRequested, *pb.TransferConfirmed, *pb.TransferReleased, *pb.TransferReceived:
			subjects = append(subjects, string(proto.MessageName(e).Name()))
		}
	}
	if want := []string{"TransferRequested", "TransferConfirmed", "TransferReleased", "TransferReceived"}; !equal(subjects, want) {
		t.Errorf("transfer events %v, want %v", subjects, want)
	}
	cs := counts(h.memberEvents(t))
	if f, g := cs[from], cs[to]; len(f) != 2 || f[1] != 0 || len(g) != 1 || g[0] != 1 {
		t.Errorf("counts: sending %v, receiving %v", f, g)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTransferRefusals: each wrong request is refused naming its field.
func TestTransferRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	dissolved := org(tr.community, kindBranch, "Dissolved Branch")
	dissolved.State = orgv1.OrganisationState_ORGANISATION_STATE_DISSOLVED
	h.created(t, dissolved)
	h.waitView(t, dissolved.GetId())
	m := h.register(t, person(tr.branch.GetId(), "Li Na"))
	other := h.register(t, person(tr.branch.GetId(), "Zhao Lei"))
	ctx := callContext(t)
	request := func(memberID, to string) error {
		_, err := h.transfers.RequestTransfer(ctx, &pb.RequestTransferRequest{Transfer: &pb.Transfer{MemberId: memberID, ToOrganisationId: to}})
		return err
	}
	for name, c := range map[string]struct {
		err  error
		want refusal
	}{
		"to where the member already is": {request(m.GetId(), tr.branch.GetId()), refusal{codes.InvalidArgument, []string{"transfer.to_organisation_id"}}},
		"to a party group":               {request(m.GetId(), tr.group.GetId()), refusal{codes.FailedPrecondition, []string{"transfer.to_organisation_id"}}},
		"to a dissolved branch":          {request(m.GetId(), dissolved.GetId()), refusal{codes.FailedPrecondition, []string{"transfer.to_organisation_id"}}},
		"to a street":                    {request(m.GetId(), tr.street.GetId()), refusal{codes.FailedPrecondition, []string{"transfer.to_organisation_id"}}},
		"to an unknown organisation":     {request(m.GetId(), "0190a000-0000-7000-8000-000000000000"), refusal{codes.FailedPrecondition, []string{"transfer.to_organisation_id"}}},
		"of an unknown member":           {request("0190a000-0000-7000-8000-000000000000", tr.community.GetId()), refusal{Code: codes.NotFound}},
		"without a member":               {request("", tr.community.GetId()), refusal{codes.InvalidArgument, []string{"transfer.member_id"}}},
	} {
		if got := refusalOf(c.err); got.Code != c.want.Code || !equal(got.Fields, c.want.Fields) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	tf := h.requestTransfer(t, m.GetId(), tr.community.GetId())
	if got := refusalOf(request(m.GetId(), tr.otherCommunity.GetId())); got.Code != codes.FailedPrecondition || !equal(got.Fields, []string{"transfer.member_id"}) {
		t.Errorf("a second open transfer: %v", got)
	}
	// A member acts on their own transfers only.
	someoneElse := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "zhao", Role: auth.Member, MemberID: other.GetId()}))
	for name, err := range map[string]error{
		"confirms": func() error {
			_, err := someoneElse.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId()})
			return err
		}(),
		"reads": func() error {
			_, err := someoneElse.GetTransfer(ctx, &pb.GetTransferRequest{Id: tf.GetId()})
			return err
		}(),
		"withdraws": func() error {
			_, err := someoneElse.WithdrawTransfer(ctx, &pb.WithdrawTransferRequest{Id: tf.GetId()})
			return err
		}(),
		"requests": func() error {
			_, err := someoneElse.RequestTransfer(ctx, &pb.RequestTransferRequest{Transfer: &pb.Transfer{MemberId: m.GetId(), ToOrganisationId: tr.otherCommunity.GetId()}})
			return err
		}(),
		"releases": func() error {
			_, err := someoneElse.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId()})
			return err
		}(),
	} {
		if c := status.Code(err); c != codes.NotFound && c != codes.PermissionDenied {
			t.Errorf("another member %s: %v", name, err)
		}
	}
	if _, err := h.transfers.GetTransfer(ctx, &pb.GetTransferRequest{Id: "0190a000-0000-7000-8000-000000000000"}); status.Code(err) != codes.NotFound {
		t.Errorf("unknown transfer: %v", err)
	}
	if _, err := h.transfers.RejectTransfer(ctx, &pb.RejectTransferRequest{Id: tf.GetId()}); !equal(refusalOf(err).Fields, []string{"reason"}) {
		t.Errorf("a rejection without a reason: %v", err)
	}
	// The database holds the rules too: one open transfer per member, and
	// steps that are never rewritten.
	if _, err := h.pool.Exec(ctx, `INSERT INTO transfers (id, member_id, from_organisation_id, to_organisation_id, state, version, created_at, updated_at)
		VALUES (gen_random_uuid(), $1, $2, $3, 'REQUESTED', 1, now(), now())`, m.GetId(), tr.branch.GetId(), tr.otherCommunity.GetId()); err == nil {
		t.Error("the database took a second open transfer of one member")
	}
	if _, err := h.pool.Exec(ctx, `UPDATE transfer_steps SET reason = 'rewritten' WHERE transfer_id = $1`, tf.GetId()); err == nil {
		t.Error("a step was rewritten")
	}
	if _, err := h.pool.Exec(ctx, `DELETE FROM transfer_steps WHERE transfer_id = $1`, tf.GetId()); err == nil {
		t.Error("a step was removed")
	}
}

// TestEndedTransfersNeverComplete: a withdrawn or rejected transfer takes no
// further step, and the member stays where they were.
func TestEndedTransfersNeverComplete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	withdrawn := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId())
	if _, err := h.transfers.WithdrawTransfer(ctx, &pb.WithdrawTransferRequest{Id: withdrawn.GetId(), Reason: "changed my mind"}); err != nil {
		t.Fatal(err)
	}
	rejected := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId())
	if _, err := h.transfers.RejectTransfer(ctx, &pb.RejectTransferRequest{Id: rejected.GetId(), Reason: "no such person here"}); err != nil {
		t.Fatal(err)
	}
	for _, tf := range []*pb.Transfer{withdrawn, rejected} {
		_, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()})
		if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "TRANSFER_STATE" {
			t.Errorf("receive an ended transfer: %v", err)
		}
		for _, step := range []func() error{
			func() error {
				_, err := h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Reason: "signed on paper"})
				return err
			},
			func() error {
				_, err := h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId()})
				return err
			},
			func() error {
				_, err := h.transfers.WithdrawTransfer(ctx, &pb.WithdrawTransferRequest{Id: tf.GetId()})
				return err
			},
		} {
			if err := step(); status.Code(err) != codes.FailedPrecondition {
				t.Errorf("a step of an ended transfer: %v", err)
			}
		}
		if h.memberOrg(t, tf.GetMemberId()) != tr.branch.GetId() {
			t.Error("the member of an ended transfer moved")
		}
		// A new transfer may follow an ended one.
		h.requestTransfer(t, tf.GetMemberId(), tr.community.GetId())
	}
}

// TestConcurrentStepsHaveOneWinner: two receipts, or a receipt and a
// withdrawal, at once: one succeeds, the other is refused, every time.
func TestConcurrentStepsHaveOneWinner(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	from, to := tr.branch.GetId(), tr.otherCommunity.GetId()
	receive := func(ctx context.Context, tf *pb.Transfer) error {
		_, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()})
		return err
	}
	withdraw := func(ctx context.Context, tf *pb.Transfer) error {
		_, err := h.transfers.WithdrawTransfer(ctx, &pb.WithdrawTransferRequest{Id: tf.GetId()})
		return err
	}
	for round := range 5 {
		for name, pair := range map[string][2]func(context.Context, *pb.Transfer) error{
			"two receipts":           {receive, receive},
			"receipt and withdrawal": {receive, withdraw},
		} {
			tf := h.released(t, from, to)
			ctx := callContext(t)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, f := range pair {
				wg.Go(func() { errs[i] = f(ctx, tf) })
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch status.Code(err) {
				case codes.OK:
					wins++
				case codes.FailedPrecondition:
				default:
					t.Errorf("round %d, %s: %v", round, name, err)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d, %s: %d winners (%v)", round, name, wins, errs)
			}
			got, err := h.transfers.GetTransfer(ctx, &pb.GetTransferRequest{Id: tf.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			wantOrg := from
			if got.GetTransfer().GetState() == pb.TransferState_TRANSFER_STATE_COMPLETED {
				wantOrg = to
			}
			if h.memberOrg(t, tf.GetMemberId()) != wantOrg {
				t.Fatalf("round %d, %s: the member is not where the transfer says", round, name)
			}
		}
	}
	var inFrom, inTo int
	inFrom = h.count(t, `SELECT count(*) FROM members WHERE organisation_id = $1`, from)
	inTo = h.count(t, `SELECT count(*) FROM members WHERE organisation_id = $1`, to)
	waitFor(t, "the last counts", func() bool {
		c := counts(h.memberEvents(t))
		f, g := c[from], c[to]
		return len(f) > 0 && len(g) > 0 && f[len(f)-1] == int64(inFrom) && g[len(g)-1] == int64(inTo)
	})
}

// TestStaleEtagIsRefused: a step replayed with the etag it was first taken
// with is refused as stale, and the state does not move twice.
func TestStaleEtagIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.register(t, person(tr.branch.GetId(), "Sun Li"))
	tf := h.requestTransfer(t, m.GetId(), tr.community.GetId())
	ctx := callContext(t)
	if _, err := h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag(), Reason: "signed on paper"}); err != nil {
		t.Fatal(err)
	}
	_, err := h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag(), Reason: "signed on paper"})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "ETAG_MISMATCH" {
		t.Fatalf("replayed confirmation: %v", err)
	}
	_, err = h.transfers.WithdrawTransfer(ctx, &pb.WithdrawTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag()})
	if reasonOf(err) != "ETAG_MISMATCH" {
		t.Fatalf("withdrawal with a stale etag: %v", err)
	}
	if n := h.count(t, `SELECT count(*) FROM transfer_steps WHERE transfer_id = $1`, tf.GetId()); n != 2 {
		t.Errorf("%d steps, want 2", n)
	}
}

// TestPocketMembers: a letter not received by its deadline lists its member
// as a pocket member once the sweeper has marked it (the list is what
// TransferExpired announced), cannot be received any more, and can be
// withdrawn. The letter's validity follows the sending district's settings.
func TestPocketMembers(t *testing.T) {
	t.Parallel()
	h := newTimedHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	if _, err := h.pool.Exec(ctx, `INSERT INTO transfer_settings (district_id, inside_days, max_months) VALUES ($1, 200, 3)`,
		tr.district.GetId()); err != nil {
		t.Fatal(err)
	}
	tf := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId())
	start := tf.GetUpdateTime().AsTime()
	if got, want := tf.GetLetterDeadline().AsTime(), start.AddDate(0, 3, 0); !got.Equal(want) {
		t.Errorf("deadline %v, want the three-month cap %v", got, want)
	}
	list := func() []string {
		resp, err := h.transfers.ListPocketMembers(ctx, &pb.ListPocketMembersRequest{OrganisationId: tr.branch.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range resp.GetTransfers() {
			ids = append(ids, p.GetId())
		}
		return ids
	}
	h.clock.addMonths(2)
	fresh := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId())
	h.sweep(t)
	if got := list(); len(got) != 0 {
		t.Fatalf("pocket members before any deadline: %v", got)
	}
	h.clock.addMonths(1)
	h.clock.add(time.Minute)
	if got := list(); len(got) != 0 {
		t.Fatalf("pocket members before the sweeper marked them: %v", got)
	}
	h.sweep(t)
	if got := list(); !equal(got, []string{tf.GetId()}) {
		t.Fatalf("pocket members %v, want %v (not %v)", got, tf.GetId(), fresh.GetId())
	}
	if got := h.get(t, tf.GetId()); !got.GetExpireTime().AsTime().Equal(h.clock.Now()) {
		t.Errorf("expire time %v, want the sweep's %v", got.GetExpireTime().AsTime(), h.clock.Now())
	}
	_, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "LETTER_EXPIRED" {
		t.Fatalf("receive an expired letter: %v", err)
	}
	if _, err := h.transfers.WithdrawTransfer(ctx, &pb.WithdrawTransferRequest{Id: tf.GetId(), Reason: "letter expired"}); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 0 {
		t.Errorf("pocket members after the withdrawal: %v", got)
	}
}
