package grpcapi_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/orgview"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/member"
)

// TestScope: a district administrator sees the members of their district
// only; another district's member answers NotFound, as if absent, and a
// list without a filter covers the caller's subtree. A member sees only
// their own record.
func TestScope(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	mine := h.register(t, person(tr.branch.GetId(), "Li Guiying"))
	theirs := h.register(t, person(tr.otherCommunity.GetId(), "Zhou Jie"))
	admin := pb.NewMemberServiceClient(h.as(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))
	if _, err := admin.GetMember(callContext(t), &pb.GetMemberRequest{Id: mine.GetId()}); err != nil {
		t.Errorf("own district: %v", err)
	}
	if _, err := admin.GetMember(callContext(t), &pb.GetMemberRequest{Id: theirs.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("another district's member: %v, want NotFound", err)
	}
	if _, err := admin.ListMembers(callContext(t), &pb.ListMembersRequest{OrganisationId: tr.otherCommunity.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("another district's list: %v, want NotFound", err)
	}
	list, err := admin.ListMembers(callContext(t), &pb.ListMembersRequest{})
	if err != nil || len(list.GetMembers()) != 1 || list.GetMembers()[0].GetId() != mine.GetId() {
		t.Errorf("unfiltered list: %v %v, want the own district's member only", list, err)
	}
	grid := pb.NewMemberServiceClient(h.as(devissuer.Claims{Role: auth.GridLeader, ScopeOrgID: tr.community.GetId()}))
	if _, err := grid.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: person(tr.branch.GetId(), "X")}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a grid leader registers: %v, want PermissionDenied", err)
	}

	self := pb.NewMemberServiceClient(h.as(devissuer.Claims{Role: auth.Member, MemberID: mine.GetId()}))
	got, err := self.GetMember(callContext(t), &pb.GetMemberRequest{Id: mine.GetId()})
	if err != nil || got.GetMember().GetId() != mine.GetId() {
		t.Errorf("a member reads themself: %v", err)
	}
	if _, err := self.GetMember(callContext(t), &pb.GetMemberRequest{Id: theirs.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("a member reads another: %v, want NotFound", err)
	}
	if _, err := self.ListMembers(callContext(t), &pb.ListMembersRequest{OrganisationId: tr.branch.GetId()}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a member lists: %v, want PermissionDenied", err)
	}
	system := pb.NewMemberServiceClient(h.as(devissuer.Claims{Role: auth.System, Scopes: []string{"member.read"}}))
	if _, err := system.GetMember(callContext(t), &pb.GetMemberRequest{Id: theirs.GetId()}); err != nil {
		t.Errorf("a system with member.read: %v", err)
	}
	if _, err := system.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: person(tr.branch.GetId(), "X")}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a system with member.read registers: %v, want PermissionDenied", err)
	}
}

