package grpcapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// TestEndMembership: ending a membership withdraws the member's open
// transfer with a step saying why and ends their open mobile record, in
// one transaction with the member marked as left, kept and readable; the
// count and MemberLeft are published, one audit record is written; the
// rules of each kind and of access hold.
func TestEndMembership(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	secretary := devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId()}
	members := pb.NewMemberServiceClient(h.as(secretary))
	m := h.register(t, person(tr.branch.GetId(), "Ending Member"))
	stay := h.register(t, person(tr.branch.GetId(), "Staying Member"))
	tf := h.requestTransfer(t, m.GetId(), tr.otherCommunity.GetId())
	mobile := pb.NewMobileServiceClient(h.as(cityAdmin))
	rec, err := mobile.RegisterOutflow(ctx, &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{MemberId: m.GetId(),
		Place: "广东省深圳市", Since: dayOf(time.Now().AddDate(0, -1, 0))}})
	if err != nil {
		t.Fatalf("outflow: %v", err)
	}
	today := dayOf(time.Now())

	t.Run("the request is checked", func(t *testing.T) {
		for name, c := range map[string]struct {
			req  *pb.EndMembershipRequest
			code codes.Code
			want []string
		}{
			"a date in the future": {&pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_DIED,
				Date: dayOf(time.Now().AddDate(0, 0, 2)), Reason: "r"}, codes.InvalidArgument, []string{"date"}},
			"no reason": {&pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_DIED, Date: today},
				codes.InvalidArgument, []string{"reason"}},
			"before joining": {&pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_DIED, Date: "2000-01-01",
				Reason: "r"}, codes.InvalidArgument, []string{"date"}},
			"transferred out is the receipt's": {&pb.EndMembershipRequest{Id: m.GetId(),
				Kind: pb.LeavingKind_LEAVING_KIND_TRANSFERRED_OUT, Date: today, Reason: "r"}, codes.InvalidArgument, []string{"kind"}},
			"lost contact under six months": {&pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_TREATED_AS_LEFT,
				Date: today, Reason: "r", LostContactSince: dayOf(time.Now().AddDate(0, -5, 0))}, codes.InvalidArgument,
				[]string{"lost_contact_since"}},
			"a stale etag": {&pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_DIED, Date: today,
				Reason: "r", Etag: "0"}, codes.FailedPrecondition, nil},
		} {
			_, err := members.EndMembership(ctx, c.req)
			if got := refusalOf(err); got.Code != c.code || !equal(got.Fields, c.want) {
				t.Errorf("%s: %+v, want %v on %v", name, got, c.code, c.want)
			}
		}
		_, err := members.EndMembership(ctx, &pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_TREATED_AS_LEFT,
			Date: today, Reason: "不再参加组织生活"})
		if reasonOf(err) != "NOT_TREATED_AS_LEFT" {
			t.Errorf("treated as left without a review or lost contact: %v", err)
		}
	})
	t.Run("nobody out of scope, never the member", func(t *testing.T) {
		req := &pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_WITHDREW, Date: today, Reason: "r"}
		for name, c := range map[string]struct {
			claims devissuer.Claims
			code   codes.Code
		}{
			"another district":  {devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}, codes.NotFound},
			"the member":        {devissuer.Claims{Role: auth.Member, MemberID: m.GetId()}, codes.PermissionDenied},
			"a grid leader":     {devissuer.Claims{Role: auth.GridLeader, ScopeOrgID: tr.community.GetId()}, codes.PermissionDenied},
			"a reading system":  {devissuer.Claims{Role: auth.System, Scopes: []string{"member.read"}}, codes.PermissionDenied},
			"an unknown member": {cityAdmin, codes.NotFound},
		} {
			r := proto.Clone(req).(*pb.EndMembershipRequest)
			if name == "an unknown member" {
				r.Id = tf.GetId()
			}
			_, err := pb.NewMemberServiceClient(h.as(c.claims)).EndMembership(ctx, r)
			if got := refusalOf(err).Code; got != c.code {
				t.Errorf("%s: %v, want %v", name, got, c.code)
			}
		}
	})

	current, err := members.GetMember(ctx, &pb.GetMemberRequest{Id: m.GetId()}) // the outflow changed it
	if err != nil {
		t.Fatal(err)
	}
	before := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write'`)
	req := &pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_WITHDREW, Date: today,
		Reason: "本人申请退党，经支部大会讨论同意", Etag: current.GetMember().GetEtag()}
	resp, err := members.EndMembership(ctx, req)
	if err != nil {
		t.Fatalf("end: %v", err)
	}
	ended := resp.GetMember()
	t.Run("the member is kept and readable, marked as left", func(t *testing.T) {
		if ended.GetLeftKind() != pb.LeavingKind_LEAVING_KIND_WITHDREW || ended.GetLeftDate() != today ||
			ended.GetLeftReason() != req.GetReason() || ended.GetLeftTime() == nil || ended.GetEtag() == req.GetEtag() {
			t.Errorf("ended member: %v", ended)
		}
		got, err := members.GetMember(ctx, &pb.GetMemberRequest{Id: m.GetId()})
		if err != nil || got.GetMember().GetLeftTime() == nil || got.GetMember().GetName() != m.GetName() {
			t.Errorf("get after leaving: %v, %v", got.GetMember(), err)
		}
	})
	t.Run("the open transfer is withdrawn, saying why", func(t *testing.T) {
		got := h.transferOf(t, tf.GetId())
		last := got.GetSteps()[len(got.GetSteps())-1]
		if got.GetState() != pb.TransferState_TRANSFER_STATE_WITHDRAWN || last.GetAction() != pb.TransferAction_TRANSFER_ACTION_WITHDRAWN ||
			!strings.Contains(last.GetReason(), "membership ended") || !strings.Contains(last.GetReason(), "withdrew") {
			t.Errorf("transfer: %v", got)
		}
	})
	t.Run("the open mobile record is ended", func(t *testing.T) {
		got, err := mobile.GetMobileRecord(ctx, &pb.GetMobileRecordRequest{Id: rec.GetRecord().GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetRecord().GetState() != pb.MobileState_MOBILE_STATE_ENDED ||
			got.GetRecord().GetEnding().GetOutcome() != pb.MobilityOutcome_MOBILITY_OUTCOME_MEMBERSHIP_ENDED {
			t.Errorf("mobile record: %v", got.GetRecord())
		}
		if n := h.count(t, `SELECT count(*) FROM members WHERE id = $1 AND NOT mobile`, m.GetId()); n != 1 {
			t.Errorf("still mobile")
		}
	})
	t.Run("one audit record each of the member, the transfer and the record", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write'`) - before; n != 3 {
			t.Errorf("%d audit records", n)
		}
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write' AND subject_type = 'member' AND subject_id = $1
			AND method LIKE '%EndMembership' AND before->>'leftKind' IS NULL AND after->>'leftKind' = 'LEAVING_KIND_WITHDREW'`,
			m.GetId()); n != 1 {
			t.Errorf("%d audit records of the member", n)
		}
	})
	t.Run("the same ending again answers the member; another is refused", func(t *testing.T) {
		again, err := members.EndMembership(ctx, req)
		if err != nil || again.GetMember().GetEtag() != ended.GetEtag() {
			t.Errorf("retry: %v, etag %s want %s", err, again.GetMember().GetEtag(), ended.GetEtag())
		}
		_, err = members.EndMembership(ctx, &pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_DIED,
			Date: today, Reason: "r"})
		if reasonOf(err) != "MEMBER_LEFT" {
			t.Errorf("a second ending: %v", err)
		}
	})
	t.Run("the events: withdrawn, mobility ended, member left, the count", func(t *testing.T) {
		tail := h.streamTail(t, "gongjian.member.v1.member_left", 4)
		if !equal(subjectsOf(tail), []string{"gongjian.member.v1.transfer_withdrawn", "gongjian.member.v1.mobility_ended",
			"gongjian.member.v1.member_left", "gongjian.member.v1.organisation_member_count_changed"}) {
			t.Errorf("last events %v", subjectsOf(tail))
		}
		var left pb.MemberLeft
		var count pb.OrganisationMemberCountChanged
		if err := proto.Unmarshal(tail[2].Data, &left); err != nil {
			t.Fatal(err)
		}
		if err := proto.Unmarshal(tail[3].Data, &count); err != nil {
			t.Fatal(err)
		}
		if left.GetKind() != pb.LeavingKind_LEAVING_KIND_WITHDREW || left.GetDate() != today || left.GetTransferId() != "" ||
			left.GetMember().GetNationalId() != "" || left.GetMember().GetId() != m.GetId() {
			t.Errorf("MemberLeft: %v", &left)
		}
		if count.GetOrganisationId() != tr.branch.GetId() || count.GetMemberCount() != 1 {
			t.Errorf("count %v, want the branch's 1", &count)
		}
	})
	t.Run("absent from lists, counts and compositions", func(t *testing.T) {
		h.assertAbsent(t, tr, m.GetId())
		list, err := h.members.ListMembers(ctx, &pb.ListMembersRequest{OrganisationId: tr.branch.GetId()})
		if err != nil || len(list.GetMembers()) != 1 || list.GetMembers()[0].GetId() != stay.GetId() {
			t.Errorf("branch list: %v, %v", list.GetMembers(), err)
		}
	})
}

// streamTail waits until the member stream holds a message on subject,
// then returns its last n messages.
func (h *harness) streamTail(t *testing.T, subject string, n int) []jetstream.RawStreamMsg {
	t.Helper()
	ctx := callContext(t)
	waitFor(t, subject, func() bool {
		_, err := h.stream.GetLastMsgForSubject(ctx, subject)
		return err == nil
	})
	info, err := h.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.RawStreamMsg
	for s := info.State.LastSeq - uint64(n) + 1; s <= info.State.LastSeq; s++ {
		m, err := h.stream.GetMsg(ctx, s)
		if err != nil {
			t.Fatalf("message %d: %v", s, err)
		}
		out = append(out, *m)
	}
	return out
}

func subjectsOf(msgs []jetstream.RawStreamMsg) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Subject)
	}
	return out
}

// transferOf reads a transfer as a city administrator.
func (h *harness) transferOf(t *testing.T, id string) *pb.Transfer {
	t.Helper()
	resp, err := h.transfers.GetTransfer(callContext(t), &pb.GetTransferRequest{Id: id})
	if err != nil {
		t.Fatalf("get transfer: %v", err)
	}
	return resp.GetTransfer()
}

// TestTreatedAsLeft: a member is treated as having left (自行脱党) after
// the review of their flagged transfer found so, or after six months of
// lost contact stated; the transfer is withdrawn with the ending.
func TestTreatedAsLeft(t *testing.T) {
	t.Parallel()
	h := newTimedHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	m := h.register(t, person(tr.branch.GetId(), "Flagged Member"))
	tf := h.requestTransfer(t, m.GetId(), tr.community.GetId())
	h.clock.addMonths(7)
	h.sweep(t)
	today := dayOf(h.clock.Now())
	end := &pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_TREATED_AS_LEFT, Date: today,
		Reason: "七个月未转接，联系不上"}
	if _, err := h.members.EndMembership(ctx, end); reasonOf(err) != "NOT_TREATED_AS_LEFT" {
		t.Errorf("flagged but not reviewed: %v", err)
	}
	if _, err := h.transfers.RecordTransferReview(ctx, &pb.RecordTransferReviewRequest{Id: tf.GetId(), Reason: "支部决定",
		Outcome: pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_TREATED_AS_LEFT}); err != nil {
		t.Fatalf("review: %v", err)
	}
	if _, err := h.members.EndMembership(ctx, end); err != nil {
		t.Fatalf("after the review: %v", err)
	}
	if got := h.get(t, tf.GetId()); got.GetState() != pb.TransferState_TRANSFER_STATE_WITHDRAWN {
		t.Errorf("transfer %v", got.GetState())
	}
	lost := h.register(t, person(tr.branch.GetId(), "Lost Member"))
	if _, err := h.members.EndMembership(ctx, &pb.EndMembershipRequest{Id: lost.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_TREATED_AS_LEFT,
		Date: today, Reason: "失联", LostContactSince: dayOf(h.clock.Now().AddDate(0, -6, 0))}); err != nil {
		t.Errorf("six months of lost contact: %v", err)
	}
}

// TestNationalIDAfterLeaving: the number of a member who died is never
// registered again (nor given to another member by an update); that of a
// member who withdrew is, as a readmission joining after the leaving.
func TestNationalIDAfterLeaving(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	today := dayOf(time.Now())
	end := func(id string, kind pb.LeavingKind, date string) {
		t.Helper()
		if _, err := h.members.EndMembership(ctx, &pb.EndMembershipRequest{Id: id, Kind: kind, Date: date, Reason: "r"}); err != nil {
			t.Fatalf("end: %v", err)
		}
	}
	dead := person(tr.branch.GetId(), "Died Member")
	deadID := h.register(t, dead).GetId()
	end(deadID, pb.LeavingKind_LEAVING_KIND_DIED, today)
	t.Run("a dead member's number is refused, naming the district", func(t *testing.T) {
		again := proto.Clone(dead).(*pb.Member)
		again.OrganisationId, again.JoinDate = tr.otherCommunity.GetId(), today
		again.Status = pb.MemberStatus_MEMBER_STATUS_PROBATIONARY // joining today: a year's probation first
		_, err := h.members.CreateMember(ctx, &pb.CreateMemberRequest{Member: again})
		if got := refusalOf(err); got.Code != codes.FailedPrecondition || reasonOf(err) != "HOLDER_DIED" ||
			!equal(got.Fields, []string{"member.national_id"}) || !strings.Contains(err.Error(), tr.district.GetName()) {
			t.Errorf("re-registration: %v", err)
		}
		other := h.register(t, person(tr.branch.GetId(), "Other Member"))
		_, err = h.members.UpdateMember(ctx, &pb.UpdateMemberRequest{Member: &pb.Member{Id: other.GetId(), NationalId: dead.GetNationalId()},
			UpdateMask: mask("national_id")})
		if reasonOf(err) != "HOLDER_DIED" {
			t.Errorf("update to the number: %v", err)
		}
		if n := h.count(t, `SELECT count(*) FROM members WHERE left_at IS NULL AND name = 'Died Member'`); n != 0 {
			t.Errorf("%d live holders", n)
		}
	})
	t.Run("the database refuses it whichever path writes", func(t *testing.T) {
		_, err := h.pool.Exec(ctx, `UPDATE members SET national_id_hash = (SELECT national_id_hash FROM members WHERE left_kind = 'DIED')
			WHERE name = 'Other Member'`)
		if err == nil || !strings.Contains(err.Error(), "died") || !strings.Contains(err.Error(), "23505") {
			t.Errorf("a direct write of a dead member's number: %v", err)
		}
	})
	t.Run("a roster row with a dead member's number is refused, the others taken", func(t *testing.T) {
		csv := rosterHeader + rosterLine("Died Member", "19800115", dead.GetNationalId(), "") +
			rosterLine("Living Member", "19800115", nationalID("610102", "19800115"), "")
		resp, err := h.members.ImportMembers(ctx, &pb.ImportMembersRequest{Content: []byte(csv), OrganisationId: tr.branch.GetId()})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		rows := rowsOf(resp.GetReport())
		if len(rows) != 2 || rows[0].Outcome != pb.ImportOutcome_IMPORT_OUTCOME_REFUSED || len(rows[0].Problems) != 1 ||
			!strings.HasPrefix(rows[0].Problems[0], "national_id: the holder died") || rows[1].Outcome != pb.ImportOutcome_IMPORT_OUTCOME_TAKEN {
			t.Errorf("report: %v", rows)
		}
		if n := h.count(t, `SELECT count(*) FROM members WHERE left_at IS NULL AND name = 'Died Member'`); n != 0 {
			t.Errorf("%d live holders after the import", n)
		}
	})
	t.Run("a member who left is kept for the record, not managed", func(t *testing.T) {
		_, err := h.categories.OverrideCategory(ctx, &pb.OverrideCategoryRequest{MemberId: deadID, CategoryCode: "joint", Reason: "by hand"})
		if reasonOf(err) != "MEMBER_LEFT" {
			t.Errorf("a category set by hand: %v, want MEMBER_LEFT", err)
		}
		_, err = pb.NewMobileServiceClient(h.as(cityAdmin)).RegisterOutflow(ctx, &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{
			MemberId: deadID, Place: "兰州", Since: dayOf(time.Now().AddDate(0, -1, 0))}})
		if reasonOf(err) != "MEMBER_LEFT" {
			t.Errorf("an outflow: %v, want MEMBER_LEFT", err)
		}
	})
	withdrew := person(tr.branch.GetId(), "Withdrawn Member")
	withdrewID := h.register(t, withdrew).GetId()
	end(withdrewID, pb.LeavingKind_LEAVING_KIND_WITHDREW, dayOf(time.Now().AddDate(0, 0, -10)))
	t.Run("a withdrawn member's number joins again only after the leaving", func(t *testing.T) {
		again := proto.Clone(withdrew).(*pb.Member)
		_, err := h.members.CreateMember(ctx, &pb.CreateMemberRequest{Member: again})
		if got := refusalOf(err); reasonOf(err) != "READMISSION_DATE" || !equal(got.Fields, []string{"member.join_date"}) {
			t.Errorf("with the old join date: %v", err)
		}
		// The former holder's id sent with the create does not make them
		// the member being registered, nor does an id that is no id.
		for _, id := range []string{withdrewID, "not-an-id"} {
			again.Id = id
			_, err = h.members.CreateMember(ctx, &pb.CreateMemberRequest{Member: again})
			if reasonOf(err) != "READMISSION_DATE" {
				t.Errorf("with the old join date and the id %q: %v", id, err)
			}
		}
		again.Id = ""
		again.JoinDate, again.Status = today, pb.MemberStatus_MEMBER_STATUS_PROBATIONARY
		back, err := h.members.CreateMember(ctx, &pb.CreateMemberRequest{Member: again})
		if err != nil {
			t.Fatalf("readmission: %v", err)
		}
		if n := h.count(t, `SELECT count(*) FROM members WHERE name = 'Withdrawn Member'`); n != 2 || back.GetMember().GetLeftTime() != nil {
			t.Errorf("%d records of the number, readmitted %v", n, back)
		}
	})
}

// TestArrivalFromOutside: a member arriving from outside the city is
// registered with the letter they brought, kept on the member and in
// MemberRegistered; the letter is checked.
func TestArrivalFromOutside(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	m := person(tr.branch.GetId(), "Arriving Member")
	m.Arrival = &pb.Arrival{OriginOrganisation: "兰州市城关区某社区党委（甘肃省兰州市）", LetterDate: dayOf(time.Now().AddDate(0, 0, 2))}
	_, err := h.members.CreateMember(ctx, &pb.CreateMemberRequest{Member: m})
	if got := refusalOf(err); got.Code != codes.InvalidArgument ||
		!equal(got.Fields, []string{"member.arrival.letter_date", "member.arrival.letter_number"}) {
		t.Errorf("an incomplete letter: %+v", got)
	}
	m.Arrival.LetterNumber, m.Arrival.LetterDate = "甘组转字第0815号", dayOf(time.Now().AddDate(0, 0, -3))
	created, err := h.members.CreateMember(ctx, &pb.CreateMemberRequest{Member: m, RequestId: "arrive-1"})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	got, err := h.members.GetMember(ctx, &pb.GetMemberRequest{Id: created.GetMember().GetId()})
	if err != nil || !proto.Equal(got.GetMember().GetArrival(), m.GetArrival()) {
		t.Errorf("arrival kept: %v, %v", got.GetMember().GetArrival(), err)
	}
	var registered *pb.MemberRegistered
	waitFor(t, "member_registered", func() bool {
		for _, e := range h.memberEvents(t) {
			if r, ok := e.(*pb.MemberRegistered); ok && r.GetMember().GetId() == created.GetMember().GetId() {
				registered = r
			}
		}
		return registered != nil
	})
	if !proto.Equal(registered.GetMember().GetArrival(), m.GetArrival()) {
		t.Errorf("MemberRegistered arrival: %v", registered.GetMember().GetArrival())
	}
	if _, err := h.members.UpdateMember(ctx, &pb.UpdateMemberRequest{Member: &pb.Member{Id: created.GetMember().GetId()},
		UpdateMask: mask("arrival")}); refusalOf(err).Code != codes.InvalidArgument {
		t.Errorf("arrival updated: %v", err)
	}
}

// TestAnEndedMembershipEndsItsRegistrationsWithCommunities: a leaver no
// longer reports to a community. Whether the membership ends by
// EndMembership or by the receipt of a transfer out of the city, the
// member's live registrations of both kinds end in the same transaction,
// on the day it ended, saying how (the kind: the reason given for the
// ending is not published); the posts claimed under them are
// released; and each ending is published, as the co-building service
// counts in-service members from these events.
func TestAnEndedMembershipEndsItsRegistrationsWithCommunities(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	rep := h.reporting()
	post, err := rep.CreatePost(ctx, &pb.CreatePostRequest{CommunityId: tr.community.GetId(),
		Post: &pb.ServicePost{Name: "楼栋宣传员", Kind: pb.PostKind_POST_KIND_MEDIATOR, Capacity: 5}})
	if err != nil {
		t.Fatal(err)
	}
	registered := func(name string) (*pb.Member, []*pb.Registration) {
		m := h.register(t, inService(tr.branch.GetId(), name))
		regs := []*pb.Registration{
			h.registerWith(t, tr.community.GetId(), m.GetId(), residence, since(3, 1)),
			h.registerWith(t, tr.otherCommunity.GetId(), m.GetId(), unitLocation, since(4, 1)),
		}
		if _, err := rep.ClaimPost(ctx, &pb.ClaimPostRequest{CommunityId: tr.community.GetId(), PostId: post.GetPost().GetId(),
			MemberId: m.GetId()}); err != nil {
			t.Fatal(err)
		}
		return m, regs
	}
	assertEnded := func(t *testing.T, m *pb.Member, regs []*pb.Registration, day, why string) {
		t.Helper()
		list, err := rep.ListRegistrations(ctx, &pb.ListRegistrationsRequest{MemberId: m.GetId(), IncludeEnded: true})
		if err != nil || len(list.GetRegistrations()) != 2 {
			t.Fatalf("registrations %v, %v", list.GetRegistrations(), err)
		}
		for _, r := range list.GetRegistrations() {
			if r.GetEndDate() != day || r.GetEndReason() != why {
				t.Errorf("registration after the membership ended: %v", r)
			}
		}
		if n := h.count(t, `SELECT count(*) FROM post_claims WHERE member_id = $1 AND released_at IS NULL`, m.GetId()); n != 0 {
			t.Errorf("%d posts still claimed", n)
		}
		want := map[string]bool{regs[0].GetId(): true, regs[1].GetId(): true}
		waitFor(t, "both endings published", func() bool {
			n := 0
			for _, e := range h.reportingEvents(t, "gongjian.member.v1.in_service_registration_ended",
				func() proto.Message { return &pb.InServiceRegistrationEnded{} }) {
				r := e.(*pb.InServiceRegistrationEnded).GetRegistration()
				if want[r.GetId()] && r.GetEndDate() == day {
					n++
				}
			}
			return n == 2
		})
	}

	t.Run("by EndMembership", func(t *testing.T) {
		m, regs := registered("Died Member")
		day := dayOf(time.Now().AddDate(0, 0, -2))
		if _, err := h.members.EndMembership(ctx, &pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_DIED,
			Date: day, Reason: "因病去世"}); err != nil {
			t.Fatal(err)
		}
		assertEnded(t, m, regs, day, "the membership ended (died)") // the kind, never the reason given
	})
	t.Run("by the receipt of a transfer out of the city", func(t *testing.T) {
		m, regs := registered("Moving Member")
		r, err := h.transfers.RequestTransfer(ctx, &pb.RequestTransferRequest{
			Transfer: &pb.Transfer{MemberId: m.GetId(), Outside: lanzhou, Reason: "moved to Lanzhou"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: r.GetTransfer().GetId(), Reason: "signed"}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: r.GetTransfer().GetId()}); err != nil {
			t.Fatal(err)
		}
		today := dayOf(time.Now())
		if _, err := h.transfers.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: r.GetTransfer().GetId(),
			ReceiptNumber: "LZ-7", ReceiptDate: today}); err != nil {
			t.Fatal(err)
		}
		assertEnded(t, m, regs, today, "the membership ended (transferred out)")
	})
	if n := h.count(t, `SELECT claimed FROM service_posts WHERE id = $1`, post.GetPost().GetId()); n != 0 {
		t.Errorf("the post counts %d claims after both claimers left", n)
	}
}

// TestTheFirstSweepEndsTheRegistrationsOfEarlierLeavers: members whose
// membership ended before an ending ended registrations still hold live
// ones; the first sweep of the service ends them as an ending would.
func TestTheFirstSweepEndsTheRegistrationsOfEarlierLeavers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	m := h.register(t, inService(tr.branch.GetId(), "Earlier Leaver"))
	reg := h.registerWith(t, tr.community.GetId(), m.GetId(), residence, since(5, 1))
	day := dayOf(time.Now().AddDate(0, 0, -3))
	if _, err := h.members.EndMembership(ctx, &pb.EndMembershipRequest{Id: m.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_EXPELLED,
		Date: day, Reason: "严重违纪"}); err != nil {
		t.Fatal(err)
	}
	// As the data of a membership ended before this release stands.
	if _, err := h.pool.Exec(ctx, `UPDATE registrations SET end_date = NULL, end_reason = '' WHERE member_id = $1`, m.GetId()); err != nil {
		t.Fatal(err)
	}
	stay := h.register(t, inService(tr.branch.GetId(), "Staying Member"))
	kept := h.registerWith(t, tr.community.GetId(), stay.GetId(), residence, "")
	swept := time.Now().Add(-time.Second)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := h.reporting().ListRegistrations(ctx, &pb.ListRegistrationsRequest{CommunityId: tr.community.GetId(), IncludeEnded: true})
	if err != nil || len(list.GetRegistrations()) != 2 {
		t.Fatalf("registrations %v, %v", list.GetRegistrations(), err)
	}
	for _, r := range list.GetRegistrations() {
		switch r.GetId() {
		case reg.GetId():
			if r.GetEndDate() != day || r.GetEndReason() != "the membership ended (expelled)" ||
				r.GetUpdateTime().AsTime().Before(swept) { // changed now, though it ended days ago
				t.Errorf("the leaver's registration after the sweep: %v", r)
			}
		case kept.GetId():
			if r.GetEndDate() != "" {
				t.Errorf("a live member's registration ended by the sweep: %v", r)
			}
		}
	}
	waitFor(t, "the ending published again", func() bool {
		n := 0
		for _, e := range h.reportingEvents(t, "gongjian.member.v1.in_service_registration_ended",
			func() proto.Message { return &pb.InServiceRegistrationEnded{} }) {
			if e.(*pb.InServiceRegistrationEnded).GetRegistration().GetId() == reg.GetId() {
				n++
			}
		}
		return n == 2 // by the ending, then by the sweep
	})
}
