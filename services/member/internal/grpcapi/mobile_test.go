package grpcapi_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/domain"
	"gongjian.dev/services/member/internal/member"
)

// mobileClock is the member service's clock in the tests of mobile members,
// which are about months going by.
type mobileClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *mobileClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *mobileClock) add(years, months, days int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.AddDate(years, months, days)
}

// day is the calendar day d days after the clock's, as the API writes it.
func (c *mobileClock) day(years, months, days int) string {
	return c.Now().AddDate(years, months, days).Format(time.DateOnly)
}

// mobileHarness is the harness with the service on a clock the test
// moves, and the service itself, whose sweeper the test runs.
type mobileHarness struct {
	*harness
	clock  *mobileClock
	svc    *domain.Services
	mobile pb.MobileServiceClient
}

// newMobileHarness wires the service as newHarness does, on a clock that
// starts at a fixed instant.
func newMobileHarness(t *testing.T) *mobileHarness {
	t.Helper()
	clk := &mobileClock{now: time.Date(2025, time.March, 10, 9, 30, 0, 0, time.UTC)}
	h := newHarness(t, servicetest.WithClock(clk.Now))
	return &mobileHarness{harness: h, clock: clk, svc: h.svc, mobile: pb.NewMobileServiceClient(h.as(cityAdmin))}
}

func (h *mobileHarness) mobileAs(c devissuer.Claims) pb.MobileServiceClient {
	return pb.NewMobileServiceClient(h.as(c))
}

// outflow registers an outflow of a member as a city administrator.
func (h *mobileHarness) outflow(t *testing.T, memberID, since string) *pb.MobileRecord {
	t.Helper()
	resp, err := h.mobile.RegisterOutflow(callContext(t), &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{
		MemberId: memberID, Place: "广东省深圳市南山区", Since: since, Reason: "外出务工"}})
	if err != nil {
		t.Fatalf("register outflow: %v", err)
	}
	return resp.GetRecord()
}

func (h *mobileHarness) record(t *testing.T, id string) *pb.MobileRecord {
	t.Helper()
	resp, err := h.mobile.GetMobileRecord(callContext(t), &pb.GetMobileRecordRequest{Id: id})
	if err != nil {
		t.Fatalf("get record: %v", err)
	}
	return resp.GetRecord()
}

func (h *mobileHarness) category(t *testing.T, memberID string) string {
	t.Helper()
	resp, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: memberID})
	if err != nil {
		t.Fatalf("get member: %v", err)
	}
	return resp.GetMember().GetCategoryCode()
}

func (h *mobileHarness) sweep(t *testing.T) {
	t.Helper()
	if err := h.svc.Sweep(callContext(t)); err != nil {
		t.Fatalf("sweep: %v", err)
	}
}

// mobileMessages are the payloads of the mobile events on the stream
// MEMBER, by subject, decoded; other events are passed over.
var mobileMessages = map[string]func() proto.Message{
	"gongjian.member.v1.mobile_outflow_registered":             func() proto.Message { return &pb.MobileOutflowRegistered{} },
	"gongjian.member.v1.mobile_inflow_registered":              func() proto.Message { return &pb.MobileInflowRegistered{} },
	"gongjian.member.v1.mobile_temporary_relationship_granted": func() proto.Message { return &pb.MobileTemporaryRelationshipGranted{} },
	"gongjian.member.v1.mobile_contact_logged":                 func() proto.Message { return &pb.MobileContactLogged{} },
	"gongjian.member.v1.mobile_contact_overdue":                func() proto.Message { return &pb.MobileContactOverdue{} },
	"gongjian.member.v1.mobility_ended":                        func() proto.Message { return &pb.MobilityEnded{} },
	"gongjian.member.v1.member_category_changed":               func() proto.Message { return &pb.MemberCategoryChanged{} },
}

