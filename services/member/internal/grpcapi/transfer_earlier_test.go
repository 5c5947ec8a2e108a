package grpcapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/domain"
	"gongjian.dev/services/member/internal/member"
)

// cityZone is the city's time zone in these tests: eight hours east of
// UTC, so that the start of a day in the city is not midnight UTC.
var cityZone = time.FixedZone("CST", 8*3600)

// recordHarness is the harness over a service in the city's time zone,
// whose clock is now (the real one when nil), with the service itself for
// sweeping.
type recordHarness struct {
	*harness
	svc *domain.Services
	now func() time.Time
}

func newRecordHarness(t *testing.T, now func() time.Time) *recordHarness {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	h := newHarness(t, servicetest.WithClock(now), servicetest.WithLocation(cityZone))
	return &recordHarness{harness: h, svc: h.svc, now: now}
}

// daysAgo is the calendar day n days before the city's today.
func (h *recordHarness) daysAgo(n int) string {
	return h.now().In(cityZone).AddDate(0, 0, -n).Format(time.DateOnly)
}

// monthsAgo is the calendar day n months before the city's today.
func (h *recordHarness) monthsAgo(n int) string {
	return h.now().In(cityZone).AddDate(0, -n, 0).Format(time.DateOnly)
}

// dayStart is when a day begins in the city.
func dayStart(t *testing.T, day string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, day, cityZone)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (h *recordHarness) sweep(t *testing.T) {
	t.Helper()
	if err := h.svc.Sweep(callContext(t)); err != nil {
		t.Fatalf("sweep: %v", err)
	}
}

// streamed lists the subjects of the member stream and the payload of each.
func (h *harness) streamed(t *testing.T) (subjects []string, data [][]byte) {
	t.Helper()
	ctx := callContext(t)
	info, err := h.stream.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	for s := info.State.FirstSeq; info.State.Msgs > 0 && s <= info.State.LastSeq; s++ {
		m, err := h.stream.GetMsg(ctx, s)
		if err != nil {
			t.Fatalf("message %d: %v", s, err)
		}
		subjects, data = append(subjects, m.Subject), append(data, m.Data)
	}
	return subjects, data
}

// recordedEvents waits until the stream holds want TransferRecorded events
// and returns them.
func (h *harness) recordedEvents(t *testing.T, want int) []*pb.TransferRecorded {
	t.Helper()
	var out []*pb.TransferRecorded
	waitFor(t, "TransferRecorded events", func() bool {
		out = nil
		subjects, data := h.streamed(t)
		for i, s := range subjects {
			if s == "gongjian.member.v1.transfer_recorded" {
				var ev pb.TransferRecorded
				if err := proto.Unmarshal(data[i], &ev); err != nil {
					t.Fatal(err)
				}
				out = append(out, &ev)
			}
		}
		return len(out) >= want
	})
	return out
}

