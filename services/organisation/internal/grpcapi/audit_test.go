package grpcapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/logtest"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func (h *harness) auditRecords(t *testing.T, req *auditv1.ListAuditRecordsRequest) []*auditv1.AuditRecord {
	t.Helper()
	req.Service = "organisation"
	req.PageSize = 500
	resp, err := clientsOf(h.as(cityAdmin)).audit.ListAuditRecords(callContext(t), req)
	if err != nil {
		t.Fatalf("audit records: %v", err)
	}
	return resp.GetAuditRecords()
}

// TestEveryWriteLeavesExactlyOneAuditRecord: a successful write leaves one
// record, with who, what, before and after, the trace and the request id; a
// refused write leaves none; nothing can change a record.
func TestEveryWriteLeavesExactlyOneAuditRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	before := h.count(t, "audit_log")

	ctx := metadata.AppendToOutgoingContext(callContext(t), "x-request-id", "req-42")
	_, err := h.org.CreateOrganisation(ctx, &pb.CreateOrganisationRequest{Organisation: child(tr.street, kindBranch, "a branch under a street")})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.count(t, "audit_log"); got != before+1 {
		t.Fatalf("a successful create left %d audit records, want 1", got-before)
	}
	refused := []func() error{
		func() error {
			return ignore(h.org.CreateOrganisation(ctx, &pb.CreateOrganisationRequest{Organisation: child(tr.branch, kindDistrict, "x")}))
		},
		func() error {
			return ignore(h.org.UpdateOrganisation(ctx, &pb.UpdateOrganisationRequest{Organisation: &pb.Organisation{Id: tr.branch.GetId(), Name: "x", Etag: "99"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}}))
		},
		func() error {
			return ignore(h.org.DissolveOrganisation(ctx, &pb.DissolveOrganisationRequest{Id: tr.community.GetId(), Reason: "x"}))
		},
	}
	for i, call := range refused {
		if err := call(); err == nil {
			t.Fatalf("refused write %d succeeded", i)
		}
	}
	if got := h.count(t, "audit_log"); got != before+1 {
		t.Fatalf("refused writes left %d audit records, want none", got-before-1)
	}

	_, err = h.org.UpdateOrganisation(ctx, &pb.UpdateOrganisationRequest{Organisation: &pb.Organisation{Id: tr.branch.GetId(), Name: "Renamed Branch"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
	if err != nil {
		t.Fatal(err)
	}
	recs := h.auditRecords(t, &auditv1.ListAuditRecordsRequest{SubjectId: tr.branch.GetId()})
	var updates []*auditv1.AuditRecord
	for _, r := range recs {
		if r.GetMethod() == pb.OrganisationService_UpdateOrganisation_FullMethodName {
			updates = append(updates, r)
		}
	}
	if len(updates) != 1 {
		t.Fatalf("%d audit records of the update, want 1", len(updates))
	}
	u := updates[0]
	if u.GetActorSubject() != cityAdmin.Subject || u.GetActorRole() != string(auth.CityAdmin) || u.GetRequestId() != "req-42" ||
		u.GetAction() != auditv1.AuditAction_AUDIT_ACTION_WRITE || u.GetSubjectType() != "organisation" || u.GetOrganisationId() != tr.branch.GetId() {
		t.Fatalf("update record %v", u)
	}
	if name := u.GetBefore().GetStructValue().GetFields()["name"].GetStringValue(); name != tr.branch.GetName() {
		t.Errorf("before holds name %q, want %q", name, tr.branch.GetName())
	}
	if name := u.GetAfter().GetStructValue().GetFields()["name"].GetStringValue(); name != "Renamed Branch" {
		t.Errorf("after holds name %q, want the new one", name)
	}

	if _, err := h.pool.Exec(callContext(t), `UPDATE audit_log SET actor_subject = 'someone else'`); err == nil {
		t.Error("an audit record could be changed")
	}
	if _, err := h.pool.Exec(callContext(t), `DELETE FROM audit_log`); err == nil {
		t.Error("audit records could be deleted")
	}
}

// TestReadsOfPersonalDataAreAudited: reading a leadership team (cadres'
// names, birth dates, education) leaves a read record naming who read
// whom; lists carry no teams and leave none. The trail is queryable by
// subject, actor, organisation and time.
func TestReadsOfPersonalDataAreAudited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	_, err := h.org.SetLeadershipTeam(callContext(t), &pb.SetLeadershipTeamRequest{OrganisationId: tr.community.GetId(), Cadres: []*pb.Cadre{{
		Name: "Wang Xiulan", Role: pb.CadreRole_CADRE_ROLE_SECRETARY, Sex: pb.Sex_SEX_FEMALE, BirthDate: "1975-04-02", Education: pb.Education_EDUCATION_COLLEGE}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	reader := devissuer.Claims{Subject: "inspector-7", Name: "Inspector Seven", Role: auth.Inspector}
	c := clientsOf(h.as(reader))
	got, err := c.org.GetOrganisation(callContext(t), &pb.GetOrganisationRequest{Id: tr.community.GetId()})
	if err != nil || len(got.GetOrganisation().GetLeadership()) != 1 {
		t.Fatalf("get: %v %v", got, err)
	}
	list, err := c.org.ListOrganisations(callContext(t), &pb.ListOrganisationsRequest{ParentId: tr.street.GetId()})
	if err != nil || len(list.GetOrganisations()) != 1 || len(list.GetOrganisations()[0].GetLeadership()) != 0 {
		t.Fatalf("a list carries leadership teams: %v %v", list, err)
	}
	for name, req := range map[string]*auditv1.ListAuditRecordsRequest{
		"by subject":      {SubjectId: tr.community.GetId(), Action: auditv1.AuditAction_AUDIT_ACTION_READ},
		"by actor":        {ActorSubject: "inspector-7"},
		"by organisation": {OrganisationId: tr.community.GetId(), Action: auditv1.AuditAction_AUDIT_ACTION_READ},
		"by time":         {FromTime: timestamppb.New(start), Action: auditv1.AuditAction_AUDIT_ACTION_READ},
	} {
		recs := h.auditRecords(t, req)
		if len(recs) != 1 || recs[0].GetActorSubject() != "inspector-7" || recs[0].GetSubjectType() != "leadership_team" ||
			recs[0].GetMethod() != pb.OrganisationService_GetOrganisation_FullMethodName || recs[0].GetAfter() != nil {
			t.Errorf("%s: %v, want the one read of the team by inspector-7", name, recs)
		}
	}
}

// TestPersonalDataNeverReachesLogsOrTraces sends cadres' personal data
// through every layer and looks for it in every log line and span.
func TestPersonalDataNeverReachesLogsOrTraces(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	var logs logtest.Buffer
	h := newHarness(t, withLogs(&logs))
	tr := h.tree(t)
	const name, birth = "Zhao Secretmarker", "1968-11-29"
	_, err := h.org.SetLeadershipTeam(callContext(t), &pb.SetLeadershipTeamRequest{OrganisationId: tr.community.GetId(), Cadres: []*pb.Cadre{{
		Name: name, Role: pb.CadreRole_CADRE_ROLE_SECRETARY, Sex: pb.Sex_SEX_MALE, BirthDate: birth, Education: pb.Education_EDUCATION_HIGH_SCHOOL}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.org.GetOrganisation(callContext(t), &pb.GetOrganisationRequest{Id: tr.community.GetId()}); err != nil {
		t.Fatal(err)
	}
	// A refused call with the data in it, logged as a failure.
	_, err = h.org.SetLeadershipTeam(callContext(t), &pb.SetLeadershipTeamRequest{OrganisationId: tr.community.GetId(), Cadres: []*pb.Cadre{{
		Name: name, Role: pb.CadreRole_CADRE_ROLE_SECRETARY, Sex: pb.Sex_SEX_MALE, BirthDate: "2999-01-01", Education: pb.Education_EDUCATION_HIGH_SCHOOL}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a birth date in the future: %v", err)
	}
	_ = tp.ForceFlush(context.Background())

	spans := recorder.Ended()
	if len(spans) == 0 || !strings.Contains(logs.String(), "SetLeadershipTeam") {
		t.Fatalf("nothing was observed (%d spans, logs %q): the test would prove nothing", len(spans), logs.String())
	}
	for _, marker := range []string{name, "Secretmarker", birth} {
		if strings.Contains(logs.String(), marker) {
			t.Errorf("the logs hold %q", marker)
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
			if strings.Contains(seen, marker) {
				t.Errorf("span %q holds %q", s.Name(), marker)
			}
		}
	}
}