// TestViewFollowsMoves: a community moved to another district takes its
// branches and their members with it: subtree lists and scopes follow.
func TestViewFollowsMoves(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.register(t, person(tr.branch.GetId(), "Li Guiying"))
	h.register(t, person(tr.otherCommunity.GetId(), "Zhou Jie"))

	moved := cloneOrg(tr.community)
	place(moved, tr.otherStreet)
	id := member.NewID()
	h.publish(t, orgview.SubjectMoved, &orgv1.OrganisationMoved{EventId: id, OccurTime: timestamppb.Now(), Organisation: moved,
		OldParentId: tr.street.GetId(), OldDistrictId: tr.district.GetId(), SubtreeSize: 2}, id)
	waitFor(t, "the member to follow the move", func() bool {
		got, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: m.GetId()})
		return err == nil && got.GetMember().GetDistrictId() == tr.otherDistrict.GetId()
	})
	list, err := h.members.ListMembers(callContext(t), &pb.ListMembersRequest{AncestorId: tr.otherDistrict.GetId()})
	if err != nil || len(list.GetMembers()) != 2 {
		t.Fatalf("the new district lists %d members (%v), want 2", len(list.GetMembers()), err)
	}
	list, err = h.members.ListMembers(callContext(t), &pb.ListMembersRequest{AncestorId: tr.district.GetId()})
	if err != nil || len(list.GetMembers()) != 0 {
		t.Errorf("the old district lists %d members (%v), want 0", len(list.GetMembers()), err)
	}
	old := pb.NewMemberServiceClient(h.as(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))
	if _, err := old.GetMember(callContext(t), &pb.GetMemberRequest{Id: m.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the old district reads the moved member: %v, want NotFound", err)
	}
	if n := h.count(t, `SELECT count(*) FROM orgs WHERE id = $1 AND district_id = $2 AND path LIKE $3`,
		tr.branch.GetId(), tr.otherDistrict.GetId(), "/"+tr.city.GetId()+"/"+tr.otherDistrict.GetId()+"/%"); n != 1 {
		t.Error("the branch under the moved community kept its old path or district")
	}

	// Paging walks the subtree in (path, id) order without repeats.
	for range 3 {
		h.register(t, person(tr.branch.GetId(), "Wu Hua"))
	}
	seen := map[string]bool{}
	token := ""
	for {
		page, err := h.members.ListMembers(callContext(t), &pb.ListMembersRequest{AncestorId: tr.otherDistrict.GetId(), PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.GetMembers() {
			if seen[x.GetId()] {
				t.Fatalf("member %s listed twice", x.GetId())
			}
			seen[x.GetId()] = true
		}
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Errorf("paging listed %d members, want 5", len(seen))
	}
}

// TestIDNumberNeverReachesLogsOrTraces sends a national ID number through
// every layer, accepted and refused, and looks for it in every log line
// and span, in the events and in the audit trail.
func TestIDNumberNeverReachesLogsOrTraces(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	var logs logtest.Buffer
	h := newHarness(t, withLogs(&logs))
	tr := h.tree(t)
	p := person(tr.branch.GetId(), "Qian Secretmarker")
	m := h.register(t, p)
	if _, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: m.GetId()}); err != nil {
		t.Fatal(err)
	}
	refused := []*pb.Member{person(tr.otherCommunity.GetId(), "dup"), person(tr.branch.GetId(), "mismatch")}
	refused[0].NationalId = p.GetNationalId()
	refused[1].NationalId, refused[1].BirthDate = p.GetNationalId(), "1990-02-02"
	for _, r := range refused {
		if _, err := h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: r}); err == nil {
			t.Fatal("a refused registration succeeded")
		}
	}
	waitFor(t, "the events", func() bool { return len(h.memberEvents(t)) == 2 })
	_ = tp.ForceFlush(context.Background())

	spans := recorder.Ended()
	if len(spans) == 0 || !strings.Contains(logs.String(), "CreateMember") {
		t.Fatalf("nothing was observed (%d spans): the test would prove nothing", len(spans))
	}
	number := p.GetNationalId()
	if strings.Contains(logs.String(), number) {
		t.Error("the logs hold the ID number")
	}
	for _, s := range spans {
		seen := s.Name()
		for _, a := range s.Attributes() {
			seen += " " + a.Value.Emit()
		}
		for _, e := range s.Events() {
			seen += " " + e.Name
			for _, a := range e.Attributes {
				seen += " " + a.Value.Emit()
			}
		}
		if strings.Contains(seen, number) {
			t.Errorf("span %q holds the ID number", s.Name())
		}
	}
	for _, e := range h.memberEvents(t) {
		if strings.Contains(prototext.Format(e), number) {
			t.Errorf("an event holds the ID number: %T", e)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE coalesce(before::text, '') || coalesce(after::text, '') LIKE '%' || $1 || '%'`, number); n != 0 {
		t.Errorf("%d audit records hold the ID number", n)
	}
	if n := h.count(t, `SELECT count(*) FROM members WHERE national_id_sealed LIKE '%' || $1 || '%'`, number); n != 0 {
		t.Error("the number is stored in the clear")
	}
}
