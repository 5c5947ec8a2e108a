package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// orgStream is the organisation service's stream, on which the tests
// publish as that service would.
var orgStream = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}

// memberStream is the member service's stream, likewise.
var memberStream = events.StreamSpec{Name: "MEMBER", Subjects: []string{"gongjian.member.v1.>"}}

// cityAdmin is the caller of the tests that are not about access.
var cityAdmin = servicetest.CityAdmin

// harness is the co-building service as production runs it, with clients
// of each API as a city administrator.
type harness struct {
	*servicetest.Harness[*wiring.Built]
	clock      *servicetest.Clock
	units      pb.ResidentUnitServiceClient
	agreements pb.AgreementServiceClient
	reports    pb.UnitReportServiceClient
	meetings   pb.JointMeetingServiceClient
	ledger     pb.LedgerItemServiceClient
	activities pb.JointActivityServiceClient
	settings   pb.SettingsServiceClient
}

// day0 is the tests' today unless they move the clock: Wednesday
// 2026-06-17, noon in the city.
var day0 = time.Date(2026, 6, 17, 12, 0, 0, 0, time.UTC)

func newHarness(t testing.TB, opts ...servicetest.Option) *harness {
	t.Helper()
	clock := servicetest.NewClock(day0)
	h := servicetest.Start(t, wiring.Spec(&wiring.Config{SweepInterval: time.Minute}),
		append([]servicetest.Option{servicetest.WithStreams(orgStream, memberStream), servicetest.WithClock(clock.Now)}, opts...)...)
	return withClients(h, clock, h.As(cityAdmin))
}

func withClients(h *servicetest.Harness[*wiring.Built], clock *servicetest.Clock, conn *grpc.ClientConn) *harness {
	return &harness{Harness: h, clock: clock,
		units: pb.NewResidentUnitServiceClient(conn), agreements: pb.NewAgreementServiceClient(conn),
		reports: pb.NewUnitReportServiceClient(conn), meetings: pb.NewJointMeetingServiceClient(conn),
		ledger: pb.NewLedgerItemServiceClient(conn), activities: pb.NewJointActivityServiceClient(conn),
		settings: pb.NewSettingsServiceClient(conn)}
}

// The organisation tree, as the organisation service announces it.

const (
	kindCity         = orgv1.OrganisationKind_ORGANISATION_KIND_CITY
	kindDistrict     = orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT
	kindStreet       = orgv1.OrganisationKind_ORGANISATION_KIND_STREET
	kindCommunity    = orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY
	kindBranch       = orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH
	kindResidentUnit = orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT
)

func org(parent *orgv1.Organisation, kind orgv1.OrganisationKind, name string) *orgv1.Organisation {
	o := &orgv1.Organisation{Id: cobuild.NewID(), Kind: kind, Name: name, State: orgv1.OrganisationState_ORGANISATION_STATE_ACTIVE}
	if parent != nil {
		o.ParentId = parent.GetId()
		o.AncestorIds = append(slices.Clone(parent.GetAncestorIds()), parent.GetId())
		o.DistrictId = parent.GetDistrictId()
		if parent.GetKind() == kindDistrict {
			o.DistrictId = parent.GetId()
		}
	}
	return o
}