func (h *mobileHarness) mobileEvents(t *testing.T) []proto.Message {
	t.Helper()
	ctx := callContext(t)
	info, err := h.stream.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var out []proto.Message
	for s := info.State.FirstSeq; info.State.Msgs > 0 && s <= info.State.LastSeq; s++ {
		m, err := h.stream.GetMsg(ctx, s)
		if err != nil {
			t.Fatalf("message %d: %v", s, err)
		}
		mk, ok := mobileMessages[m.Subject]
		if !ok {
			continue
		}
		p := mk()
		if err := proto.Unmarshal(m.Data, p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// waitEvents waits until the stream holds n mobile events matching keep,
// and returns them.
func (h *mobileHarness) waitEvents(t *testing.T, n int, keep func(proto.Message) bool) []proto.Message {
	t.Helper()
	var got []proto.Message
	waitFor(t, fmt.Sprintf("%d events", n), func() bool {
		got = got[:0]
		for _, e := range h.mobileEvents(t) {
			if keep(e) {
				got = append(got, e)
			}
		}
		return len(got) >= n
	})
	return got
}

func ofType[T proto.Message](e proto.Message) bool { _, ok := e.(T); return ok }

// overdueOf are the overdue events of a record, on a stream that has
// caught up with the outbox.
func (h *mobileHarness) overdueOf(t *testing.T, recordID string) []*pb.MobileContactOverdue {
	t.Helper()
	waitFor(t, "the outbox to drain", func() bool { return h.count(t, `SELECT count(*) FROM outbox`) == 0 })
	var out []*pb.MobileContactOverdue
	for _, e := range h.mobileEvents(t) {
		if o, ok := e.(*pb.MobileContactOverdue); ok && o.GetRecordId() == recordID {
			out = append(out, o)
		}
	}
	return out
}

// TestOutflowSixMonthsThenTemporaryRelationship: an outflow makes the
// member mobile (协管 under 004's scheme, in the same transaction); a
// temporary relationship is refused before six months away, naming the
// day it becomes possible, and granted after it with a numbered
// certificate valid a year; returning home ends the mobility and the
// member is classified as before. Every step is kept, published and audited.
func TestOutflowSixMonthsThenTemporaryRelationship(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	m := h.register(t, person(tr.branch.GetId(), "Zhao Min"))
	if got := h.category(t, m.GetId()); got != "joint" {
		t.Fatalf("a retired member is %q before leaving, want joint", got)
	}
	ctx := callContext(t)
	rec := h.outflow(t, m.GetId(), h.clock.day(0, -2, 0)) // 2025-01-10
	if rec.GetState() != pb.MobileState_MOBILE_STATE_AWAY || rec.GetDirection() != pb.MobileDirection_MOBILE_DIRECTION_OUTFLOW ||
		rec.GetHomeOrganisationId() != tr.branch.GetId() || rec.GetTemporaryPossibleDate() != "2025-07-10" ||
		rec.GetContactPhone() != "13800000000" || rec.GetDistrictId() != tr.district.GetId() {
		t.Fatalf("registered: %v", rec)
	}
	if got := h.category(t, m.GetId()); got != "assisted" {
		t.Errorf("a mobile member is %q, want assisted (协管)", got)
	}
	if n := h.count(t, `SELECT count(*) FROM members WHERE id = $1 AND mobile`, m.GetId()); n != 1 {
		t.Error("the member is not marked mobile")
	}

	host := h.created(t, org(tr.otherCommunity, kindBranch, "Shenzhen Liaison Branch"))
	h.waitView(t, host.GetId())
	_, err := h.mobile.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: host.GetId()})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "MOBILE_TOO_EARLY" || !strings.Contains(status.Convert(err).Message(), "2025-07-10") {
		t.Fatalf("a grant after two months: %v (%s), want FailedPrecondition MOBILE_TOO_EARLY naming 2025-07-10", err, reasonOf(err))
	}

	h.clock.add(0, 4, -1) // 2025-07-09: one day short
	if _, err := h.mobile.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: host.GetId()}); reasonOf(err) != "MOBILE_TOO_EARLY" {
		t.Fatalf("a grant a day before six months: %v", err)
	}
	h.clock.add(0, 0, 1)
	g, err := h.mobile.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(),
		HostOrganisationId: host.GetId(), Etag: rec.GetEtag()})
	if err != nil {
		t.Fatalf("a grant after six months: %v", err)
	}
	got := g.GetRecord()
	if got.GetState() != pb.MobileState_MOBILE_STATE_TEMPORARY || got.GetTemporary().GetOrganisationId() != host.GetId() ||
		!strings.HasPrefix(got.GetTemporary().GetCertificateNumber(), "LD-2025-") ||
		got.GetTemporary().GetCertificateValidUntil() != "2026-07-09" {
		t.Fatalf("granted: %v", got)
	}
	if _, err := h.mobile.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: host.GetId()}); reasonOf(err) != "MOBILE_STATE" {
		t.Errorf("a second grant: %v, want MOBILE_STATE", err)
	}

	end, err := h.mobile.EndMobility(ctx, &pb.EndMobilityRequest{Id: rec.GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_RETURNED,
		Reason: "务工结束返乡", Etag: got.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if e := end.GetRecord().GetEnding(); end.GetRecord().GetState() != pb.MobileState_MOBILE_STATE_ENDED ||
		e.GetOutcome() != pb.MobilityOutcome_MOBILITY_OUTCOME_RETURNED || e.GetTransferRequested() {
		t.Errorf("ended: %v", end.GetRecord())
	}
	if got := h.category(t, m.GetId()); got != "joint" {
		t.Errorf("back home the member is %q, want joint again", got)
	}
	steps := h.record(t, rec.GetId()).GetSteps()
	if len(steps) != 3 || steps[2].GetActorSubject() != "city-admin" || steps[2].GetState() != pb.MobileState_MOBILE_STATE_ENDED {
		t.Errorf("steps: %v", steps)
	}
	if _, err := h.mobile.EndMobility(ctx, &pb.EndMobilityRequest{Id: rec.GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_RETURNED}); reasonOf(err) != "MOBILE_STATE" {
		t.Errorf("ending twice: %v", err)
	}

	evs := h.waitEvents(t, 5, func(proto.Message) bool { return true })
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, string(e.ProtoReflect().Descriptor().Name()))
		if c, ok := e.(*pb.MobileTemporaryRelationshipGranted); ok && c.GetCertificateNumber() != got.GetTemporary().GetCertificateNumber() {
			t.Errorf("the grant's event carries certificate %q", c.GetCertificateNumber())
		}
	}
	want := []string{"MobileOutflowRegistered", "MemberCategoryChanged", "MobileTemporaryRelationshipGranted", "MobilityEnded", "MemberCategoryChanged"}
	if !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'mobile_record' AND subject_id = $1 AND action = 'write'`, rec.GetId()); n != 3 {
		t.Errorf("%d audit records of writes, want 3 (registered, granted, ended)", n)
	}
	if _, err := h.pool.Exec(ctx, `DELETE FROM mobile_records WHERE id = $1`, rec.GetId()); err == nil {
		t.Error("a record was deleted")
	}
	if _, err := h.pool.Exec(ctx, `UPDATE mobile_steps SET note = 'x' WHERE record_id = $1`, rec.GetId()); err == nil {
		t.Error("a step was changed")
	}
}

// TestDistrictSettingsAndSettledElsewhere: a district that sets three
// months grants earlier and certificates for its own period; a member who
// settled elsewhere is asked to transfer; "transferred" needs the
// relationship to have moved.
func TestDistrictSettingsAndSettledElsewhere(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	if _, err := h.pool.Exec(ctx, `INSERT INTO mobile_settings (district_id, temporary_after_months, certificate_months, contact_interval_days)
		VALUES ($1, 3, 6, 30)`, tr.district.GetId()); err != nil {
		t.Fatal(err)
	}
	m := h.register(t, person(tr.branch.GetId(), "Sun Li"))
	rec := h.outflow(t, m.GetId(), "2024-12-01")
	if rec.GetTemporaryPossibleDate() != "2025-03-01" || rec.GetContactDueTime().AsTime() != time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("the district's settings were not applied: %v", rec)
	}
	g, err := h.mobile.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: tr.otherCommunity.GetId()})
	if err != nil || g.GetRecord().GetTemporary().GetCertificateValidUntil() != "2025-09-09" {
		t.Fatalf("grant after three months: %v %v", g, err)
	}
	_, err = h.mobile.EndMobility(ctx, &pb.EndMobilityRequest{Id: rec.GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_TRANSFERRED})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "MOBILE_NOT_TRANSFERRED" {
		t.Errorf("transferred while the relationship stays home: %v", err)
	}
	end, err := h.mobile.EndMobility(ctx, &pb.EndMobilityRequest{Id: rec.GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_SETTLED_ELSEWHERE, Reason: "在深圳购房定居"})
	if err != nil || !end.GetRecord().GetEnding().GetTransferRequested() {
		t.Fatalf("settled elsewhere: %v %v", end, err)
	}
	evs := h.waitEvents(t, 1, ofType[*pb.MobilityEnded])
	if e := evs[0].(*pb.MobilityEnded); !e.GetTransferRequested() || e.GetOutcome() != pb.MobilityOutcome_MOBILITY_OUTCOME_SETTLED_ELSEWHERE {
		t.Errorf("the ending event does not ask for a transfer: %v", e)
	}

	// A member whose relationship was transferred while away.
	moved := h.register(t, person(tr.branch.GetId(), "Qian Yu"))
	away := h.outflow(t, moved.GetId(), "2025-01-05")
	tf := h.requestTransfer(t, moved.GetId(), tr.otherCommunity.GetId())
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
			_, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatalf("transfer: %v", err)
		}
	}
	if got := h.category(t, moved.GetId()); got != "assisted" {
		t.Errorf("a mobile member transferred is %q, want still assisted", got)
	}
	if _, err := h.mobile.EndMobility(ctx, &pb.EndMobilityRequest{Id: away.GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_TRANSFERRED}); err != nil {
		t.Errorf("transferred after the transfer completed: %v", err)
	}
	if got := h.category(t, moved.GetId()); got != "joint" {
		t.Errorf("after the mobility ended the member is %q, want joint", got)
	}
}

// TestCertificateNumbersAreUniqueAndIncreasing: every grant draws the next
// number of one city-wide sequence.
func TestCertificateNumbersAreUniqueAndIncreasing(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	var numbers []string
	for i := range 4 {
		m := h.register(t, person(tr.branch.GetId(), fmt.Sprintf("Member %d", i)))
		rec := h.outflow(t, m.GetId(), "2024-08-01")
		g, err := h.mobile.GrantTemporaryRelationship(callContext(t), &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: tr.otherCommunity.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, g.GetRecord().GetTemporary().GetCertificateNumber())
	}
	for i := 1; i < len(numbers); i++ {
		if numbers[i] <= numbers[i-1] {
			t.Errorf("certificate numbers %v are not increasing", numbers)
		}
	}
	if n := h.count(t, `SELECT count(DISTINCT certificate_number) FROM mobile_records`); n != 4 {
		t.Errorf("%d distinct numbers, want 4", n)
	}
}

// TestTwoWayContactAndOverdueFlaggedOncePerPeriod: the member reports for
// themself, the organisation sends news; a quarter without a report makes
// the record overdue and the sweeper reports it once per period, however
// often and by however many replicas it runs; a report clears it.
func TestTwoWayContactAndOverdueFlaggedOncePerPeriod(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	m := h.register(t, person(tr.branch.GetId(), "Li Na"))
	other := h.register(t, person(tr.branch.GetId(), "Wang Fang"))
	rec := h.outflow(t, m.GetId(), h.clock.day(0, 0, -10))
	otherRec := h.outflow(t, other.GetId(), h.clock.day(0, 0, -10))

	self := h.mobileAs(devissuer.Claims{Role: auth.Member, MemberID: m.GetId()})
	report := &pb.ContactEntry{Direction: pb.ContactDirection_CONTACT_DIRECTION_MEMBER_REPORT,
		Channel: pb.ContactChannel_CONTACT_CHANNEL_MESSAGE, Summary: "在深圳工作稳定，参加了园区党员志愿服务"}
	resp, err := self.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: report, RequestId: "report-1"})
	if err != nil {
		t.Fatalf("the member reports: %v", err)
	}
	reportedAt := h.clock.Now()
	if !resp.GetRecord().GetLastReportTime().AsTime().Equal(reportedAt) ||
		!resp.GetRecord().GetContactDueTime().AsTime().Equal(reportedAt.AddDate(0, 0, 90)) {
		t.Errorf("after a report: last %v, due %v", resp.GetRecord().GetLastReportTime().AsTime(), resp.GetRecord().GetContactDueTime().AsTime())
	}
	if again, err := self.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: report, RequestId: "report-1"}); err != nil ||
		again.GetContact().GetId() != resp.GetContact().GetId() {
		t.Errorf("a retried report: %v, %v", again, err)
	}
	news := &pb.ContactEntry{Direction: pb.ContactDirection_CONTACT_DIRECTION_ORGANISATION_NEWS,
		Channel: pb.ContactChannel_CONTACT_CHANNEL_MAIL, Summary: "寄送党的二十届三中全会精神学习材料"}
	if _, err := self.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: news}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a member logs news: %v, want PermissionDenied", err)
	}
	if _, err := self.LogContact(ctx, &pb.LogContactRequest{RecordId: otherRec.GetId(), Contact: report}); status.Code(err) != codes.NotFound {
		t.Errorf("a member reports on another's record: %v, want NotFound", err)
	}
	secretary := h.mobileAs(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId()})
	if _, err := secretary.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: news}); err != nil {
		t.Fatalf("the home side sends news: %v", err)
	}
	log, err := self.ListContacts(ctx, &pb.ListContactsRequest{RecordId: rec.GetId()})
	if err != nil || len(log.GetContacts()) != 2 ||
		log.GetContacts()[0].GetDirection() != pb.ContactDirection_CONTACT_DIRECTION_MEMBER_REPORT ||
		log.GetContacts()[1].GetDirection() != pb.ContactDirection_CONTACT_DIRECTION_ORGANISATION_NEWS ||
		log.GetContacts()[1].GetActorRole() != string(auth.CommunitySecretary) || log.GetContacts()[0].GetSummary() != report.GetSummary() {
		t.Fatalf("the log: %v %v", log, err)
	}
	if _, err := h.pool.Exec(ctx, `UPDATE mobile_contacts SET summary = 'x'`); err == nil {
		t.Error("the contact log was changed")
	}

	// 91 days later: overdue, and reported once per period.
	h.clock.add(0, 0, 91)
	if !h.record(t, rec.GetId()).GetContactOverdue() {
		t.Fatal("91 days without a report is not overdue")
	}
	var wg sync.WaitGroup
	for range 3 { // replicas sweeping at once
		wg.Go(func() {
			if err := h.svc.Sweep(ctx); err != nil {
				t.Errorf("sweep: %v", err)
			}
		})
	}
	wg.Wait()
	h.sweep(t)
	if got := h.overdueOf(t, rec.GetId()); len(got) != 1 || got[0].GetPeriod() != 1 ||
		!got[0].GetDueTime().AsTime().Equal(reportedAt.AddDate(0, 0, 90)) || got[0].GetMemberId() != m.GetId() {
		t.Fatalf("overdue events after the first period: %v", got)
	}
	// The other record was never reported on: its clock runs from the day it began.
	if got := h.overdueOf(t, otherRec.GetId()); len(got) != 1 {
		t.Errorf("the silent record has %d overdue events, want 1", len(got))
	}
	list, err := h.mobile.ListMobileRecords(ctx, &pb.ListMobileRecordsRequest{OrganisationId: tr.community.GetId(), ContactOverdueOnly: true})
	if err != nil || len(list.GetRecords()) != 2 {
		t.Errorf("overdue list: %v %v", list, err)
	}
	h.clock.add(0, 0, 89)
	h.sweep(t)
	if got := h.overdueOf(t, rec.GetId()); len(got) != 1 {
		t.Errorf("within the same period: %d events, want 1", len(got))
	}
	h.clock.add(0, 0, 2)
	h.sweep(t)
	h.sweep(t)
	if got := h.overdueOf(t, rec.GetId()); len(got) != 2 || got[1].GetPeriod() != 2 {
		t.Fatalf("after the second period: %v", got)
	}

	// A report clears it; the next period is counted from the report.
	if _, err := self.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: report}); err != nil {
		t.Fatal(err)
	}
	if h.record(t, rec.GetId()).GetContactOverdue() {
		t.Error("still overdue after a report")
	}
	h.clock.add(0, 0, 30)
	h.sweep(t)
	if got := h.overdueOf(t, rec.GetId()); len(got) != 2 {
		t.Errorf("after a report: %d events, want still 2", len(got))
	}
	logged := h.waitEvents(t, 3, ofType[*pb.MobileContactLogged])
	for _, e := range logged {
		if strings.Contains(prototext.Format(e), "深圳工作") {
			t.Error("a contact event carries the summary")
		}
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'mobile_record' AND subject_id = $1
		AND actor_role = 'system-job'`, rec.GetId()); n != 2 {
		t.Errorf("%d audit records of the sweeper, want 2", n)
	}
}

