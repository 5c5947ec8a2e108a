package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

const (
	kindCity      = orgv1.OrganisationKind_ORGANISATION_KIND_CITY
	kindDistrict  = orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT
	kindStreet    = orgv1.OrganisationKind_ORGANISATION_KIND_STREET
	kindCommunity = orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY
	kindBranch    = orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH
)

// created publishes an organisation as the organisation service would
// have created it, founded on the day given.
func (h *harness) created(t *testing.T, parent *orgv1.Organisation, kind orgv1.OrganisationKind, name, founded string) *orgv1.Organisation {
	t.Helper()
	o := &orgv1.Organisation{Id: uuid.NewString(), Kind: kind, Name: name, State: orgv1.OrganisationState_ORGANISATION_STATE_ACTIVE,
		FoundingDate: founded, CreateTime: timestamppb.New(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))}
	o.UpdateTime = o.CreateTime
	if parent != nil {
		o.ParentId = parent.GetId()
		o.AncestorIds = append(slices.Clone(parent.GetAncestorIds()), parent.GetId())
		o.DistrictId = parent.GetDistrictId()
		if parent.GetKind() == kindDistrict {
			o.DistrictId = parent.GetId()
		}
	}
	id := uuid.NewString()
	h.publish(t, "gongjian.organisation.v1.organisation_created", &orgv1.OrganisationCreated{EventId: id, OccurTime: o.CreateTime, Organisation: o}, id)
	return o
}

// activity publishes an activity the organisation service recorded.
func (h *harness) activity(t *testing.T, o *orgv1.Organisation, kind orgv1.ActivityKind, day string) string {
	t.Helper()
	a := &orgv1.Activity{Id: uuid.NewString(), OrganisationId: o.GetId(), Kind: kind, Date: day, Topic: "activity"}
	id := uuid.NewString()
	h.publish(t, "gongjian.organisation.v1.activity_recorded", &orgv1.ActivityRecorded{EventId: id, OccurTime: timestamppb.Now(),
		Activity: a, OrganisationAncestorIds: o.GetAncestorIds()}, id)
	return a.GetId()
}

// city is a small city: one district with a street of communities, and a
// second district, all known to the service before the test goes on.
type city struct {
	city, district, street, other, otherStreet, otherCommunity *orgv1.Organisation
}

func (h *harness) city(t *testing.T) city {
	t.Helper()
	var c city
	c.city = h.created(t, nil, kindCity, "City", "2000-01-01")
	c.district = h.created(t, c.city, kindDistrict, "District", "2000-01-01")
	c.street = h.created(t, c.district, kindStreet, "Street", "2000-01-01")
	c.other = h.created(t, c.city, kindDistrict, "Other district", "2000-01-01")
	c.otherStreet = h.created(t, c.other, kindStreet, "Other street", "2000-01-01")
	c.otherCommunity = h.created(t, c.otherStreet, kindCommunity, "Other community", "2025-12-15")
	return c
}

// known waits until the service's view holds the organisations.
func (h *harness) known(t *testing.T, os ...*orgv1.Organisation) {
	t.Helper()
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = o.GetId()
	}
	servicetest.WaitFor(t, "the organisations in the view", func() bool {
		return h.count(t, `SELECT count(*) FROM orgs o JOIN org_facts f USING (id) WHERE o.id = ANY($1::uuid[])`, ids) == len(ids)
	})
}

// The callers of the tests.
var (
	cityAdmin = servicetest.CityAdmin
)

func districtAdmin(o *orgv1.Organisation) devissuer.Claims {
	return devissuer.Claims{Subject: "district-admin-" + o.GetId()[:8], Role: auth.DistrictAdmin, ScopeOrgID: o.GetId()}
}

func secretary(o *orgv1.Organisation) devissuer.Claims {
	return devissuer.Claims{Subject: "secretary-" + o.GetId()[:8], Role: auth.CommunitySecretary, ScopeOrgID: o.GetId()}
}

func inspector(subject string) devissuer.Claims {
	return devissuer.Claims{Subject: subject, Role: auth.Inspector}
}

// clients are the service's APIs as one caller.
type clients struct {
	rules      pb.RuleServiceClient
	items      pb.RectificationServiceClient
	inspection pb.InspectionServiceClient
	interviews pb.InterviewServiceClient
}

func (h *harness) clients(c devissuer.Claims) clients {
	conn := h.as(c)
	return clients{pb.NewRuleServiceClient(conn), pb.NewRectificationServiceClient(conn), pb.NewInspectionServiceClient(conn),
		pb.NewInterviewServiceClient(conn)}
}

// group starts a round in the district with one group of the inspector
// covering the organisations.
func (h *harness) group(t *testing.T, district *orgv1.Organisation, inspectorSubject string, covered ...*orgv1.Organisation) *pb.InspectionGroup {
	t.Helper()
	c := h.clients(districtAdmin(district))
	round, err := c.inspection.CreateRound(servicetest.Ctx(t), &pb.CreateRoundRequest{Round: &pb.InspectionRound{
		DistrictId: district.GetId(), Year: 2026, Quarter: 2, Name: "Second quarter",
		Checklist: []*pb.ChecklistItem{{Code: "life", Text: "organisation life held and recorded"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(covered))
	for i, o := range covered {
		ids[i] = o.GetId()
	}
	g, err := c.inspection.CreateGroup(servicetest.Ctx(t), &pb.CreateGroupRequest{Group: &pb.InspectionGroup{
		RoundId: round.GetRound().GetId(), Name: "Group 1", Inspectors: []string{inspectorSubject}, OrganisationIds: ids}})
	if err != nil {
		t.Fatal(err)
	}
	return g.GetGroup()
}