func (h *harness) publish(t testing.TB, subject string, ev proto.Message, id string) {
	t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.JS.Publish(servicetest.Ctx(t), subject, data, jetstream.WithMsgID(id)); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

// created announces the organisations and waits until the view holds them.
func (h *harness) created(t testing.TB, os ...*orgv1.Organisation) {
	t.Helper()
	var ids []string
	for _, o := range os {
		id := cobuild.NewID()
		h.publish(t, orgview.SubjectCreated, &orgv1.OrganisationCreated{EventId: id, OccurTime: timestamppb.Now(), Organisation: o}, id)
		ids = append(ids, o.GetId())
	}
	servicetest.WaitFor(t, "the organisation view", func() bool {
		return h.count(t, `SELECT count(*) FROM orgs WHERE id = ANY($1::uuid[])`, ids) == len(ids)
	})
}

// tree is a city with two districts: the first with a street of two
// communities and a second street of one, the other district with one
// street and one community.
type tree struct {
	city, district, street, community, neighbour *orgv1.Organisation
	otherStreet, farCommunity                    *orgv1.Organisation
	otherDistrict, otherDistrictStreet, outside  *orgv1.Organisation
	branch, unitOrg                              *orgv1.Organisation
}

func (h *harness) tree(t testing.TB) *tree {
	t.Helper()
	var tr tree
	tr.city = org(nil, kindCity, "Jiamusi Municipal Party Committee")
	tr.district = org(tr.city, kindDistrict, "Tongjiang City Committee")
	tr.street = org(tr.district, kindStreet, "Tongjiang Street Working Committee")
	tr.community = org(tr.street, kindCommunity, "Xinhua Community")
	tr.neighbour = org(tr.street, kindCommunity, "Jiefang Community")
	tr.otherStreet = org(tr.district, kindStreet, "Jiejin Street Working Committee")
	tr.farCommunity = org(tr.otherStreet, kindCommunity, "Dongfang Community")
	tr.otherDistrict = org(tr.city, kindDistrict, "Fuyuan City Committee")
	tr.otherDistrictStreet = org(tr.otherDistrict, kindStreet, "Fuyuan Street")
	tr.outside = org(tr.otherDistrictStreet, kindCommunity, "Haiqing Community")
	tr.branch = org(tr.community, kindBranch, "First Branch of Xinhua Community")
	tr.unitOrg = org(tr.community, kindResidentUnit, "Party Branch of the Tongjiang Tax Bureau")
	h.created(t, tr.city, tr.district, tr.street, tr.community, tr.neighbour, tr.otherStreet, tr.farCommunity,
		tr.otherDistrict, tr.otherDistrictStreet, tr.outside, tr.branch, tr.unitOrg)
	return &tr
}

func (h *harness) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.Pool.QueryRow(servicetest.Ctx(t), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// unit records a unit of the given type in community.
func (h *harness) unit(t testing.TB, community, name string) *pb.ResidentUnit {
	t.Helper()
	resp, err := h.units.CreateResidentUnit(servicetest.Ctx(t), &pb.CreateResidentUnitRequest{ResidentUnit: unitOf(community, name)})
	if err != nil {
		t.Fatalf("record %s: %v", name, err)
	}
	return resp.GetResidentUnit()
}

func unitOf(community, name string) *pb.ResidentUnit {
	return &pb.ResidentUnit{Name: name, Type: pb.UnitType_UNIT_TYPE_GOVERNMENT_OFFICE, CommunityId: community,
		Address: "Tongjiang, Xinhua Road 12", HeadCount: 80, PartyMemberCount: 30,
		Contacts: []*pb.Contact{{Name: "王建国", Role: "联络员", Phone: "0454-2345678"}}}
}

// agreementOf is an agreement of community and unit for the term from to.
func agreementOf(community, unit, from, to string) *pb.Agreement {
	return &pb.Agreement{CommunityId: community, UnitId: unit, StartDate: from, EndDate: to, SignedDate: from,
		Goals: []*pb.Goal{
			{Area: pb.Area_AREA_ORGANISATION_BUILDING, Text: "同上党课、共过党日，每季度一次"},
			{Area: pb.Area_AREA_ENVIRONMENT, Text: "每月一次环境整治"},
		},
		CommunityContact: &pb.Contact{Name: "李书记", Role: "社区党总支书记"},
		UnitContact:      &pb.Contact{Name: "王建国", Role: "联络员"}}
}

func (h *harness) agreement(t testing.TB, community, unit, from, to string) *pb.Agreement {
	t.Helper()
	resp, err := h.agreements.CreateAgreement(servicetest.Ctx(t), &pb.CreateAgreementRequest{Agreement: agreementOf(community, unit, from, to)})
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return resp.GetAgreement()
}

// reportOf is a unit's report of a month.
func reportOf(unit, community, month string) *pb.UnitReport {
	return &pb.UnitReport{UnitId: unit, CommunityId: community, Month: month, Summary: "本月共建情况",
		Items: []*pb.ReportItem{{Area: pb.Area_AREA_ENVIRONMENT, Text: "清理小广告", Activities: 1, Attendance: 40, MemberAttendance: 12}}}
}

// refusal is what a client learns from a refused call.
type refusal struct {
	Code   codes.Code
	Fields []string
}

func refusalOf(err error) refusal {
	r := servicetest.RefusalOf(err)
	return refusal{Code: r.Code, Fields: r.Fields}
}

// eventsOf are the payloads of the service's stream of type T.
func eventsOf[T proto.Message](t testing.TB, h *harness) []T {
	t.Helper()
	var out []T
	for _, e := range servicetest.Events(t, h.Stream) {
		if p, ok := e.Payload.(T); ok {
			out = append(out, p)
		}
	}
	return out
}

// waitEvents waits until the stream holds n events of type T.
func waitEvents[T proto.Message](t testing.TB, h *harness, n int) []T {
	t.Helper()
	var out []T
	servicetest.EventsUntil(t, h.Stream, "the events", func(evs []servicetest.Event) bool {
		out = out[:0]
		for _, e := range evs {
			if p, ok := e.Payload.(T); ok {
				out = append(out, p)
			}
		}
		return len(out) >= n
	})
	return out
}

// as is a caller of the claims, with clients of each API.
func (h *harness) as(c devissuer.Claims) *harness { return withClients(h.Harness, h.clock, h.As(c)) }