// TestGroupThatLeftTogether: five members of one community leave as a
// group; they are registered at once, granted one host branch together
// (each with a certificate), and news to the group is logged once on each
// record still away.
func TestGroupThatLeftTogether(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, h.register(t, person(tr.branch.GetId(), fmt.Sprintf("Builder %d", i))).GetId())
	}
	outsider := h.register(t, person(tr.otherCommunity.GetId(), "Zhou Wei"))
	group := &pb.MobileGroup{Name: "金川建筑队", HomeOrganisationId: tr.community.GetId(), Place: "新疆哈密市",
		DestinationOrganisationId: tr.otherDistrict.GetId(), LeaderMemberId: ids[0]}

	bad := []struct {
		name  string
		req   *pb.RegisterGroupOutflowRequest
		field string
	}{
		{"a member from another community", &pb.RegisterGroupOutflowRequest{Group: group, MemberIds: []string{ids[0], outsider.GetId()}, Since: "2024-08-01"}, "member_ids[1]"},
		{"a leader outside the group", &pb.RegisterGroupOutflowRequest{Group: group, MemberIds: ids[1:], Since: "2024-08-01"}, "group.leader_member_id"},
		{"a day in the future", &pb.RegisterGroupOutflowRequest{Group: group, MemberIds: ids, Since: h.clock.day(0, 0, 1)}, "since"},
	}
	for _, b := range bad {
		_, err := h.mobile.RegisterGroupOutflow(ctx, b.req)
		if r := refusalOf(err); r.Code != codes.InvalidArgument || !slices.Equal(r.Fields, []string{b.field}) {
			t.Errorf("%s: %v, want InvalidArgument on %s", b.name, err, b.field)
		}
	}

	req := &pb.RegisterGroupOutflowRequest{Group: group, MemberIds: ids, Since: "2024-08-01", Reason: "承建援疆项目", RequestId: "group-1"}
	resp, err := h.mobile.RegisterGroupOutflow(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetRecords()) != 5 || len(resp.GetGroup().GetRecordIds()) != 5 {
		t.Fatalf("registered %d records", len(resp.GetRecords()))
	}
	for i, r := range resp.GetRecords() {
		if r.GetMemberId() != ids[i] || r.GetGroupId() != resp.GetGroup().GetId() || r.GetPlace() != "新疆哈密市" {
			t.Errorf("record %d: %v", i, r)
		}
		if got := h.category(t, ids[i]); got != "assisted" {
			t.Errorf("member %d is %q, want assisted", i, got)
		}
	}
	again, err := h.mobile.RegisterGroupOutflow(ctx, req)
	if err != nil || again.GetGroup().GetId() != resp.GetGroup().GetId() || h.count(t, `SELECT count(*) FROM mobile_records`) != 5 {
		t.Errorf("a retried registration: %v, %d records", err, h.count(t, `SELECT count(*) FROM mobile_records`))
	}

	host := h.created(t, org(tr.otherCommunity, kindBranch, "Hami Project Temporary Branch"))
	h.waitView(t, host.GetId())
	granted, err := h.mobile.GrantGroupTemporaryRelationship(ctx, &pb.GrantGroupTemporaryRelationshipRequest{Id: resp.GetGroup().GetId(),
		HostOrganisationId: host.GetId(), Etag: resp.GetGroup().GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	certs := map[string]bool{}
	for _, r := range granted.GetRecords() {
		if r.GetTemporary().GetOrganisationId() != host.GetId() {
			t.Errorf("record of %s held with %s", r.GetMemberId(), r.GetTemporary().GetOrganisationId())
		}
		certs[r.GetTemporary().GetCertificateNumber()] = true
	}
	if len(certs) != 5 || granted.GetGroup().GetHostOrganisationId() != host.GetId() {
		t.Errorf("%d certificates for 5 members; group host %s", len(certs), granted.GetGroup().GetHostOrganisationId())
	}

	// The host side sends news; one member has come home by then.
	if _, err := h.mobile.EndMobility(ctx, &pb.EndMobilityRequest{Id: resp.GetRecords()[4].GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_RETURNED}); err != nil {
		t.Fatal(err)
	}
	hostSide := h.mobileAs(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()})
	newsReq := &pb.LogGroupNewsRequest{Id: resp.GetGroup().GetId(), Channel: pb.ContactChannel_CONTACT_CHANNEL_ONLINE,
		Summary: "传达流入地党组织关于冬季施工安全的要求", RequestId: "news-1"}
	news, err := hostSide.LogGroupNews(ctx, newsReq)
	if err != nil || len(news.GetContacts()) != 4 {
		t.Fatalf("group news: %v %v, want 4 entries", news, err)
	}
	if again, err := hostSide.LogGroupNews(ctx, newsReq); err != nil || len(again.GetContacts()) != 4 ||
		h.count(t, `SELECT count(*) FROM mobile_contacts`) != 4 {
		t.Errorf("retried news: %v", err)
	}
	for i, r := range resp.GetRecords() {
		want := 1
		if i == 4 {
			want = 0
		}
		if n := h.count(t, `SELECT count(*) FROM mobile_contacts WHERE record_id = $1 AND group_id = $2`, r.GetId(), resp.GetGroup().GetId()); n != want {
			t.Errorf("record %d has %d news entries, want %d", i, n, want)
		}
	}
	got, err := hostSide.GetMobileGroup(ctx, &pb.GetMobileGroupRequest{Id: resp.GetGroup().GetId()})
	if err != nil || len(got.GetRecords()) != 5 {
		t.Errorf("the host reads the group: %v", err)
	}

	// A second group, a month away: too early for all of them.
	var later []string
	for i := range 2 {
		later = append(later, h.register(t, person(tr.branch.GetId(), fmt.Sprintf("Driver %d", i))).GetId())
	}
	g2, err := h.mobile.RegisterGroupOutflow(ctx, &pb.RegisterGroupOutflowRequest{Group: &pb.MobileGroup{Name: "运输队",
		HomeOrganisationId: tr.branch.GetId(), Place: "内蒙古", LeaderMemberId: later[1]}, MemberIds: later, Since: h.clock.day(0, -1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.mobile.GrantGroupTemporaryRelationship(ctx, &pb.GrantGroupTemporaryRelationshipRequest{Id: g2.GetGroup().GetId(), HostOrganisationId: host.GetId()})
	if reasonOf(err) != "MOBILE_TOO_EARLY" || h.count(t, `SELECT count(*) FROM mobile_records WHERE group_id = $1 AND state = 'AWAY'`, g2.GetGroup().GetId()) != 2 {
		t.Errorf("a group a month away: %v", err)
	}
}

// TestInflow: someone from another city registers with a host community
// (their name stays out of the events), and so does a member of this city
// from another district, who becomes mobile; the host side keeps and ends
// what it registered.
func TestInflow(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	hostSide := h.mobileAs(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId()})
	out, err := hostSide.RegisterInflow(ctx, &pb.RegisterInflowRequest{Record: &pb.MobileRecord{
		Person:             &pb.OutsidePerson{Name: "Ma Secretmarker", Phone: "13912345678", HomeOrganisation: "甘肃省武威市凉州区某村党支部"},
		HostOrganisationId: tr.community.GetId(), Place: "甘肃省武威市", Since: "2024-06-01", Reason: "来金昌务工"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := out.GetRecord()
	if rec.GetDirection() != pb.MobileDirection_MOBILE_DIRECTION_INFLOW || rec.GetPerson().GetName() != "Ma Secretmarker" ||
		rec.GetContactPhone() != "13912345678" || rec.GetDistrictId() != tr.district.GetId() {
		t.Fatalf("inflow: %v", rec)
	}
	granted, err := hostSide.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: tr.branch.GetId()})
	if err != nil || granted.GetRecord().GetTemporary().GetCertificateNumber() == "" {
		t.Fatalf("the host grants: %v", err)
	}
	if _, err := hostSide.EndMobility(ctx, &pb.EndMobilityRequest{Id: rec.GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_RETURNED}); err != nil {
		t.Errorf("the host ends an outsider's record: %v", err)
	}

	visitor := h.register(t, person(tr.otherCommunity.GetId(), "Hu Jun"))
	in, err := hostSide.RegisterInflow(ctx, &pb.RegisterInflowRequest{Record: &pb.MobileRecord{
		MemberId: visitor.GetId(), HostOrganisationId: tr.community.GetId(), Since: h.clock.day(0, 0, -3)}})
	if err != nil {
		t.Fatal(err)
	}
	if in.GetRecord().GetHomeOrganisationId() != tr.otherCommunity.GetId() || h.category(t, visitor.GetId()) != "assisted" {
		t.Errorf("a member of this city flowing in: %v, category %s", in.GetRecord(), h.category(t, visitor.GetId()))
	}
	if _, err := hostSide.EndMobility(ctx, &pb.EndMobilityRequest{Id: in.GetRecord().GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_RETURNED}); status.Code(err) != codes.NotFound {
		t.Errorf("the host ends a city member's mobility: %v, want NotFound (the home side keeps it)", err)
	}
	// An outflow of someone already registered as flowing in is the same mobility.
	if _, err := h.mobile.RegisterOutflow(ctx, &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{MemberId: visitor.GetId(), Place: "金昌", Since: h.clock.day(0, 0, -3)}}); reasonOf(err) != "MOBILE_OPEN" {
		t.Errorf("a second open record: %v, want MOBILE_OPEN", err)
	}

	evs := h.waitEvents(t, 2, ofType[*pb.MobileInflowRegistered])
	for _, e := range h.mobileEvents(t) {
		if text := prototext.Format(e); strings.Contains(text, "Secretmarker") || strings.Contains(text, "13912345678") {
			t.Errorf("an event carries the person's name or phone: %T", e)
		}
	}
	if evs[0].(*pb.MobileInflowRegistered).GetRecord().GetPerson().GetHomeOrganisation() == "" {
		t.Error("the inflow event lost the home organisation")
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_id = $1 AND action = 'read'`, rec.GetId()); n != 0 {
		t.Fatalf("reads recorded before any read: %d", n)
	}
	if _, err := hostSide.GetMobileRecord(ctx, &pb.GetMobileRecordRequest{Id: rec.GetId()}); err != nil {
		t.Fatal(err)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_id = $1 AND action = 'read'`, rec.GetId()); n != 1 {
		t.Errorf("a read of a record left %d read records, want 1", n)
	}
}

// TestMobileRefusals: bad input is refused with the field named and the
// kind a client reacts to.
func TestMobileRefusals(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	m := h.register(t, person(tr.branch.GetId(), "Gao Jie"))
	rec := h.outflow(t, m.GetId(), "2024-01-01")
	free := h.register(t, person(tr.branch.GetId(), "Lin Tao"))
	unknown := member.NewID()
	outflow := func(r *pb.MobileRecord) error {
		_, err := h.mobile.RegisterOutflow(ctx, &pb.RegisterOutflowRequest{Record: r})
		return err
	}
	inflow := func(r *pb.MobileRecord) error {
		_, err := h.mobile.RegisterInflow(ctx, &pb.RegisterInflowRequest{Record: r})
		return err
	}
	grant := func(host string) error {
		_, err := h.mobile.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: host})
		return err
	}
	visitor := &pb.OutsidePerson{Name: "X", HomeOrganisation: "Y"}
	cases := []struct {
		name   string
		err    error
		code   codes.Code
		fields []string
		reason string
	}{
		{"an outflow beginning tomorrow", outflow(&pb.MobileRecord{MemberId: free.GetId(), Place: "P", Since: h.clock.day(0, 0, 1)}), codes.InvalidArgument, []string{"record.since"}, ""},
		{"an outflow on no real day", outflow(&pb.MobileRecord{MemberId: free.GetId(), Place: "P", Since: "2025-02-30"}), codes.InvalidArgument, []string{"record.since"}, ""},
		{"an outflow going nowhere", outflow(&pb.MobileRecord{MemberId: free.GetId(), Since: "2025-01-01"}), codes.InvalidArgument, []string{"record.place"}, ""},
		{"an outflow of nobody", outflow(&pb.MobileRecord{MemberId: unknown, Place: "P", Since: "2025-01-01"}), codes.NotFound, []string{"record.member_id"}, ""},
		{"an outflow to an unknown organisation", outflow(&pb.MobileRecord{MemberId: free.GetId(), Place: "P", Since: "2025-01-01", DestinationOrganisationId: unknown}), codes.FailedPrecondition, []string{"record.destination_organisation_id"}, ""},
		{"a second open outflow", outflow(&pb.MobileRecord{MemberId: m.GetId(), Place: "P", Since: "2025-01-01"}), codes.FailedPrecondition, []string{"record.member_id"}, "MOBILE_OPEN"},
		{"an inflow to an unknown host", inflow(&pb.MobileRecord{Person: visitor, HostOrganisationId: unknown, Since: "2025-01-01"}), codes.FailedPrecondition, []string{"record.host_organisation_id"}, ""},
		{"an inflow to a party group", inflow(&pb.MobileRecord{Person: visitor, HostOrganisationId: tr.group.GetId(), Since: "2025-01-01"}), codes.FailedPrecondition, []string{"record.host_organisation_id"}, ""},
		{"an inflow of a member and a person", inflow(&pb.MobileRecord{MemberId: free.GetId(), Person: visitor, HostOrganisationId: tr.otherCommunity.GetId(), Since: "2025-01-01"}), codes.InvalidArgument, []string{"record.person"}, ""},
		{"an inflow of nobody named", inflow(&pb.MobileRecord{HostOrganisationId: tr.otherCommunity.GetId(), Since: "2025-01-01"}), codes.InvalidArgument, []string{"record.person.home_organisation", "record.person.name"}, ""},
		{"an inflow arriving next month", inflow(&pb.MobileRecord{Person: visitor, HostOrganisationId: tr.otherCommunity.GetId(), Since: h.clock.day(0, 1, 0)}), codes.InvalidArgument, []string{"record.since"}, ""},
		{"a grant to a party group", grant(tr.group.GetId()), codes.FailedPrecondition, []string{"host_organisation_id"}, ""},
		{"a grant to an unknown host", grant(unknown), codes.FailedPrecondition, []string{"host_organisation_id"}, ""},
		{"a grant to the home branch", grant(tr.branch.GetId()), codes.InvalidArgument, []string{"host_organisation_id"}, ""},
	}
	for _, c := range cases {
		r := refusalOf(c.err)
		if r.Code != c.code || !slices.Equal(r.Fields, c.fields) || (c.reason != "" && reasonOf(c.err) != c.reason) {
			t.Errorf("%s: %v (fields %v), want %v on %v %s", c.name, c.err, r.Fields, c.code, c.fields, c.reason)
		}
	}
	if _, err := h.mobile.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(),
		HostOrganisationId: tr.otherCommunity.GetId(), Etag: "99"}); reasonOf(err) != "ETAG_MISMATCH" {
		t.Errorf("a stale etag: %v", err)
	}
	future := &pb.ContactEntry{Direction: pb.ContactDirection_CONTACT_DIRECTION_MEMBER_REPORT, Channel: pb.ContactChannel_CONTACT_CHANNEL_PHONE,
		Summary: "s", ContactTime: timestamppb.New(h.clock.Now().Add(time.Hour))}
	if _, err := h.mobile.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: future}); !slices.Equal(refusalOf(err).Fields, []string{"contact.contact_time"}) {
		t.Errorf("a contact in the future: %v", err)
	}
	if _, err := h.mobile.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: &pb.ContactEntry{Summary: " "}}); refusalOf(err).Code != codes.InvalidArgument ||
		len(refusalOf(err).Fields) != 3 {
		t.Errorf("an empty contact: %v", err)
	}
	if _, err := h.mobile.EndMobility(ctx, &pb.EndMobilityRequest{Id: rec.GetId()}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("an ending without an outcome: %v", err)
	}
	if _, err := h.mobile.GetMobileRecord(ctx, &pb.GetMobileRecordRequest{Id: unknown}); status.Code(err) != codes.NotFound {
		t.Errorf("an unknown record: %v", err)
	}
	if n := h.count(t, `SELECT count(*) FROM mobile_records`); n != 1 {
		t.Errorf("%d records after the refusals, want 1", n)
	}
}

