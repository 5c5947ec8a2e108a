package grpcapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	orgevents "gongjian.dev/services/organisation/internal/events"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/wiring"
)

// Generous bounds for things that normally take milliseconds.
const (
	eventually = servicetest.Eventually
	callLimit  = servicetest.CallLimit
)

// stream is the stream the service publishes on, as the service declares it.
var stream = wiring.Stream

func TestMain(m *testing.M) { pgtest.Main(m) }

// harness is the organisation service as it runs in production
// (servicetest.Start with the service's own Spec): its own database, a NATS
// server of its own with the stream, the outbox relay, the consumer of
// member counts, and the gRPC server with its interceptors, reached over an
// in-memory connection by a real client.
type harness struct {
	// as connects as the caller a token describes.
	as            func(devissuer.Claims) *grpc.ClientConn
	org           pb.OrganisationServiceClient
	demonstration pb.DemonstrationServiceClient
	compliance    pb.ComplianceServiceClient
	pool          *pgxpool.Pool
	js            jetstream.JetStream
	stream        jetstream.Stream
}

// Options of newHarness: servicetest's.
var (
	withLogs  = servicetest.WithLogs
	withClock = servicetest.WithClock
)

// newHarness starts the service for one test, with the member service's
// stream to publish member counts on; everything stops when the test ends.
func newHarness(t *testing.T, opts ...servicetest.Option) *harness {
	t.Helper()
	return startHarness(t, append([]servicetest.Option{servicetest.WithStreams(memberStream)}, opts...)...)
}

// startHarness starts the service with only its own stream.
func startHarness(t *testing.T, opts ...servicetest.Option) *harness {
	t.Helper()
	s := servicetest.Start(t, wiring.Spec(&wiring.Config{}), opts...)
	conn := s.As(cityAdmin)
	return &harness{
		as:            s.As,
		org:           pb.NewOrganisationServiceClient(conn),
		demonstration: pb.NewDemonstrationServiceClient(conn),
		compliance:    pb.NewComplianceServiceClient(conn),
		pool:          s.Pool,
		js:            s.JS,
		stream:        s.Stream,
	}
}

// cityAdmin is the caller of the tests that are not about access: the city
// organisation department, which may do everything everywhere.
var cityAdmin = servicetest.CityAdmin

// callContext bounds one step of a test.
func callContext(t *testing.T) context.Context { return servicetest.Ctx(t) }

// create creates an organisation and fails the test if it is refused.
func (h *harness) create(t *testing.T, o *pb.Organisation) *pb.Organisation {
	t.Helper()
	resp, err := h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{Organisation: o})
	if err != nil {
		t.Fatalf("create %s %q: %v", o.GetKind(), o.GetName(), err)
	}
	return resp.GetOrganisation()
}

func (h *harness) get(t *testing.T, id string) *pb.Organisation {
	t.Helper()
	resp, err := h.org.GetOrganisation(callContext(t), &pb.GetOrganisationRequest{Id: id})
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return resp.GetOrganisation()
}