func TestRecordEarlierTransferRefusals(t *testing.T) {
	t.Parallel()
	h := newRecordHarness(t, nil)
	tr := h.tree(t)
	ctx := callContext(t)
	plain := h.register(t, person(tr.branch.GetId(), "Plain Member")) // joined 2005-07-01
	busy := h.register(t, person(tr.branch.GetId(), "Busy Member"))
	h.requestTransfer(t, busy.GetId(), tr.community.GetId())
	papered := h.register(t, person(tr.branch.GetId(), "Papered Member"))
	const paperNumber = "金组转〔2024〕17号"
	if _, err := h.transfers.RecordEarlierTransfer(ctx, &pb.RecordEarlierTransferRequest{MemberId: papered.GetId(),
		ToOrganisationId: tr.otherCommunity.GetId(), RequestedDate: h.daysAgo(20), ConfirmedDate: h.daysAgo(19),
		ReleasedDate: h.daysAgo(18), LetterNumber: paperNumber}); err != nil {
		t.Fatalf("record a paper letter: %v", err)
	}

	// valid is a request that would be recorded; each case breaks one thing.
	valid := func() *pb.RecordEarlierTransferRequest {
		return &pb.RecordEarlierTransferRequest{MemberId: plain.GetId(), ToOrganisationId: tr.otherCommunity.GetId(),
			Reason: "迁居", RequestedDate: h.daysAgo(50), ConfirmedDate: h.daysAgo(45), ReleasedDate: h.daysAgo(40)}
	}
	tests := []struct {
		name   string
		change func(r *pb.RecordEarlierTransferRequest)
		want   refusal
	}{
		{"without a requested date", func(r *pb.RecordEarlierTransferRequest) { r.RequestedDate = "" },
			refusal{codes.InvalidArgument, []string{"requested_date"}}},
		{"with a date that is not one", func(r *pb.RecordEarlierTransferRequest) { r.RequestedDate = "2024-02-30" },
			refusal{codes.InvalidArgument, []string{"requested_date"}}},
		{"requested in the future", func(r *pb.RecordEarlierTransferRequest) {
			r.RequestedDate, r.ConfirmedDate, r.ReleasedDate = h.daysAgo(-2), "", ""
		}, refusal{codes.InvalidArgument, []string{"requested_date"}}},
		{"released in the future", func(r *pb.RecordEarlierTransferRequest) { r.ReleasedDate = h.daysAgo(-1) },
			refusal{codes.InvalidArgument, []string{"released_date"}}},
		{"requested before 1949", func(r *pb.RecordEarlierTransferRequest) { r.RequestedDate = "1948-12-31" },
			refusal{codes.InvalidArgument, []string{"requested_date"}}},
		{"requested before the member joined the party", func(r *pb.RecordEarlierTransferRequest) {
			r.RequestedDate, r.ConfirmedDate, r.ReleasedDate = "2005-06-30", "2005-07-02", ""
		}, refusal{codes.InvalidArgument, []string{"requested_date"}}},
		{"confirmed before it was requested", func(r *pb.RecordEarlierTransferRequest) { r.ConfirmedDate = h.daysAgo(51) },
			refusal{codes.InvalidArgument, []string{"confirmed_date"}}},
		{"released before it was confirmed", func(r *pb.RecordEarlierTransferRequest) { r.ReleasedDate = h.daysAgo(46) },
			refusal{codes.InvalidArgument, []string{"released_date"}}},
		{"released without a confirmation", func(r *pb.RecordEarlierTransferRequest) { r.ConfirmedDate = "" },
			refusal{codes.InvalidArgument, []string{"confirmed_date"}}},
		{"a letter number without a letter", func(r *pb.RecordEarlierTransferRequest) {
			r.ReleasedDate, r.LetterNumber = "", "金组转〔2024〕18号"
		}, refusal{codes.InvalidArgument, []string{"letter_number"}}},
		{"a letter number of the system's own form", func(r *pb.RecordEarlierTransferRequest) { r.LetterNumber = "ZZ-2024-000001" },
			refusal{codes.InvalidArgument, []string{"letter_number"}}},
		{"a paper letter's number recorded before", func(r *pb.RecordEarlierTransferRequest) { r.LetterNumber = paperNumber },
			refusal{codes.AlreadyExists, []string{"letter_number"}}},
		{"to no organisation", func(r *pb.RecordEarlierTransferRequest) { r.ToOrganisationId = member.NewID() },
			refusal{codes.FailedPrecondition, []string{"to_organisation_id"}}},
		{"to a party group", func(r *pb.RecordEarlierTransferRequest) { r.ToOrganisationId = tr.group.GetId() },
			refusal{codes.FailedPrecondition, []string{"to_organisation_id"}}},
		{"to the member's own organisation", func(r *pb.RecordEarlierTransferRequest) { r.ToOrganisationId = tr.branch.GetId() },
			refusal{codes.InvalidArgument, []string{"to_organisation_id"}}},
		{"of a member with an open transfer", func(r *pb.RecordEarlierTransferRequest) { r.MemberId = busy.GetId() },
			refusal{codes.FailedPrecondition, []string{"member_id"}}},
		{"of a member id that is not one", func(r *pb.RecordEarlierTransferRequest) { r.MemberId = "nobody" },
			refusal{codes.InvalidArgument, []string{"member_id"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := valid()
			tt.change(req)
			_, err := h.transfers.RecordEarlierTransfer(callContext(t), req)
			if got := refusalOf(err); got.Code != tt.want.Code || !slices.Equal(got.Fields, tt.want.Fields) {
				t.Errorf("got %v %v (%v), want %v %v", got.Code, got.Fields, err, tt.want.Code, tt.want.Fields)
			}
		})
	}
	t.Run("an open transfer is refused with its reason", func(t *testing.T) {
		req := valid()
		req.MemberId = busy.GetId()
		_, err := h.transfers.RecordEarlierTransfer(callContext(t), req)
		if reasonOf(err) != "TRANSFER_OPEN" {
			t.Errorf("reason %q, want TRANSFER_OPEN", reasonOf(err))
		}
	})
	t.Run("nothing was recorded by a refusal", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM transfers WHERE member_id = $1`, plain.GetId()); n != 0 {
			t.Errorf("%d transfers of the member", n)
		}
		if n := h.count(t, `SELECT count(*) FROM transfers WHERE member_id = $1`, busy.GetId()); n != 1 {
			t.Errorf("%d transfers of the busy member, want its one open", n)
		}
	})
	t.Run("the valid request is recorded", func(t *testing.T) {
		if _, err := h.transfers.RecordEarlierTransfer(callContext(t), valid()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRecordEarlierTransferKeepsTheOriginalDates(t *testing.T) {
	t.Parallel()
	h := newRecordHarness(t, nil)
	tr := h.tree(t)
	ctx := callContext(t)
	m := h.register(t, person(tr.branch.GetId(), "Paper Member"))
	// The sending district's letters are valid 20 days.
	if _, err := h.transfers.UpdateTransferSettings(ctx, &pb.UpdateTransferSettingsRequest{DistrictId: tr.district.GetId(),
		Settings: &pb.TransferSettings{InsideDays: 20, OutsideDays: 30, MaxMonths: 3, ReviewMonths: 6}}); err != nil {
		t.Fatal(err)
	}
	clerk := devissuer.Claims{Subject: "clerk-7", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}
	clerkTransfers := pb.NewTransferServiceClient(h.as(clerk))
	req := &pb.RecordEarlierTransferRequest{MemberId: m.GetId(), ToOrganisationId: tr.otherCommunity.GetId(),
		Reason: "随子女迁居", RequestedDate: h.daysAgo(70), ConfirmedDate: h.daysAgo(65), ReleasedDate: h.daysAgo(60),
		RequestId: "paper-ledger-2024-17"}
	before := time.Now()
	resp, err := clerkTransfers.RecordEarlierTransfer(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	got := resp.GetTransfer()

	t.Run("it stands released with a drawn letter due by the district's settings", func(t *testing.T) {
		if got.GetState() != pb.TransferState_TRANSFER_STATE_RELEASED || got.GetEtag() != "3" {
			t.Errorf("state %v, etag %s: want released after 3 steps", got.GetState(), got.GetEtag())
		}
		released := dayStart(t, h.daysAgo(60))
		if d := got.GetLetterDeadline().AsTime(); !d.Equal(released.AddDate(0, 0, 20)) {
			t.Errorf("deadline %v, want 20 days after %v", d, released)
		}
		if want := "ZZ-" + h.daysAgo(60)[:4] + "-"; !strings.HasPrefix(got.GetLetterNumber(), want) {
			t.Errorf("letter %q, want a drawn number %s…", got.GetLetterNumber(), want)
		}
		if !got.GetCreateTime().AsTime().Equal(dayStart(t, h.daysAgo(70))) {
			t.Errorf("create time %v, want the start of the requested day", got.GetCreateTime().AsTime())
		}
		if got.GetFromOrganisationId() != tr.branch.GetId() || got.GetToDistrictId() != tr.otherDistrict.GetId() {
			t.Errorf("sides %s → %s (%s)", got.GetFromOrganisationId(), got.GetToOrganisationId(), got.GetToDistrictId())
		}
	})
	t.Run("each step keeps its day, the caller and when it was recorded", func(t *testing.T) {
		wantActions := []string{"TRANSFER_ACTION_REQUESTED", "TRANSFER_ACTION_CONFIRMED", "TRANSFER_ACTION_RELEASED"}
		if a := actions(got); !slices.Equal(a, wantActions) {
			t.Fatalf("actions %v, want %v", a, wantActions)
		}
		for i, day := range []string{h.daysAgo(70), h.daysAgo(65), h.daysAgo(60)} {
			s := got.GetSteps()[i]
			if !s.GetTime().AsTime().Equal(dayStart(t, day)) {
				t.Errorf("step %d at %v, want the start of %s in the city", i, s.GetTime().AsTime(), day)
			}
			if s.GetActorSubject() != "clerk-7" || s.GetActorRole() != string(auth.DistrictAdmin) {
				t.Errorf("step %d by %s as %s", i, s.GetActorSubject(), s.GetActorRole())
			}
			if r := s.GetRecordTime().AsTime(); r.Before(before.Add(-time.Second)) || r.After(time.Now()) {
				t.Errorf("step %d recorded at %v, want now", i, r)
			}
			if !strings.Contains(s.GetReason(), "recorded on "+time.Now().In(cityZone).Format(time.DateOnly)) {
				t.Errorf("step %d reason %q does not say it was recorded afterwards", i, s.GetReason())
			}
		}
		if !strings.HasPrefix(got.GetSteps()[0].GetReason(), "随子女迁居") {
			t.Errorf("the request's reason %q lost the transfer's reason", got.GetSteps()[0].GetReason())
		}
		if got.GetSteps()[2].GetLetterNumber() != got.GetLetterNumber() {
			t.Errorf("the release step issued %q, the transfer has %q", got.GetSteps()[2].GetLetterNumber(), got.GetLetterNumber())
		}
		if got.GetRecordTime() == nil {
			t.Error("the transfer has no record time")
		}
	})
	t.Run("a retry returns the transfer recorded first", func(t *testing.T) {
		again, err := clerkTransfers.RecordEarlierTransfer(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if again.GetTransfer().GetId() != got.GetId() {
			t.Errorf("retry recorded %s, first %s", again.GetTransfer().GetId(), got.GetId())
		}
		if n := h.count(t, `SELECT count(*) FROM transfers WHERE member_id = $1`, m.GetId()); n != 1 {
			t.Errorf("%d transfers after a retry", n)
		}
	})
	t.Run("one audit record and one TransferRecorded event, no step events", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'transfer' AND subject_id = $1`, got.GetId()); n != 1 {
			t.Errorf("%d audit records of the transfer, want 1", n)
		}
		evs := h.recordedEvents(t, 1)
		if len(evs) != 1 || evs[0].GetTransfer().GetId() != got.GetId() || len(evs[0].GetTransfer().GetSteps()) != 3 {
			t.Fatalf("TransferRecorded events %v", evs)
		}
		subjects, _ := h.streamed(t)
		for _, s := range subjects {
			if strings.HasPrefix(s, "gongjian.member.v1.transfer_") && s != "gongjian.member.v1.transfer_recorded" &&
				s != "gongjian.member.v1.transfer_settings_updated" {
				t.Errorf("a step event %s for a transfer taken on paper", s)
			}
		}
	})
	t.Run("the sending side reads it with its steps", func(t *testing.T) {
		read, err := clerkTransfers.GetTransfer(ctx, &pb.GetTransferRequest{Id: got.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(read.GetTransfer(), got) {
			t.Errorf("read back differs:\n%v\nwant\n%v", read.GetTransfer(), got)
		}
	})
}

func TestRecordEarlierTransferStates(t *testing.T) {
	t.Parallel()
	h := newRecordHarness(t, nil)
	tr := h.tree(t)
	for _, tt := range []struct {
		name                string
		confirmed, released string
		number              string
		want                pb.TransferState
		steps               int
	}{
		{"requested only", "", "", "", pb.TransferState_TRANSFER_STATE_REQUESTED, 1},
		{"confirmed", h.daysAgo(3), "", "", pb.TransferState_TRANSFER_STATE_CONFIRMED, 2},
		{"released with the paper letter's number", h.daysAgo(3), h.daysAgo(2), "同组转字第0042号", pb.TransferState_TRANSFER_STATE_RELEASED, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := h.register(t, person(tr.branch.GetId(), tt.name))
			resp, err := h.transfers.RecordEarlierTransfer(callContext(t), &pb.RecordEarlierTransferRequest{MemberId: m.GetId(),
				ToOrganisationId: tr.community.GetId(), RequestedDate: h.daysAgo(4), ConfirmedDate: tt.confirmed,
				ReleasedDate: tt.released, LetterNumber: tt.number})
			if err != nil {
				t.Fatal(err)
			}
			got := resp.GetTransfer()
			if got.GetState() != tt.want || len(got.GetSteps()) != tt.steps || got.GetLetterNumber() != tt.number {
				t.Errorf("state %v with %d steps and letter %q, want %v with %d and %q", got.GetState(), len(got.GetSteps()),
					got.GetLetterNumber(), tt.want, tt.steps, tt.number)
			}
			if tt.released != "" && got.GetLetterDeadline() == nil {
				t.Error("a released letter without a deadline")
			}
		})
	}
	t.Run("the receiving side receives a recorded letter still valid", func(t *testing.T) {
		list, err := h.transfers.ListTransfers(callContext(t), &pb.ListTransfersRequest{
			State: pb.TransferState_TRANSFER_STATE_RELEASED, OrganisationId: tr.community.GetId()})
		if err != nil || len(list.GetTransfers()) != 1 {
			t.Fatalf("released transfers: %v %v", list.GetTransfers(), err)
		}
		got, err := h.transfers.ReceiveTransfer(callContext(t), &pb.ReceiveTransferRequest{Id: list.GetTransfers()[0].GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetTransfer().GetState() != pb.TransferState_TRANSFER_STATE_COMPLETED {
			t.Errorf("state %v after the receipt", got.GetTransfer().GetState())
		}
	})
}

// TestSweeperMarksRecordedTransfers: the sweeper, unchanged, marks a
// recorded letter past its deadline expired and a recorded request open
// longer than the review period flagged, on its next pass, once.
func TestSweeperMarksRecordedTransfers(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now().UTC().Truncate(time.Microsecond)}
	h := newRecordHarness(t, c.Now)
	tr := h.tree(t)
	ctx := callContext(t)
	letter := h.register(t, person(tr.branch.GetId(), "Pocket Member"))
	request := h.register(t, person(tr.branch.GetId(), "Long Request Member"))
	fresh := h.register(t, person(tr.branch.GetId(), "Fresh Letter Member"))
	record := func(r *pb.RecordEarlierTransferRequest) *pb.Transfer {
		t.Helper()
		resp, err := h.transfers.RecordEarlierTransfer(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetTransfer()
	}
	old := record(&pb.RecordEarlierTransferRequest{MemberId: letter.GetId(), ToOrganisationId: tr.otherCommunity.GetId(),
		RequestedDate: h.daysAgo(50), ConfirmedDate: h.daysAgo(48), ReleasedDate: h.daysAgo(45)})
	open := record(&pb.RecordEarlierTransferRequest{MemberId: request.GetId(), ToOrganisationId: tr.community.GetId(),
		RequestedDate: h.monthsAgo(7)})
	recent := record(&pb.RecordEarlierTransferRequest{MemberId: fresh.GetId(), ToOrganisationId: tr.community.GetId(),
		RequestedDate: h.daysAgo(6), ConfirmedDate: h.daysAgo(6), ReleasedDate: h.daysAgo(5)})
	get := func(id string) *pb.Transfer {
		t.Helper()
		resp, err := h.transfers.GetTransfer(ctx, &pb.GetTransferRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetTransfer()
	}
	pocket := func() []string {
		t.Helper()
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
	flagged := func() []string {
		t.Helper()
		resp, err := h.transfers.ListTransfers(ctx, &pb.ListTransfersRequest{OrganisationId: tr.branch.GetId(),
			Review: pb.TransferReviewFilter_TRANSFER_REVIEW_FILTER_FLAGGED})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range resp.GetTransfers() {
			ids = append(ids, p.GetId())
		}
		return ids
	}
	if p, f := pocket(), flagged(); len(p) != 0 || len(f) != 0 {
		t.Fatalf("before any sweep: pocket %v, flagged %v", p, f)
	}

	h.sweep(t)
	t.Run("the first pass marks the old letter expired and the old request flagged", func(t *testing.T) {
		if p := pocket(); !slices.Equal(p, []string{old.GetId()}) {
			t.Errorf("pocket members %v, want the old letter %s", p, old.GetId())
		}
		if f := flagged(); !slices.Equal(f, []string{open.GetId()}) {
			t.Errorf("flagged %v, want the old request %s", f, open.GetId())
		}
		if got := get(old.GetId()); !got.GetExpireTime().AsTime().Equal(c.Now()) || len(got.GetSteps()) != 4 ||
			actions(got)[3] != "TRANSFER_ACTION_EXPIRED" || got.GetSteps()[3].GetRecordTime() != nil {
			t.Errorf("old letter after the sweep: %v", got)
		}
		if got := get(recent.GetId()); got.GetExpireTime() != nil || len(got.GetSteps()) != 3 {
			t.Errorf("the letter released 5 days ago was marked: %v", got)
		}
	})
	h.sweep(t)
	t.Run("a second pass marks nothing again", func(t *testing.T) {
		if n := len(get(old.GetId()).GetSteps()); n != 4 {
			t.Errorf("old letter has %d steps, want 4", n)
		}
		if n := len(get(open.GetId()).GetSteps()); n != 2 {
			t.Errorf("old request has %d steps, want 2", n)
		}
	})
	c.add(6 * 24 * time.Hour)
	h.sweep(t)
	t.Run("the recent letter expires at the first pass past its deadline", func(t *testing.T) {
		if p := pocket(); !slices.Equal(p, []string{old.GetId(), recent.GetId()}) {
			t.Errorf("pocket members %v, want both letters", p)
		}
	})
}

// TestRecordedLetterExpiresAtTheFirstSweepOnTheRealClock: a letter
// released 60 days ago, recorded now, is a pocket member after the first
// sweep of a service on the real clock.
func TestRecordedLetterExpiresAtTheFirstSweepOnTheRealClock(t *testing.T) {
	t.Parallel()
	h := newRecordHarness(t, nil)
	tr := h.tree(t)
	ctx := callContext(t)
	m := h.register(t, person(tr.branch.GetId(), "Sixty Days Member"))
	resp, err := h.transfers.RecordEarlierTransfer(ctx, &pb.RecordEarlierTransferRequest{MemberId: m.GetId(),
		ToOrganisationId: tr.otherCommunity.GetId(), RequestedDate: h.daysAgo(62), ConfirmedDate: h.daysAgo(61),
		ReleasedDate: h.daysAgo(60)})
	if err != nil {
		t.Fatal(err)
	}
	h.sweep(t)
	list, err := h.transfers.ListPocketMembers(ctx, &pb.ListPocketMembersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetTransfers()) != 1 || list.GetTransfers()[0].GetId() != resp.GetTransfer().GetId() {
		t.Errorf("pocket members %v, want the recorded letter", list.GetTransfers())
	}
}

func TestRecordEarlierTransferAccess(t *testing.T) {
	t.Parallel()
	h := newRecordHarness(t, nil)
	tr := h.tree(t)
	req := func(m *pb.Member) *pb.RecordEarlierTransferRequest {
		return &pb.RecordEarlierTransferRequest{MemberId: m.GetId(), ToOrganisationId: tr.otherCommunity.GetId(),
			RequestedDate: h.daysAgo(30)}
	}
	for _, tt := range []struct {
		name   string
		claims devissuer.Claims
		want   codes.Code
	}{
		{"the sending community's secretary", devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId()}, codes.OK},
		{"a migration job with member.write", devissuer.Claims{Role: auth.System, Scopes: []string{"member.write"}}, codes.OK},
		{"the receiving district's administrator", devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}, codes.NotFound},
		{"a system that only reads", devissuer.Claims{Role: auth.System, Scopes: []string{"member.read"}}, codes.PermissionDenied},
		{"an inspector", devissuer.Claims{Role: auth.Inspector}, codes.PermissionDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := h.register(t, person(tr.branch.GetId(), tt.name))
			_, err := pb.NewTransferServiceClient(h.as(tt.claims)).RecordEarlierTransfer(callContext(t), req(m))
			if got := refusalOf(err).Code; got != tt.want {
				t.Errorf("%v (%v), want %v", got, err, tt.want)
			}
			want := 0
			if tt.want == codes.OK {
				want = 1
			}
			if n := h.count(t, `SELECT count(*) FROM transfers WHERE member_id = $1`, m.GetId()); n != want {
				t.Errorf("%d transfers recorded, want %d", n, want)
			}
		})
	}
	t.Run("over REST, as a migration job would call it", func(t *testing.T) {
		m := h.register(t, person(tr.branch.GetId(), "REST Member"))
		token, err := authtest.Issuer(t).Issue(devissuer.Claims{Subject: "migration", Role: auth.System, Scopes: []string{"member.write"}})
		if err != nil {
			t.Fatal(err)
		}
		rest := accesstest.REST{Base: accesstest.RESTServer(t, h.as(devissuer.Claims{}), pb.RegisterTransferServiceHandler), Token: token}
		r := req(m)
		r.ConfirmedDate, r.ReleasedDate, r.LetterNumber = h.daysAgo(20), h.daysAgo(10), "纸质介绍信第9号"
		if got := rest.Call(callContext(t), pb.TransferService_RecordEarlierTransfer_FullMethodName, r); got != codes.OK {
			t.Fatalf("POST /v1/transfers:recordEarlier: %v", got)
		}
		if n := h.count(t, `SELECT count(*) FROM transfers WHERE member_id = $1 AND state = 'RELEASED' AND letter_number = $2`,
			m.GetId(), r.LetterNumber); n != 1 {
			t.Errorf("%d released transfers with the paper number, want 1", n)
		}
	})
}