// TestMobileRequestIDReplay: a retried registration returns the record
// made first and publishes nothing twice.
func TestMobileRequestIDReplay(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	m := h.register(t, person(tr.branch.GetId(), "Deng Hui"))
	req := &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{MemberId: m.GetId(), Place: "上海", Since: "2025-01-02"}, RequestId: "out-1"}
	first, err := h.mobile.RegisterOutflow(callContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.mobile.RegisterOutflow(callContext(t), req)
	if err != nil || second.GetRecord().GetId() != first.GetRecord().GetId() {
		t.Fatalf("the retry: %v %v", second, err)
	}
	in := &pb.RegisterInflowRequest{Record: &pb.MobileRecord{Person: &pb.OutsidePerson{Name: "N", HomeOrganisation: "H"},
		HostOrganisationId: tr.community.GetId(), Since: "2025-01-02"}, RequestId: "in-1"}
	a, err := h.mobile.RegisterInflow(callContext(t), in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.mobile.RegisterInflow(callContext(t), in)
	if err != nil || a.GetRecord().GetId() != b.GetRecord().GetId() {
		t.Errorf("the inflow retry: %v", err)
	}
	if n := h.count(t, `SELECT count(*) FROM mobile_records`); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
	waitFor(t, "the outbox to drain", func() bool { return h.count(t, `SELECT count(*) FROM outbox`) == 0 })
	registered := 0
	for _, e := range h.mobileEvents(t) {
		if ofType[*pb.MobileOutflowRegistered](e) || ofType[*pb.MobileInflowRegistered](e) {
			registered++
		}
	}
	if registered != 2 {
		t.Errorf("%d registration events, want 2", registered)
	}
}

// TestMobileAccess: the home side registers and ends, the host side
// grants, each reads through its own side, and a member sees only their
// own records.
func TestMobileAccess(t *testing.T) {
	t.Parallel()
	h := newMobileHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	m := h.register(t, person(tr.branch.GetId(), "Xu Lan"))
	home := h.mobileAs(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()})
	host := h.mobileAs(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.otherCommunity.GetId()})
	grid := h.mobileAs(devissuer.Claims{Role: auth.GridLeader, ScopeOrgID: tr.otherCommunity.GetId()})

	outReq := &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{MemberId: m.GetId(), Place: "永昌县城关镇", Since: "2024-05-01"}}
	if _, err := host.RegisterOutflow(ctx, outReq); status.Code(err) != codes.NotFound {
		t.Errorf("another district registers the outflow: %v, want NotFound", err)
	}
	resp, err := home.RegisterOutflow(ctx, outReq)
	if err != nil {
		t.Fatal(err)
	}
	rec := resp.GetRecord()
	if _, err := host.GetMobileRecord(ctx, &pb.GetMobileRecordRequest{Id: rec.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the host reads before it is a side: %v, want NotFound", err)
	}
	if _, err := home.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: tr.otherCommunity.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the home side grants with another district's host: %v, want NotFound", err)
	}
	if _, err := grid.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: tr.otherCommunity.GetId()}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a grid leader grants: %v, want PermissionDenied", err)
	}
	if _, err := host.GrantTemporaryRelationship(ctx, &pb.GrantTemporaryRelationshipRequest{Id: rec.GetId(), HostOrganisationId: tr.otherCommunity.GetId()}); err != nil {
		t.Fatalf("the host grants: %v", err)
	}
	if _, err := grid.GetMobileRecord(ctx, &pb.GetMobileRecordRequest{Id: rec.GetId()}); err != nil {
		t.Errorf("a reader of the host side reads after the grant: %v", err)
	}
	list, err := grid.ListMobileRecords(ctx, &pb.ListMobileRecordsRequest{})
	if err != nil || len(list.GetRecords()) != 1 {
		t.Errorf("the host side's list: %v %v", list, err)
	}
	news := &pb.ContactEntry{Direction: pb.ContactDirection_CONTACT_DIRECTION_ORGANISATION_NEWS, Channel: pb.ContactChannel_CONTACT_CHANNEL_VISIT, Summary: "上门走访"}
	if _, err := host.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: news}); err != nil {
		t.Errorf("the host logs: %v", err)
	}
	if _, err := grid.LogContact(ctx, &pb.LogContactRequest{RecordId: rec.GetId(), Contact: news}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a grid leader logs: %v, want PermissionDenied", err)
	}
	end := &pb.EndMobilityRequest{Id: rec.GetId(), Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_RETURNED}
	if _, err := host.EndMobility(ctx, end); status.Code(err) != codes.NotFound {
		t.Errorf("the host ends the outflow: %v, want NotFound", err)
	}

	self := h.mobileAs(devissuer.Claims{Role: auth.Member, MemberID: m.GetId()})
	other := h.register(t, person(tr.branch.GetId(), "Yang Bo"))
	otherRec := h.outflow(t, other.GetId(), "2025-01-01")
	if got, err := self.GetMobileRecord(ctx, &pb.GetMobileRecordRequest{Id: rec.GetId()}); err != nil || got.GetRecord().GetId() != rec.GetId() {
		t.Errorf("the member reads their record: %v", err)
	}
	if _, err := self.GetMobileRecord(ctx, &pb.GetMobileRecordRequest{Id: otherRec.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the member reads another's: %v, want NotFound", err)
	}
	mine, err := self.ListMobileRecords(ctx, &pb.ListMobileRecordsRequest{})
	if err != nil || len(mine.GetRecords()) != 1 || mine.GetRecords()[0].GetId() != rec.GetId() {
		t.Errorf("the member lists: %v %v", mine, err)
	}
	if _, err := self.ListContacts(ctx, &pb.ListContactsRequest{RecordId: otherRec.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the member lists another's contacts: %v, want NotFound", err)
	}
	if _, err := self.RegisterOutflow(ctx, outReq); status.Code(err) != codes.PermissionDenied {
		t.Errorf("the member registers: %v, want PermissionDenied", err)
	}
	if _, err := self.EndMobility(ctx, end); status.Code(err) != codes.PermissionDenied {
		t.Errorf("the member ends: %v, want PermissionDenied", err)
	}
	if _, err := home.EndMobility(ctx, end); err != nil {
		t.Errorf("the home side ends: %v", err)
	}
}

// mobileFixture is the mobile records of one side of the access matrix:
// the side's member is away (a record), and two more members of its
// branch left as a group.
type mobileFixture struct{ record, group string }

var mobileFixtures sync.Map // the side's member id → mobileFixture

// mobileMatrixFixtures makes the records the matrix's mobile calls act on.
func mobileMatrixFixtures(t *testing.T, h *harness, sides ...matrixSide) {
	t.Helper()
	client := pb.NewMobileServiceClient(h.as(cityAdmin))
	ctx := callContext(t)
	for _, s := range sides {
		rec, err := client.RegisterOutflow(ctx, &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{
			MemberId: s.member.GetId(), Place: "P", Since: "2025-01-01"}})
		if err != nil {
			t.Fatalf("matrix outflow: %v", err)
		}
		a, b := h.register(t, person(s.branch, "Group A")), h.register(t, person(s.branch, "Group B"))
		g, err := client.RegisterGroupOutflow(ctx, &pb.RegisterGroupOutflowRequest{Group: &pb.MobileGroup{Name: "G",
			HomeOrganisationId: s.branch, Place: "P", LeaderMemberId: a.GetId()}, MemberIds: []string{a.GetId(), b.GetId()}, Since: "2025-01-01"})
		if err != nil {
			t.Fatalf("matrix group: %v", err)
		}
		mobileFixtures.Store(s.member.GetId(), mobileFixture{record: rec.GetRecord().GetId(), group: g.GetGroup().GetId()})
	}
}

func fixtureOf(s matrixSide) mobileFixture {
	f, _ := mobileFixtures.Load(s.member.GetId())
	return f.(mobileFixture)
}

// tomorrow is a day no mobility can begin on: an allowed caller's
// registration is refused by the domain, so the fixture never grows.
func tomorrow() string { return time.Now().AddDate(0, 0, 2).Format(time.DateOnly) }

// futureContact is a contact the domain refuses, for the same reason.
func futureContact() *pb.ContactEntry {
	return &pb.ContactEntry{Direction: pb.ContactDirection_CONTACT_DIRECTION_MEMBER_REPORT, Channel: pb.ContactChannel_CONTACT_CHANNEL_PHONE,
		Summary: "s", ContactTime: timestamppb.New(time.Now().Add(48 * time.Hour))}
}
