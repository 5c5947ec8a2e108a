package grpcapi_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

// requestsAs is the requests API as the caller of the claims.
func (h *harness) requestsAs(c devissuer.Claims) pb.ServiceRequestServiceClient {
	return pb.NewServiceRequestServiceClient(h.As(c))
}

func requestOf(community string, kind pb.ServiceRequestKind) *pb.ServiceRequest {
	return &pb.ServiceRequest{CommunityId: community, Kind: kind, Channel: pb.ServiceRequestChannel_SERVICE_REQUEST_CHANNEL_PHONE,
		Title: "楼道灯坏了", Content: "3号楼2单元楼道灯不亮", ResidentName: "张秀英", ResidentPhone: "13845671234",
		Address: "新华小区3号楼2单元501"}
}

func (h *harness) serviceRequest(t testing.TB, community string, kind pb.ServiceRequestKind) *pb.ServiceRequest {
	t.Helper()
	resp, err := h.requestsAs(cityAdmin).CreateServiceRequest(servicetest.Ctx(t), &pb.CreateServiceRequestRequest{ServiceRequest: requestOf(community, kind)})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return resp.GetServiceRequest()
}

// TestAResidentsRequestGoesFromReceiptToClosure: received by phone,
// dispatched to a unit whose contact accepts, handles and answers it, rated
// by the resident and closed; the resident's data is masked everywhere
// but in a read of the request, which leaves a read record.
func TestAResidentsRequestGoesFromReceiptToClosure(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.community.GetId(), "同江市供电局")
	staff := h.requestsAs(cityAdmin)
	contact := h.requestsAs(devissuer.Claims{Subject: "u-1", Role: auth.UnitContact, ScopeOrgID: tr.community.GetId(), UnitID: u.GetId()})
	resp, err := staff.CreateServiceRequest(servicetest.Ctx(t), &pb.CreateServiceRequestRequest{RequestId: "热线-1",
		ServiceRequest: requestOf(tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_HANDLE_ON_BEHALF)})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetServiceRequest()
	if r.GetResidentName() != "张**" || r.GetResidentPhone() != "138****1234" || !r.GetPersonalDataMasked() ||
		r.GetResponseDueTime().AsTime().Sub(r.GetReceiveTime().AsTime()) != 24*time.Hour {
		t.Errorf("as received: %v", r)
	}
	again, err := staff.CreateServiceRequest(servicetest.Ctx(t), &pb.CreateServiceRequestRequest{RequestId: "热线-1",
		ServiceRequest: requestOf(tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY)})
	if err != nil || again.GetServiceRequest().GetId() != r.GetId() {
		t.Errorf("a retried receipt: %v, %v", again, err)
	}
	if _, err := contact.GetServiceRequest(servicetest.Ctx(t), &pb.GetServiceRequestRequest{Id: r.GetId()}); refusalOf(err).Code != codes.NotFound {
		t.Errorf("the unit's contact before the request is theirs: %v", err)
	}
	unitHandler := &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_UNIT, Id: u.GetId(), Name: u.GetName()}
	if _, err := staff.AssignServiceRequest(servicetest.Ctx(t), &pb.AssignServiceRequestRequest{Id: r.GetId(), Handler: unitHandler}); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(3 * time.Hour)
	if _, err := contact.AcceptServiceRequest(servicetest.Ctx(t), &pb.AcceptServiceRequestRequest{Id: r.GetId()}); err != nil {
		t.Fatal(err)
	}
	full, err := contact.GetServiceRequest(servicetest.Ctx(t), &pb.GetServiceRequestRequest{Id: r.GetId()})
	if err != nil || full.GetServiceRequest().GetResidentPhone() != "13845671234" || full.GetServiceRequest().GetPersonalDataMasked() {
		t.Errorf("the handler's read: %v, %v", full, err)
	}
	if got, err := staff.GetServiceRequest(servicetest.Ctx(t), &pb.GetServiceRequestRequest{Id: r.GetId()}); err != nil ||
		got.GetServiceRequest().GetResidentPhone() != "138****1234" {
		t.Errorf("a read without the permission to see personal data: %v, %v", got, err)
	}
	privileged := h.requestsAs(devissuer.Claims{Subject: "u-2", Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId(),
		Permissions: []string{auth.PermUnmaskedID}})
	if got, err := privileged.GetServiceRequest(servicetest.Ctx(t), &pb.GetServiceRequestRequest{Id: r.GetId()}); err != nil ||
		got.GetServiceRequest().GetResidentName() != "张秀英" {
		t.Errorf("a read with the permission: %v, %v", got, err)
	}
	if _, err := contact.RecordServiceRequestProgress(servicetest.Ctx(t), &pb.RecordServiceRequestProgressRequest{Id: r.GetId(), Note: "已派电工"}); err != nil {
		t.Fatal(err)
	}
	if _, err := contact.AnswerServiceRequest(servicetest.Ctx(t), &pb.AnswerServiceRequestRequest{Id: r.GetId(), Answer: "已更换灯泡", Resolved: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := contact.CloseServiceRequest(servicetest.Ctx(t), &pb.CloseServiceRequestRequest{Id: r.GetId()}); refusalOf(err).Code != codes.PermissionDenied {
		t.Errorf("the unit's contact closing: %v, want PermissionDenied", err)
	}
	if _, err := staff.RateServiceRequest(servicetest.Ctx(t), &pb.RateServiceRequestRequest{Id: r.GetId(),
		Satisfaction: pb.Satisfaction_SATISFACTION_SATISFIED, Comment: "很及时"}); err != nil {
		t.Fatal(err)
	}
	closed, err := staff.CloseServiceRequest(servicetest.Ctx(t), &pb.CloseServiceRequestRequest{Id: r.GetId()})
	if err != nil || closed.GetServiceRequest().GetState() != pb.ServiceRequestState_SERVICE_REQUEST_STATE_CLOSED ||
		closed.GetServiceRequest().GetVersion() != 7 || len(closed.GetServiceRequest().GetProgress()) != 1 {
		t.Fatalf("closed: %v, %v", closed, err)
	}
	list, err := contact.ListServiceRequests(servicetest.Ctx(t), &pb.ListServiceRequestsRequest{})
	if err != nil || len(list.GetServiceRequests()) != 1 || list.GetServiceRequests()[0].GetResidentName() != "张**" {
		t.Errorf("the unit's list: %v, %v", list, err)
	}
	evs := waitEvents[*pb.ServiceRequestChanged](t, h, 7)
	var changes []string
	for _, e := range evs {
		changes = append(changes, e.GetChange())
		if s := e.GetServiceRequest(); strings.Contains(s.GetResidentName()+s.GetResidentPhone()+s.GetAddress(), "秀英") ||
			strings.Contains(s.GetResidentPhone(), "4567") {
			t.Errorf("an event carries personal data: %v", s)
		}
	}
	if diff := cmp.Diff([]string{"RECEIVED", "ASSIGNED", "ACCEPTED", "PROGRESSED", "ANSWERED", "RATED", "CLOSED"}, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'service_request' AND action = 'write'`); n != 7 {
		t.Errorf("%d write records, want 7", n)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'service_request' AND action = 'write'
		AND (after::text LIKE '%13845671234%' OR after::text LIKE '%张秀英%')`); n != 0 {
		t.Errorf("%d write records keep the resident's data in full", n)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'service_request' AND action = 'read'
		AND subject_id = $1 AND actor_subject = 'u-1'`, r.GetId()); n != 1 {
		t.Errorf("%d read records of the handler's read, want 1", n)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'service_request' AND action = 'read'`); n != 3 {
		t.Errorf("%d read records, want 3: every read of a request is recorded, masked or not", n)
	}
}

// TestTheMonthsRatesOfACommunity: four requests received in June, each
// handled differently, give the four rates of the hotlines' bulletins.
func TestTheMonthsRatesOfACommunity(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	staff := h.requestsAs(cityAdmin)
	member := &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_MEMBER, Id: cobuild.NewID(), Name: "李红"}
	ctx := servicetest.Ctx(t)
	// 1: a micro-wish claimed at once, answered resolved next day, satisfied.
	wish := h.serviceRequest(t, tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_MICRO_WISH)
	// 2: an enquiry accepted after 30 hours (late), answered unresolved, dissatisfied.
	late := h.serviceRequest(t, tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY)
	// 3: a home visit accepted in time, answered after five days without progress (not on time).
	slow := h.serviceRequest(t, tr.neighbour.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_HOME_VISIT)
	// 4: received, never handled.
	h.serviceRequest(t, tr.neighbour.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY)
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := staff.ClaimServiceRequest(ctx, &pb.ClaimServiceRequestRequest{Id: wish.GetId(), Handler: member})
	step(err)
	_, err = staff.AssignServiceRequest(ctx, &pb.AssignServiceRequestRequest{Id: late.GetId(), Handler: member})
	step(err)
	_, err = staff.AssignServiceRequest(ctx, &pb.AssignServiceRequestRequest{Id: slow.GetId(), Handler: member})
	step(err)
	_, err = staff.AcceptServiceRequest(ctx, &pb.AcceptServiceRequestRequest{Id: slow.GetId()})
	step(err)
	h.clock.Add(20 * time.Hour)
	_, err = staff.AnswerServiceRequest(ctx, &pb.AnswerServiceRequestRequest{Id: wish.GetId(), Answer: "已送去轮椅", Resolved: true})
	step(err)
	_, err = staff.RateServiceRequest(ctx, &pb.RateServiceRequestRequest{Id: wish.GetId(), Satisfaction: pb.Satisfaction_SATISFACTION_SATISFIED})
	step(err)
	h.clock.Add(10 * time.Hour)
	_, err = staff.AcceptServiceRequest(ctx, &pb.AcceptServiceRequestRequest{Id: late.GetId()})
	step(err)
	_, err = staff.AnswerServiceRequest(ctx, &pb.AnswerServiceRequestRequest{Id: late.GetId(), Answer: "政策不支持", Resolved: false})
	step(err)
	_, err = staff.RateServiceRequest(ctx, &pb.RateServiceRequestRequest{Id: late.GetId(), Satisfaction: pb.Satisfaction_SATISFACTION_DISSATISFIED})
	step(err)
	h.clock.Add(5 * 24 * time.Hour)
	_, err = staff.AnswerServiceRequest(ctx, &pb.AnswerServiceRequestRequest{Id: slow.GetId(), Answer: "已上门服务", Resolved: true})
	step(err)
	got, err := staff.GetServiceRequestRates(ctx, &pb.GetServiceRequestRatesRequest{OrganisationId: tr.district.GetId(), Month: "2026-06"})
	if err != nil {
		t.Fatal(err)
	}
	want := &pb.ServiceRequestRates{Received: 4, Responded: 2, Answered: 3, OnTime: 1, Resolved: 2, Rated: 2, Satisfied: 1,
		ResponseRate: 0.5, OnTimeRate: 1.0 / 3, ResolutionRate: 2.0 / 3, SatisfactionRate: 0.5}
	if diff := cmp.Diff(want, got.GetTotal(), cmpProto()); diff != "" {
		t.Errorf("the district's June (-want +got):\n%s", diff)
	}
	if len(got.GetCommunities()) != 2 || got.GetCommunities()[0].GetCommunityName() != tr.neighbour.GetName() ||
		got.GetCommunities()[0].GetReceived() != 2 || got.GetCommunities()[1].GetResolved() != 1 {
		t.Errorf("per community: %v", got.GetCommunities())
	}
	street, err := staff.GetServiceRequestRates(ctx, &pb.GetServiceRequestRatesRequest{OrganisationId: tr.street.GetId(), Month: "2026-06"})
	if err != nil || street.GetTotal().GetReceived() != 4 {
		t.Errorf("the street's June: %v, %v", street, err)
	}
	if n := h.count(t, `SELECT count(*) FROM ((`+liveCountsSelect+`) EXCEPT
		(SELECT community_id, month, district_id, received, responded, answered, on_time, resolved, rated, satisfied
			FROM service_request_counts)) d`); n != 0 {
		t.Errorf("%d communities whose counts kept on write differ from a recount of their requests", n)
	}
	july, err := staff.GetServiceRequestRates(ctx, &pb.GetServiceRequestRatesRequest{OrganisationId: tr.community.GetId(), Month: "2026-07"})
	if err != nil || july.GetTotal().GetReceived() != 0 || len(july.GetCommunities()) != 0 {
		t.Errorf("July: %v, %v", july, err)
	}
}