func (h *harness) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := h.pool.QueryRow(callContext(t), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// memberStream is the member service's stream, on which the tests publish
// member counts as that service does: its events are the counts' only
// writer.
var memberStream = events.StreamSpec{Name: "MEMBER", Subjects: []string{"gongjian.member.v1.>"}}

// publishCount publishes a member count as the member service does.
func (h *harness) publishCount(t *testing.T, id string, n int64) {
	t.Helper()
	eventID := org.NewID()
	data, err := proto.Marshal(&memberv1.OrganisationMemberCountChanged{EventId: eventID, OccurTime: timestamppb.Now(),
		OrganisationId: id, MemberCount: n})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.js.Publish(callContext(t), orgevents.MemberCountSubject, data, jetstream.WithMsgID(eventID)); err != nil {
		t.Fatalf("publish a member count: %v", err)
	}
}

// recordMembers has the member service report n members in id, and waits
// until the tree holds the count.
func (h *harness) recordMembers(t *testing.T, id string, n int64) {
	t.Helper()
	h.publishCount(t, id, n)
	servicetest.WaitFor(t, fmt.Sprintf("%d members in %s", n, id), func() bool { return h.get(t, id).GetMemberCount() == n })
}

// Constructors of the organisations the tests build, named as in the
// documents' cities.

func city(name string) *pb.Organisation {
	return &pb.Organisation{Kind: pb.OrganisationKind_ORGANISATION_KIND_CITY, Name: name}
}

func child(parent *pb.Organisation, kind pb.OrganisationKind, name string) *pb.Organisation {
	return &pb.Organisation{ParentId: parent.GetId(), Kind: kind, Name: name}
}

func community(parent *pb.Organisation, name string, form pb.CommunityForm) *pb.Organisation {
	o := child(parent, pb.OrganisationKind_ORGANISATION_KIND_COMMUNITY, name)
	o.CommunityForm = form
	return o
}

const (
	kindDistrict   = pb.OrganisationKind_ORGANISATION_KIND_DISTRICT
	kindStreet     = pb.OrganisationKind_ORGANISATION_KIND_STREET
	kindBranch     = pb.OrganisationKind_ORGANISATION_KIND_BRANCH
	kindPartyGroup = pb.OrganisationKind_ORGANISATION_KIND_PARTY_GROUP
	kindGrid       = pb.OrganisationKind_ORGANISATION_KIND_GRID
)

// tree is a city with two districts, a street in each and a community with
// a branch in the first.
type tree struct {
	city, district, street, community, branch *pb.Organisation
	otherDistrict, otherStreet                *pb.Organisation
}

func (h *harness) tree(t *testing.T) *tree {
	t.Helper()
	var tr tree
	tr.city = h.create(t, city("Jinchang Municipal Party Committee"))
	tr.district = h.create(t, child(tr.city, kindDistrict, "Jinchuan District Committee"))
	tr.street = h.create(t, child(tr.district, kindStreet, "Binhe Road Street Working Committee"))
	tr.community = h.create(t, community(tr.street, "Guangzhou Road Community Party Committee", pb.CommunityForm_COMMUNITY_FORM_COMMITTEE))
	tr.branch = h.create(t, child(tr.community, kindBranch, "First Branch of Guangzhou Road Community"))
	tr.otherDistrict = h.create(t, child(tr.city, kindDistrict, "Yongchang County Committee"))
	tr.otherStreet = h.create(t, child(tr.otherDistrict, kindStreet, "Chengguan Town Committee"))
	return &tr
}

// refusal is what a client learns from a refused call.
type refusal = servicetest.Refusal

var refusalOf = servicetest.RefusalOf

// event is one message of the stream, decoded.
type event = servicetest.Event

// events returns every message of the test's stream, in stream order.
func (h *harness) events(_ context.Context, t *testing.T) []event {
	t.Helper()
	return servicetest.Events(t, h.stream)
}

// eventsUntil waits until the stream's events satisfy done, and returns them.
func (h *harness) eventsUntil(t *testing.T, what string, done func([]event) bool) []event {
	t.Helper()
	return servicetest.EventsUntil(t, h.stream, what, done)
}

// subjectOrganisation is the organisation an event is about: the community
// of a coverage point, site or liaison, the district of its settings.
func subjectOrganisation(e event) string {
	switch p := e.Payload.(type) {
	case *pb.OrganisationCreated:
		return p.GetOrganisation().GetId()
	case *pb.OrganisationUpdated:
		return p.GetOrganisation().GetId()
	case *pb.OrganisationMoved:
		return p.GetOrganisation().GetId()
	case *pb.OrganisationDissolved:
		return p.GetOrganisation().GetId()
	case *pb.ActivityRecorded:
		return p.GetActivity().GetOrganisationId()
	case *pb.CoveragePointChanged:
		return p.GetCoveragePoint().GetCommunityId()
	case *pb.DemonstrationSiteChanged:
		return p.GetSite().GetCommunityId()
	case *pb.LiaisonChanged:
		return p.GetLiaison().GetCommunityId()
	case *pb.DistrictSettingsUpdated:
		return p.GetSettings().GetDistrictId()
	case *pb.MemberCountRecorded:
		return p.GetOrganisationId()
	}
	return ""
}

// eventID is the event_id field of an event's payload.
func eventID(e event) string {
	type withID interface{ GetEventId() string }
	if p, ok := e.Payload.(withID); ok {
		return p.GetEventId()
	}
	return ""
}

// newClock is a settable clock for tests that need the service to live on given days.
var newClock = servicetest.NewClock

func testLogger(t *testing.T) *slog.Logger { return logtest.New(t) }

func cloneOrg(o *pb.Organisation) *pb.Organisation { return proto.Clone(o).(*pb.Organisation) }