// TestOverdueRequestsAreAnnouncedOnceAcrossReplicas: with a district's
// limits of 2 hours and 1 day, two replicas sweeping at once announce each
// request that passed a limit exactly once, and nothing that did not.
func TestOverdueRequestsAreAnnouncedOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	second := servicetest.Start(t, wiring.Spec(&wiring.Config{SweepInterval: 1}), servicetest.WithPool(h.Pool),
		servicetest.WithNATS(h.NC.ConnectedUrl()), servicetest.WithClock(h.clock.Now))
	tr := h.tree(t)
	staff := h.requestsAs(cityAdmin)
	ctx := servicetest.Ctx(t)
	set, err := staff.UpdateServiceRequestSettings(ctx, &pb.UpdateServiceRequestSettingsRequest{DistrictId: tr.district.GetId(),
		Settings: &pb.ServiceRequestSettings{ResponseHours: 2, ProgressDays: 1}})
	if err != nil || set.GetSettings().GetInherited() {
		t.Fatalf("settings: %v, %v", set, err)
	}
	const unanswered = 30
	for range unanswered {
		h.serviceRequest(t, tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY)
	}
	accepted := h.serviceRequest(t, tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_MICRO_WISH)
	if _, err := staff.ClaimServiceRequest(ctx, &pb.ClaimServiceRequestRequest{Id: accepted.GetId(),
		Handler: &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_VOLUNTEER_TEAM, Id: cobuild.NewID(), Name: "法律服务队"}}); err != nil {
		t.Fatal(err)
	}
	progressed := h.serviceRequest(t, tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_CLAIM_AND_HANDLE)
	if _, err := staff.ClaimServiceRequest(ctx, &pb.ClaimServiceRequestRequest{Id: progressed.GetId(),
		Handler: &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_MEMBER, Id: cobuild.NewID()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.RecordServiceRequestProgress(ctx, &pb.RecordServiceRequestProgressRequest{Id: progressed.GetId(), Note: "已联系"}); err != nil {
		t.Fatal(err)
	}
	elsewhere := h.serviceRequest(t, tr.outside.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY) // 24 hours there
	h.clock.Add(25 * time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		sweep := []func(ctx contextT) error{h.Service.Sweep, second.Service.Sweep}[i%2]
		wg.Add(1)
		go func() { defer wg.Done(); errs <- sweep(ctx) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := unanswered + 1 + 1 // the unanswered, the micro-wish without progress, the request of the other district
	evs := waitEvents[*pb.ServiceRequestOverdue](t, h, want)
	seen := map[string]int{}
	for _, e := range evs {
		seen[e.GetServiceRequestId()+"/"+e.GetWarning().String()]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s announced %d times", k, n)
		}
	}
	if len(evs) != want || seen[accepted.GetId()+"/SERVICE_REQUEST_OVERDUE_WARNING_NO_PROGRESS"] != 1 ||
		seen[elsewhere.GetId()+"/SERVICE_REQUEST_OVERDUE_WARNING_NO_RESPONSE"] != 1 || seen[progressed.GetId()+"/SERVICE_REQUEST_OVERDUE_WARNING_NO_PROGRESS"] != 0 {
		t.Errorf("%d warnings, want %d: %v", len(evs), want, seen)
	}
	overdue, err := staff.ListServiceRequests(ctx, &pb.ListServiceRequestsRequest{CommunityId: tr.community.GetId(), OverdueOnly: true, PageSize: 500})
	if err != nil || len(overdue.GetServiceRequests()) != unanswered+1 {
		t.Errorf("overdue in the community: %d, %v", len(overdue.GetServiceRequests()), err)
	}
}

func TestBadServiceRequestsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	staff := h.requestsAs(cityAdmin)
	ctx := servicetest.Ctx(t)
	for _, tt := range []struct {
		name   string
		change func(r *pb.ServiceRequest)
		want   refusal
	}{
		{"no resident", func(r *pb.ServiceRequest) { r.ResidentName = " " }, refusal{codes.InvalidArgument, []string{"service_request.resident_name"}}},
		{"no kind", func(r *pb.ServiceRequest) { r.Kind = 0 }, refusal{codes.InvalidArgument, []string{"service_request.kind"}}},
		{"a street for a community", func(r *pb.ServiceRequest) { r.CommunityId = tr.street.GetId() },
			refusal{codes.FailedPrecondition, []string{"service_request.community_id"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := requestOf(tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY)
			tt.change(r)
			_, err := staff.CreateServiceRequest(ctx, &pb.CreateServiceRequestRequest{ServiceRequest: r})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	enquiry := h.serviceRequest(t, tr.community.GetId(), pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY)
	member := &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_MEMBER, Id: cobuild.NewID()}
	_, err := staff.ClaimServiceRequest(ctx, &pb.ClaimServiceRequestRequest{Id: enquiry.GetId(), Handler: member})
	if diff := cmp.Diff(refusal{codes.FailedPrecondition, []string{"id"}}, refusalOf(err)); diff != "" {
		t.Errorf("claiming an enquiry (-want +got):\n%s", diff)
	}
	_, err = staff.AnswerServiceRequest(ctx, &pb.AnswerServiceRequestRequest{Id: enquiry.GetId(), Answer: "答复"})
	if diff := cmp.Diff(refusal{codes.FailedPrecondition, []string{"id"}}, refusalOf(err)); diff != "" {
		t.Errorf("answering a request nobody accepted (-want +got):\n%s", diff)
	}
	_, err = staff.AssignServiceRequest(ctx, &pb.AssignServiceRequestRequest{Id: enquiry.GetId(),
		Handler: &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_UNIT, Id: cobuild.NewID()}})
	if diff := cmp.Diff(refusal{codes.FailedPrecondition, []string{"handler.id"}}, refusalOf(err)); diff != "" {
		t.Errorf("a unit that does not exist (-want +got):\n%s", diff)
	}
	_, err = staff.GetServiceRequestRates(ctx, &pb.GetServiceRequestRatesRequest{OrganisationId: tr.community.GetId(), Month: "2026-13"})
	if got := refusalOf(err).Code; got != codes.InvalidArgument {
		t.Errorf("month 13: %v", got)
	}
}

// cmpProto compares messages by their fields, rates to within rounding.
func cmpProto() cmp.Option {
	return cmp.Options{protocmp.Transform(), cmpopts.EquateApprox(0, 1e-9)}
}
